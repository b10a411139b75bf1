"""sip_harness.verify.runner: the suite's orchestration, without Asterisk or pjsua2.

The fleet is a fake network that answers every call as a correctly configured Asterisk would at
the routing state last applied (its ``apply`` moves it, from the routing core's expectations);
AMI is a :class:`~sip_harness.ami.testing.FakeAMI` session, which the tests can drop to play an
Asterisk that stopped answering. The scenarios have no voicemail box a call can reach at the
checkpoints used, so the voicemail check is n/a and needs no AMI voicemail actions.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sim.errors import HarnessError, HarnessTimeout
from sim.model import Replay
from sim.scenario import Scenario, load_scenario, scenario_from_text
from sip_harness.agents.audio import CALLEE_TONE, CALLER_TONE, write_tone_wav
from sip_harness.agents.fleet import CALLER
from sip_harness.agents.invite import Arrival, user_part
from sip_harness.ami import AMIClient
from sip_harness.ami.testing import FakeAMI
from sip_harness.verify.checks import CheckResult
from sip_harness.verify.expectations import Expected, expectations, plan
from sip_harness.verify.runner import DEFAULT_CONCURRENCY, run_suite

ROOT = Path(__file__).resolve().parents[4]
SCENARIOS = ROOT / "scenarios"

ACME = ("+441632960001", "+441632960002", "+441632960003")
UNALLOCATED = "+440001000000"     # plan()'s number no range holds, in the UK scenarios
ORIGIN = "vodafone"               # the UK scenarios' traffic origin: the external callers


def _without_voicemail(name: str) -> Scenario:
    """A bundled scenario with its voicemail boxes taken out (the voicemail check is n/a) and
    every number of the customer declared an extension (a phone each, checked by pjsua2)."""
    text = (SCENARIOS / f"{name}.yaml").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "voicemail:")
    end = start + 1
    while lines[end].lstrip().startswith("- {box:"):
        end += 1
    numbers = next(line for line in reversed(lines[:start]) if line.strip().startswith(
        "numbers:"))
    extensions = numbers.replace("numbers:", "extensions:", 1)
    return scenario_from_text("\n".join(lines[:start] + [extensions] + lines[end:]),
                              origin=name)


@pytest.fixture(scope="module")
def weekend() -> Scenario:
    """Three numbers from BT to Callagenix; before: at BT's trunk, after: at the phones."""
    return _without_voicemail("uk_gnp_weekend")


def points(scenario: Scenario, *names: str) -> list[tuple[str, datetime]]:
    return [(n, scenario.checkpoint(n).at) for n in names]


# --- the fake network --------------------------------------------------------------------------

class FakePhone:
    """One phone worker's agent: the customer's phone and the external callers' UA.

    An inbound call answered at the phone has a second leg (the phone's, id ``-cid``); what one
    leg plays the other records (the WAV copied into its recording), unless the network's
    ``silent`` holds that direction (``(number, "caller")``: the phone's audio is lost).
    """

    def __init__(self, net: FakeAsterisk) -> None:
        self.net = net
        self.seen: list[dict[str, Any]] = []
        self.finals: dict[int, dict[str, Any]] = {}
        self.up: set[int] = set()
        self.played: dict[int, str] = {}
        self.recording: dict[int, str] = {}
        self.peer: dict[int, tuple[int, str, str]] = {}  # leg -> other leg, from, to

    def call(self, ua: str, uri: str, caller: str | None = None, tag: str | None = None) -> int:
        cid = self.net.place(ua, user_part(uri), caller, self, tag)
        self.up.add(cid)
        return cid

    def wait_call(self, cid: int, until: str, timeout: float) -> dict[str, Any]:
        if until == "disconnected":
            if cid in self.up:  # still up: the wait runs out (a pause)
                raise HarnessTimeout(f"no call {cid} to be disconnected within {timeout} s")
            return {"status": 200, "reason": "OK", "state": "disconnected"}
        if until == "media":
            return {"status": 200, "reason": "OK", "media": True}
        final = self.finals[cid]
        if isinstance(final, Exception):
            raise final
        return final

    def hangup(self, cid: int) -> None:
        self.up.discard(cid)
        self.up.discard(-cid)

    def play(self, cid: int, wav: str) -> None:
        self.played[cid] = wav
        self._carry()

    def record(self, cid: int, wav: str) -> None:
        self.recording[cid] = wav
        self._carry()

    def _carry(self) -> None:
        for leg, path in self.recording.items():
            other, source, target = self.peer[leg]
            if other in self.played and (source, target) not in self.net.silent:
                Path(path).write_bytes(Path(self.played[other]).read_bytes())

    def stream_stats(self, cid: int) -> dict[str, Any]:
        return {"tx_packets": 50, "rx_packets": 50, "rx_lost": 0, "rx_jitter_ms": 0.1,
                "rx_jitter_max_ms": 0.3}

    def arrivals(self, **match: str) -> list[dict[str, Any]]:
        with self.net.lock:
            return [a for a in self.seen if all(a[k] == v for k, v in match.items())]

    def refusals(self, **match: str) -> list[dict[str, Any]]:
        return []  # this fake's process never runs out of call slots


class FakeAsterisk:
    """The fleet's interface over a network routed as Asterisk is at the state last applied.

    ``log`` records applies, resumes and calls in order; ``on_call(ua, dialled)`` runs at each
    call before it is answered (to block it, or to drop AMI); ``phones`` may leave numbers out.
    """

    def __init__(self, replay: Replay, origin: str = ORIGIN, *, moves: bool = True,
                 phones: tuple[str, ...] | None = None) -> None:
        self.replay, self.origin, self.moves = replay, origin, moves
        numbers = phones if phones is not None else tuple(
            n for o in replay.scenario.port_orders for n in o.numbers)
        self.lock = threading.Lock()
        self.phones = {n: FakePhone(self) for n in numbers}
        self.routes: dict[str, Expected] = {}
        self.trunk: list[dict[str, Any]] = []
        self.log: list[tuple[str, ...]] = []
        self.applied: list[tuple[str, datetime]] = []
        self.on_call: Callable[[str, str], None] | None = None
        self.silent: set[tuple[str, str]] = set()  # (from, to) directions with no audio
        self.interrupted = threading.Event()
        self.reasons: list[str] = []
        self.resumes = self.calls = self.in_flight = self.max_in_flight = self.paced = 0
        self.lines: list[Any] = []   # the agent of each call's line, in order
        self.processes = 2
        self._dir = tempfile.TemporaryDirectory(prefix="fake-fleet-")  # the Fleet's own dir
        self.dir = Path(self._dir.name)
        self.caller_tone = str(write_tone_wav(self.dir / "caller.wav", seconds=1.0,
                                              tones=CALLER_TONE))
        self.callee_tone = str(write_tone_wav(self.dir / "callee.wav", seconds=1.0,
                                              tones=CALLEE_TONE))
        self.closed = False
        self._cids = 0

    # what apply() does to Asterisk: move it to the routing state at the instant
    def apply(self, name: str, instant: datetime) -> None:
        with self.lock:
            self.log.append(("apply", name))
            self.applied.append((name, instant))
            if self.moves or not self.routes:
                self.routes = {e.number: e for e in expectations(self.replay, name, instant,
                                                                 self.origin)}

    def place(self, ua: str, dialled: str, caller: str | None, agent: FakePhone,
              tag: str | None = None) -> int:
        with self.lock:
            self.log.append(("call", ua, dialled))
            self._cids += 1
            cid = self._cids
        if self.on_call:
            self.on_call(ua, dialled)
        with self.lock:
            if ua == CALLER:  # from the origin carrier, presenting the external caller
                exp = self.routes.get(dialled)
                if exp is None:
                    agent.finals[cid] = {"status": 404, "reason": "Not Found"}
                elif exp.phone:
                    answered = _arrival(dialled, dialled, caller or "", tag=tag)
                    answered.update(call=-cid, answered=200)
                    self.phones[dialled].seen.append(answered)
                    agent.finals[cid] = {"status": 200, "reason": "OK", "confirmed": True}
                    agent.peer[cid] = (-cid, dialled, "caller")   # the caller hears the phone
                    agent.peer[-cid] = (cid, "caller", dialled)   # the phone hears the caller
                else:  # a carrier's trunk records the call and rejects it
                    self.trunk.append(_arrival(exp.carrier, dialled, caller or "", tag=tag))
                    agent.finals[cid] = {"status": 486, "reason": "Busy Here"}
            else:  # from the customer's phone to an external number, out via the origin
                exp = self.routes[ua]
                self.trunk.append(_arrival(self.origin, dialled, exp.presented, exp.presented))
                agent.finals[cid] = {"status": 486, "reason": "Busy Here"}
        return cid

    # --- the Fleet interface the runner and the checks use --------------------------------

    def phone(self, number: str) -> FakePhone:
        try:
            return self.phones[number]
        except KeyError:
            raise HarnessError(f"no phone for {number} in this fleet") from None

    def any_caller(self) -> FakePhone:
        return next(iter(self.phones.values()))

    def pace(self) -> None:
        with self.lock:
            self.paced += 1

    @contextmanager
    def line(self, agent: Any) -> Iterator[None]:
        with self.lock:
            self.lines.append(agent)
        yield

    @contextmanager
    def in_flight_call(self) -> Iterator[None]:
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self.lock:
                self.in_flight -= 1

    def trunk_arrivals(self, **match: str) -> list[dict[str, Any]]:
        with self.lock:
            return [a for a in self.trunk if all(a[k] == v for k, v in match.items())]

    def interrupt(self, reason: str) -> None:
        self.reasons.append(reason)
        self.interrupted.set()

    def resume(self) -> None:
        with self.lock:
            self.log.append(("resume",))
            self.resumes += 1

    def close(self) -> None:
        self.closed = True


def _arrival(ua: str, user: str, from_user: str, pai_user: str | None = None, *,
             tag: str | None = None) -> dict[str, Any]:
    """What reached ``ua``; the dialplan copies a call's tag (X-Cutover-Call) onto it."""
    return Arrival(ua=ua, uri=f"sip:{user}@127.0.0.1:5070", user=user, from_user=from_user,
                   pai_user=pai_user, source="127.0.0.1:5060",
                   headers={"from": f"<sip:{from_user}@127.0.0.1>",
                            "to": f"<sip:{user}@127.0.0.1:5070>",
                            **({"x-cutover-call": tag} if tag else {})}).as_dict()


@pytest.fixture
def ami_server() -> Iterator[FakeAMI]:
    with FakeAMI() as fake:
        yield fake


@pytest.fixture
def ami(ami_server: FakeAMI) -> Callable[[], AMIClient]:
    return lambda: AMIClient.connect("127.0.0.1", ami_server.port, "cutover", ami_server.secret)


def rows(results: list[CheckResult]) -> list[tuple[str, str, str, bool | None]]:
    return [(r.checkpoint, r.number, r.check, r.passed) for r in results]


# --- a whole suite against a correctly configured network ---------------------------------------

def test_every_check_passes_checkpoint_by_checkpoint_with_unallocated_last(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    results = run_suite(Replay(weekend), points(weekend, "before", "after_cutover"),
                        apply=net.apply, ami=ami, fleet=net)
    # before: the calls reach BT's trunk (486), no audio; after: the phones answer
    before = [("before", n, c, None if c in ("voicemail", "audio") else True) for n in ACME
              for c in ("inbound", "audio", "outbound_callerid", "voicemail", "not_ported")]
    after = [("after_cutover", n, c, None if c == "voicemail" else True) for n in ACME
             for c in ("inbound", "audio", "outbound_callerid", "voicemail")]
    assert rows(results) == (before + [("before", UNALLOCATED, "unallocated", True)]
                             + after + [("after_cutover", UNALLOCATED, "unallocated", True)])
    inbound = [r for r in results if r.check == "inbound"]
    assert [r.observed for r in inbound] == ["bt"] * 3 + ["callagenix (customer's phone)"] * 3
    voicemail = [r for r in results if r.check == "voicemail"]
    assert {r.reason for r in voicemail} == {"not applicable: the number has no mailbox"}
    assert not net.closed  # a fleet passed in is the caller's to close


def test_apply_moves_asterisk_once_per_checkpoint_in_order_before_its_calls(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    # the given order, even against time, and a name the scenario does not define
    given = [("after_cutover", weekend.checkpoint("after_cutover").at),
             ("before", weekend.checkpoint("before").at),
             ("again", weekend.checkpoint("after_cutover").at)]
    results = run_suite(Replay(weekend), given, apply=net.apply, ami=ami, fleet=net)
    assert net.applied == given
    # each checkpoint: apply, resume, then its 7 calls (2 per number and the unallocated one)
    kinds = [entry[0] for entry in net.log]
    assert kinds == (["apply", "resume"] + ["call"] * 7) * 3
    assert [r.checkpoint for r in results if r.check == "unallocated"] == [
        "after_cutover", "before", "again"]
    assert all(r.passed is not False for r in results)


def test_the_calls_go_where_the_checks_say(weekend: Scenario,
                                           ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    run_suite(Replay(weekend), points(weekend, "before"), apply=net.apply, ami=ami, fleet=net,
              concurrency=1)
    calls = [entry[1:] for entry in net.log if entry[0] == "call"]
    # inbound from the external callers' UA, outbound from the number's phone, per number
    assert [(ua, dialled if ua == CALLER else "external") for ua, dialled in calls] == [
        (CALLER, ACME[0]), (ACME[0], "external"), (CALLER, ACME[1]), (ACME[1], "external"),
        (CALLER, ACME[2]), (ACME[2], "external"), (CALLER, UNALLOCATED)]
    # every external number is in a range the origin holds, and no two calls share one
    externals = [a["from_user"] for a in net.trunk if a["user"] in ACME] + [
        a["user"] for a in net.trunk if a["user"] not in ACME]
    assert len(externals) == len(set(externals)) == 6
    assert all(x.startswith("+447700900") and len(x) == 13 for x in externals)


def test_a_rolled_back_port_is_checked_against_its_pre_port_state(
        ami: Callable[[], AMIClient]) -> None:
    s = load_scenario(SCENARIOS / "uk_ngn_reseller_rollback.yaml")
    net = FakeAsterisk(Replay(s))
    results = run_suite(Replay(s), points(s, "before", "after_rollback"), apply=net.apply,
                        ami=ami, fleet=net)
    number = "+448081570123"
    assert rows(results) == [
        ("before", number, "inbound", True), ("before", number, "audio", None),
        ("before", number, "outbound_callerid", True),
        ("before", number, "voicemail", None), ("before", number, "not_ported", True),
        ("before", UNALLOCATED, "unallocated", True),
        ("after_rollback", number, "inbound", True), ("after_rollback", number, "audio", None),
        ("after_rollback", number, "outbound_callerid", True),
        ("after_rollback", number, "voicemail", None),
        ("after_rollback", number, "not_ported", True),
        ("after_rollback", number, "rollback", True),
        ("after_rollback", UNALLOCATED, "unallocated", True)]
    # the box is on the gaining carrier's service, which calls do not reach yet
    assert results[3].reason.startswith("not applicable: the mailbox is on callagenix's")


# --- a network that is wrong: the suite must say so --------------------------------------------

def test_an_asterisk_left_at_the_old_state_fails_the_new_checkpoint(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend), moves=False)  # apply() changes nothing after the first
    messages: list[str] = []
    results = run_suite(Replay(weekend), points(weekend, "before", "after_cutover"),
                        apply=net.apply, ami=ami, fleet=net, progress=messages.append)
    failed = [(r.checkpoint, r.number, r.check) for r in results if r.passed is False]
    assert failed == [("after_cutover", n, "inbound") for n in ACME]
    first = results[-1 - 3 * 4]
    assert (first.number, first.check) == (ACME[0], "inbound")
    assert first.reason.startswith(f"{ACME[0]} at after_cutover: expected callagenix "
                                   "(customer's phone) (ported from bt to callagenix at ")
    assert first.reason.endswith("); the call arrived at bt")
    assert messages[-1] == "after_cutover: 3 failed so far"


def test_a_routed_unallocated_number_fails_its_check(weekend: Scenario,
                                                     ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    real_apply = net.apply

    def apply(name: str, instant: datetime) -> None:  # misconfigured: the number goes to BT
        real_apply(name, instant)
        net.routes[UNALLOCATED] = net.routes[ACME[0]]

    results = run_suite(Replay(weekend), points(weekend, "before"), apply=apply, ami=ami,
                        fleet=net)
    last = results[-1]
    assert (last.check, last.passed, last.observed) == ("unallocated", False,
                                                        "486 Busy Here and arrived")


# --- progress and stats ------------------------------------------------------------------------

def test_progress_reports_each_checkpoint_and_the_failures_so_far(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    messages: list[str] = []
    run_suite(Replay(weekend), points(weekend, "before", "after_cutover"), apply=net.apply,
              ami=ami, fleet=net, progress=messages.append)
    assert messages == ["before: applying 2026-11-27T12:00:00+00:00", "before: 0 failed so far",
                        "after_cutover: applying 2026-11-28T06:00:00+00:00",
                        "after_cutover: 0 failed so far"]


def test_stats_take_the_calls_the_peak_and_the_processes_from_the_fleet(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    stats: dict[str, Any] = {"kept": "yes"}
    run_suite(Replay(weekend), points(weekend, "before", "after_cutover"), apply=net.apply,
              ami=ami, fleet=net, concurrency=1, stats=stats)
    # 2 checkpoints x (3 numbers x 2 calls + 1 unallocated), one at a time
    assert stats == {"kept": "yes", "calls": 14, "max_in_flight": 1, "processes": 2}
    assert net.paced == 14


def test_concurrency_lets_that_many_numbers_be_checked_at_once(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    everyone = threading.Barrier(3, timeout=5)

    def hold(ua: str, dialled: str) -> None:  # the three inbound calls must overlap
        if ua == CALLER and dialled in ACME:
            everyone.wait()

    net.on_call = hold
    stats: dict[str, Any] = {}
    results = run_suite(Replay(weekend), points(weekend, "before"), apply=net.apply, ami=ami,
                        fleet=net, concurrency=3, stats=stats)
    assert (stats["calls"], stats["max_in_flight"]) == (7, 3)
    assert all(r.passed is not False for r in results)
    assert DEFAULT_CONCURRENCY == 24


def test_resume_is_called_once_per_checkpoint_after_apply(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    run_suite(Replay(weekend), points(weekend, "before", "after_cutover", "before"),
              apply=net.apply, ami=ami, fleet=net)
    assert net.resumes == 3
    assert [e[0] for e in net.log if e[0] != "call"] == ["apply", "resume"] * 3


def test_no_checkpoints_places_no_calls_but_opens_ami(weekend: Scenario,
                                                      ami_server: FakeAMI,
                                                      ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    stats: dict[str, Any] = {}
    assert run_suite(Replay(weekend), [], apply=net.apply, ami=ami, fleet=net,
                     stats=stats) == []
    assert net.log == [] and stats == {"calls": 0, "max_in_flight": 0, "processes": 2}
    assert [a["Action"] for a in ami_server.received][:1] == ["Login"]


# --- failures ----------------------------------------------------------------------------------

def test_a_lost_ami_connection_mid_call_is_asterisk_stopped_answering(
        weekend: Scenario, ami_server: FakeAMI, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    stats: dict[str, Any] = {}

    def crash(ua: str, dialled: str) -> None:  # Asterisk dies during the second checkpoint
        if net.applied[-1][0] == "after_cutover":
            ami_server.close()
            assert net.interrupted.wait(5), "the runner never interrupted the fleet"
            raise HarnessError(net.reasons[0])  # what an interrupted agent's wait raises

    net.on_call = crash
    with pytest.raises(HarnessError) as caught:
        run_suite(Replay(weekend), points(weekend, "before", "after_cutover"), apply=net.apply,
                  ami=ami, fleet=net, concurrency=1, stats=stats)
    assert str(caught.value) == ("Asterisk stopped answering during checkpoint after_cutover "
                                 "(AMI connection lost)")
    assert str(caught.value.__cause__) == ("Asterisk stopped answering: its AMI connection "
                                           "was lost")
    assert net.reasons == ["Asterisk stopped answering: its AMI connection was lost"]
    assert stats == {} and not net.closed


def test_a_lost_connection_with_every_call_ending_still_stops_the_suite(
        weekend: Scenario, ami_server: FakeAMI, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))

    def crash(ua: str, dialled: str) -> None:  # the calls themselves end normally
        if not net.interrupted.is_set():
            ami_server.close()
            assert net.interrupted.wait(5), "the runner never interrupted the fleet"

    net.on_call = crash
    with pytest.raises(HarnessError) as caught:
        run_suite(Replay(weekend), points(weekend, "before", "after_cutover"), apply=net.apply,
                  ami=ami, fleet=net, concurrency=1)
    assert str(caught.value) == "Asterisk stopped answering during checkpoint before"
    assert [name for name, _ in net.applied] == ["before"]  # the next checkpoint never starts


def test_a_harness_error_while_ami_answers_fails_that_numbers_checks_and_the_suite_goes_on(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend), phones=ACME[:2])  # no phone for the third number
    results = run_suite(Replay(weekend), points(weekend, "before", "after_cutover"),
                        apply=net.apply, ami=ami, fleet=net)
    failed = {(r.checkpoint, r.number, r.check) for r in results if r.passed is False}
    # each call check of the third number needs its phone: each fails, at both checkpoints
    # (voicemail is n/a without a box, phone or not)
    assert failed == {(c, ACME[2], check) for c in ("before", "after_cutover")
                      for check in ("inbound", "audio", "outbound_callerid")} | {
        ("before", ACME[2], "not_ported")}
    inbound = next(r for r in results if (r.number, r.check) == (ACME[2], "inbound"))
    assert inbound.reason == (f"{ACME[2]} at before: no phone for {ACME[2]} in this fleet "
                              f"(placed twice; the first time: no phone for {ACME[2]} in this "
                              "fleet)")
    assert inbound.retried and inbound.observed == "no result"
    derived = next(r for r in results if (r.number, r.check) == (ACME[2], "not_ported"))
    assert derived.reason == (f"{ACME[2]} at before: the inbound call failed twice (no phone "
                              f"for {ACME[2]} in this fleet)")
    # the other numbers are checked as usual
    assert all(r.passed is not False and not r.retried for r in results if r.number != ACME[2])
    assert net.reasons == [] and not net.closed


def test_a_call_without_a_final_answer_is_placed_again_and_marked_retried(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    slow: list[str] = []

    def once_no_answer(ua: str, dialled: str) -> None:  # the first inbound call to ACME[1]
        if ua == CALLER and dialled == ACME[1] and not slow:
            slow.append(dialled)
            raise HarnessTimeout("no call 7 to be final within 10.0 s")

    net.on_call = once_no_answer
    streamed: list[CheckResult] = []
    results = run_suite(Replay(weekend), points(weekend, "before"), apply=net.apply, ami=ami,
                        fleet=net, on_result=streamed.append)
    assert all(r.passed is not False for r in results)
    retried = [(r.number, r.check) for r in results if r.retried]
    assert retried == [(ACME[1], "inbound"), (ACME[1], "audio")]  # both from the one call
    inbound = next(r for r in results if (r.number, r.check) == (ACME[1], "inbound"))
    assert inbound.evidence["first_attempt"] == "no call 7 to be final within 10.0 s"
    # every result was handed over as it completed, the unallocated check last
    assert sorted(map(rows_key, streamed)) == sorted(map(rows_key, results))
    assert streamed[-1].check == "unallocated"


def rows_key(r: CheckResult) -> tuple[str, str, str]:
    return (r.checkpoint, r.number, r.check)


def test_ctrl_c_interrupts_the_fleet_cancels_the_rest_and_keeps_what_was_handed_over(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    streamed: list[CheckResult] = []

    def hand_over(result: CheckResult) -> None:
        streamed.append(result)
        if result.number == ACME[0] and result.check == "not_ported":
            raise KeyboardInterrupt  # Ctrl-C arrives while the first number's results go out

    with pytest.raises(KeyboardInterrupt):
        run_suite(Replay(weekend), points(weekend, "before", "after_cutover"),
                  apply=net.apply, ami=ami, fleet=net, concurrency=1, on_result=hand_over)
    assert [rows_key(r) for r in streamed] == [("before", ACME[0], c) for c in (
        "inbound", "audio", "outbound_callerid", "voicemail", "not_ported")]
    assert net.reasons == ["the verification was interrupted"]
    assert [name for name, _ in net.applied] == ["before"]


def test_an_ami_that_cannot_be_opened_stops_before_any_checkpoint(weekend: Scenario) -> None:
    net = FakeAsterisk(Replay(weekend))

    def refused() -> AMIClient:
        raise HarnessError("AMI connect to 127.0.0.1:1: refused")

    with pytest.raises(HarnessError, match="refused"):
        run_suite(Replay(weekend), points(weekend, "before"), apply=net.apply, ami=refused,
                  fleet=net)
    assert net.log == []


def test_a_scenario_with_no_carrier_to_call_from_is_refused_before_anything(
        ami: Callable[[], AMIClient]) -> None:
    s = load_scenario(SCENARIOS / "checklist_rejections.yaml")
    net = FakeAsterisk(Replay(s))
    opened: list[int] = []

    def counting() -> AMIClient:
        opened.append(1)
        return ami()

    with pytest.raises(HarnessError) as caught:
        run_suite(Replay(s), points(s, s.checkpoints[0].name), apply=net.apply, ami=counting,
                  fleet=net)
    assert str(caught.value) == ("checklist_rejections: no carrier to call from (a traffic "
                                 "origin, or a range holder not in any port order)")
    assert (net.log, opened) == ([], [])


def test_the_plan_used_is_the_replays(weekend: Scenario) -> None:
    # the UNALLOCATED and ORIGIN constants above are what plan() picks for this scenario
    p = plan(Replay(weekend))
    assert (p.origin, p.external_prefix, p.unallocated) == (ORIGIN, "+447700900", UNALLOCATED)


# --- two-way audio -----------------------------------------------------------------------------

def test_an_answered_call_has_two_way_audio_with_its_rtp_figures(
        weekend: Scenario, ami: Callable[[], AMIClient]) -> None:
    net = FakeAsterisk(Replay(weekend))
    results = run_suite(Replay(weekend), points(weekend, "after_cutover"), apply=net.apply,
                        ami=ami, fleet=net)
    audio = [r for r in results if r.check == "audio"]
    assert [(r.number, r.passed, r.observed) for r in audio] == [(n, True, "two-way")
                                                                 for n in ACME]
    assert audio[0].reason.startswith("two-way audio: each side heard the other")
    assert set(audio[0].evidence["rtp"]) == {"caller", "phone"}
    assert audio[0].evidence["rtp"]["caller"]["rx_packets"] == 50
    assert audio[0].evidence["caller_heard_s"] >= 0.5 and audio[0].evidence["phone_heard_s"] >= 0.5


@pytest.mark.parametrize(("direction", "words"), [
    ((ACME[1], "caller"), f"no audio from {ACME[1]}'s phone to the caller +447700900"),
    (("caller", ACME[1]), "no audio from the caller +447700900"),
])
def test_one_way_audio_fails_exactly_that_numbers_audio_check(
        weekend: Scenario, ami: Callable[[], AMIClient], direction: tuple[str, str],
        words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sip_harness.verify import call_quality
    monkeypatch.setattr(call_quality, "LISTEN_SECONDS", 0.5)  # the fake's silence is certain
    net = FakeAsterisk(Replay(weekend))
    net.silent.add(direction)  # that number's media path is broken one way
    results = run_suite(Replay(weekend), points(weekend, "after_cutover"), apply=net.apply,
                        ami=ami, fleet=net)
    failed = [r for r in results if r.passed is False]
    assert [(r.number, r.check, r.observed) for r in failed] == [(ACME[1], "audio", "one-way")]
    assert failed[0].reason.startswith(f"{ACME[1]} at after_cutover: ")
    assert words in failed[0].reason

"""sip_harness.agents.fleet without worker processes: how UAs are spread, counted, paced, closed.

Every worker is replaced by a fake holding a recording agent (``_Worker`` is the seam: it alone
starts a process and a pjsua2 Endpoint); ``_Worker`` itself is tested with a fake manager.
Nothing here starts a process or binds an address.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.errors import HarnessError, HarnessTimeout
from sip_harness.agents import fleet as fleet_module
from sip_harness.agents.agent import MAX_CALLS, MAX_UAS
from sip_harness.agents.fleet import (
    CALLER,
    LINE_WAIT,
    PHONES_PER_WORKER,
    SLOTS_PER_CALL,
    TRUNK_GAP,
    Fleet,
)
from sip_harness.topology import PhoneAddress, TrunkAddress

CALLER_HOST = "127.0.1.3"  # the external callers' carrier (vodafone in uk_gnp_weekend)


def trunks(n: int) -> dict[str, TrunkAddress]:
    return {f"c{i}": TrunkAddress(f"c{i}", f"127.0.1.{i + 1}") for i in range(n)}


def phones(n: int) -> dict[str, PhoneAddress]:
    return {f"+4416329600{i:02d}": PhoneAddress(f"+4416329600{i:02d}", f"4416329600{i:02d}",
                                                f"127.0.2.{i + 1}") for i in range(n)}


class FakeAgent:
    """What a worker's SIPAgent proxy is asked: UAs added, arrivals, interrupts, resumes."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.uas: list[tuple[str, str, int, str | None, bool]] = []
        self.seen: list[dict[str, Any]] = []
        self.interrupts: list[str] = []
        self.resumes = 0
        self.fail_add: str | None = None   # a UA name whose add_ua raises
        self.fail_interrupt = False
        self._lock = threading.Lock()

    def add_ua(self, name: str, host: str, port: int, *, user: str | None = None,
               trunk: bool = False) -> int:
        if name == self.fail_add:
            raise HarnessError(f"cannot bind {host}:{port}")
        with self._lock:
            self.uas.append((name, host, port, user, trunk))
        return port or 40000

    def arrivals(self, **match: str) -> list[dict[str, Any]]:
        return [a for a in self.seen if all(a[k] == v for k, v in match.items())]

    def interrupt(self, reason: str) -> None:
        if self.fail_interrupt:
            raise EOFError("the manager went away")
        self.interrupts.append(reason)

    def resume(self) -> None:
        self.resumes += 1


class Workers:
    """Stands in for ``_Worker``: records every worker made and stopped."""

    def __init__(self) -> None:
        self.made: list[FakeWorker] = []
        self.stopped: list[int] = []
        self.logs: set[str] = set()
        self.prepare: Callable[[FakeAgent], None] = lambda agent: None
        self.refuse: int | None = None   # a worker index whose start raises
        self._lock = threading.Lock()

    def __call__(self, index: int, log: str) -> FakeWorker:
        if index == self.refuse:
            raise HarnessError(f"worker {index} did not start")
        worker = FakeWorker(self, index)
        self.prepare(worker.agent)
        with self._lock:
            self.made.append(worker)
            self.logs.add(log)
        return worker


class FakeWorker:
    def __init__(self, workers: Workers, index: int) -> None:
        self.workers, self.index, self.agent = workers, index, FakeAgent(index)

    def stop(self) -> None:
        with self.workers._lock:
            self.workers.stopped.append(self.index)


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> Workers:
    made = Workers()
    monkeypatch.setattr(fleet_module, "_Worker", made)
    monkeypatch.delenv("CUTOVER_KEEP_AGENT_LOG", raising=False)
    return made


@pytest.fixture
def fleet(workers: Workers) -> Iterator[Fleet]:
    """The uk_gnp_weekend layout: three trunks, three phones."""
    with Fleet(trunks(3), phones(3), CALLER_HOST) as f:
        yield f


def uas(agent: Any) -> list[tuple[str, str, int, str | None, bool]]:
    return sorted(agent.uas)  # added concurrently: their order within a worker is not fixed


def by_index(workers: Workers) -> list[FakeWorker]:
    return sorted(workers.made, key=lambda w: w.index)


# --- constants ---------------------------------------------------------------------------------

def test_one_call_at_a_time_per_worker_fits_its_call_slots() -> None:
    # a call's two legs (caller's, phone's) and the two of the call before, still ending: four
    # slots, all this wheel's pjsua gives a process. Two phones' calls at once needed more.
    assert (MAX_CALLS, SLOTS_PER_CALL, PHONES_PER_WORKER, CALLER, TRUNK_GAP) == (
        4, 4, 2, "caller", 0.03)
    assert SLOTS_PER_CALL <= MAX_CALLS < PHONES_PER_WORKER * SLOTS_PER_CALL


# --- a worker's line: its phones' calls take turns ---------------------------------------------

@pytest.fixture
def no_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn waited for is LINE_WAIT as given (patience() would stretch it on a busy machine),
    made short: a wait that cannot succeed ends soon."""
    monkeypatch.setattr(fleet_module, "patience", lambda seconds: seconds)
    monkeypatch.setattr(fleet_module, "LINE_WAIT", 0.05)


def test_the_phones_of_one_worker_take_turns_on_its_line(fleet: Fleet, no_patience: None
                                                         ) -> None:
    first, second, third = phones(3)   # the first two share a worker, the third has its own
    assert fleet.phone(first) is fleet.phone(second) is not fleet.phone(third)
    got: list[BaseException | None] = []

    def other(number: str) -> None:
        try:
            with fleet.line(fleet.phone(number)):
                got.append(None)
        except HarnessError as exc:
            got.append(exc)

    with fleet.line(fleet.phone(first)):
        for number in (second, third):
            thread = threading.Thread(target=other, args=(number,))
            thread.start()
            thread.join()
    # the worker's other phone had to wait for the turn (and gave up); the other worker's not
    assert isinstance(got[0], HarnessTimeout) and got[1] is None
    assert "no turn on a phone worker's line within" in str(got[0])
    other(second)   # the line is free again once the call has ended
    assert got[2] is None


def test_the_line_is_free_again_after_a_call_that_failed(fleet: Fleet, no_patience: None
                                                        ) -> None:
    agent = fleet.phone(phones(1).popitem()[0])
    with pytest.raises(RuntimeError), fleet.line(agent):
        raise RuntimeError("the call failed")
    with fleet.line(agent):
        pass


def test_lines_of_different_workers_are_held_at_once(fleet: Fleet) -> None:
    # two calls on two workers' lines meet inside them: no turns between workers
    meet = threading.Barrier(2, timeout=LINE_WAIT)
    numbers = list(phones(3))

    def hold(number: str) -> None:
        with fleet.line(fleet.phone(number)):
            meet.wait()

    thread = threading.Thread(target=hold, args=(numbers[0],))
    thread.start()
    hold(numbers[2])
    thread.join()
    assert not meet.broken


def test_only_a_phone_workers_agent_has_a_line(fleet: Fleet) -> None:
    with pytest.raises(HarnessError, match="not one of this fleet's phone workers"), \
            fleet.line(object()):
        pass


# --- spreading the UAs over workers ------------------------------------------------------------

def test_trunks_share_a_worker_and_phones_go_two_by_two_each_with_a_caller(
        fleet: Fleet, workers: Workers) -> None:
    assert fleet.processes == 3
    trunk, first, second = by_index(workers)
    assert uas(trunk.agent) == [("c0", "127.0.1.1", 5060, None, True),
                                ("c1", "127.0.1.2", 5060, None, True),
                                ("c2", "127.0.1.3", 5060, None, True)]
    # the caller UA on the origin's address, any port (0); each phone with its extension
    assert uas(first.agent) == [("+441632960000", "127.0.2.1", 5060, "441632960000", False),
                                ("+441632960001", "127.0.2.2", 5060, "441632960001", False),
                                (CALLER, CALLER_HOST, 0, None, False)]
    assert uas(second.agent) == [("+441632960002", "127.0.2.3", 5060, "441632960002", False),
                                 (CALLER, CALLER_HOST, 0, None, False)]
    assert workers.logs == {fleet.log} and fleet.log == str(fleet.dir / "pjsua2.log")


@pytest.mark.parametrize(("carriers", "numbers", "per_worker", "groups"), [
    (3, 3, PHONES_PER_WORKER, [3, 2, 1]),   # uk_gnp_weekend: one trunk worker, 2 + 1 phones
    (MAX_UAS, 0, 2, [MAX_UAS]),             # a full trunk worker, no phones
    (MAX_UAS + 1, 1, 2, [MAX_UAS, 1, 1]),   # one trunk over: a second trunk worker
    (0, 5, 2, [2, 2, 1]),                   # phones only
    (1, 10, 100, [1, MAX_UAS - 1, 3]),      # a phone worker holds MAX_UAS - 1 phones + caller
    (1, 3, 1, [1, 1, 1, 1]),                # one phone a worker
    (0, 0, 2, []),                          # nothing at all: no worker
])
def test_workers_are_filled_in_order(workers: Workers, carriers: int, numbers: int,
                                     per_worker: int, groups: list[int]) -> None:
    with Fleet(trunks(carriers), phones(numbers), CALLER_HOST,
               phones_per_worker=per_worker) as f:
        assert f.processes == len(groups)
        made = by_index(workers)
        # phones per worker, counting trunks for trunk workers (no caller there)
        sizes = [sum(ua[0] != CALLER for ua in w.agent.uas) for w in made]
        assert sizes == groups
        assert all(len(w.agent.uas) <= MAX_UAS for w in made)
        trunk_workers = -(-carriers // MAX_UAS)
        for w in made[trunk_workers:]:
            assert [ua[0] for ua in w.agent.uas].count(CALLER) == 1
        # the numbers were spread in the order given
        spread = [ua[0] for w in made[trunk_workers:] for ua in uas(w.agent) if ua[0] != CALLER]
        assert spread == list(phones(numbers))


def test_a_phones_agent_is_its_workers(fleet: Fleet, workers: Workers) -> None:
    _, first, second = by_index(workers)
    assert fleet.phone("+441632960000") is first.agent
    assert fleet.phone("+441632960001") is first.agent
    assert fleet.phone("+441632960002") is second.agent
    assert fleet.any_caller() is first.agent


def test_a_number_without_a_phone_is_a_harness_error(fleet: Fleet) -> None:
    with pytest.raises(HarnessError, match=r"^no phone for \+441632960099 in this fleet$"):
        fleet.phone("+441632960099")


def test_a_fleet_without_phones_has_no_caller(workers: Workers) -> None:
    with Fleet(trunks(2), {}, CALLER_HOST) as f, \
            pytest.raises(HarnessError, match="no phone workers, so no caller"):
        f.any_caller()


def test_trunk_arrivals_come_from_every_trunk_worker_only(workers: Workers) -> None:
    with Fleet(trunks(MAX_UAS + 1), phones(1), CALLER_HOST) as f:
        one, two, phone = by_index(workers)
        one.agent.seen.append({"ua": "c0", "user": "+1"})
        two.agent.seen += [{"ua": "c8", "user": "+1"}, {"ua": "c8", "user": "+2"}]
        phone.agent.seen.append({"ua": "+441632960000", "user": "+1"})  # at a phone: not a trunk
        assert f.trunk_arrivals(user="+1") == [{"ua": "c0", "user": "+1"},
                                               {"ua": "c8", "user": "+1"}]
        assert f.trunk_arrivals(user="+3") == []
        assert len(f.trunk_arrivals()) == 3


# --- counting and pacing calls -----------------------------------------------------------------

def test_in_flight_calls_are_counted_with_their_peak(fleet: Fleet) -> None:
    assert (fleet.calls, fleet.in_flight, fleet.max_in_flight) == (0, 0, 0)
    with fleet.in_flight_call():
        with fleet.in_flight_call():
            assert (fleet.calls, fleet.in_flight, fleet.max_in_flight) == (2, 2, 2)
        with fleet.in_flight_call():
            assert (fleet.calls, fleet.in_flight, fleet.max_in_flight) == (3, 2, 2)
    with pytest.raises(RuntimeError), fleet.in_flight_call():
        raise RuntimeError("the call failed")
    assert (fleet.calls, fleet.in_flight, fleet.max_in_flight) == (4, 0, 2)


def test_in_flight_counts_are_exact_across_threads(fleet: Fleet) -> None:
    everyone = threading.Barrier(6, timeout=5)

    def call() -> None:
        with fleet.in_flight_call():
            everyone.wait()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert (fleet.calls, fleet.in_flight, fleet.max_in_flight) == (6, 0, 6)


class Clock:
    """``time`` for the fleet module: monotonic() as set, sleep() recorded (and advancing)."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_pace_spaces_calls_by_the_trunk_gap(fleet: Fleet, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    clock = Clock()
    monkeypatch.setattr(fleet_module, "time", clock)
    fleet.pace()                 # the first call goes at once
    assert clock.slept == []
    fleet.pace()                 # the next at once too? no: a gap after the first
    fleet.pace()
    assert clock.slept == [TRUNK_GAP, TRUNK_GAP]
    clock.now += 1.0             # a long quiet spell: the next call goes at once
    fleet.pace()
    assert clock.slept == [TRUNK_GAP, TRUNK_GAP]
    clock.now += TRUNK_GAP / 3   # a third of the gap has passed: wait the rest
    fleet.pace()
    assert clock.slept == [TRUNK_GAP, TRUNK_GAP, round(TRUNK_GAP * 2 / 3, 6)]


def test_calls_paced_at_the_same_instant_queue_up(fleet: Fleet, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    class Frozen(Clock):
        def sleep(self, seconds: float) -> None:  # the clock does not move while they wait
            self.slept.append(round(seconds, 6))

    clock = Frozen()
    monkeypatch.setattr(fleet_module, "time", clock)
    for _ in range(4):
        fleet.pace()
    assert clock.slept == [round(TRUNK_GAP * k, 6) for k in (1, 2, 3)]


@pytest.mark.parametrize(("items", "size", "chunks"), [
    (["a", "b", "c"], 2, [["a", "b"], ["c"]]),   # the last chunk holds the rest
    (["a", "b"], 2, [["a", "b"]]),               # exactly full
    ([], 3, []),                                 # nothing: no chunk at all
])
def test_chunks_split_in_order(items: list[str], size: int, chunks: list[list[str]]) -> None:
    assert fleet_module._chunks(items, size) == chunks


# --- interrupting, resuming, closing -----------------------------------------------------------

def test_interrupt_reaches_every_worker_even_past_one_that_fails(
        workers: Workers) -> None:
    workers.prepare = lambda agent: setattr(agent, "fail_interrupt", agent.index == 0)
    with Fleet(trunks(1), phones(3), CALLER_HOST) as f:
        f.interrupt("Asterisk stopped answering")
        assert [w.agent.interrupts for w in by_index(workers)] == [
            [], ["Asterisk stopped answering"], ["Asterisk stopped answering"]]


def test_resume_reaches_every_worker(fleet: Fleet, workers: Workers) -> None:
    fleet.resume()
    fleet.resume()
    assert [w.agent.resumes for w in by_index(workers)] == [2, 2, 2]


def test_close_stops_every_worker_once_and_removes_the_directory(workers: Workers) -> None:
    f = Fleet(trunks(3), phones(3), CALLER_HOST)
    assert (f.dir / "message.wav").is_file()
    (f.dir / "heard-1.wav").write_bytes(b"")  # a check's leftovers go too
    f.close()
    assert sorted(workers.stopped) == [0, 1, 2]
    assert not f.dir.exists()
    assert f.processes == 0
    f.close()  # idempotent: nothing stopped twice, no error for the missing directory
    assert sorted(workers.stopped) == [0, 1, 2]


def test_leaving_the_with_block_closes(workers: Workers) -> None:
    with pytest.raises(KeyError), Fleet(trunks(1), phones(1), CALLER_HOST) as f:
        raise KeyError("inside")
    assert sorted(workers.stopped) == [0, 1] and not f.dir.exists()


def test_the_agent_log_can_be_kept(workers: Workers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_KEEP_AGENT_LOG", "1")
    f = Fleet(trunks(1), phones(1), CALLER_HOST)
    try:
        f.close()
        assert sorted(workers.stopped) == [0, 1]
        assert (f.dir / "message.wav").is_file()
    finally:
        for path in f.dir.glob("*"):
            path.unlink()
        f.dir.rmdir()


def test_a_ua_that_cannot_bind_stops_the_whole_fleet(workers: Workers,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(fleet_module.tempfile, "tempdir", str(tmp_path))
    workers.prepare = lambda agent: setattr(agent, "fail_add", "+441632960001")
    with pytest.raises(HarnessError, match="cannot bind 127.0.2.2:5060"):
        Fleet(trunks(3), phones(3), CALLER_HOST)
    assert sorted(workers.stopped) == [0, 1, 2]
    assert list(tmp_path.iterdir()) == []  # the fleet's directory is gone


def test_a_worker_that_cannot_start_stops_the_ones_already_started(workers: Workers) -> None:
    workers.refuse = 2
    with pytest.raises(HarnessError, match="worker 2 did not start"):
        Fleet(trunks(3), phones(3), CALLER_HOST)
    assert sorted(workers.stopped) == sorted(w.index for w in workers.made)


def test_phones_per_worker_must_be_positive(workers: Workers, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(fleet_module.tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ValueError, match="phones_per_worker must be at least 1, got 0"):
        Fleet(trunks(1), phones(1), CALLER_HOST, phones_per_worker=0)
    assert workers.made == []


def test_a_refused_phones_per_worker_leaves_no_directory(
        workers: Workers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fleet_module.tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ValueError):
        Fleet(trunks(1), phones(1), CALLER_HOST, phones_per_worker=0)
    assert list(tmp_path.iterdir()) == []


# --- one worker, with a fake manager -----------------------------------------------------------

class FakeManager:
    """Stands in for the multiprocessing manager: records start, the agent made, shutdown."""

    made: list[FakeManager] = []

    def __init__(self, ctx: Any) -> None:
        self.ctx, self.shut = ctx, False
        self.started: tuple[Any, tuple[Any, ...]] | None = None
        self.rtp_port: int | None = None
        self.agent = FakeProxy()
        FakeManager.made.append(self)

    def start(self, initializer: Any, initargs: tuple[Any, ...]) -> None:
        self.started = (initializer, initargs)

    def SIPAgent(self, *, rtp_port: int) -> FakeProxy:  # noqa: N802 (the registered name)
        self.rtp_port = rtp_port
        return self.agent

    def shutdown(self) -> None:
        self.shut = True
        if self.agent.fail:
            raise EOFError("already gone")


class FakeProxy:
    def __init__(self) -> None:
        self.closed, self.fail = False, False

    def close(self) -> None:
        self.closed = True
        if self.fail:
            raise ConnectionResetError("the worker died")


@pytest.fixture
def managers(monkeypatch: pytest.MonkeyPatch) -> list[FakeManager]:
    FakeManager.made = []
    monkeypatch.setattr(fleet_module, "_AgentManager", FakeManager)
    monkeypatch.setattr(fleet_module, "_context", lambda: "forkserver-context")
    return FakeManager.made


@pytest.mark.parametrize(("index", "port"), [
    (0, 10000),     # the first worker's media ports start at the base
    (1, 10200),     # each worker its own span of 200
    (49, 19800),    # the last span below Asterisk's RTP range (20000-29999, rtp.conf)
    (50, 10000),    # then round again
])
def test_each_worker_gets_its_own_rtp_span(managers: list[FakeManager], index: int,
                                           port: int) -> None:
    worker = fleet_module._Worker(index, "/tmp/x.log")
    [manager] = managers
    assert manager.rtp_port == port
    assert manager.ctx == "forkserver-context"
    assert manager.started == (fleet_module._quiet_worker, ("/tmp/x.log",))
    assert worker.agent is manager.agent and worker.index == index


def test_stopping_a_worker_shuts_its_manager_even_when_the_agent_is_gone(
        managers: list[FakeManager]) -> None:
    worker = fleet_module._Worker(0, "/tmp/x.log")
    worker.agent.fail = True
    worker.stop()  # neither failure escapes
    assert (worker.agent.closed, managers[0].shut) == (True, True)


def test_the_forkserver_preloads_pjsua2_and_the_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    class Ctx:
        preload: list[str] = []

        def set_forkserver_preload(self, modules: list[str]) -> None:
            self.preload = modules

    asked: list[str] = []
    ctx = Ctx()

    def get_context(method: str) -> Ctx:
        asked.append(method)
        return ctx

    monkeypatch.setattr(fleet_module.multiprocessing, "get_context", get_context)
    assert fleet_module._context() is ctx
    assert (asked, ctx.preload) == (["forkserver"], ["pjsua2", "sip_harness.agents.agent"])


def test_a_worker_writes_its_stdout_and_stderr_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "pjsua2.log"
    log.write_text("earlier\n")
    saved = os.dup(1), os.dup(2)
    try:
        fleet_module._quiet_worker(str(log))
        os.write(1, b"banner\n")
        os.write(2, b"warning\n")
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    assert log.read_text() == "earlier\nbanner\nwarning\n"  # appended, both streams
    fresh = tmp_path / "fresh.log"
    saved = os.dup(1), os.dup(2)
    try:
        fleet_module._quiet_worker(str(fresh))
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_forget_and_live_calls_ask_every_worker(fleet: Fleet, workers: Workers) -> None:
    for i, w in enumerate(by_index(workers)):
        w.agent.forget = lambda i=i: i + 1            # type: ignore[attr-defined]
        w.agent.stats = lambda i=i: {"live": i}       # type: ignore[attr-defined]
    assert fleet.forget() == 1 + 2 + 3
    assert fleet.live_calls() == 0 + 1 + 2

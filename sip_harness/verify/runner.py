"""A verification run: every number of every port order at each checkpoint, with real calls.

For each checkpoint the running Asterisk is moved to that instant's routing state (``apply``,
normally :func:`sip_harness.asterisk.live.move_to`), expectations come from the same replay's
snapshot at that instant (:func:`sip_harness.verify.expectations.expectations`), and the checks
of :mod:`sip_harness.verify.checks` run concurrently (bounded) through one
:class:`~sip_harness.agents.fleet.Fleet`. Results are flat
:class:`~sip_harness.verify.checks.CheckResult` records (:mod:`sip_harness.verify.results`
writes them).

Results are handed to ``on_result`` as each number's checks complete (the CLI writes them
to its files at once), so nothing done is lost when a run stops early. A check whose call has
no final answer in time (or fails in the harness) is placed once more; if that fails too, the
check fails with the reason and the suite goes on (the record says ``retried``). Only Asterisk
itself going away stops a suite: if its AMI connection drops, every wait is interrupted and
:func:`run_suite` raises HarnessError at once. Ctrl-C (KeyboardInterrupt) interrupts every
wait the same way, cancels the checks not started, and is raised again.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sim.errors import AMIError, HarnessError, HarnessTimeout
from sim.model import Replay
from sip_harness.agents.fleet import Fleet
from sip_harness.agents.recorder import TrunkRecorder
from sip_harness.ami import AMIClient
from sip_harness.config import VOICEMAIL_CONTEXT, hosted_phones
from sip_harness.config.view import hosted_pbxs
from sip_harness.topology import carrier_addresses
from sip_harness.verify import checks
from sip_harness.verify.bulk import BulkEngine
from sip_harness.verify.call_quality import inbound_with_audio
from sip_harness.verify.checks import CheckResult
from sip_harness.verify.expectations import Expected, Plan, expectations, plan

__all__ = ["run_suite", "DEFAULT_CONCURRENCY"]

#: Numbers checked at once (each holds up to two calls): 24 numbers, up to 48 calls in flight.
DEFAULT_CONCURRENCY = 24
#: DDI numbers per SIPp run (results are handed on call by call; the calls of a batch without
#: an answer are placed again when the batch is done).
BULK_BATCH = 2000
_T = TypeVar("_T")
OnResult = Callable[[CheckResult], None]


def run_suite(replay: Replay, checkpoints: Sequence[tuple[str, datetime]], *,
              apply: Callable[[str, datetime], None], ami: Callable[[], AMIClient],
              concurrency: int = DEFAULT_CONCURRENCY,
              fleet: Fleet | None = None, progress: Callable[[str], None] | None = None,
              stats: dict[str, Any] | None = None,
              on_result: OnResult | None = None,
              bulk: BulkEngine | None = None) -> list[CheckResult]:
    """Run every check at each ``(name, instant)``; return the results, checkpoint by checkpoint.

    ``apply(name, instant)`` moves Asterisk there; ``ami()`` opens an AMI session. ``stats``, if
    given, receives the calls placed and the most in flight at once. ``on_result`` receives
    each result as soon as its number's checks are done (in the order they complete).
    Numbers with a phone are checked by pjsua2 agents (``fleet``), DDI numbers on a PBX trunk
    by SIPp (``bulk``, see :mod:`sip_harness.verify.bulk`); both are made here unless given.
    Raises HarnessError when Asterisk stops answering or the agents cannot start.
    """
    scenario = replay.scenario
    the_plan = plan(replay)
    carriers = carrier_addresses(scenario.carrier_ids)
    own = fleet is None
    recorder: TrunkRecorder | None = None
    if fleet is None:
        pbxs, _ = hosted_pbxs(scenario)
        recorder = TrunkRecorder({
            **{c: (a.host, a.port) for c, a in carriers.items()},
            **{p.name: (p.host, p.port) for p in pbxs.values()}})
        try:
            fleet = Fleet(carriers, hosted_phones(scenario), carriers[the_plan.origin].host,
                          trunks=recorder)
        except BaseException:
            recorder.close()
            raise
        if bulk is None:
            bulk = BulkEngine(recorder, the_plan.origin, carriers[the_plan.origin].host,
                              {p.name: p.host for p in pbxs.values()})
    results: list[CheckResult] = []
    serial = itertools.count(int(time.time()) % 500 * 10)
    try:
        with ami() as session, _watchdog(session, fleet) as lost:
            for name, instant in checkpoints:
                if progress:
                    progress(f"{name}: applying {instant.isoformat()}")
                apply(name, instant)
                fleet.resume()
                if recorder is not None:  # arrivals found by number: this checkpoint's only
                    recorder.forget()
                expected = expectations(replay, name, instant, the_plan.origin)
                results += _checkpoint(fleet, session, the_plan, expected, name, serial,
                                       concurrency, lost, on_result or (lambda r: None), bulk)
                if progress:
                    progress(f"{name}: {sum(r.passed is False for r in results)} failed so far")
        if stats is not None:
            stats.update(calls=fleet.calls, max_in_flight=fleet.max_in_flight,
                         processes=fleet.processes)
            if bulk is not None and bulk.calls:
                stats["bulk"] = bulk.figures()
                stats["calls"] += bulk.calls
                stats["max_in_flight"] += bulk.max_in_flight
    finally:
        if own:
            fleet.close()
        if recorder is not None:
            recorder.close()
    return results


def _checkpoint(fleet: Fleet, ami: AMIClient, the_plan: Plan, expected: list[Expected],
                name: str, serial: Iterator[int], concurrency: int,
                lost: threading.Event, on_result: OnResult, bulk: BulkEngine | None = None
                ) -> list[CheckResult]:
    lock = threading.Lock()

    bulk_serial = itertools.count()

    def external(bulk: bool = False) -> str:
        """An external number: pjsua2's checks draw from 000-499 (their arrivals are found by
        number), the bulk engine's from 500-999 (its arrivals are found by tag), so neither
        sees the other's calls."""
        with lock:
            n = 500 + next(bulk_serial) % 500 if bulk else next(serial) % 500
        return the_plan.external_prefix + f"{n:03d}".rjust(
            max(3, 12 - len(the_plan.external_prefix) + 1), "0")

    def twice(run: Callable[[], _T], number: str, check: str, want: str
              ) -> tuple[_T | CheckResult, HarnessError | None]:
        """``run()``, and once more if it raised; a second failure becomes a failed check."""
        try:
            return run(), None
        except HarnessError as exc:
            first = _unless_lost(exc, lost, name)
        try:
            value = run()
        except HarnessError as exc:
            again = _unless_lost(exc, lost, name)
            return CheckResult(name, number, check, want, "no result", False,
                               f"{number} at {name}: {again} (placed twice; the first time: "
                               f"{first})", {"error": str(again), "first_attempt": str(first)},
                               retried=True), again
        for result in value if isinstance(value, tuple) else (value,):
            if isinstance(result, CheckResult):  # every result of the call placed again
                result.retried = True
                result.evidence["first_attempt"] = str(first)
        return value, None

    def one(exp: Expected) -> list[CheckResult]:
        got, failed = twice(lambda: inbound_with_audio(fleet, exp, external()), exp.number,
                            "inbound", str(exp.where))
        if isinstance(got, CheckResult):  # the inbound call failed twice: no audio either
            inbound, arrived = got, None
            audio = CheckResult(name, exp.number, "audio", "each side hears the other",
                                "no result", False, f"{exp.number} at {name}: the inbound "
                                f"call failed twice ({failed})", retried=True)
        else:
            inbound, arrived, audio = got
        sent, _ = twice(lambda: checks.outbound_callerid(fleet, exp, external(),
                                                         the_plan.origin),
                        exp.number, "outbound_callerid", exp.presented)
        outbound, presented = (sent, None) if isinstance(sent, CheckResult) else sent
        mail, _ = twice(lambda: checks.voicemail(
            fleet, ami, exp, external(), lambda box, caller: _envelope(ami, box, caller)),
            exp.number, "voicemail", f"a message in {exp.mailbox}")
        derived = checks.derived_checks(exp, arrived, presented, inbound.evidence)
        if failed is not None:  # what the inbound call would have shown is not known
            for r in derived:
                r.passed, r.observed, r.retried = False, "no result", True
                r.reason = f"{exp.number} at {name}: the inbound call failed twice ({failed})"
        return [inbound, audio, outbound, mail, *derived]  # type: ignore[list-item]

    phones = [e for e in expected if e.pbx is None]
    ddi = [e for e in expected if e.pbx is not None]
    if ddi and bulk is None:
        raise HarnessError(f"{len(ddi)} DDI numbers to check at {name} and no bulk engine")
    handing = threading.Lock()

    def hand(results: list[CheckResult]) -> None:
        with handing:
            for result in results:
                on_result(result)

    def in_bulk() -> list[CheckResult]:
        """The DDI numbers through SIPp, a batch at a time (each number's results handed on
        as soon as its calls have their answers)."""
        assert bulk is not None
        out: list[CheckResult] = []
        for start in range(0, len(ddi), BULK_BATCH):
            out += bulk.check(ddi[start:start + BULK_BATCH], name, lambda: external(True),
                              on_result=lambda result: hand([result]))
        return out

    done: dict[int, list[CheckResult]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(phones))) + bool(ddi))
    futures: dict[Future[list[CheckResult]], int] = {}
    try:
        if ddi:
            futures[pool.submit(in_bulk)] = len(phones)
        futures.update({pool.submit(one, exp): i for i, exp in enumerate(phones)})
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if futures[future] != len(phones):
                hand(done[futures[future]])
        if lost.is_set():
            raise HarnessError(f"Asterisk stopped answering during checkpoint {name}")
        if phones or bulk is None:
            last, _ = twice(lambda: checks.unallocated(fleet, name, the_plan.unallocated,
                                                       external()),
                            the_plan.unallocated, "unallocated", "404")
        else:
            last = bulk.unallocated(name, the_plan.unallocated, external(True))
        assert isinstance(last, CheckResult)
        on_result(last)
    except BaseException as exc:  # Ctrl-C, Asterisk gone: stop every call and wait at once
        for future in futures:
            future.cancel()
        if bulk is not None:
            bulk.interrupt()
        if not isinstance(exc, HarnessError):
            fleet.interrupt("the verification was interrupted")
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [r for i in sorted(done) for r in done[i]] + [last]


def _unless_lost(exc: HarnessError, lost: threading.Event, checkpoint: str) -> HarnessError:
    """``exc``, unless Asterisk stopped answering: then the error that stops the suite."""
    if lost.is_set():
        raise HarnessError(f"Asterisk stopped answering during checkpoint {checkpoint} "
                           "(AMI connection lost)") from exc
    return exc


def _envelope(ami: AMIClient, box: str, caller: str) -> dict[str, str] | None:
    """The newest INBOX message from ``caller`` in ``box`` (AMI VoicemailBoxSummary)."""
    _, events = ami.action_list("VoicemailBoxSummary", describe=f"{box}@{VOICEMAIL_CONTEXT}",
                                Context=VOICEMAIL_CONTEXT, Mailbox=box)
    found = [e for e in events if e.get("Folder") == "INBOX" and caller in e.get("CallerID", "")]
    if not found:
        return None
    last = max(found, key=lambda e: e.get("ID", ""))
    return {"callerid": last.get("CallerID", ""), "duration": last.get("Duration", ""),
            "id": last.get("ID", "")}


@contextmanager
def _watchdog(ami: AMIClient, fleet: Fleet) -> Iterator[threading.Event]:
    """Interrupt the fleet as soon as the AMI connection drops (Asterisk died)."""
    lost, done = threading.Event(), threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                ami.wait_event("CutoverNeverSent", timeout=0.5)
            except HarnessTimeout:
                continue
            except (AMIError, HarnessError):
                if not done.is_set():
                    lost.set()
                    fleet.interrupt("Asterisk stopped answering: its AMI connection was lost")
                return

    thread = threading.Thread(target=watch, name="asterisk-watchdog", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        # Not joined: the thread wakes within its half-second poll, or at once when the AMI
        # session closes right after this, and returns without a word once ``done`` is set.
        done.set()



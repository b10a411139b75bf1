"""A verification run: every number of every port order at each checkpoint, with real calls.

For each checkpoint the running Asterisk is moved to that instant's routing state (``apply``,
normally :func:`sip_harness.asterisk.live.move_to`), expectations come from the same replay's
snapshot at that instant (:func:`sip_harness.verify.expectations.expectations`), and the checks
of :mod:`sip_harness.verify.checks` run concurrently (bounded) through one
:class:`~sip_harness.agents.fleet.Fleet`. Results are flat
:class:`~sip_harness.verify.checks.CheckResult` records (:mod:`sip_harness.verify.results`
writes them).

If Asterisk stops answering during a suite (its AMI connection drops), every wait is interrupted
and :func:`run_suite` raises HarnessError at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sim.errors import AMIError, HarnessError, HarnessTimeout
from sim.model import Replay
from sip_harness.agents.fleet import Fleet
from sip_harness.ami import AMIClient
from sip_harness.config import VOICEMAIL_CONTEXT, hosted_phones
from sip_harness.topology import carrier_addresses
from sip_harness.verify import checks
from sip_harness.verify.checks import CheckResult
from sip_harness.verify.expectations import Expected, Plan, expectations, plan

__all__ = ["run_suite", "DEFAULT_CONCURRENCY"]

#: Numbers checked at once (each holds up to two calls): 24 numbers, up to 48 calls in flight.
DEFAULT_CONCURRENCY = 24


def run_suite(replay: Replay, checkpoints: Sequence[tuple[str, datetime]], *,
              apply: Callable[[str, datetime], None], ami: Callable[[], AMIClient],
              concurrency: int = DEFAULT_CONCURRENCY,
              fleet: Fleet | None = None, progress: Callable[[str], None] | None = None,
              stats: dict[str, Any] | None = None) -> list[CheckResult]:
    """Run every check at each ``(name, instant)``; return the results, checkpoint by checkpoint.

    ``apply(name, instant)`` moves Asterisk there; ``ami()`` opens an AMI session. ``stats``, if
    given, receives the calls placed and the most in flight at once.
    Raises HarnessError when Asterisk stops answering or the agents cannot start.
    """
    scenario = replay.scenario
    the_plan = plan(replay)
    carriers = carrier_addresses(scenario.carrier_ids)
    own = fleet is None
    if fleet is None:
        fleet = Fleet(carriers, hosted_phones(scenario), carriers[the_plan.origin].host)
    results: list[CheckResult] = []
    serial = itertools.count(int(time.time()) % 500 * 10)
    try:
        with ami() as session, _watchdog(session, fleet) as lost:
            for name, instant in checkpoints:
                if progress:
                    progress(f"{name}: applying {instant.isoformat()}")
                apply(name, instant)
                fleet.resume()
                expected = expectations(replay, name, instant, the_plan.origin)
                results += _checkpoint(fleet, session, the_plan, expected, name, serial,
                                       concurrency, lost)
                if progress:
                    progress(f"{name}: {sum(r.passed is False for r in results)} failed so far")
        if stats is not None:
            stats.update(calls=fleet.calls, max_in_flight=fleet.max_in_flight,
                         processes=fleet.processes)
    finally:
        if own:
            fleet.close()
    return results


def _checkpoint(fleet: Fleet, ami: AMIClient, the_plan: Plan, expected: list[Expected],
                name: str, serial: Iterator[int], concurrency: int,
                lost: threading.Event) -> list[CheckResult]:
    lock = threading.Lock()

    def external() -> str:
        with lock:
            n = next(serial)
        return the_plan.external_prefix + f"{n % 1000:03d}".rjust(
            max(3, 12 - len(the_plan.external_prefix) + 1), "0")

    def one(exp: Expected) -> list[CheckResult]:
        try:
            inbound, arrived = checks.inbound(fleet, exp, external())
            destination = external()
            outbound, presented = checks.outbound_callerid(fleet, exp, destination,
                                                           the_plan.origin)
            mail = checks.voicemail(fleet, ami, exp, external(),
                                    lambda box, caller: _envelope(ami, box, caller))
        except HarnessError as exc:
            if lost.is_set():
                raise HarnessError(f"Asterisk stopped answering during checkpoint {name} "
                                   "(AMI connection lost)") from exc
            raise
        return [inbound, outbound, mail, *checks.derived_checks(
            exp, arrived, presented, inbound.evidence)]

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(expected)))) as pool:
        futures = [pool.submit(one, exp) for exp in expected]
        out: list[CheckResult] = []
        for future in futures:
            out += future.result()
    if lost.is_set():
        raise HarnessError(f"Asterisk stopped answering during checkpoint {name}")
    out.append(checks.unallocated(fleet, name, the_plan.unallocated, external()))
    return out


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
        done.set()
        thread.join(timeout=2)



"""Suites: every number of every port order at each checkpoint, checked with real calls.

For each checkpoint the running Asterisk is moved to that instant's routing state (``apply``,
normally :func:`sip_harness.asterisk.live.move_to`), expectations are computed by the routing core
at the same instant (:func:`expectations`), and the checks of :mod:`sip_harness.verify.checks` run
concurrently (bounded) through one :class:`~sip_harness.agents.fleet.Fleet`. Results are flat
:class:`~sip_harness.verify.checks.CheckResult` records, written as JSON lines
(:func:`write_jsonl`), JUnit XML (:func:`write_junit`) or a table per checkpoint (:func:`table`).

If Asterisk stops answering during a suite (its AMI connection drops), every wait is interrupted
and :func:`run_suite` raises HarnessError at once.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sim.errors import AMIError, HarnessError, HarnessTimeout, UnknownNumberError
from sim.model import simulate
from sim.scenario import Scenario
from sip_harness.agents.fleet import Fleet
from sip_harness.ami import AMIClient
from sip_harness.config.dialplan import VOICEMAIL_CONTEXT
from sip_harness.config.render import hosted_phones, routing_view
from sip_harness.topology import carrier_addresses
from sip_harness.verify import checks
from sip_harness.verify.checks import CheckResult, Expected

__all__ = ["Plan", "plan", "expectations", "run_suite", "write_jsonl", "write_junit", "table",
           "summary_line", "DEFAULT_CONCURRENCY"]

#: Numbers checked at once (each holds up to two calls): 24 numbers, up to 48 calls in flight.
DEFAULT_CONCURRENCY = 24


@dataclass(frozen=True)
class Plan:
    """Who calls from where: the external callers' carrier and a range to draw numbers from."""

    origin: str
    external_prefix: str   # E.164 prefix (digits with '+') of a range the origin holds
    unallocated: str       # a number no range holds


def plan(scenario: Scenario) -> Plan:
    """The external callers' carrier (the scenario's first traffic origin, else a carrier that
    holds a range and loses or gains no number) and numbers to use. Raises HarnessError."""
    involved = {o.losing for o in scenario.port_orders} | {o.gaining for o in scenario.port_orders}
    holders = [r.holder for r in scenario.ranges]
    candidates = list(scenario.traffic.origins) + [c for c in holders if c not in involved]
    for origin in candidates:
        prefix = next((r.prefix for r in scenario.ranges if r.holder == origin), None)
        if prefix is not None:
            break
    else:
        raise HarnessError(f"{scenario.name}: no carrier to call from (a traffic origin, or a "
                           "range holder not in any port order)")
    snap = simulate(scenario, until=scenario.start).routing.snapshot
    digits = "".join(ch for ch in scenario.customers[0].numbers[0] if ch.isdigit())
    for i in range(1, 10000):
        candidate = f"+{digits[:2]}{i:04d}".ljust(len(digits) + 1, "0")
        try:
            snap.range_holder(candidate)
        except UnknownNumberError:
            return Plan(origin, prefix.replace(" ", ""), candidate)
    raise HarnessError(f"{scenario.name}: every number tried is allocated")


def expectations(scenario: Scenario, checkpoint: str, instant: datetime, origin: str, *,
                 seed: int | None = None) -> list[Expected]:
    """What each number of each port order should do at ``instant``, by the routing core."""
    result = simulate(scenario, seed=seed, until=instant)
    routing = result.routing
    view = routing_view(scenario, routing, at=instant)
    temporary = {n: c.temporary_number for c in scenario.customers if c.temporary_number
                 for n in c.numbers}
    rolled_back = _rolled_back(result.events)
    out: list[Expected] = []
    for order in scenario.port_orders:
        pre_port = None
        if order.id in rolled_back:
            before = simulate(scenario, seed=seed, until=rolled_back[order.id]).routing
        for number in order.numbers:
            route = routing.route(number, origin)
            hosting = view.hosted[number]
            presented = number if route.carrier == hosting else temporary.get(number, number)
            if order.id in rolled_back:
                was = before.route(number, origin).carrier
                pre_port = (was, was == hosting,
                            number if was == hosting else temporary.get(number, number))
            out.append(Expected(
                checkpoint=checkpoint, number=number, origin=origin, carrier=route.carrier,
                phone=route.carrier == hosting, reason=route.reason, presented=presented,
                mailbox=view.voicemail.get(number), losing=order.losing, gaining=order.gaining,
                ported=route.ported, pre_port=pre_port))
    return out


def _rolled_back(events: Iterable[dict[str, Any]]) -> dict[str, datetime]:
    """Port orders whose last activation was rolled back -> an instant just before it began."""
    started: dict[str, datetime] = {}
    rolled: dict[str, datetime] = {}
    for event in events:
        port, kind = event.get("port"), event.get("event")
        if port is None:
            continue
        if kind == "activating":
            started[port] = datetime.fromisoformat(event["t"]) - timedelta(seconds=1)
            rolled.pop(port, None)
        elif kind == "rolled_back" and port in started:
            rolled[port] = started[port]
        elif kind == "active":
            rolled.pop(port, None)
    return rolled


def run_suite(scenario: Scenario, checkpoints: Sequence[tuple[str, datetime]], *,
              apply: Callable[[str, datetime], None], ami: Callable[[], AMIClient],
              seed: int | None = None, concurrency: int = DEFAULT_CONCURRENCY,
              fleet: Fleet | None = None, progress: Callable[[str], None] | None = None,
              stats: dict[str, Any] | None = None) -> list[CheckResult]:
    """Run every check at each ``(name, instant)``; return the results, checkpoint by checkpoint.

    ``apply(name, instant)`` moves Asterisk there; ``ami()`` opens an AMI session. ``stats``, if
    given, receives the calls placed and the most in flight at once.
    Raises HarnessError when Asterisk stops answering or the agents cannot start.
    """
    the_plan = plan(scenario)
    carriers = carrier_addresses(scenario.carrier_ids)
    own = fleet is None
    fleet = fleet or Fleet(carriers, hosted_phones(scenario), carriers[the_plan.origin].host)
    results: list[CheckResult] = []
    serial = itertools.count(int(time.time()) % 500 * 10)
    try:
        with ami() as session, _watchdog(session, fleet) as lost:
            for name, instant in checkpoints:
                if progress:
                    progress(f"{name}: applying {instant.isoformat()}")
                apply(name, instant)
                fleet.resume()
                expected = expectations(scenario, name, instant, the_plan.origin, seed=seed)
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
        phone = inbound.observed.endswith("(customer's phone)")
        return [inbound, outbound, mail, *checks.derived_checks(
            exp, arrived, phone, presented, inbound.evidence)]

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


# --- reports ---------------------------------------------------------------------------------

def write_jsonl(results: Iterable[CheckResult], path: Path) -> None:
    """One JSON object per check per line."""
    with open(path, "w") as out:
        for r in results:
            out.write(json.dumps(r.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")


def write_junit(results: Sequence[CheckResult], path: Path, *, suite: str) -> None:
    """JUnit XML: one testsuite per checkpoint, one testcase per check of a number."""
    root = ET.Element("testsuites", name=suite)
    for checkpoint in dict.fromkeys(r.checkpoint for r in results):
        rows = [r for r in results if r.checkpoint == checkpoint]
        element = ET.SubElement(root, "testsuite", name=f"{suite}.{checkpoint}",
                                tests=str(len(rows)),
                                failures=str(sum(r.passed is False for r in rows)),
                                skipped=str(sum(r.passed is None for r in rows)))
        for r in rows:
            case = ET.SubElement(element, "testcase", classname=f"{suite}.{checkpoint}",
                                 name=f"{r.number} {r.check}")
            if r.passed is False:
                failure = ET.SubElement(case, "failure", message=r.reason)
                failure.text = json.dumps({"expected": r.expected, "observed": r.observed,
                                           "evidence": r.evidence}, ensure_ascii=False)
            elif r.passed is None:
                ET.SubElement(case, "skipped", message=r.reason)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def table(results: Sequence[CheckResult], checkpoint: str) -> Any:
    """A rich table for one checkpoint: numbers x checks, each cell pass / FAIL / n/a."""
    from rich.table import Table

    rows = [r for r in results if r.checkpoint == checkpoint]
    names = [c for c in (*checks.CHECKS, "unallocated") if any(r.check == c for r in rows)]
    grid = Table(title=f"checkpoint {checkpoint}")
    grid.add_column("number", no_wrap=True, min_width=max((len(r.number) for r in rows),
                                                          default=6))
    for name in names:
        grid.add_column(_HEADINGS.get(name, name))
    for number in dict.fromkeys(r.number for r in rows):
        cells = {r.check: r for r in rows if r.number == number}
        grid.add_row(number, *(_cell(cells.get(n)) for n in names))
    return grid


_HEADINGS = {"outbound_callerid": "caller ID", "not_ported": "not ported"}


def _cell(result: CheckResult | None) -> str:
    if result is None:
        return ""
    if result.passed is None:
        return "[dim]n/a[/dim]"
    return "[green]pass[/green]" if result.passed else f"[red]FAIL[/red] {result.observed}"


def summary_line(results: Sequence[CheckResult]) -> str:
    passed = sum(r.passed is True for r in results)
    failed = sum(r.passed is False for r in results)
    skipped = sum(r.passed is None for r in results)
    return f"{passed} passed, {failed} failed, {skipped} not applicable"

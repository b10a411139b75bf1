"""summary.json: what a run amounts to, from the run's final state and its ledger.

Computed from the parts of a run it reads (the state, the ledger, the regime, the calls'
outcome counts), not from the model, so it can be taken of any run at any instant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sim.model.ledger import Ledger
from sim.model.lifecycle import PORTED, SETTLED, EventKind, NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.regimes.base import Regime
from sim.regimes.costs import empty_costs
from sim.scenario import Scenario

__all__ = ["summarise"]


def _wall(epoch: float, s: float) -> datetime:
    return datetime.fromtimestamp(round(epoch + s), UTC)


def _days_late(regime: Regime, epoch: float, run: PortRun, now: float) -> int:
    if run.deadline_at is None or run.state in SETTLED:
        return 0
    done = run.active_at if run.active_at is not None else now
    return regime.days_late(_wall(epoch, run.deadline_at), _wall(epoch, done))


def _breached(run: PortRun, now: float) -> bool:
    if run.deadline_at is None or run.state in SETTLED:
        return False
    done = run.active_at if run.active_at is not None else now
    return done > run.deadline_at


def _no_consent(regime: Regime, run: PortRun, now: float) -> float:
    # ANACOM FAQ 14: from the activation until remedied (or until now, while it is not)
    order = run.order
    if not order.faults or run.active_at is None:
        return 0.0
    owed = 0.0
    for fault in order.faults_of("no_consent"):
        end = run.remedied_at if run.remedied_at is not None else now
        numbers = 1 if fault.number else len(order.numbers)
        owed += regime.no_consent_compensation(numbers=numbers,
                                               minutes=max(0.0, end - run.active_at) / 60.0)
    return owed


def _rounded(costs: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    # every amount to the cent, the total the sum of the rounded amounts
    out = {}
    for currency, kinds in costs.items():
        amounts = {k: round(v, 2) for k, v in kinds.items() if k != "total"}
        out[currency] = {**amounts, "total": round(sum(amounts.values()), 2)}
    return out


def summarise(state: RunState, ledger: Ledger, *, scenario: Scenario, seed: int,
              regime: Regime, now: float, calls: Mapping[str, int],
              routing_version: int) -> dict[str, Any]:
    """The summary of a run at simulated second ``now`` (keys in DESIGN.md, plus a few more).

    ``calls`` is the count of calls per outcome; ``routing_version`` the version of the
    routing snapshot the run has reached. Returns a JSON-ready dict.
    """
    epoch = ledger.epoch
    window = regime.window_minutes
    ports: Counter[str] = Counter()
    per_number: dict[str, float] = {}
    compensation: dict[str, float] = {}
    costs = empty_costs()
    owed_in = costs[regime.currency]
    breaches = 0
    late_answers = 0
    runs = state.runs.values()
    for run in runs:
        order = run.order
        if now < order.submitted.timestamp() - epoch:
            ports["not_submitted"] += 1
            continue
        ports[run.state] += 1
        for minutes in run.interruptions:
            for n in order.numbers:
                per_number[n] = round(per_number.get(n, 0.0) + minutes, 3)
        breaches += _breached(run, now)
        beyond = sum(max(0.0, m - window) for m in run.interruptions)
        delay, interruption = regime.compensation_parts(
            numbers=len(order.numbers), days_late=_days_late(regime, epoch, run, now),
            interruption_minutes_beyond_window=beyond, window_minutes=window)
        no_consent = _no_consent(regime, run, now)
        owed_in["compensation_delay"] += delay
        owed_in["compensation_interruption"] += interruption
        owed_in["compensation_no_consent"] += no_consent
        owed = delay + interruption + no_consent
        if owed:
            compensation[order.id] = round(owed, 2)
    for row in ledger.records_of(EventKind.CHARGE):
        costs[row["currency"]][row["kind"]] += row["amount"]
    for row in ledger.records_of(EventKind.ACCEPTED):
        late_answers += bool(row.get("late_answer"))
    ported = sum(len(r.order.numbers) for r in runs if r.state in PORTED)
    return {
        "scenario": scenario.name,
        "regime": scenario.regime,
        "routing": scenario.routing,
        "seed": seed,
        "until": _wall(epoch, now).isoformat(),
        "ports": dict(sorted(ports.items())),
        "numbers_ported": ported,
        "numbers_migrated": sum(len(r.order.numbers) for r in runs
                                if r.state == PortState.MIGRATED),
        "numbers_lost": sum(1 for s in state.status.values() if s == NumberStatus.LOST),
        "downtime_minutes": {
            "total": round(sum(per_number.values()), 3),
            "per_number": dict(sorted(per_number.items())),
        },
        "calls": {"offered": sum(calls.values()), **dict(calls)},
        "rollbacks": ledger.count(EventKind.ROLLED_BACK),
        "rejections": dict(sorted(Counter(
            row["reason"] for row in ledger.records_of(EventKind.REJECTED)).items())),
        "deadline_breaches": breaches,
        "late_answers": late_answers,
        "compensation_eur": round(sum(compensation.values()), 2),
        "compensation_by_port": compensation,
        "costs": _rounded(costs),
        "temporary_numbers": {
            "released": {row["temporary"]: row["t"] for row in ledger.records_of(
                EventKind.TEMPORARY_NUMBER_RELEASED)},
            "kept": sorted(row["temporary"] for row in ledger.records_of(
                EventKind.TEMPORARY_NUMBER_KEPT)),
        },
        "dsl_lost": sorted(n for row in ledger.records_of(EventKind.DSL_LOST)
                           for n in row["numbers"]),
        "routing_version": routing_version,
        "desks": {c: d.summary() for c, d in state.desk_stats.items() if d.orders},
    }

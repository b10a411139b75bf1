"""summary.json: what a run amounts to, from the model's final state and its ledger."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.simulation import CutoverModel, PortRun

__all__ = ["summarise"]

_SETTLED = ("rejected", "denied", "cancelled", "lost")
_PORTED = ("active", "quarantine", "returned")


def _days_late(model: CutoverModel, run: PortRun, now: float) -> int:
    if run.deadline_at is None or run.state in _SETTLED:
        return 0
    done = run.active_at if run.active_at is not None else now
    return model.regime.days_late(model.wall(run.deadline_at), model.wall(done))


def _breached(run: PortRun, now: float) -> bool:
    if run.deadline_at is None or run.state in _SETTLED:
        return False
    done = run.active_at if run.active_at is not None else now
    return done > run.deadline_at


def summarise(model: CutoverModel) -> dict[str, Any]:
    """The summary of a run so far (keys in DESIGN.md, plus a few the engineer will want)."""
    now = model.env.now
    regime = model.regime
    window = regime.window_minutes
    ports: Counter[str] = Counter()
    per_number: dict[str, float] = {}
    compensation: dict[str, float] = {}
    breaches = 0
    late_answers = 0
    for run in model.runs.values():
        order = run.order
        if now < model.sim_time(order.submitted):
            ports["not_submitted"] += 1
            continue
        ports[run.state] += 1
        for minutes in run.interruptions:
            for n in order.numbers:
                per_number[n] = round(per_number.get(n, 0.0) + minutes, 3)
        breaches += _breached(run, now)
        beyond = sum(max(0.0, m - window) for m in run.interruptions)
        owed = regime.compensation_eur(
            numbers=len(order.numbers), days_late=_days_late(model, run, now),
            interruption_minutes_beyond_window=beyond, window_minutes=window)
        if owed:
            compensation[order.id] = round(owed, 2)
    for row in model.ledger.records_of("accepted"):
        late_answers += bool(row.get("late_answer"))
    ported = sum(len(r.order.numbers) for r in model.runs.values() if r.state in _PORTED)
    return {
        "scenario": model.scenario.name,
        "regime": model.scenario.regime,
        "routing": model.scenario.routing,
        "seed": model.seed,
        "until": model.iso(now),
        "ports": dict(sorted(ports.items())),
        "numbers_ported": ported,
        "numbers_lost": sum(1 for s in model.status.values() if s == "lost"),
        "downtime_minutes": {
            "total": round(sum(per_number.values()), 3),
            "per_number": dict(sorted(per_number.items())),
        },
        "calls": {"offered": sum(model.switchboard.outcomes.values()),
                  **dict(model.switchboard.outcomes)},
        "rollbacks": model.ledger.count("rolled_back"),
        "rejections": dict(sorted(Counter(
            row["reason"] for row in model.ledger.records_of("rejected")).items())),
        "deadline_breaches": breaches,
        "late_answers": late_answers,
        "compensation_eur": round(sum(compensation.values()), 2),
        "compensation_by_port": compensation,
        "routing_version": model.routing.snapshot.version,
        "desks": {c: d.summary() for c, d in model.desk_stats.items() if d.orders},
    }

"""One run of a sweep: what it is (combination, seed), playing it, and its row in runs.csv.

A row is made from the run's summary.json by :func:`row_of` only, so a row of the sweep and
``cutover run --seed N --set ...`` of the same run agree field for field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.model.lifecycle import PortState
from sim.sweep.overrides import Combination, SweepSource

__all__ = ["Task", "FIGURES", "PORT_STATES", "CURRENCIES", "columns", "row_of", "play",
           "error_row"]

#: The figures of a run, as runs.csv names them, and where summary.json has each.
FIGURES = ("downtime_total", "downtime_worst", "calls_offered", "calls_failed",
           "calls_misrouted", "calls_lost", "rollbacks", "deadline_breaches",
           "compensation_eur", "numbers_lost")
#: Final states counted per run (``ports_<state>``): every state an order can end a run in.
PORT_STATES = ("not_submitted", *(s.value for s in PortState))
#: Currencies of the summary's ``costs`` totals (``costs_<currency>``), when it has them.
CURRENCIES = ("EUR", "GBP", "USD")


@dataclass(frozen=True)
class Task:
    """One run of the sweep: its combination (index into the grid, and the values) and seed."""

    combination: int
    overrides: Combination
    seed: int

    @property
    def key(self) -> str:
        """A name for the run, the same on every worker and scheduler."""
        return f"cutover-run-{self.combination}-{self.seed}"


def columns(paths: tuple[str, ...]) -> list[str]:
    """runs.csv's header for a sweep overriding ``paths``."""
    return (["combination", "seed", *paths, *FIGURES, *(f"costs_{c.lower()}" for c in CURRENCIES),
             *(f"ports_{s}" for s in PORT_STATES), "error"])


def row_of(task: Task, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The row of a run from its summary.json."""
    downtime = summary["downtime_minutes"]
    calls = summary["calls"]
    costs = summary.get("costs", {})
    row: dict[str, Any] = {"combination": task.combination, "seed": task.seed}
    row.update({path: value for path, value in task.overrides})
    row.update({
        "downtime_total": downtime["total"],
        "downtime_worst": max(downtime["per_number"].values(), default=0.0),
        "calls_offered": calls["offered"], "calls_failed": calls["failed"],
        "calls_misrouted": calls["misrouted"], "calls_lost": calls["lost"],
        "rollbacks": summary["rollbacks"], "deadline_breaches": summary["deadline_breaches"],
        "compensation_eur": summary["compensation_eur"],
        "numbers_lost": summary["numbers_lost"],
    })
    for currency in CURRENCIES:
        row[f"costs_{currency.lower()}"] = costs.get(currency, {}).get("total", "")
    ports = summary["ports"]
    for state in PORT_STATES:
        row[f"ports_{state}"] = ports.get(state, 0)
    row["error"] = ""
    return row


def error_row(task: Task, error: BaseException | str) -> dict[str, Any]:
    """The row of a run that raised: its combination and seed, and the error in one line."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    row: dict[str, Any] = {"combination": task.combination, "seed": task.seed}
    row.update({path: value for path, value in task.overrides})
    row["error"] = " ".join(str(text).split()) or "error"
    return row


def play(source_text: str, origin: str, task: Task) -> dict[str, Any]:
    """Run one task (on a worker): read the scenario with its overrides, simulate, its row.

    Raises whatever the run raises; the sweep records it as the run's error.
    """
    from sim.model import simulate

    scenario = SweepSource(source_text, origin).scenario(task.overrides)
    return row_of(task, simulate(scenario, seed=task.seed).summary)

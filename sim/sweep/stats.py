"""summary.json of a sweep: per combination, each figure's mean and percentiles, and the risks.

Computed from the rows alone, sorted by seed, so it does not depend on which worker ran what
or in which order the runs finished.

>>> rows = [{"combination": 0, "seed": s, "rollbacks": s % 2, "deadline_breaches": 0,
...          "numbers_lost": 0, "downtime_total": float(s), "error": ""} for s in range(1, 5)]
>>> combo = summarise_runs(rows, [()], figures=("downtime_total",))["combinations"][0]
>>> combo["downtime_total"]["mean"], combo["downtime_total"]["max"], combo["p_rollback"]
(2.5, 4.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from sim.sweep.overrides import Combination
from sim.sweep.runs import FIGURES

__all__ = ["summarise_runs", "PERCENTILES", "RISKS"]

PERCENTILES = (5, 50, 95, 99)
#: summary key -> the figure of which at least one makes the risk happen in a run
RISKS = {"p_rollback": "rollbacks", "p_deadline_breach": "deadline_breaches",
         "p_number_lost": "numbers_lost"}


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, **{f"p{q}": None for q in PERCENTILES}, "max": None}
    a = np.asarray(values, dtype=float)
    out: dict[str, float | None] = {"mean": round(float(a.mean()), 6)}
    for q, v in zip(PERCENTILES, np.percentile(a, PERCENTILES).tolist(), strict=True):
        out[f"p{q}"] = round(float(v), 6)
    out["max"] = round(float(a.max()), 6)
    return out


def summarise_runs(rows: Iterable[Mapping[str, Any]], combinations: Sequence[Combination], *,
                   figures: Sequence[str] = FIGURES, scenario: str = "",
                   seeds: Sequence[int] = ()) -> dict[str, Any]:
    """The sweep's summary: for each combination its overrides, runs, failed runs, each
    figure's mean/p5/p50/p95/p99/max over the runs that completed, and the probability of at
    least one rollback, deadline breach and lost number."""
    by_combination: dict[int, list[Mapping[str, Any]]] = {i: [] for i in range(len(combinations))}
    for row in rows:
        by_combination[int(row["combination"])].append(row)
    out = []
    for index, combination in enumerate(combinations):
        runs = sorted(by_combination[index], key=lambda r: int(r["seed"]))
        done = [r for r in runs if not r.get("error")]
        entry: dict[str, Any] = {
            "combination": index, "overrides": {p: v for p, v in combination},
            "runs": len(runs), "failed_runs": len(runs) - len(done),
        }
        for key, figure in RISKS.items():
            entry[key] = (round(sum(float(r[figure]) >= 1 for r in done) / len(done), 6)
                          if done else None)
        for figure in figures:
            entry[figure] = _stats([float(r[figure]) for r in done])
        out.append(entry)
    summary: dict[str, Any] = {"scenario": scenario, "combinations": out}
    if seeds:
        summary["seeds"] = [min(seeds), max(seeds)]
    summary["runs"] = sum(e["runs"] for e in out)
    summary["failed_runs"] = sum(e["failed_runs"] for e in out)
    return summary

"""sim.sweep.runs and .stats: a run's row from its summary; the sweep's summary from rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model import simulate
from sim.sweep import SweepSource, Task, columns, error_row, play, row_of, summarise_runs

ROOT = Path(__file__).resolve().parents[4]
ROLLBACK = ROOT / "scenarios/uk_ngn_reseller_rollback.yaml"
PATH = "port_orders.brightline-ngn.faults.0.probability"


def test_a_row_is_the_runs_summary_figures() -> None:
    source = SweepSource.read(ROLLBACK)
    task = Task(1, ((PATH, 1.0),), 7)
    summary = simulate(source.scenario(task.overrides), seed=7).summary
    row = play(source.text, source.origin, task)
    assert row == row_of(task, summary)
    assert (row["combination"], row["seed"], row[PATH]) == (1, 7, 1.0)
    assert row["rollbacks"] == summary["rollbacks"] == 1
    assert row["downtime_total"] == summary["downtime_minutes"]["total"]
    assert row["downtime_worst"] == max(summary["downtime_minutes"]["per_number"].values())
    assert row["calls_failed"] == summary["calls"]["failed"]
    assert row["compensation_eur"] == summary["compensation_eur"]
    assert row["costs_gbp"] == summary["costs"]["GBP"]["total"]
    assert row["ports_active"] == 1 and row["ports_rejected"] == 0
    assert row["error"] == ""
    assert list(row) == columns((PATH,))  # every column, in the header's order


def test_an_error_row_keeps_the_run_and_the_error_in_one_line() -> None:
    row = error_row(Task(0, (("a", 1),), 3), ValueError("bad\nthing"))
    assert row == {"combination": 0, "seed": 3, "a": 1, "error": "ValueError: bad thing"}


def rows(values: list[tuple[int, int, float, int]]) -> list[dict[str, object]]:
    out = []
    for combination, seed, downtime, rollbacks in values:
        out.append({"combination": combination, "seed": seed, "downtime_total": downtime,
                    "rollbacks": rollbacks, "deadline_breaches": 0, "numbers_lost": 0,
                    "error": ""})
    return out


def test_the_summary_is_per_combination_and_ignores_the_order_rows_came_in() -> None:
    combos = [(("p", 0.1),), (("p", 0.9),)]
    data = rows([(0, s, float(s), 0) for s in range(1, 101)]
                + [(1, s, 10.0 * s, 1) for s in range(1, 101)])
    a = summarise_runs(data, combos, figures=("downtime_total",), scenario="x",
                       seeds=range(1, 101))
    b = summarise_runs(list(reversed(data)), combos, figures=("downtime_total",), scenario="x",
                       seeds=range(1, 101))
    assert a == b
    first, second = a["combinations"]
    assert first["overrides"] == {"p": 0.1} and first["runs"] == 100
    assert first["downtime_total"] == {"mean": 50.5, "p5": 5.95, "p50": 50.5, "p95": 95.05,
                                       "p99": 99.01, "max": 100.0}
    assert (first["p_rollback"], second["p_rollback"]) == (0.0, 1.0)
    assert second["downtime_total"]["max"] == 1000.0
    assert (a["runs"], a["failed_runs"], a["seeds"]) == (200, 0, [1, 100])


def test_failed_runs_are_counted_and_left_out_of_the_figures() -> None:
    data = rows([(0, 1, 5.0, 1), (0, 2, 7.0, 0)])
    data.append({"combination": 0, "seed": 3, "error": "ValueError: x"})
    (entry,) = summarise_runs(data, [()], figures=("downtime_total",))["combinations"]
    assert (entry["runs"], entry["failed_runs"], entry["p_rollback"]) == (3, 1, 0.5)
    assert entry["downtime_total"]["max"] == 7.0


@pytest.mark.parametrize("figure", ["downtime_total"])
def test_a_combination_with_no_completed_run_has_no_figures(figure: str) -> None:
    data = [{"combination": 0, "seed": 1, "error": "boom"}]
    (entry,) = summarise_runs(data, [()], figures=(figure,))["combinations"]
    assert entry[figure]["mean"] is None and entry["p_rollback"] is None

"""Sweeps: many runs of a scenario (seeds x a grid of overrides) on Dask, and their risk.

``SweepSource`` reads a scenario once and gives it under any overrides (``--set``); ``grid``
makes the combinations; ``run_tasks`` plays the runs on a Dask cluster, one row each
(``row_of``, the same row ``cutover run`` of that run gives); ``summarise_runs`` turns the rows
into summary.json (percentiles and the probabilities of a rollback, a breach, a lost number).
"""

from __future__ import annotations

from sim.sweep.cluster import client_for, default_workers, run_tasks
from sim.sweep.outputs import (
    DISTRIBUTION_FILE,
    RUNS_FILE,
    SUMMARY_FILE,
    RunsFile,
    draw_distribution,
    read_runs,
    sweep_table,
    write_sweep_summary,
)
from sim.sweep.overrides import (
    Combination,
    Override,
    SweepSource,
    apply,
    grid,
    parse_override,
    parse_seeds,
)
from sim.sweep.runs import FIGURES, Task, columns, error_row, play, row_of
from sim.sweep.stats import summarise_runs

__all__ = [
    "SweepSource", "Override", "Combination", "parse_override", "parse_seeds", "grid",
    "apply", "Task", "FIGURES", "columns", "row_of", "error_row", "play", "run_tasks",
    "client_for", "default_workers", "summarise_runs", "RunsFile", "read_runs",
    "write_sweep_summary", "draw_distribution", "sweep_table", "RUNS_FILE", "SUMMARY_FILE",
    "DISTRIBUTION_FILE",
]

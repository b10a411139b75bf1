"""The outputs of a sweep: runs.csv (written as runs finish), summary.json, distribution.png,
and the terminal table."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["RUNS_FILE", "SUMMARY_FILE", "DISTRIBUTION_FILE", "RunsFile", "read_runs",
           "write_sweep_summary", "draw_distribution", "sweep_table", "cell"]

RUNS_FILE = "runs.csv"
SUMMARY_FILE = "summary.json"
DISTRIBUTION_FILE = "distribution.png"


def cell(value: Any) -> str:
    """A value as runs.csv writes it (floats as Python's shortest repr, so they read back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class RunsFile:
    """runs.csv, one row appended and flushed as each run finishes (an interrupted sweep leaves
    a valid file with the runs done so far); ``finish()`` rewrites it sorted, atomically."""

    def __init__(self, path: Path, header: Sequence[str]):
        self.path = path
        self.header = list(header)
        self._file: IO[str] = open(path, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(self.header)
        self._file.flush()
        self.rows: list[dict[str, Any]] = []

    def add(self, row: Mapping[str, Any]) -> None:
        self.rows.append(dict(row))
        self._writer.writerow([cell(row.get(k)) for k in self.header])
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def finish(self) -> None:
        """Rewrite the file with its rows sorted by (combination, seed)."""
        self.close()
        rows = sorted(self.rows, key=lambda r: (int(r["combination"]), int(r["seed"])))
        _atomic_write(self.path, _csv_text(self.header, rows))


def _csv_text(header: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(row.get(k)) for k in header])
    return buffer.getvalue()


def read_runs(path: Path) -> list[dict[str, str]]:
    """The rows of a runs.csv, as text."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_sweep_summary(summary: Mapping[str, Any], path: Path) -> None:
    """summary.json: indented, sorted keys, a trailing newline (written atomically)."""
    _atomic_write(path, json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _label(overrides: Mapping[str, Any]) -> str:
    return ", ".join(f"{p}={v}" for p, v in overrides.items()) or "as written"


def draw_distribution(rows: Sequence[Mapping[str, Any]], summary: Mapping[str, Any],
                      path: Path, *, figure: str = "downtime_total") -> None:
    """distribution.png: the CDF of ``figure`` (minutes of downtime) per combination."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for entry in summary["combinations"]:
        values = np.sort([float(r[figure]) for r in rows
                          if int(r["combination"]) == entry["combination"] and not r.get("error")])
        if not len(values):
            continue
        share = np.arange(1, len(values) + 1) / len(values)
        stats = entry[figure]
        ax.step(values, share, where="post", linewidth=1.8,
                label=f"{_label(entry['overrides'])}  (p95 {stats['p95']:g}, "
                      f"P(rollback) {entry['p_rollback']:.0%})")
    ax.set_xlabel("downtime, minutes (all numbers, whole run)")
    ax.set_ylabel("share of runs at or below")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    seeds = summary.get("seeds")
    title = summary.get("scenario", "")
    if seeds:
        title += f": downtime over seeds {seeds[0]}-{seeds[1]}"
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def _short(path: str) -> str:
    """A column name for an override: its path's last key."""
    return path.rsplit(".", 1)[-1]


def sweep_table(summary: Mapping[str, Any]) -> Table:
    """The terminal table: a row per combination (its override values), with its runs, the
    downtime's mean, p95 and max (minutes, all numbers), and the risks."""
    from rich.table import Table

    combinations = summary["combinations"]
    paths = list(combinations[0]["overrides"]) if combinations else []
    seeds = summary.get("seeds")
    title = summary.get("scenario", "")
    if seeds:
        title += f", seeds {seeds[0]}-{seeds[1]}"
    table = Table(title=title, caption="downtime: minutes, all numbers, mean/p95/max over "
                  "the runs; rollback, breach, lost: share of runs with at least one")
    for name in [*(_short(p) for p in paths), "runs", "errors", "mean", "p95", "max",
                 "rollback", "breach", "lost"]:
        table.add_column(name, justify="right")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.0%}"

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:,.1f}"

    for e in combinations:
        d = e["downtime_total"]
        table.add_row(*(str(e["overrides"][p]) for p in paths), str(e["runs"]),
                      str(e["failed_runs"]), num(d["mean"]), num(d["p95"]), num(d["max"]),
                      pct(e["p_rollback"]), pct(e["p_deadline_breach"]),
                      pct(e["p_number_lost"]))
    return table

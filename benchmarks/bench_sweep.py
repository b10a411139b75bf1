"""Sweep scaling: the same sweep on a local Dask cluster of 1 and of 2 worker processes.

Usage: python benchmarks/bench_sweep.py [--seeds N]
Prints one JSON document. Target (issue 12): at least 1.7x from 1 to 2 workers on a 2-core
machine. Each run is a DDI port with a flaky range holder (about 0.3 s); the clusters' start-up
is timed apart from the runs. The rows of the two sweeps must be the same (checked).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from sim.sweep import SweepSource, Task, client_for, grid, parse_override, run_tasks

OUTAGES = "\n".join(
    f"      - {{start: 2026-11-{24 + k // 24:02d}T{k % 24:02d}:10:00Z, minutes: 20, "
    "probability: 0.5}" for k in range(100))
STORY = f"""
name: flaky_holder
regime: uk
start: 2026-11-23T00:00:00Z
horizon: 2026-12-07T00:00:00Z
carriers:
  - id: bt
    copy_lag_minutes: 5
    outages:
{OUTAGES}
  - {{id: callagenix}}
  - {{id: vodafone}}
interconnects: [[vodafone, bt], [bt, callagenix], [vodafone, callagenix]]
ranges: [{{prefix: "+44 1632 96", holder: bt}}]
customers:
  - {{id: acme, name: Acme, numbers: [{{first: "01632 960000", count: 2000}}]}}
port_orders:
  - id: acme-ddi
    customer: acme
    gaining: callagenix
    submitted: 2026-11-23T10:00:00
    requested_date: 2026-12-05T00:00:00
    faults: [{{kind: activation_failure, minutes: 30, probability: 0.3}}]
    reattempt_days: 1
traffic: {{calls_per_number_per_hour: 2, origins: [vodafone]}}
"""


def sweep(source: SweepSource, tasks: list[Task], workers: int) -> dict[str, object]:
    rows: list[dict[str, object]] = []
    t0 = time.perf_counter()
    with client_for(workers=workers) as client:
        started = time.perf_counter()
        failed = run_tasks(client, source.text, source.origin, tasks, rows.append)
        done = time.perf_counter()
    return {"workers": workers, "start_s": round(started - t0, 3),
            "runs_s": round(done - started, 3), "failed": failed,
            "runs_per_s": round(len(tasks) / (done - started), 2),
            "rows": sorted(rows, key=lambda r: (r["combination"], r["seed"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flaky_holder.yaml"
        path.write_text(STORY)
        source = SweepSource.read(path)
        combos = grid([parse_override("port_orders.acme-ddi.faults.0.probability=0.3,0.8")])
        tasks = [Task(i, c, s) for i, c in enumerate(combos) for s in range(1, args.seeds + 1)]
        one = sweep(source, tasks, 1)
        two = sweep(source, tasks, 2)
    rows_one, rows_two = one.pop("rows"), two.pop("rows")
    same = rows_one == rows_two
    differing = [(a, b) for a, b in zip(rows_one, rows_two, strict=True) if a != b]
    speedup = float(one["runs_s"]) / float(two["runs_s"])  # type: ignore[arg-type]
    print(json.dumps({
        "benchmark": "sweep",
        "runs": len(tasks),
        "cores": os.cpu_count(),
        "one_worker": one,
        "two_workers": two,
        "speedup_2_vs_1": round(speedup, 2),
        "same_rows": same,
        "first_difference": ({k: (differing[0][0].get(k), differing[0][1].get(k))
                              for k in differing[0][0] if differing[0][0].get(k)
                              != differing[0][1].get(k)} if differing else None),
        "target_speedup": 1.7,
        "pass": same and speedup >= 1.7,
        "note": "the machine may be shared: compare the two figures of one run only",
    }, indent=2))


if __name__ == "__main__":
    main()

"""cutover sweep on real Dask clusters: a local one, and `dask scheduler` + two `dask worker`s.

Live (a Dask cluster binds loopback ports): run under the live lock. What is held:
- every row of runs.csv is `cutover run --seed N --set ...` of that run, column for column;
- summary.json does not depend on the number of workers or on the scheduler;
- a worker killed mid-sweep loses no run and duplicates none (Dask reschedules its tasks);
- a run that raises is recorded with its error, the others go on, the sweep exits 1;
- interrupted, the sweep leaves runs.csv valid, with the runs done so far.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.cli.app import main
from sim.sweep import SweepSource, Task, columns, grid, parse_override, play, read_runs, row_of
from sim.sweep.outputs import cell

from .signals import ctrl_c_as_a_terminal_sends_it

ROOT = Path(__file__).resolve().parents[2]
ROLLBACK = str(ROOT / "scenarios/uk_ngn_reseller_rollback.yaml")
PROBABILITY = "port_orders.brightline-ngn.faults.0.probability"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def busy_story(outages: int = 100, numbers: int = 2000) -> str:
    """A DDI port with a flaky range holder (each outage happens with probability 0.5) and a
    probable failed cutover: about 0.3 s a run. ``island`` is interconnected with nobody."""
    lines = "\n".join(
        f"      - {{start: 2026-11-{24 + k // 24:02d}T{k % 24:02d}:10:00Z, minutes: 20, "
        "probability: 0.5}" for k in range(outages))
    return f"""
name: busy
regime: uk
start: 2026-11-23T00:00:00Z
horizon: 2026-12-07T00:00:00Z
carriers:
  - id: bt
    copy_lag_minutes: 5
    outages:
{lines}
  - {{id: callagenix}}
  - {{id: vodafone}}
  - {{id: island}}
interconnects: [[vodafone, bt], [bt, callagenix], [vodafone, callagenix]]
ranges: [{{prefix: "+44 1632 96", holder: bt}}]
customers:
  - {{id: acme, name: Acme, numbers: [{{first: "01632 960000", count: {numbers}}}]}}
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


@pytest.fixture
def busy(tmp_path: Path) -> Path:
    path = tmp_path / "busy.yaml"
    path.write_text(busy_story())
    return path


def expected_rows(scenario: str, sets: list[str], seeds: range) -> list[dict[str, str]]:
    """Each run played here, in this process, as runs.csv would write its row."""
    source = SweepSource.read(scenario)
    overrides = [parse_override(s) for s in sets]
    header = columns(tuple(o.path for o in overrides))
    out = []
    for i, combination in enumerate(grid(overrides)):
        for seed in seeds:
            row = play(source.text, source.origin, Task(i, combination, seed))
            out.append({k: cell(row.get(k)) for k in header})
    return out


def test_every_row_is_cutover_run_of_that_seed_and_the_workers_do_not_matter(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sets = [f"{PROBABILITY}=0.2,0.6"]
    summaries = []
    for workers in (2, 1):
        out = tmp_path / f"w{workers}"
        code = main(["sweep", ROLLBACK, "--seeds", "1-6", "--set", sets[0],
                     "--workers", str(workers), "--out", str(out)])
        assert code == 0, capsys.readouterr().err
        summaries.append((out / "summary.json").read_bytes())
    rows = read_runs(tmp_path / "w2" / "runs.csv")
    assert [(r["combination"], r["seed"]) for r in rows] == [
        (str(c), str(s)) for c in (0, 1) for s in range(1, 7)]
    capsys.readouterr()
    header = columns((PROBABILITY,))
    for row in rows:
        value = row[PROBABILITY]
        code = main(["run", ROLLBACK, "--seed", row["seed"], "--set", f"{PROBABILITY}={value}",
                     "--json", "--out", str(tmp_path / "run")])
        assert code == 0
        summary = json.loads(capsys.readouterr().out)
        task = Task(int(row["combination"]), ((PROBABILITY, float(value)),), int(row["seed"]))
        assert {k: cell(v) for k, v in row_of(task, summary).items()} == {k: row[k]
                                                                          for k in header}
    assert summaries[0] == summaries[1]  # 2 workers or 1: the same summary, byte for byte
    summary = json.loads(summaries[0])
    assert [c["overrides"] for c in summary["combinations"]] == [{PROBABILITY: 0.2},
                                                                 {PROBABILITY: 0.6}]
    assert (tmp_path / "w2" / "distribution.png").stat().st_size > 10_000


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, dict[str, subprocess.Popen[bytes]]]]:
    """`dask scheduler` and two `dask worker` processes (w0, w1) on loopback, for at most
    the test; yields the scheduler's address and the workers by name."""
    if shutil.which("dask") is None:
        pytest.skip("no `dask` command (pip install 'dask[distributed]')")
    from distributed import Client

    file = tmp_path / "scheduler.json"
    logs = open(tmp_path / "dask.log", "wb")
    procs: list[subprocess.Popen[bytes]] = []
    workers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs.append(subprocess.Popen(
            ["dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(file)], cwd=ROOT, env=ENV, stdout=logs, stderr=logs))
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert file.exists(), (tmp_path / "dask.log").read_text()
        time.sleep(0.2)  # the file is written whole once it exists; let it settle
        address = json.loads(file.read_text())["address"]
        for name in ("w0", "w1"):
            workers[name] = subprocess.Popen(
                ["dask", "worker", address, "--name", name, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60"],
                cwd=ROOT, env=ENV, stdout=logs, stderr=logs)
            procs.append(workers[name])
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        logs.close()


def test_a_worker_killed_mid_sweep_loses_and_duplicates_no_run(
        busy: Path, tmp_path: Path, dask_cluster) -> None:
    from distributed import Client

    address, workers = dask_cluster
    sets = ["port_orders.acme-ddi.faults.0.probability=0.3,0.8"]
    seeds = range(1, 21)
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        [sys.executable, "-m", "cutover", "sweep", str(busy), "--seeds", "1-20", "--set",
         sets[0], "--scheduler", address, "--out", str(out), "--json"],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = None
    with Client(address, timeout="30s") as client:
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and sweep.poll() is None:
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            done = len(read_runs(out / "runs.csv")) if (out / "runs.csv").exists() else 0
            busy_now = [names[a] for a, keys in client.processing().items()
                        if keys and a in names]
            if done >= 2 and busy_now:
                killed = busy_now[0]
                workers[killed].send_signal(signal.SIGKILL)  # mid-run, no goodbye
            time.sleep(0.05)
    stdout, stderr = sweep.communicate(timeout=300)
    assert killed is not None, "no run was in flight to kill"
    assert sweep.returncode == 0, stderr.decode()
    rows = read_runs(out / "runs.csv")
    keys = [(r["combination"], r["seed"]) for r in rows]
    assert len(keys) == len(set(keys)) == 40  # none lost, none twice
    assert rows == expected_rows(str(busy), sets, seeds)  # and each one exactly right
    summary = json.loads(stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["runs"] == 40 and summary["failed_runs"] == 0


def test_a_run_that_raises_is_recorded_and_the_others_go_on(
        busy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # calls from island cannot reach bt: every run of that combination raises NoRouteError
    code = main(["sweep", str(busy), "--seeds", "1-3", "--workers", "2",
                 "--set", "traffic.origins.0=vodafone,island",
                 "--set", "customers.acme.numbers.0.count=200", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "3 of 6 runs failed" in err and "NoRouteError" in err
    rows = read_runs(tmp_path / "runs.csv")
    assert len(rows) == 6
    bad = [r for r in rows if r["error"]]
    assert [r["traffic.origins.0"] for r in bad] == ["island"] * 3
    assert all(r["error"] == "NoRouteError: no interconnect path from island to bt"
               for r in bad)
    good = [r for r in rows if not r["error"]]
    assert [r["traffic.origins.0"] for r in good] == ["vodafone"] * 3
    assert all(int(r["calls_offered"]) > 0 for r in good)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [c["failed_runs"] for c in summary["combinations"]] == [0, 3]


def test_an_interrupted_sweep_leaves_the_runs_done_so_far(busy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        [sys.executable, "-m", "cutover", "sweep", str(busy), "--seeds", "1-300",
         "--workers", "2", "--out", str(out)],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_as_a_terminal_sends_it)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sweep.poll() is None:
        if (out / "runs.csv").exists() and len(read_runs(out / "runs.csv")) >= 3:
            break
        time.sleep(0.05)
    sweep.send_signal(signal.SIGINT)
    try:
        _, stderr = sweep.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        sweep.kill()
        raise
    assert sweep.returncode == 130, stderr.decode()
    rows = read_runs(out / "runs.csv")
    assert 3 <= len(rows) < 300
    assert len({r["seed"] for r in rows}) == len(rows)
    assert all(r["calls_offered"] and r["downtime_total"] and not r["error"] for r in rows)
    assert f"of 300 runs in {out / 'runs.csv'}" in stderr.decode()
    assert not (out / "summary.json").exists()

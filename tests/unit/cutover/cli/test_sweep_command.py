"""cutover sweep's bad input (exit 2, one line, before any run) and cutover run --set.

No Dask cluster here: the sweeps themselves are live tests (tests/integration/test_sweep_live.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim.sweep.cluster
from cutover.cli.app import main
from sim.model import simulate
from sim.sweep import SweepSource

ROOT = Path(__file__).resolve().parents[4]
ROLLBACK = str(ROOT / "scenarios/uk_ngn_reseller_rollback.yaml")
PATH = "port_orders.brightline-ngn.faults.0.probability"


@pytest.fixture
def no_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting a cluster fails the test: bad input must be caught before."""
    def refuse(**_: object) -> None:
        raise AssertionError("a cluster was started")

    monkeypatch.setattr(sim.sweep.cluster, "client_for", refuse)


@pytest.mark.parametrize(("args", "message"), [
    # a path that names nothing
    (["--set", "carriers.nobody.desk.capacity=1"],
     "--set carriers.nobody.desk.capacity: carriers has no item 'nobody' (it has: cw, "
     "callagenix, vodafone)"),
    # a value the scenario reader refuses, after good ones
    (["--set", f"{PATH}=0.2,1.5"],
     f"--set {PATH}=1.5: {ROLLBACK}: port_orders[0].faults[0].probability (line 53): expected "
     "a probability from 0 to 1, got 1.5"),
    # not PATH=VALUES
    (["--set", "capacity"], "--set capacity: expected PATH=VALUE[,VALUE...]"),
    # the same path twice
    (["--set", f"{PATH}=0.1", "--set", f"{PATH}=0.2"], "--set: a path is given twice"),
    # seeds
    (["--seeds", "9-1"], "--seeds 9-1: expected A-B with 0 <= A <= B"),
    # both ways to a cluster
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "give --workers or --scheduler, not both"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
        no_cluster: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], message: str) -> None:
    out = tmp_path / "out"
    seeds = [] if "--seeds" in args else ["--seeds", "1-3"]
    code = main(["sweep", ROLLBACK, *seeds, *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and message in err
    assert not out.exists()


def test_a_missing_scenario_is_bad_input(no_cluster: None, capsys) -> None:
    assert main(["sweep", "nowhere.yaml", "--seeds", "1-2"]) == 2
    assert "nowhere.yaml: no such file" in capsys.readouterr().err


def test_run_with_set_plays_the_overridden_scenario(tmp_path: Path, capsys) -> None:
    code = main(["run", ROLLBACK, "--seed", "3", "--set", f"{PATH}=0", "--set",
                 "traffic.calls_per_number_per_hour=60", "--json", "--out", str(tmp_path)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    scenario = SweepSource.read(ROLLBACK).scenario(
        ((PATH, 0), ("traffic.calls_per_number_per_hour", 60)))
    assert summary == json.loads(json.dumps(simulate(scenario, seed=3).summary))
    assert summary["rollbacks"] == 0  # probability 0: the failure never happens
    assert summary["calls"]["offered"] > 20_000  # 60 an hour


def test_run_takes_one_value_per_set(capsys) -> None:
    assert main(["run", ROLLBACK, "--set", f"{PATH}=0.1,0.2"]) == 2
    assert "cutover run takes one value" in capsys.readouterr().err

"""Tests for cutover.cli.app that need no model: arguments, exit codes, error lines.

Where a command needs a scenario, a stand-in ``sim.scenario`` (and ``sim.model``) package is put in
``sys.modules`` so that only the CLI's own wiring is under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover.cli import app as cli
from sim.errors import (
    AMIError,
    HarnessError,
    NumberFormatError,
    RoutingError,
    ScenarioError,
    ScenarioIssue,
    UnknownNumberError,
)
from sim.scenario import Scenario

START = datetime(2026, 11, 20, tzinfo=UTC)


@dataclass(frozen=True)
class FakeScenario:
    name: str = "fake"
    regime: str = "uk"
    seed: int = 7
    start: datetime = START
    horizon: datetime = START + timedelta(days=20)
    carrier_ids: tuple[str, ...] = ("bt", "callagenix", "vodafone")
    country: str = "GB"
    port_orders: tuple[str, ...] = ("P1", "P2")
    checkpoints: tuple[Any, ...] = field(default=())
    source: str = "fake.yaml"
    # the real scenario's rules for instants and checkpoints
    instant = Scenario.instant
    checkpoint = Scenario.checkpoint


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "fake.yaml"
    path.write_text("name: fake\n")
    return path


@pytest.fixture
def fake_loader(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Install a stand-in sim.scenario; append an exception to the list to make it raise."""
    failures: list[BaseException] = []

    def load_scenario(path: str | Path) -> FakeScenario:
        if failures:
            raise failures.pop(0)
        return FakeScenario()

    module = types.ModuleType("sim.scenario")
    module.load_scenario = load_scenario  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sim.scenario", module)
    return failures






def test_help_exits_zero_and_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("validate", "route", "run"):
        assert command in out


def test_route_help_says_naive_times_are_utc(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["route", "--help"]) == 0
    assert "taken as UTC" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "argv",
    [
        [],  # no command: help on stderr, exit 2
        ["bogus"],  # unknown command
        ["validate"],  # no scenario given
        ["route", "x.yaml"],  # NUMBER missing
        ["run", "x.yaml", "--seed", "abc"],  # seed not an integer
        ["run", "x.yaml", "--frobnicate"],  # unknown option
        ["route", "x.yaml", "+441632960001", "--at", "yesterday"],  # bad time
    ],
)
def test_argument_errors_exit_2_without_traceback(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    if argv:
        assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "{missing}"],
        ["route", "{missing}", "+441632960001"],
        ["run", "{missing}"],
    ],
)
def test_missing_scenario_file_exits_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert cli.main([a.format(missing=missing) for a in argv]) == 2
    assert capsys.readouterr().err == f"{missing}: no such file\n"


def test_validate_reports_each_file_and_every_issue(
    tmp_path: Path,
    scenario_file: Path,
    fake_loader: list[BaseException],
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("x: 1\n")
    fake_loader.append(
        ScenarioError(
            [
                ScenarioIssue("carriers.bt.trunks", "must be a list", line=4),
                ScenarioIssue("ports", "at least one port order is required"),
            ]
        )
    )
    missing = tmp_path / "nope.yaml"
    assert cli.main(["validate", str(bad), str(scenario_file), str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"ok: {scenario_file} (2 port orders)\n"
    assert captured.err.splitlines() == [
        f"{bad}: carriers.bt.trunks (line 4): must be a list",
        f"{bad}: ports: at least one port order is required",
        f"{missing}: no such file",
    ]


def test_validate_all_good_exits_0(
    scenario_file: Path, fake_loader: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(scenario_file), str(scenario_file)]) == 0
    assert capsys.readouterr().out.count("ok: ") == 2


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ScenarioError(ScenarioIssue("name", "required")), 2),  # bad scenario
        (NumberFormatError("'12ab' is not a phone number"), 2),  # bad number
        (UnknownNumberError("+441632999999"), 2),  # number in no range
        (RoutingError("no interconnect from bt to x"), 2),  # routing cannot answer
        (HarnessError("asterisk did not start"), 3),  # infrastructure
        (AMIError("AMI login refused"), 3),  # infrastructure, a subclass
    ],
)
def test_project_errors_map_to_exit_codes(
    error: BaseException,
    code: int,
    scenario_file: Path,
    fake_loader: list[BaseException],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_loader.append(error)
    assert cli.main(["run", str(scenario_file)]) == code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_route_refuses_an_unknown_carrier(
    scenario_file: Path, fake_loader: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["route", str(scenario_file), "+441632960001", "--from", "x"]) == 2
    assert capsys.readouterr().err == "unknown carrier 'x'; known: bt, callagenix, vodafone\n"


@pytest.mark.parametrize(
    "at",
    [
        "2026-11-19T23:59Z",  # before the start
        "2026-12-10T00:00:01Z",  # after the horizon
    ],
)
def test_route_refuses_an_instant_outside_the_scenario(
    at: str,
    scenario_file: Path,
    fake_loader: list[BaseException],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["route", str(scenario_file), "+441632960001", "--at", at]) == 2
    assert "outside the scenario" in capsys.readouterr().err


@dataclass(frozen=True)
class FakeRoute:
    number: str
    carrier: str = "callagenix"
    range_holder: str = "bt"
    path: tuple[str, ...] = ("vodafone", "bt", "callagenix")
    ported: bool = True
    reason: str = "ported from bt to callagenix at 2026-11-28T00:00Z"
    version: int = 3


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stand-in sim.model.simulation and sim.numbering; records the simulate() call."""
    calls: dict[str, Any] = {}

    class Routing:
        def route(self, number: str, origin: str | None) -> FakeRoute:
            calls["origin"] = origin
            return FakeRoute(number)

    def simulate(scenario: Any, *, seed: Any = None, until: Any = None, progress: Any = None):
        calls.update(seed=seed, until=until, progress=progress)
        at = until or scenario.horizon
        summary = {"scenario": scenario.name, "regime": scenario.regime, "seed": seed or 7}
        events = [
            {
                "t": START.isoformat(),
                "event": "submitted",
                "port": "P1",
                "numbers": ["+441632960001"],
                "state": "requested",
            }
        ]
        return types.SimpleNamespace(events=events, summary=summary, routing=Routing(), at=at,
                                     number_status=lambda n: "in_service",
                                     caller_id=lambda n: "+441632970555",
                                     migrated_to=lambda n: None)

    model = types.ModuleType("sim.model")
    model.simulate = simulate  # type: ignore[attr-defined]
    numbering = types.ModuleType("sim.numbering")
    numbering.normalise = lambda text, country: "+44" + text.lstrip("0")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sim.model", model)
    monkeypatch.setitem(sys.modules, "sim.numbering", numbering)
    return calls


def test_route_prints_the_route_in_words(
    scenario_file: Path,
    fake_loader: list[BaseException],
    fake_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["route", str(scenario_file), "01632960001", "--from", "vodafone", "--seed", "9"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == (
        "+441632960001 -> callagenix via vodafone -> bt -> callagenix "
        "(ported from bt to callagenix at 2026-11-28T00:00Z); "
        "the customer presents caller ID +441632970555\n"
    )
    assert fake_model == {"seed": 9, "until": START, "progress": None, "origin": "vodafone"}


def test_route_json_is_one_document(
    scenario_file: Path,
    fake_loader: list[BaseException],
    fake_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["route", str(scenario_file), "01632960001", "--at", "2026-11-28T06:00", "--json"]
    assert cli.main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "number": "+441632960001",
        "at": "2026-11-28T06:00:00+00:00",
        "origin": None,
        "carrier": "callagenix",
        "range_holder": "bt",
        "path": ["vodafone", "bt", "callagenix"],
        "ported": True,
        "reason": "ported from bt to callagenix at 2026-11-28T00:00Z",
        "version": 3,
        "status": "in_service",
        "caller_id": "+441632970555",
        "migrated_to": None,
    }


def test_run_writes_outputs_and_prints_only_the_summary_with_json(
    tmp_path: Path,
    scenario_file: Path,
    fake_loader: list[BaseException],
    fake_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "results"
    assert cli.main(["run", str(scenario_file), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"scenario": "fake", "regime": "uk", "seed": 7}
    assert sorted(p.name for p in out.iterdir()) == ["events.jsonl", "summary.json", "timeline.png"]


def test_run_defaults_to_out_scenario_name(
    tmp_path: Path,
    scenario_file: Path,
    fake_loader: list[BaseException],
    fake_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(scenario_file)]) == 0
    assert (tmp_path / "out" / "fake" / "summary.json").is_file()
    assert "numbers ported" in capsys.readouterr().out


def test_a_real_process_exits_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "cutover", "validate", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == f"{missing}: no such file\n"
    assert done.stdout == ""

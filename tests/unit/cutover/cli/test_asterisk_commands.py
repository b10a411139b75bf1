"""``cutover asterisk up|apply|status|down`` in-process, never starting Asterisk: nothing running,
bad instants refused before anything starts, and an external record answered by a FakeAMI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cutover.cli.app import main
from sip_harness.ami.testing import FakeAMI
from sip_harness.asterisk import live, runner
from sip_harness.asterisk.running import RunningAsterisk

ROOT = Path(__file__).resolve().parents[4]
UK = ROOT / "scenarios" / "uk_gnp_weekend.yaml"


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(directory))
    return directory


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting or moving Asterisk fails the test (an AssertionError is no CutoverError)."""
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to start or move Asterisk")

    monkeypatch.setattr(live, "bring_up", never)
    monkeypatch.setattr(runner, "up", never)


def record_external(fake: FakeAMI, instant: str) -> None:
    running = RunningAsterisk(backend="external", host="127.0.0.1", sip_port=15060,
                              ami_port=fake.port, ami_username=fake.username,
                              ami_secret=fake.secret)
    runner.record(running, scenario=str(UK.resolve()), instant=instant)


def test_status_when_nothing_runs(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asterisk", "status"]) == 0
    out = capsys.readouterr()
    assert out.out == ("not running: no Asterisk started by cutover (start one with "
                       "`cutover asterisk up`)\n")
    assert out.err == ""
    assert not state_dir.exists()


def test_status_json_is_one_document(state_dir: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    assert main(["asterisk", "status", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    document = json.loads(out)
    assert document["running"] is False
    assert set(document) == {"running", "reason"}  # nothing empty is printed


def test_down_when_nothing_runs(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asterisk", "down"]) == 0
    assert capsys.readouterr().out == "no Asterisk was running\n"


def test_apply_with_no_asterisk_is_exit_3_and_one_line(state_dir: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    assert main(["asterisk", "apply", str(UK), "--checkpoint", "after_cutover"]) == 3
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "no Asterisk is running; start one with `cutover asterisk up`\n"
    assert not state_dir.exists()


@pytest.mark.parametrize("command", ["up", "apply"])
@pytest.mark.parametrize(("args", "message"), [
    # a checkpoint the scenario does not declare
    (["--checkpoint", "tuesday"], "tuesday"),
    # before the scenario's start
    (["--at", "2026-11-01T00:00:00Z"], "--at 2026-11-01T00:00:00+00:00 is outside the scenario"),
    # after its horizon
    (["--at", "2027-01-01T00:00:00Z"], "--at 2027-01-01T00:00:00+00:00 is outside the scenario"),
    # both ways of naming the instant at once
    (["--at", "2026-11-28T06:00Z", "--checkpoint", "before"], "not both"),
])
def test_a_bad_instant_is_exit_2_and_nothing_starts(
        command: str, args: list[str], message: str, state_dir: Path, nothing_starts: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asterisk", command, str(UK), *args]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and message in out.err
    assert not state_dir.exists()


def test_an_unparseable_at_is_exit_2(state_dir: Path, nothing_starts: None,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asterisk", "up", str(UK), "--at", "saturday"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'saturday' is not an ISO-8601 time" in err


def test_a_missing_scenario_file_is_exit_2(state_dir: Path, nothing_starts: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asterisk", "up", "nowhere.yaml"]) == 2
    assert capsys.readouterr().err == "nowhere.yaml: no such file\n"


# --- an external Asterisk recorded in the state file, answered by a FakeAMI ------------------

def test_status_of_a_recorded_external_asterisk(state_dir: Path, fake: FakeAMI,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    record_external(fake, "2026-11-28T06:00:00+00:00")
    assert main(["asterisk", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"running (external): SIP 127.0.0.1:15060, AMI 127.0.0.1:{fake.port}, "
                        "2026-11-28T06:00:00+00:00")
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["bt", "callagenix",
                                                                  "vodafone"]


def test_status_json_of_a_recorded_external_asterisk(state_dir: Path, fake: FakeAMI,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    record_external(fake, "2026-11-28T06:00:00+00:00")
    assert main(["asterisk", "status", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["running"], document["backend"]) == (True, "external")
    assert set(document["carriers"]) == {"bt", "callagenix", "vodafone"}


def test_apply_moves_a_recorded_asterisk_through_ami(state_dir: Path, fake: FakeAMI,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    record_external(fake, "2026-11-27T12:00:00+00:00")
    assert main(["asterisk", "apply", str(UK), "--checkpoint", "after_cutover"]) == 0
    assert capsys.readouterr().out == ("at 2026-11-28T06:00:00+00:00: 6 AstDB entries set, "
                                       "0 removed\n")
    assert fake.db[("cutover-ported", "+441632960001")] == "callagenix"
    recorded = runner.load_running()
    assert recorded is not None and recorded.instant == "2026-11-28T06:00:00+00:00"


def test_down_forgets_a_recorded_external_asterisk(state_dir: Path, fake: FakeAMI,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    record_external(fake, "2026-11-28T06:00:00+00:00")
    assert main(["asterisk", "down"]) == 0
    assert capsys.readouterr().out == ("Asterisk stopped (forgotten (an external Asterisk is "
                                       "not stopped))\n")
    assert runner.load_running() is None


def test_up_refuses_while_a_recorded_asterisk_runs(state_dir: Path, fake: FakeAMI,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    record_external(fake, "2026-11-28T06:00:00+00:00")

    def no_backend(*args: object, **kwargs: object) -> None:
        raise AssertionError("chose a backend to start a second Asterisk")

    monkeypatch.setattr(runner, "select_backend", no_backend)
    assert main(["asterisk", "up", str(UK), "--checkpoint", "before"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "an Asterisk is already running (external" in err

"""sip_harness.asterisk.runner without an Asterisk: the state file, status, down, backend choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import HarnessError
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.running import (
    RunningAsterisk,
)


def test_state_file_round_trip_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(tmp_path))
    running = RunningAsterisk(backend="external", ami_secret="s", scenario="uk.yaml")
    asterisk._save(running, asterisk.state_file_path())
    assert asterisk.state_file_path().stat().st_mode & 0o077 == 0
    assert asterisk.load_running() == running


def test_status_without_a_recorded_asterisk(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(tmp_path))
    assert asterisk.status().to_json()["running"] is False
    assert asterisk.down() is None
    with pytest.raises(HarnessError, match="cutover asterisk up"):
        asterisk.require_running()


def test_a_dead_recorded_asterisk_is_reported_and_cleaned(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(tmp_path))
    run_dir = tmp_path / "asterisk-x"
    run_dir.mkdir()
    (run_dir / "asterisk.out").write_text("Segmentation fault\n")
    dead = RunningAsterisk(backend="rootfs", pid=2**22 + 1, pid_start=1, run_dir=str(run_dir))
    asterisk._save(dead, asterisk.state_file_path())
    state = asterisk.status()
    assert not state.running and "Segmentation fault" in state.reason
    with pytest.raises(HarnessError, match="cutover asterisk down"):
        asterisk.require_running()
    report = asterisk.down()
    assert report is not None and report.crashed and "Segmentation fault" in report.last_output
    assert not run_dir.exists() and not asterisk.state_file_path().exists()


def test_unknown_backend() -> None:
    with pytest.raises(HarnessError, match="rootfs, docker or external"):
        asterisk.select_backend("podman")






def test_rootfs_is_the_default_even_where_docker_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    from sip_harness.asterisk import runner

    monkeypatch.delenv(runner.BACKEND_ENV, raising=False)
    monkeypatch.setattr(runner, "docker_available", lambda *a: True)
    assert runner.select_backend().name == "rootfs"
    monkeypatch.setenv(runner.BACKEND_ENV, "docker")
    assert runner.select_backend().name == "docker"

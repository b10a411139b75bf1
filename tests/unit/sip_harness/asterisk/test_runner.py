"""Asterisk runner pieces that need no Asterisk: config, state file, preconditions, markers."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from sim.errors import HarnessError
from sip_harness import REPOSITORY
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.rootfs import MARKER, read_marker
from sip_harness.asterisk.running import (
    RunningAsterisk,
    base_config,
    check_ports_free,
    merge_config,
    new_secret,
    wait_ready,
)


def test_manager_conf_gets_this_runs_secret_and_loopback_only() -> None:
    secret = new_secret()
    files = base_config(ami_port=5038, ami_username="cutover", ami_secret=secret)
    manager = files["manager.conf"]
    assert f"secret = {secret}" in manager and "bindaddr = 127.0.0.1" in manager
    assert "${" not in manager
    assert new_secret() != secret
    assert {"asterisk.conf", "modules.conf", "logger.conf", "rtp.conf"} <= files.keys()


def test_no_fixed_password_in_the_base_config() -> None:
    directory = REPOSITORY / "asterisk_conf"
    for path in directory.iterdir():
        for line in path.read_text().splitlines():
            if line.strip().startswith("secret"):
                assert "${ami_secret}" in line, f"{path.name}: {line}"


@pytest.mark.parametrize("name", [
    "manager.conf",        # made per run: it carries the secret
    "../etc/passwd.conf",  # never outside the config directory
    "pjsip.txt",           # Asterisk reads *.conf
])
def test_generated_file_names_are_checked(name: str) -> None:
    with pytest.raises(HarnessError):
        merge_config({}, {name: ""})


def test_a_bound_port_is_named_with_the_fix() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with pytest.raises(HarnessError, match=f"SIP port 127.0.0.1:{port}/udp is already in "
                                               "use.*cutover asterisk down"):
            check_ports_free("127.0.0.1", port, 1)  # SIP is checked first


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


def test_rootfs_marker_decides_completeness(tmp_path: Path) -> None:
    assert read_marker(tmp_path) is None                     # an interrupted build: no marker
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/asterisk").touch()
    (tmp_path / MARKER).write_text(json.dumps({"format": 0}))
    assert read_marker(tmp_path) is None                     # an older format: rebuilt
    (tmp_path / MARKER).write_text(json.dumps({"format": 1, "packages": {"asterisk": "22"}}))
    found = read_marker(tmp_path)
    assert found is not None and found.packages == {"asterisk": "22"}


def test_an_asterisk_that_exits_while_booting_is_reported_with_its_output() -> None:
    with pytest.raises(HarnessError, match="exited before it was ready.*\nchroot: not found"):
        wait_ready("127.0.0.1", 1, "u", "s", is_alive=lambda: False,
                   output=lambda: "chroot: not found", timeout=1.0)

"""A real Asterisk 22 from the cached rootfs: boots, answers AMI and SIP, survives nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.errors import HarnessError
from sip_harness.asterisk import backends
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.backends import RootfsBackend

# Fixtures from conftest.py: live_asterisk (the session's Asterisk, a LiveAsterisk),
# sip_invite (a tiny UDP SIP client), stand_in (the stand-in config files).
Invite = Callable[..., int]


def test_boots_and_answers_ami(live_asterisk: Any) -> None:
    running = live_asterisk.running
    assert running.ready_seconds < 5.0
    with running.ami() as ami:
        assert "22." in ami.command("core show version")
        modules = ami.command("module show like voicemail")
        assert "app_voicemail.so" in modules and "odbc" not in modules
    state = asterisk.status(state_file=live_asterisk.state_file)
    assert state.running and state.sip == "127.0.0.1:5060" and state.ami == "127.0.0.1:5038"


def test_cached_rootfs_is_not_written(live_asterisk: Any) -> None:
    rootfs = Path(live_asterisk.running.rootfs or "")
    assert not (rootfs / "var/lib/asterisk/astdb.sqlite3").exists()
    assert not (rootfs / "etc/asterisk/manager.conf").read_text().count(
        live_asterisk.running.ami_secret)


def test_unknown_extension_gets_404(live_asterisk: Any, sip_invite: Invite) -> None:
    assert sip_invite("+441632999999") == 404


def test_playback_extension_gets_200(live_asterisk: Any, sip_invite: Invite) -> None:
    assert sip_invite("100") == 200


def test_sipp_call_is_answered(live_asterisk: Any, sipp: str) -> None:
    proc = subprocess.run([sipp, "-sn", "uac", "-s", "100", "-i", "127.0.1.3", "-p", "5072",
                           "127.0.0.1:5060", "-m", "1", "-timeout", "10s", "-timeout_error",
                           "-nostdin"], capture_output=True, text=True, timeout=20,
                          cwd=live_asterisk.state_dir.parent, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_astdb_round_trip(live_asterisk: Any) -> None:
    with live_asterisk.running.ami() as ami:
        ami.set_db("cutover-ported", "+441632960001", "callagenix")
        assert ami.db_get("cutover-ported", "+441632960001") == "callagenix"
        ami.set_db("cutover-ported", "+441632960001", None)
        assert ami.db_get("cutover-ported", "+441632960001") is None


def test_apply_reloads_the_dialplan_live(live_asterisk: Any, sip_invite: Invite,
                                         stand_in: dict[str, str]) -> None:
    running = live_asterisk.running
    files = {"extensions.conf": "[from-tester]\nexten => 100,1,Answer()\n same => n,"
             "Playback(hello-world)\n same => n,Hangup()\nexten => 101,1,Answer()\n"
             " same => n,Hangup()\n"}
    assert sip_invite("101") == 404
    try:
        assert asterisk.apply_config(running, files) == ["dialplan reload"]
        assert sip_invite("101") == 200
        assert asterisk.apply_config(running, files) == []  # unchanged: nothing reloaded
    finally:
        asterisk.apply_config(running, {"extensions.conf": stand_in["extensions.conf"]})


def test_a_killed_asterisk_is_detected_and_cleaned_up(live_asterisk: Any) -> None:
    running = live_asterisk.running
    pid = running.asterisk_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while asterisk.status(state_file=live_asterisk.state_file).running:
        assert time.monotonic() < deadline, "the crash was not noticed within 5 s"
        time.sleep(0.05)
    with pytest.raises(HarnessError, match="cutover asterisk down"):
        asterisk.require_running(state_file=live_asterisk.state_file)
    with pytest.raises(HarnessError):
        running.ami(timeout=2.0)
    report = live_asterisk.stop()
    assert report is not None and report.crashed
    assert not Path(running.run_dir or "").exists()
    assert not Path(f"/proc/{running.pid}").exists()
    live_asterisk.start()  # later tests (and other modules) keep their Asterisk


def test_a_second_start_on_the_same_ports_is_refused(live_asterisk: Any) -> None:
    other = RootfsBackend(state_dir=live_asterisk.state_dir / "second")
    with pytest.raises(HarnessError, match="port 127.0.0.1:5060/udp is already in use"):
        other.start({})


def test_an_interrupted_start_leaves_nothing_behind(live_asterisk: Any, stand_in: dict[str, str],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    # Other ports, so the session's Asterisk keeps running alongside.
    files = {**stand_in, "pjsip.conf": stand_in["pjsip.conf"].replace(":5060", ":15060")}
    seen: list[int] = []

    def interrupted(*args: object, is_alive: Callable[[], bool], **kwargs: object) -> float:
        assert is_alive()
        seen.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(backends, "wait_ready", interrupted)
    backend = RootfsBackend(state_dir=tmp_path, sip_port=15060, ami_port=15038)
    with pytest.raises(KeyboardInterrupt):
        backend.start(files)
    assert seen and list(tmp_path.iterdir()) == []
    with socket.socket() as probe:  # nothing listens on its AMI port any more
        assert probe.connect_ex(("127.0.0.1", 15038)) != 0, subprocess.run(
            "ss -ltnp; ps -ef | grep -E \"aster|unshare\"", shell=True, capture_output=True,
            text=True).stdout


def test_name_lookups_stay_on_loopback(live_asterisk: Any) -> None:
    # The rootfs inherited the build host's resolv.conf (a nameserver off loopback); inside
    # the run every lookup must be answered on this machine.
    pid = live_asterisk.running.asterisk_pid()
    root = Path(f"/proc/{pid}/root")
    assert (root / "etc/resolv.conf").read_text().startswith("nameserver 127.0.0.1")
    assert socket.gethostname() in (root / "etc/hosts").read_text()

"""Issue 4's acceptance: `cutover verify` proves routing, caller ID and voicemail with real calls.

Runs against the session's Asterisk (moved to each scenario and back to the stand-in config
afterwards); calls are placed and answered by pjsua2 agents in worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main
from sip_harness.asterisk import runner as asterisk

from .conftest import records

ROOT = Path(__file__).resolve().parents[2]
UK = str(ROOT / "scenarios" / "uk_gnp_weekend.yaml")
NGN = str(ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml")
BROKEN = str(ROOT / "scenarios" / "uk_gnp_misconfigured.yaml")

def test_uk_gnp_weekend_passes_before_and_after_cutover(
        verify_state: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", UK, "--json", str(tmp_path / "r.jsonl"),
                 "--junit", str(tmp_path / "r.xml")])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = records(tmp_path / "r.jsonl")
    assert {r["checkpoint"] for r in rows} == {"before", "after_cutover"}
    assert not [r for r in rows if r["passed"] is False]
    got = {(r["checkpoint"], r["number"], r["check"]): r for r in rows}
    # before: the number still reaches bt; the phone presents its own number (no temporary)
    assert got[("before", "+441632960001", "not_ported")]["observed"] == "bt"
    # after the port: the customer's phone answers; voicemail left and retrieved
    inbound = got[("after_cutover", "+441632960001", "inbound")]
    assert inbound["evidence"]["serving"] == "callagenix"
    assert inbound["evidence"]["path"] == "vodafone,bt,callagenix"
    mail = got[("after_cutover", "+441632960001", "voicemail")]
    assert mail["passed"] is True, mail
    assert mail["evidence"]["after_deposit"]["new"] == mail["evidence"]["before"]["new"] + 1
    assert int(mail["evidence"]["envelope"]["duration"]) >= 1
    # the retrieving phone heard the message itself, and Asterisk played it to the end
    assert mail["evidence"]["played_seconds"] >= int(mail["evidence"]["envelope"]["duration"]) - 1
    log = Path(verify_state.running.run_dir) / "log" / "messages"
    assert "Playback of message" not in log.read_text(errors="replace")
    assert got[("after_cutover", "+441632960001", "outbound_callerid")]["observed"] == \
        "+441632960001"
    assert [r["observed"] for r in rows if r["check"] == "unallocated"] == ["404 Not Found"] * 2
    suites = ET.parse(tmp_path / "r.xml").getroot().findall("testsuite")
    assert [s.get("failures") for s in suites] == ["0", "0"]
    assert sum(int(s.get("tests") or 0) for s in suites) == len(rows)

pytestmark = pytest.mark.usefixtures("pjsua2")


def test_ngn_rollback_passes_at_every_checkpoint(verify_state: Any, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", NGN, "--json", str(tmp_path / "r.jsonl")])
    assert code == 0, capsys.readouterr().out
    rows = records(tmp_path / "r.jsonl")
    assert [r["checkpoint"] for r in rows if r["check"] == "unallocated"] == [
        "before", "after_rollback", "after_cutover"]
    rollback = [r for r in rows if r["check"] == "rollback"]
    assert len(rollback) == 1 and rollback[0]["passed"] is True
    assert rollback[0]["observed"] == "cw, presents +448081570123"


def test_the_misconfigured_number_fails_naming_what_was_expected(
        verify_state: Any, tmp_path: Path) -> None:
    # a real subprocess: the exit code and the output a CI job sees
    proc = subprocess.run([sys.executable, "-m", "cutover", "verify", BROKEN,
                           "--checkpoint", "after_cutover"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "160"}, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1, proc.stdout
    for words in ("+441632960002", "after_cutover", "expected callagenix", "arrived at bt"):
        assert words in fails[0]


def test_asterisk_killed_mid_suite_gives_exit_3(verify_state: Any,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    running = asterisk.require_running(state_file=verify_state.state_file)
    pid = running.asterisk_pid()
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.update(code=main(
        ["verify", UK, "--checkpoint", "after_cutover"])))
    thread.start()
    time.sleep(4.0)  # inside the suite: the voicemail call is ringing
    assert pid is not None and pid > 1, f"no Asterisk pid to kill: {pid!r}"
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=30)
    assert not thread.is_alive(), "verify hung after Asterisk died"
    assert result["code"] == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Asterisk" in err[0], err
    assert [p for p in multiprocessing.active_children() if "forkserver" not in (p.name or "")
            ] == []
    asterisk.down(state_file=verify_state.state_file)
    verify_state.start()  # the session's Asterisk again, for the tests after this one

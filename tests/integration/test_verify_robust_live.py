"""Issue 11's item 3, live: a verify on a busy machine, and one interrupted with SIGINT.

Against the session's Asterisk (``verify_state``), with real pjsua2 calls. Every wait here is
bounded (a subprocess timeout, a deadline for the first result); nothing asserts on time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import records
from .signals import ctrl_c_as_a_terminal_sends_it, ctrl_c_once

ROOT = Path(__file__).resolve().parents[2]
UK = ROOT / "scenarios" / "uk_gnp_weekend.yaml"
RUN_LIMIT = 600  # seconds any one verify subprocess may take before the test gives up on it

pytestmark = pytest.mark.usefixtures("pjsua2")


def verify_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cutover", "verify", *args]


@pytest.fixture
def cpu_hogs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two CPU-bound processes keeping both cores busy while the test runs."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait(timeout=10)


def test_a_verify_on_a_machine_kept_busy_by_two_cpu_hogs_gets_every_check_right(
        verify_state: Any, tmp_path: Path, cpu_hogs: list[subprocess.Popen[bytes]]) -> None:
    proc = subprocess.run(verify_command(str(UK), "--json", str(tmp_path / "r.jsonl")),
                          capture_output=True, text=True, timeout=RUN_LIMIT, check=False,
                          env={**os.environ, "COLUMNS": "160"})
    assert all(hog.poll() is None for hog in cpu_hogs), "a hog stopped during the run"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = records(tmp_path / "r.jsonl")
    assert {r["checkpoint"] for r in rows} == {"before", "after_cutover"}
    assert [r for r in rows if r["passed"] is False] == []
    # the answered call had two-way audio, and the voicemail was left and played back
    got = {(r["checkpoint"], r["number"], r["check"]): r for r in rows}
    assert got[("after_cutover", "+441632960001", "audio")]["passed"] is True
    assert got[("after_cutover", "+441632960001", "voicemail")]["passed"] is True


def test_a_verify_interrupted_with_sigint_leaves_valid_partial_files_and_nothing_behind(
        verify_state: Any, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    jsonl, junit = tmp_path / "r.jsonl", tmp_path / "r.xml"
    proc = subprocess.Popen(verify_command(str(UK), "--json", str(jsonl), "--junit", str(junit)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp)},
                            preexec_fn=ctrl_c_as_a_terminal_sends_it)
    # Ctrl-C as soon as the first result is written
    out, err = ctrl_c_once(proc, lambda: jsonl.exists() and bool(jsonl.read_text().strip()),
                           RUN_LIMIT)
    assert proc.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == "cutover: interrupted"
    rows = records(jsonl)  # every line a whole record
    assert rows and all(r["checkpoint"] in ("before", "after_cutover") for r in rows)
    cases = list(ET.parse(junit).getroot().iter("testcase"))  # a whole, closed document
    assert len(cases) == len(rows)
    assert {c.get("name") for c in cases} == {f"{r['number']} {r['check']}" for r in rows}
    assert len(rows) < 21  # a full run has 21 records: it was interrupted mid-suite
    assert list(tmp.iterdir()) == []  # no cutover-agents-* or cutover-verify-* left


def test_a_one_way_audio_fault_fails_exactly_that_numbers_audio_check(
        verify_state: Any, tmp_path: Path) -> None:
    """Issue 11.4: the fault mutes one phone towards its callers (MUTEAUDIO(out) in the config)."""
    text = UK.read_text()
    for old, new in (("name: uk_gnp_weekend", "name: uk_gnp_one_way_audio"),
                     ("    voicemail:\n", '    extensions: ["01632 960002"]\n    voicemail:\n'),
                     ("    requested_date: 2026-11-28T00:00:00",
                      '    faults: [{kind: one_way_audio, number: "01632 960002"}]\n'
                      "    requested_date: 2026-11-28T00:00:00")):
        assert old in text
        text = text.replace(old, new, 1)
    scenario = tmp_path / "one_way.yaml"
    scenario.write_text(text)
    proc = subprocess.run(verify_command(str(scenario), "--json", str(tmp_path / "r.jsonl")),
                          capture_output=True, text=True, timeout=RUN_LIMIT, check=False,
                          env={**os.environ, "COLUMNS": "160"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = records(tmp_path / "r.jsonl")
    failed = [(r["checkpoint"], r["number"], r["check"]) for r in rows if r["passed"] is False]
    assert failed == [("after_cutover", "+441632960002", "audio")]
    [audio] = [r for r in rows if r["passed"] is False]
    # one direction only: the phone heard the caller, the caller heard nothing from the phone
    assert re.fullmatch(r"\+441632960002 at after_cutover: no audio from \+441632960002's "
                        r"phone to the caller \+\d+", audio["reason"]), audio["reason"]
    assert audio["observed"] == "one-way"
    assert audio["evidence"]["phone_heard_s"] >= 0.5
    # the same call reached the phone (routing right), and the other phone's audio is two-way
    got = {(r["checkpoint"], r["number"], r["check"]): r for r in rows}
    assert got[("after_cutover", "+441632960002", "inbound")]["passed"] is True
    assert got[("after_cutover", "+441632960001", "audio")]["passed"] is True
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and "no audio from +441632960002's phone" in fails[0], proc.stdout

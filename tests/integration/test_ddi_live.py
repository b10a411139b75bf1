"""Issue 11's acceptance: a customer's DDI blocks land on its PBX trunk, checked in bulk by SIPp.

uk_ddi_pbx: two DDI blocks (1,100 numbers) and three extensions with voicemail, ported from BT
to Callagenix. Every DDI number gets a real inbound call (arriving at the PBX trunk with the
number in the Request-URI and To, the caller in From) and a real outbound call from the PBX
(presenting the ported number in From and P-Asserted-Identity) at both checkpoints; the
extensions are pjsua2 phones with mailboxes. The same scenario with one DDI number left on the
old trunk fails exactly that number.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main

from .conftest import records
from .signals import ctrl_c_as_a_terminal_sends_it, ctrl_c_once

ROOT = Path(__file__).resolve().parents[2]
DDI = ROOT / "scenarios" / "uk_ddi_pbx.yaml"
EXTENSIONS = ("+441632960100", "+441632960101", "+441632960102")
WRONG = "+441632962345"  # in the second block
RUN_LIMIT = 600  # seconds a verify subprocess may take before the test gives up on it

pytestmark = pytest.mark.usefixtures("pjsua2", "sipp")


def test_two_ddi_blocks_and_three_extensions_pass_before_and_after_cutover(
        verify_state: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(DDI), "--json", str(tmp_path / "r.jsonl")])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    rows = records(tmp_path / "r.jsonl")
    assert not [r for r in rows if r["passed"] is False]
    counts = Counter((r["checkpoint"], r["check"]) for r in rows)
    for checkpoint in ("before", "after_cutover"):
        assert counts[(checkpoint, "inbound")] == counts[(checkpoint, "outbound_callerid")] \
            == 1103
    got = {(r["checkpoint"], r["number"], r["check"]): r for r in rows}
    # a DDI number: at the PBX trunk after the port, the number in Request-URI and To (SIPp)
    ddi = got[("after_cutover", "+441632961499", "inbound")]
    assert ddi["observed"] == "callagenix (customer's PBX)"
    assert ddi["evidence"]["engine"] == "sipp"
    assert ddi["evidence"]["r_uri"].startswith("sip:+441632961499@127.1.0.1")
    assert ddi["evidence"]["to"].startswith("<sip:+441632961499@")
    # ... and before it, at BT's trunk
    assert got[("before", "+441632962000", "not_ported")]["observed"] == "bt"
    out_ddi = got[("after_cutover", "+441632962599", "outbound_callerid")]
    assert out_ddi["observed"] == "+441632962599"
    assert out_ddi["evidence"]["pai"].startswith("<sip:+441632962599@")
    # the extensions: pjsua2 phones, voicemail left and retrieved after the port
    for number in EXTENSIONS:
        assert got[("after_cutover", number, "inbound")]["observed"] == \
            "callagenix (customer's phone)"
        assert got[("after_cutover", number, "voicemail")]["passed"] is True
    assert not [r for r in rows if r["check"] == "voicemail" and r["number"] not in EXTENSIONS]
    # the table: a block is one row with its count (COLUMNS is pytest's terminal width)
    assert "+44 1632 961000-961499" in out and "+44 1632 962000-962599" in out


def test_one_misconfigured_ddi_number_fails_exactly_that_number(
        verify_state: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DDI.read_text()
    anchor = "    requested_date: 2026-11-28T00:00:00   # Saturday midnight\n"
    assert anchor in text
    broken = tmp_path / "uk_ddi_pbx_misconfigured.yaml"
    broken.write_text(text.replace(anchor, anchor + "    faults:\n      - {kind: misconfigure, "
                                   'number: "01632 962345"}\n'))
    code = main(["verify", str(broken), "--checkpoint", "after_cutover",
                 "--json", str(tmp_path / "r.jsonl")])
    out = capsys.readouterr().out
    assert code == 1, out[-3000:]
    failed = [r for r in records(tmp_path / "r.jsonl") if r["passed"] is False]
    assert [(r["number"], r["check"]) for r in failed] == [(WRONG, "inbound")]
    assert failed[0]["observed"] == "bt"
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and WRONG in fails[0] and "arrived at bt" in fails[0]


def test_an_interrupted_ddi_verify_keeps_every_call_done_up_to_the_ctrl_c(
        verify_state: Any, tmp_path: Path) -> None:
    """The DDI numbers' results are written call by call, not when a SIPp run ends: a Ctrl-C
    soon after the first one leaves some of the block's records, whole files, nothing behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    jsonl, junit = tmp_path / "r.jsonl", tmp_path / "r.xml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cutover", "verify", str(DDI), "--checkpoint", "after_cutover",
         "--json", str(jsonl), "--junit", str(junit)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(tmp)}, preexec_fn=ctrl_c_as_a_terminal_sends_it)
    # Ctrl-C as soon as the first DDI number's result is written
    out, err = ctrl_c_once(proc, lambda: '"engine": "sipp"' in (
        jsonl.read_text() if jsonl.exists() else ""), RUN_LIMIT)
    assert proc.returncode == 130, out + err
    rows = records(jsonl)  # every line a whole record
    ddi = [r for r in rows if r["evidence"].get("engine") == "sipp"]
    # some of the 1,100 DDI numbers' inbound and outbound checks, not all: written as each
    # number's calls ended (a run handing results on per SIPp run would have none or all)
    assert 0 < len(ddi) < 2 * 1100, len(ddi)
    assert all(r["checkpoint"] == "after_cutover" for r in ddi)
    cases = list(ET.parse(junit).getroot().iter("testcase"))  # a whole, closed document
    assert len(cases) == len(rows)
    assert list(tmp.iterdir()) == []  # no cutover-sipp-* or cutover-agents-* left

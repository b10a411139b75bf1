"""sip_harness.agents.sipp_caller: the generated scenario and the reading of SIPp's call log."""

from __future__ import annotations

import stat
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sip_harness.agents import sipp_caller
from sip_harness.agents.sipp_caller import FINALS, CallLog, CallOutcome, place_calls, scenario_xml


def test_the_scenario_is_xml_tagging_each_invite_and_logging_every_final() -> None:
    root = ET.fromstring(scenario_xml().split("\n", 2)[2])
    sends = [e.text or "" for e in root.iter("send")]
    assert "X-Cutover-Call: [field0]" in sends[0] and sends[0].lstrip().startswith("INVITE")
    logged = [e.get("response") for e in root.iter("recv") if e.find("action") is not None]
    assert logged == [str(c) for c in FINALS]
    # the ACK of a non-2xx final answer reuses the INVITE's branch (same transaction)
    steps = [e for e in root if e.tag != "label"]
    ack = next(i for i, e in enumerate(steps) if e.tag == "send" and "branch=[branch-" in
               (e.text or ""))
    offset = int((steps[ack].text or "").split("[branch-")[1].split("]")[0])
    assert (steps[ack - offset].text or "").lstrip().startswith("INVITE")


def test_the_log_gives_each_call_its_status_setup_time_and_the_peak_in_flight() -> None:
    outcomes = {t: CallOutcome(t) for t in ("a", "b", "c")}
    log = CallLog(outcomes)
    finals = log.feed("S;a;100\nS;b;101\nF;a;486;104\nS;c;105\n")
    finals += log.feed("F;b;404;106\nF;c;486;107\nS;zz;1\n")
    assert [o.tag for o in finals] == ["a", "b", "c"]
    assert log.most_in_flight() == 2
    assert (outcomes["a"].status, outcomes["a"].setup_ms) == (486, 4.0)
    assert outcomes["b"].status == 404 and outcomes["c"].setup_ms == 2.0


def test_a_row_that_would_break_the_injection_file_is_refused() -> None:
    with pytest.raises(ValueError, match="injection row"):
        place_calls([("t;1", "+441632960001", "+447700900001")], source="127.0.0.1",
                    target=("127.0.0.1", 5060), rate=1, limit=1, sipp="/bin/true")


FAKE_SIPP = """#!{python}
# Plays SIPp for place_calls: reads -log_file and -inf, logs the calls as SIPp's scenario does.
import os, sys, time
args = sys.argv
log = args[args.index("-log_file") + 1]
rows = [r.split(";") for r in open(args[args.index("-inf") + 1]).read().split()[1:]]
mode = os.environ["FAKE_SIPP_MODE"]
with open(log, "w") as out:
    out.write(f"S;{{rows[0][0]}};1\\nF;{{rows[0][0]}};486;2\\n")
    out.flush()
    if mode == "hang":
        time.sleep(30)
    go = os.environ["FAKE_SIPP_GO"]
    for _ in range(100):  # up to 5 s for the first call to be handed on
        if os.path.exists(go):
            break
        time.sleep(0.05)
    status = 200 if os.path.exists(go) else 500
    out.write(f"S;{{rows[1][0]}};3\\nF;{{rows[1][0]}};{{status}};4\\n")
"""


def fake_sipp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> tuple[str, Path]:
    binary = tmp_path / "sipp"
    binary.write_text(FAKE_SIPP.format(python=sys.executable))
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    go = tmp_path / "go"
    monkeypatch.setenv("FAKE_SIPP_MODE", mode)
    monkeypatch.setenv("FAKE_SIPP_GO", str(go))
    return str(binary), go


ROWS = [("t1", "+441632960001", "+447700900001"), ("t2", "+441632960002", "+447700900002")]


def test_each_call_is_handed_on_while_sipp_still_runs(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    binary, go = fake_sipp(tmp_path, monkeypatch, "wait")
    handed: list[str] = []

    def final(outcome: CallOutcome) -> None:
        handed.append(outcome.tag)
        go.touch()  # the fake logs its second call only once the first one was handed on

    calls = place_calls(ROWS, source="127.0.0.1", target=("127.0.0.1", 5060), rate=10,
                        limit=2, sipp=binary, workdir=tmp_path / "w", on_final=final)
    assert handed == ["t1", "t2"]
    assert calls.outcomes["t2"].status == 200  # 500: t1 was read only after SIPp ended
    assert not calls.stopped


def test_a_stop_ends_the_run_at_once_keeping_the_calls_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary, _ = fake_sipp(tmp_path, monkeypatch, "hang")
    stop = threading.Event()
    calls = place_calls(ROWS, source="127.0.0.1", target=("127.0.0.1", 5060), rate=10,
                        limit=2, sipp=binary, workdir=tmp_path / "w",
                        on_final=lambda o: stop.set(), stop=stop)
    assert calls.stopped and "interrupted" in calls.errors_tail
    assert (calls.outcomes["t1"].status, calls.outcomes["t2"].status) == (486, None)


def test_a_sipp_that_logs_nothing_for_too_long_is_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary, _ = fake_sipp(tmp_path, monkeypatch, "hang")
    monkeypatch.setattr(sipp_caller, "STALL_GRACE", 0.2)
    monkeypatch.setattr(sipp_caller, "patience", lambda seconds: seconds)
    calls = place_calls(ROWS, source="127.0.0.1", target=("127.0.0.1", 5060), rate=10,
                        limit=2, sipp=binary, workdir=tmp_path / "w", answer_timeout_s=0.1)
    # (whether the fake got its first call logged in time depends on how busy the machine is)
    assert calls.stopped and "logged nothing for 0.3 s" in calls.errors_tail
    assert calls.outcomes["t2"].status is None

"""sip_harness.agents.sipp_caller: the generated scenario and the reading of SIPp's call log."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sip_harness.agents.sipp_caller import FINALS, CallOutcome, _read_log, place_calls, scenario_xml


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
    log = "S;a;100\nS;b;101\nF;a;486;104\nS;c;105\nF;b;404;106\nF;c;486;107\nS;zz;1\n"
    assert _read_log(log, outcomes) == 2
    assert (outcomes["a"].status, outcomes["a"].setup_ms) == (486, 4.0)
    assert outcomes["b"].status == 404 and outcomes["c"].setup_ms == 2.0


def test_a_row_that_would_break_the_injection_file_is_refused() -> None:
    with pytest.raises(ValueError, match="injection row"):
        place_calls([("t;1", "+441632960001", "+447700900001")], source="127.0.0.1",
                    target=("127.0.0.1", 5060), rate=1, limit=1, sipp="/bin/true")

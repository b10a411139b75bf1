"""Tests for sip_harness.verify.ladder: a check's SIP evidence as lanes and arrows."""

from __future__ import annotations

from typing import Any

from sip_harness.verify.ladder import ladder, messages_of

ARRIVED = {"checkpoint": "after_cutover", "number": "+441632960002", "check": "inbound",
           "passed": False, "evidence": {
               "arrived_at": "bt", "from": "<sip:+447700900571@127.0.0.1>;tag=x",
               "pai": "<sip:+447700900571@127.0.0.1>", "path": "vodafone,bt",
               "r_uri": "sip:+441632960002@127.0.1.1:5060", "serving": "bt", "status": 486}}


def test_an_arrived_call_is_four_messages_through_the_network() -> None:
    lanes, messages, _ = messages_of(ARRIVED)
    assert [name for name, _ in lanes] == ["vodafone", "Asterisk", "bt"]
    assert [(m.source, m.target, m.label) for m in messages] == [
        ("vodafone", "Asterisk", "INVITE sip:+441632960002"),
        ("Asterisk", "bt", "INVITE"),
        ("bt", "Asterisk", "486 Busy Here"),
        ("Asterisk", "vodafone", "486 Busy Here")]
    assert "X-Cutover-Path: vodafone,bt" in messages[1].detail
    assert messages[1].failed  # the INVITE went to the wrong place


def test_a_call_that_arrived_nowhere_is_the_invite_and_the_answer() -> None:
    record = {"check": "unallocated", "number": "+440001000000", "passed": True,
              "evidence": {"status": 404}}
    lanes, messages, note = messages_of(record)
    assert [m.label for m in messages] == ["INVITE sip:+440001000000", "404 Not Found"]
    assert len(lanes) == 2 and "nowhere" in note


def test_outbound_caller_id_starts_at_the_customers_phone() -> None:
    record: dict[str, Any] = {**ARRIVED, "check": "outbound_callerid", "passed": True}
    lanes, _, _ = messages_of(record)
    assert lanes[0] == ("+441632960002", "the customer's phone")


def test_recorded_messages_are_drawn_as_they_are() -> None:
    record = {"evidence": {"messages": [
        {"from": "a", "to": "b", "label": "INVITE"}, {"from": "b", "to": "a", "label": "200 OK",
                                                      "detail": ["Contact: <sip:b>"]}]}}
    drawn = ladder(record)
    assert drawn is not None and [lane.name for lane in drawn.lanes] == ["a", "b"]
    assert [a["right"] for a in drawn.arrows] == [True, False]
    assert drawn.arrows[1]["detail"] == ["Contact: <sip:b>"]


def test_no_evidence_no_ladder() -> None:
    assert ladder({"check": "voicemail", "evidence": {}}) is None
    drawn = ladder(ARRIVED)
    assert drawn is not None and drawn.height > drawn.arrows[-1]["y"]

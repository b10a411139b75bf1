"""A check's SIP evidence as a ladder diagram: lanes (the parties), arrows (the messages).

The evidence of a call check records the INVITE as it arrived (Request-URI, From, To,
P-Asserted-Identity, the X-Cutover-Path and -Serving headers) and the final status the caller
got. The ladder draws those: the caller's INVITE into Asterisk (the network, along the path),
Asterisk's INVITE to where the call arrived, and the final answer back to the caller. Evidence
that lists its own ``messages`` (``from``, ``to``, ``label``, optional ``detail``) is drawn
as it is. Pure: :func:`ladder` returns the geometry the template draws as SVG.
"""

from __future__ import annotations

__all__ = ["Lane", "Message", "Ladder", "messages_of", "ladder", "REASON_PHRASES"]

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Reason phrases of the statuses a check sees (RFC 3261 section 21).
REASON_PHRASES = {100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK",
                  302: "Moved Temporarily", 400: "Bad Request", 403: "Forbidden",
                  404: "Not Found", 408: "Request Timeout", 480: "Temporarily Unavailable",
                  484: "Address Incomplete", 486: "Busy Here", 487: "Request Terminated",
                  488: "Not Acceptable Here", 500: "Server Internal Error",
                  503: "Service Unavailable", 603: "Decline"}
NETWORK = "Asterisk"
LANE_GAP = 230
ROW = 58
TOP = 46


@dataclass(frozen=True)
class Lane:
    name: str
    caption: str
    x: float


@dataclass(frozen=True)
class Message:
    """One arrow: from lane ``source`` to lane ``target``, a label and detail lines."""

    source: str
    target: str
    label: str
    detail: tuple[str, ...] = ()
    failed: bool = False


@dataclass(frozen=True)
class Ladder:
    lanes: list[Lane]
    arrows: list[dict[str, Any]] = field(default_factory=list)
    width: float = 0
    height: float = 0
    note: str = ""


def _user(uri: str | None) -> str:
    """The user part of a SIP URI or a name-addr (``<sip:+44...@host>;tag=x`` -> ``+44...``)."""
    if not uri:
        return ""
    text = uri.split("<", 1)[-1].split(">", 1)[0]
    text = text.split(":", 1)[1] if ":" in text else text
    return text.split("@", 1)[0].split(";", 1)[0]


def _status(code: Any) -> str:
    if isinstance(code, int) or (isinstance(code, str) and code.isdigit()):
        value = int(code)
        return f"{value} {REASON_PHRASES.get(value, '')}".strip()
    return "no final answer" if code in (None, "") else str(code)


def messages_of(record: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[Message], str]:
    """The lanes ``(name, caption)``, the messages and a note for one record's evidence."""
    evidence = record.get("evidence") or {}
    listed = evidence.get("messages")
    if isinstance(listed, list) and listed:
        names: list[str] = []
        out = []
        for m in listed:
            for end in (str(m.get("from", "?")), str(m.get("to", "?"))):
                if end not in names:
                    names.append(end)
            detail = m.get("detail") or ()
            out.append(Message(str(m.get("from", "?")), str(m.get("to", "?")),
                               str(m.get("label", "")),
                               tuple(detail) if isinstance(detail, list | tuple) else
                               (str(detail),)))
        return [(n, "") for n in names], out, "the messages as recorded"
    path = [p for p in str(evidence.get("path") or "").split(",") if p]
    check = str(record.get("check", ""))
    number = str(record.get("number", ""))
    if check == "outbound_callerid":
        caller, caller_caption = number, "the customer's phone"
    else:
        caller = path[0] if path else "caller"
        caller_caption = "the calling carrier"
    lanes = [(caller, caller_caption), (NETWORK, "the network: " + (" \u2192 ".join(path) if path
                                                                    else "routing"))]
    arrived = evidence.get("arrived_at")
    called = _user(evidence.get("r_uri")) or number
    status = evidence.get("status")
    answer = _status(status)
    failed = record.get("passed") is False
    out = [Message(caller, NETWORK, f"INVITE sip:{called}",
                   (f"From {_user(evidence.get('from'))}",) if evidence.get("from") else ())]
    if arrived:
        target = str(arrived)
        lanes.append((target, "where the call arrived"))
        detail = [f"R-URI {evidence.get('r_uri')}"]
        for key, name in (("from", "From"), ("pai", "P-Asserted-Identity"), ("to", "To")):
            if evidence.get(key):
                detail.append(f"{name}: {evidence[key]}")
        if evidence.get("path"):
            detail.append(f"X-Cutover-Path: {evidence['path']}")
        if evidence.get("serving"):
            detail.append(f"X-Cutover-Serving: {evidence['serving']}")
        out.append(Message(NETWORK, target, "INVITE", tuple(detail), failed))
        out.append(Message(target, NETWORK, answer))
    out.append(Message(NETWORK, caller, answer, failed=failed and not arrived))
    note = ("the INVITE as it arrived and the final answer the caller got, from the check's "
            "evidence" if arrived else "the call arrived nowhere: the caller's INVITE and "
            "the answer it got")
    return lanes, out, note


def ladder(record: Mapping[str, Any]) -> Ladder | None:
    """The ladder of one record, or None when its evidence holds no call."""
    evidence = record.get("evidence") or {}
    if not evidence or not (evidence.get("messages") or "status" in evidence
                            or evidence.get("r_uri")):
        return None
    named, messages, note = messages_of(record)
    lanes = [Lane(n, c, 90 + i * LANE_GAP) for i, (n, c) in enumerate(named)]
    x = {lane.name: lane.x for lane in lanes}
    arrows = []
    y = TOP + 20
    for m in messages:
        x1, x2 = x[m.source], x[m.target]
        arrows.append({"x1": x1, "x2": x2, "y": y, "label": m.label, "failed": m.failed,
                       "right": x2 > x1, "detail": list(m.detail),
                       "tx": min(x1, x2) + 6})
        y += ROW + 13 * max(len(m.detail) - 1, 0)
    return Ladder(lanes, arrows, width=lanes[-1].x + 150 + 120, height=y + 4, note=note)


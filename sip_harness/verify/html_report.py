"""The verification as one self-contained HTML page: failures first, a matrix per checkpoint.

Takes the results records (the dicts of the JSON lines, or :class:`CheckResult` objects), so a
page can be made during a run, after it, or from a ``--json`` file. Every failure is listed
first with its expected and observed values, the routing core's explanation and its SIP
evidence as a ladder diagram; then per checkpoint the numbers by checks, where consecutive
numbers with the same outcome in every check are one row (10,000 numbers stay readable) and
the rows with a failure come first. Cells carry ``data-status``; totals ``data-figure``.
"""

from __future__ import annotations

__all__ = ["verify_report", "render_verify_report", "write_verify_report", "read_records",
           "explanation", "MAX_PASSING_LADDERS"]

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.report.html_page import render, write_page
from sim.report.number_groups import group_numbers
from sip_harness.verify.checks import CHECKS
from sip_harness.verify.ladder import ladder

#: Passing checks whose ladders are drawn too (in a collapsed list), at most.
MAX_PASSING_LADDERS = 60
HEADINGS = {"inbound": "inbound", "outbound_callerid": "caller ID", "voicemail": "voicemail",
            "not_ported": "not ported", "rollback": "rollback", "unallocated": "unallocated"}
_ORDER = (*CHECKS, "unallocated")


def _record(r: Any) -> dict[str, Any]:
    return dict(r) if isinstance(r, Mapping) else dict(r.as_dict())


def status(record: Mapping[str, Any]) -> str:
    """``pass``, ``fail`` or ``n/a``."""
    passed = record.get("passed")
    return "n/a" if passed is None else ("pass" if passed else "fail")


def explanation(record: Mapping[str, Any]) -> str:
    """The routing core's words in a record: its ``explanation``, or what the reason gives in
    parentheses after the expected value ("expected bt (not ported; ...)").

    >>> explanation({"expected": "bt", "reason": "+44 at x: expected bt (not ported; range "
    ...              "holder bt serves it); the call arrived at o2"})
    'not ported; range holder bt serves it'
    """
    if record.get("explanation"):
        return str(record["explanation"])
    reason, expected = str(record.get("reason", "")), str(record.get("expected", ""))
    marker = f"expected {expected} ("
    start = reason.find(marker)
    if start < 0:
        return ""
    i = start + len(marker)
    depth = 1
    for j in range(i, len(reason)):
        depth += {"(": 1, ")": -1}.get(reason[j], 0)
        if depth == 0:
            return reason[i:j]
    return ""


def _matrix(rows: list[dict[str, Any]], trunks: Mapping[str, str]) -> dict[str, Any]:
    checks = [c for c in _ORDER if any(r["check"] == c for r in rows)]
    checks += sorted({r["check"] for r in rows} - set(checks))
    by_number: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_number.setdefault(r["number"], {})[r["check"]] = r
    failing: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for number, cells in by_number.items():
        row: dict[str, Any] = {"number": number, "cells": [
            {"check": c, "status": status(cells[c]) if c in cells else "",
             "observed": cells[c].get("observed", "") if c in cells else "",
             "reason": cells[c].get("reason", "") if c in cells else "",
             "retried": bool(cells[c].get("retried")) if c in cells else False}
            for c in checks]}
        (failing if any(c["status"] == "fail" for c in row["cells"]) else rest).append(row)
    # DDI numbers on more than one PBX trunk (a customer with several sites): a row per trunk
    by_trunk = len({trunks[n] for n in by_number if n in trunks}) > 1
    for row in failing:
        row["trunk"] = trunks.get(row["number"], "")
    key = {id(row): ((trunks.get(row["number"], ""),) if by_trunk else ())
           + tuple(c["status"] for c in row["cells"]) for row in rest}
    groups = group_numbers((row["number"], key[id(row)]) for row in
                           sorted(rest, key=lambda r: r["number"]))
    grouped = [{"first": g.first, "last": g.last, "count": g.count, "label": g.label,
                "trunk": g.key[0] if by_trunk else "",
                "statuses": list(g.key[1:] if by_trunk else g.key)} for g in groups]
    counts = Counter(status(r) for r in rows)
    return {"checks": [{"check": c, "heading": HEADINGS.get(c, c)} for c in checks],
            "failing": failing, "grouped": grouped, "numbers": len(by_number),
            "by_trunk": by_trunk,
            "passed": counts["pass"], "failed": counts["fail"], "na": counts["n/a"]}


def verify_report(records: Iterable[Any], *, suite: str,
                  stats: Mapping[str, Any] | None = None,
                  trunks: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The page's content: totals, failures with ladders, a matrix per checkpoint (pure).

    ``trunks``: DDI number -> the PBX trunk it is delivered to; where they are more than one
    (a customer with several sites), the matrix has a PBX trunk column and a row never spans
    two trunks.
    """
    rows = [_record(r) for r in records]
    checkpoints = list(dict.fromkeys(r["checkpoint"] for r in rows))
    failures = []
    for r in rows:
        if r.get("passed") is False:
            failures.append({**r, "explanation": explanation(r), "ladder": ladder(r)})
    passing: list[dict[str, Any]] = []
    for r in rows:
        if len(passing) >= MAX_PASSING_LADDERS:
            break
        if r.get("passed") is True and (drawn := ladder(r)) is not None:
            passing.append({**r, "ladder": drawn})
    counts = Counter(status(r) for r in rows)
    return {
        "title": f"{suite}: verification",
        "suite": suite,
        "totals": {"passed": counts["pass"], "failed": counts["fail"], "na": counts["n/a"],
                   "checks": len(rows), "numbers": len({r["number"] for r in rows}),
                   "retried": sum(bool(r.get("retried")) for r in rows)},
        "stats": dict(stats or {}),
        "checkpoints": [{"name": c, **_matrix([r for r in rows if r["checkpoint"] == c],
                                              trunks or {})}
                        for c in checkpoints],
        "failures": failures,
        "passing": passing,
        "max_passing": MAX_PASSING_LADDERS,
    }


def render_verify_report(records: Iterable[Any], *, suite: str,
                         stats: Mapping[str, Any] | None = None,
                         trunks: Mapping[str, str] | None = None) -> str:
    """The verification's page as text: self-contained (inline CSS, JS and SVG)."""
    return render("verify.html.j2", packages=("sip_harness.verify",),
                  **verify_report(records, suite=suite, stats=stats, trunks=trunks))


def write_verify_report(path: str | Path, records: Iterable[Any], *, suite: str,
                        stats: Mapping[str, Any] | None = None,
                        trunks: Mapping[str, str] | None = None) -> Path:
    """Write the page to ``path`` whole or not at all. Raises OSError."""
    return write_page(path, render_verify_report(records, suite=suite, stats=stats,
                                                 trunks=trunks))


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``--json`` file (one JSON object per line; blank lines skipped)."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]

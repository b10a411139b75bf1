"""The results of a verification: JSON lines, JUnit XML, a table per checkpoint, one line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.numbering import display
from sim.report.number_groups import NumberGroup, group_numbers
from sip_harness.verify import checks
from sip_harness.verify.checks import CheckResult

__all__ = ["write_jsonl", "write_junit", "table", "range_label", "summary_line"]


def write_jsonl(results: Iterable[CheckResult], path: Path) -> None:
    """One JSON object per check per line."""
    with open(path, "w") as out:
        for r in results:
            out.write(json.dumps(r.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")


def write_junit(results: Sequence[CheckResult], path: Path, *, suite: str) -> None:
    """JUnit XML: one testsuite per checkpoint, one testcase per check of a number."""
    root = ET.Element("testsuites", name=suite)
    for checkpoint in dict.fromkeys(r.checkpoint for r in results):
        rows = [r for r in results if r.checkpoint == checkpoint]
        element = ET.SubElement(root, "testsuite", name=f"{suite}.{checkpoint}",
                                tests=str(len(rows)),
                                failures=str(sum(r.passed is False for r in rows)),
                                skipped=str(sum(r.passed is None for r in rows)))
        for r in rows:
            case = ET.SubElement(element, "testcase", classname=f"{suite}.{checkpoint}",
                                 name=f"{r.number} {r.check}")
            if r.passed is False:
                failure = ET.SubElement(case, "failure", message=r.reason)
                failure.text = json.dumps({"expected": r.expected, "observed": r.observed,
                                           "evidence": r.evidence}, ensure_ascii=False)
            elif r.passed is None:
                ET.SubElement(case, "skipped", message=r.reason)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def table(results: Sequence[CheckResult], checkpoint: str, *,
          trunks: Mapping[str, str] | None = None) -> Any:
    """A rich table for one checkpoint: numbers x checks, each cell pass / FAIL / n/a.

    Consecutive numbers with the same cells share one row, ``+44 1632 961000-961499`` with
    their count, so a DDI block of thousands of numbers is a line; a number whose cells differ
    (a failure) breaks its range and has a row of its own. ``trunks`` (DDI number -> the PBX
    trunk it is delivered to): where the checkpoint's numbers land on more than one (a
    customer with several sites), a "PBX trunk" column names each row's, and a range never
    spans two trunks.
    """
    from rich.table import Table

    rows = [r for r in results if r.checkpoint == checkpoint]
    names = [c for c in (*checks.CHECKS, "unallocated") if any(r.check == c for r in rows)]
    by_number: dict[str, dict[str, CheckResult]] = {}
    for r in rows:
        by_number.setdefault(r.number, {})[r.check] = r
    trunk = dict(trunks or {})
    by_trunk = len({trunk[n] for n in by_number if n in trunk}) > 1
    groups = group_numbers(
        (number, (*((trunk.get(number, ""),) if by_trunk else ()),
                  *(_cell(cells.get(n)) for n in names)))
        for number, cells in by_number.items())
    labels = [range_label(g) for g in groups]
    grid = Table(title=f"checkpoint {checkpoint}")
    grid.add_column("numbers", no_wrap=True, min_width=max(map(len, labels), default=6))
    grid.add_column("count", justify="right")
    if by_trunk:
        grid.add_column("PBX trunk", no_wrap=True)
    for name in names:
        grid.add_column(_HEADINGS.get(name, name))
    for group, label in zip(groups, labels, strict=True):
        grid.add_row(label, f"{group.count:,}", *group.key)
    return grid


def range_label(group: NumberGroup[Any]) -> str:
    """``+44 1632 961000-961499``: the first number for people, then the last one's digits
    from where they differ (at least six), as :attr:`NumberGroup.label` cuts them."""
    first = display(group.first)
    if group.count == 1:
        return first
    return f"{first}-{group.label.rpartition('-')[2]}"


_HEADINGS = {"outbound_callerid": "caller ID", "not_ported": "not ported"}


def _cell(result: CheckResult | None) -> str:
    if result is None:
        return ""
    if result.passed is None:
        return "[dim]n/a[/dim]"
    return "[green]pass[/green]" if result.passed else f"[red]FAIL[/red] {result.observed}"


def summary_line(results: Sequence[CheckResult]) -> str:
    passed = sum(r.passed is True for r in results)
    failed = sum(r.passed is False for r in results)
    skipped = sum(r.passed is None for r in results)
    return f"{passed} passed, {failed} failed, {skipped} not applicable"

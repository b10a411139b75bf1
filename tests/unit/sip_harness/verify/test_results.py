"""The verification's reports: JSON lines, JUnit XML, the table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from sip_harness.verify.checks import CheckResult
from sip_harness.verify.results import table, write_jsonl, write_junit


def results() -> list[CheckResult]:
    return [CheckResult("before", "+441632960001", "inbound", "bt", "bt", True, "ok"),
            CheckResult("after_cutover", "+441632960002", "inbound", "callagenix", "bt", False,
                        "expected callagenix; arrived at bt", {"status": 486}),
            CheckResult("after_cutover", "+441632960002", "voicemail", "n/a", "n/a", None,
                        "not applicable")]


def test_reports(tmp_path: Path) -> None:
    write_jsonl(results(), tmp_path / "r.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert set(rows[0]) == {"checkpoint", "number", "check", "expected", "observed", "passed",
                            "reason", "evidence", "retried"}
    write_junit(results(), tmp_path / "r.xml", suite="s")
    suites = ET.parse(tmp_path / "r.xml").getroot().findall("testsuite")
    assert [(x.get("tests"), x.get("failures"), x.get("skipped")) for x in suites] == [
        ("1", "0", "0"), ("2", "1", "1")]
    assert table(results(), "after_cutover").row_count == 1


def _rendered(grid: object) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(grid)
    return console.export_text()


def test_the_table_groups_consecutive_numbers_with_the_same_cells_and_breaks_at_a_failure(
        ) -> None:
    rows = []
    for i in range(1000):
        number = f"+44163296{i:04d}"
        wrong = i == 345
        rows.append(CheckResult("after_cutover", number, "inbound", "callagenix",
                                "bt" if wrong else "callagenix", not wrong, "r"))
        rows.append(CheckResult("after_cutover", number, "outbound_callerid", number, number,
                                True, "r"))
    text = _rendered(table(rows, "after_cutover"))
    lines = [line for line in text.splitlines() if "+44" in line]
    assert len(lines) == 3
    assert "+44 1632 960000-960344" in lines[0] and "345" in lines[0]
    assert "+44 1632 960345 " in lines[1] and "FAIL bt" in lines[1]
    assert "+44 1632 960346-960999" in lines[2] and "654" in lines[2]


def test_a_ddi_block_split_between_two_sites_is_a_row_per_site_trunk() -> None:
    rows = [CheckResult("after_cutover", f"+44163296{i:04d}", "inbound", "callagenix",
                        "callagenix", True, "r") for i in range(300)]
    main, depot = "pbx-acme-callagenix", "pbx-acme-depot-callagenix"
    trunks = {f"+44163296{i:04d}": main if i < 100 else depot for i in range(300)}
    lines = [line for line in _rendered(table(rows, "after_cutover", trunks=trunks)).splitlines()
             if "+44" in line or "PBX trunk" in line]
    assert "PBX trunk" in lines[0]
    assert "+44 1632 960000-960099" in lines[1] and f" {main} " in lines[1]
    assert "+44 1632 960100-960299" in lines[2] and depot in lines[2] and "200" in lines[2]
    # one trunk: no column, one row, as before
    single = _rendered(table(rows, "after_cutover", trunks=dict.fromkeys(trunks, main)))
    assert "PBX trunk" not in single and single.count("+44") == 1

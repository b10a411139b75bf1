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

"""sip_harness.verify.journal: the files are valid at every moment, every result in them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sip_harness.verify import journal as journal_module
from sip_harness.verify.checks import CheckResult
from sip_harness.verify.journal import Journal


def result(i: int, passed: bool | None = True) -> CheckResult:
    return CheckResult("before", f"+4416329600{i:02d}", "inbound", "bt",
                       "bt" if passed else "nowhere", passed, "ok" if passed else "arrived nowhere")


def junit_cases(path: Path) -> list[tuple[str, str]]:
    root = ET.parse(path).getroot()
    return [(case.get("name") or "", "failure" if case.find("failure") is not None else "ok")
            for case in root.iter("testcase")]


def test_both_files_are_valid_and_empty_before_any_result(tmp_path: Path) -> None:
    with Journal(tmp_path / "r.jsonl", tmp_path / "r.xml", suite="s"):
        assert (tmp_path / "r.jsonl").read_text() == ""
        assert ET.parse(tmp_path / "r.xml").getroot().tag == "testsuites"
        assert junit_cases(tmp_path / "r.xml") == []


def test_every_result_is_on_disk_as_soon_as_it_is_added(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "JUNIT_EVERY", 0.0)  # rewrite the JUnit file each time
    journal = Journal(tmp_path / "r.jsonl", tmp_path / "r.xml", suite="s")
    for i in range(5):
        journal.add(result(i, passed=i != 3))
        lines = (tmp_path / "r.jsonl").read_text().splitlines()
        assert [json.loads(line)["number"] for line in lines] == [
            f"+4416329600{k:02d}" for k in range(i + 1)]
        assert len(junit_cases(tmp_path / "r.xml")) == i + 1  # parses: a whole document
    # never closed (the process was killed): both files still hold every result
    assert junit_cases(tmp_path / "r.xml")[3] == ("+441632960003 inbound", "failure")
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left beside it
    journal.close()


def test_close_writes_the_results_the_throttle_held_back(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "JUNIT_EVERY", 1e9)  # never due while adding
    with Journal(None, tmp_path / "r.xml", suite="s") as journal:
        for i in range(3):
            journal.add(result(i))
        assert junit_cases(tmp_path / "r.xml") == []  # the document written at the start
    assert len(junit_cases(tmp_path / "r.xml")) == 3
    assert [r.number for r in journal.results] == [result(i).number for i in range(3)]


def test_leaving_by_an_exception_still_closes_the_files(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), Journal(tmp_path / "r.jsonl", tmp_path / "r.xml",
                                                   suite="s") as journal:
        journal.add(result(1))
        journal.add(result(2, passed=False))
        raise KeyboardInterrupt
    assert [c for _, c in junit_cases(tmp_path / "r.xml")] == ["ok", "failure"]
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 2
    journal.close()  # idempotent


def test_without_paths_nothing_is_written(tmp_path: Path) -> None:
    with Journal(None, None, suite="s") as journal:
        journal.add(result(1))
    assert list(tmp_path.iterdir()) == [] and len(journal.results) == 1

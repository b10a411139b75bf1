"""Tests for sip_harness.verify.html_report: failures first, ranges grouped, escaped text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sip_harness.verify import html_report
from sip_harness.verify.checks import CheckResult


def records() -> list[dict[str, Any]]:
    """1,000 DDI numbers at one checkpoint: inbound passes except one, voicemail n/a."""
    out: list[dict[str, Any]] = []
    for i in range(1000):
        number = f"+441632960{i:03d}"
        bad = i == 500
        out.append(CheckResult(
            "after_cutover", number, "inbound", "callagenix (customer's PBX)",
            "bt" if bad else "callagenix (customer's PBX)", not bad,
            f"{number} at after_cutover: expected callagenix (customer's PBX) (ported from bt "
            f"(version 1)); the call arrived at bt" if bad else "arrived",
            {"arrived_at": "bt" if bad else "pbx-1", "status": 486, "path": "vodafone,bt",
             "from": "<sip:+447700900571@127.0.0.1>;tag=1",
             "r_uri": f"sip:{number}@127.0.1.1:5060"}).as_dict())
        out.append({"checkpoint": "after_cutover", "number": number, "check": "voicemail",
                    "expected": "n/a", "observed": "n/a", "passed": None,
                    "reason": "not applicable", "evidence": {}})
    return out


def test_a_thousand_numbers_are_three_rows_and_the_failure_comes_first() -> None:
    content = html_report.verify_report(records(), suite="ddi")
    (checkpoint,) = content["checkpoints"]
    assert [r["number"] for r in checkpoint["failing"]] == ["+441632960500"]
    assert [(g["first"], g["last"], g["count"]) for g in checkpoint["grouped"]] == [
        ("+441632960000", "+441632960499", 500), ("+441632960501", "+441632960999", 499)]
    assert content["totals"] == {"passed": 999, "failed": 1, "na": 1000, "checks": 2000,
                                 "numbers": 1000, "retried": 0}
    (failure,) = content["failures"]
    assert failure["explanation"] == "ported from bt (version 1)"
    assert failure["ladder"] is not None


def test_the_page_lists_the_failure_before_the_matrix_and_escapes_sip_text() -> None:
    page = html_report.render_verify_report(records(), suite="ddi", stats={"calls": 2000})
    assert page.index('class="failure"') < page.index('class="matrix"')
    assert "&lt;sip:+447700900571@127.0.0.1&gt;" in page and "<sip:" not in page
    assert re.search(r'data-figure="failed">1<', page)
    assert page.count('<tr class="group"') == 2 and page.count('<tr class="failing"') == 1
    assert "<svg class=\"ladder\"" in page
    assert len(page) < 400_000  # a thousand numbers stay a small page


def test_passing_ladders_are_capped() -> None:
    content = html_report.verify_report(records(), suite="ddi")
    assert len(content["passing"]) == html_report.MAX_PASSING_LADDERS


def test_the_page_can_be_made_from_a_json_lines_file(tmp_path: Path) -> None:
    import json

    source = tmp_path / "verify.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records()[:4]) + "\n")
    rows = html_report.read_records(source)
    assert len(rows) == 4
    out = html_report.write_verify_report(tmp_path / "verify.html", rows, suite="ddi")
    assert 'data-figure="passed">2<' in out.read_text(encoding="utf-8")


def test_a_block_split_between_two_sites_is_a_row_per_site_trunk() -> None:
    main, depot = "pbx-acme-callagenix", "pbx-acme-depot-callagenix"
    trunks = {f"+441632960{i:03d}": main if i < 700 else depot for i in range(1000)}
    content = html_report.verify_report(records(), suite="ddi", trunks=trunks)
    (checkpoint,) = content["checkpoints"]
    assert checkpoint["by_trunk"]
    assert [(g["first"], g["count"], g["trunk"], g["statuses"]) for g in checkpoint["grouped"]] == [
        ("+441632960000", 500, main, ["pass", "n/a"]),
        ("+441632960501", 199, main, ["pass", "n/a"]),
        ("+441632960700", 300, depot, ["pass", "n/a"])]
    assert checkpoint["failing"][0]["trunk"] == main
    page = html_report.render_verify_report(records(), suite="ddi", trunks=trunks)
    assert "<th>PBX trunk</th>" in page and page.count('class="mono trunk"') == 4
    # one trunk: no column, as before
    single = html_report.verify_report(records(), suite="ddi", trunks=dict.fromkeys(trunks, main))
    assert not single["checkpoints"][0]["by_trunk"]
    assert "PBX trunk" not in html_report.render_verify_report(records(), suite="ddi")

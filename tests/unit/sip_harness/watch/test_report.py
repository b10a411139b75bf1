"""sip_harness.watch.report and screen: report.json, actual.png, the lines and tables shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from sip_harness.verify.expectations import Where
from sip_harness.watch.plan import NumberPlan, Planned, Window
from sip_harness.watch.report import ACTUAL_FILE, REPORT_FILE, write_report
from sip_harness.watch.screen import live_view, record_line, report_lines, report_table
from sip_harness.watch.tracker import NumberWatch, Observation

OLD, NEW = Where("bt", False), Where("callagenix", True)
T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def watched(number: str, flips: bool) -> NumberWatch:
    plan = NumberPlan(number=number, port="p", losing="bt", gaining="callagenix", old=OLD,
                      new=NEW, steps=(Planned(None, OLD, number, ""),
                                      Planned(T0 + timedelta(minutes=11), NEW, number, "")),
                      windows=(Window("p", 1, T0, T0 + timedelta(hours=6)),))
    watch = NumberWatch(plan)
    for minute in range(1, 30):
        landed = NEW if flips and minute > 11 else OLD
        watch.observe(Observation(T0 + timedelta(minutes=minute), number, landed))
    return watch


def test_write_report_writes_both_files_and_nothing_else(tmp_path: Path) -> None:
    watches = [watched("+441632960001", True), watched("+441632960002", False)]
    end = T0 + timedelta(minutes=30)
    reports = [w.report(end) for w in watches]
    out = tmp_path / "out" / "watch"
    written = write_report(out, reports, {"calls": 58}, watches, title="t")
    assert written == [out / REPORT_FILE, out / ACTUAL_FILE]
    document = json.loads((out / REPORT_FILE).read_text())
    assert document["summary"] == {"calls": 58}
    assert [(n["number"], n["ended"]) for n in document["numbers"]] == [
        ("+441632960001", "settled"), ("+441632960002", "wrong")]
    assert (out / ACTUAL_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["watch"]  # no scratch left


def test_the_lines_say_what_flipped_and_what_is_wrong() -> None:
    watch = watched("+441632960002", False)
    records = watch.observe(Observation(T0 + timedelta(minutes=31), "+441632960002", NEW))
    flip = record_line(records[1])
    assert flip is not None and flip.startswith(
        "FLIP 2026-11-28 00:31:00 +441632960002: bt -> callagenix (customer's phone) "
        "(planned 00:11, +20.0 min; last seen on bt at 00:29:00)")
    assert record_line(records[0]) is None   # a plain observation prints nothing
    late = watched("+441632960003", False)
    assert report_lines([late.report(T0 + timedelta(minutes=30))]) == [
        "WRONG +441632960003: left behind on bt: planned to land at callagenix (customer's "
        "phone) from 2026-11-28T00:11:00+00:00"]


def test_the_tables_render() -> None:
    watch = watched("+441632960001", True)
    console = Console(width=120, record=True)
    now = T0 + timedelta(minutes=29)
    console.print(live_view("uk", now, "replay x120", [watch.row(now)], 1,
                            {"calls": 58, "calls_per_second": 9.5}, ["ALERT x"]))
    console.print(report_table([watch.report(now)], "plan against actual"))
    text = console.export_text()
    assert "Sat 28 Nov 00:29:00 (replay x120)" in text and "58 calls, 9.5/s" in text
    assert "flip 28 00:11 -> 00:12 +1.0m" in text

"""The outputs of a run: events.jsonl, summary.json, timeline.png, report.html, the table."""

from __future__ import annotations

from sim.report.outputs import (
    EVENTS_FILE,
    SUMMARY_FILE,
    TIMELINE_FILE,
    draw_timeline,
    summary_table,
    write_events,
    write_outputs,
    write_summary,
)
from sim.report.run_report import REPORT_FILE, render_run_report, report_content

__all__ = [
    "EVENTS_FILE",
    "SUMMARY_FILE",
    "TIMELINE_FILE",
    "write_events",
    "write_summary",
    "draw_timeline",
    "write_outputs",
    "summary_table",
    "REPORT_FILE",
    "report_content",
    "render_run_report",
]

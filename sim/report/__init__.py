"""The outputs of a run: events.jsonl, summary.json, timeline.png and the terminal table."""

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

__all__ = [
    "EVENTS_FILE",
    "SUMMARY_FILE",
    "TIMELINE_FILE",
    "write_events",
    "write_summary",
    "draw_timeline",
    "write_outputs",
    "summary_table",
]

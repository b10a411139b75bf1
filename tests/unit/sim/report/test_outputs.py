"""Tests for sim.report.outputs: events.jsonl, summary.json, timeline.png and the summary table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sim.report import outputs as report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _event(t: str, event: str, port: str | None, state: str | None, **extra: Any) -> dict[str, Any]:
    numbers = ["+441632960001", "+441632960002"] if port == "P1" else ["+441632960101"]
    return {"t": t, "event": event, "port": port, "numbers": numbers, "state": state, **extra}


@pytest.fixture
def events() -> list[dict[str, Any]]:
    """Two port orders: P1 fails once, rolls back and succeeds; P2 is cancelled."""
    return [
        _event("2026-11-20T09:00:00+00:00", "submitted", "P1", "requested"),
        _event("2026-11-20T09:00:00+00:00", "submitted", "P2", "requested"),
        _event("2026-11-20T11:00:00+00:00", "validated", "P1", "validated"),
        _event(
            "2026-11-21T10:00:00+00:00",
            "accepted",
            "P1",
            "accepted",
            port_date="2026-11-28",
            window_end="2026-11-28T06:00:00+00:00",
            point_of_no_return="2026-11-27T12:00:00+00:00",
            deadline="2026-11-28T23:59:00+00:00",
        ),
        _event("2026-11-22T10:00:00+00:00", "withdrawn", "P2", "cancelled"),
        _event("2026-11-28T00:00:00+00:00", "activating", "P1", "activating", attempt=1),
        _event(
            "2026-11-28T00:20:00+00:00",
            "activation_failed",
            "P1",
            "activating",
            attempt=1,
            fault="losing carrier did not release",
        ),
        _event("2026-11-28T01:00:00+00:00", "rolled_back", "P1", "rolled_back", attempt=1),
        _event(
            "2026-11-28T01:00:00+00:00",
            "interruption",
            "P1",
            None,
            start="2026-11-28T00:00:00+00:00",
            end="2026-11-28T01:00:00+00:00",
            minutes=60.0,
            cause="failed activation",
        ),
        {
            "t": "2026-11-29T03:00:00+00:00",
            "event": "carrier_outage",
            "port": None,
            "numbers": [],
            "state": None,
            "carrier": "bt",
            "start": "2026-11-29T01:00:00+00:00",
            "end": "2026-11-29T03:00:00+00:00",
            "minutes": 120.0,
        },
        _event(
            "2026-11-29T10:00:00+00:00",
            "reattempt_scheduled",
            "P1",
            "accepted",
            port_date="2026-12-01",
        ),
        {
            "t": "2026-11-30T12:00:00+00:00",
            "event": "call_misrouted",
            "port": None,
            "numbers": ["+441632960001"],
            "state": None,
            "origin": "vodafone",
            "reached": "bt",
            "expected": "callagenix",
        },
        # An event name report.py has never heard of must not break anything.
        _event("2026-11-30T13:00:00+00:00", "solar_flare", "P1", None, note="é"),
        _event("2026-12-01T00:00:00+00:00", "activating", "P1", "activating", attempt=2),
        _event("2026-12-01T00:05:00+00:00", "active", "P1", "active", attempt=2, days_late=3),
    ]


@pytest.fixture
def summary() -> dict[str, Any]:
    return {
        "scenario": "synthetic",
        "regime": "uk",
        "seed": 7,
        "ports": {"active": 1, "cancelled": 1},
        "numbers_ported": 2,
        "downtime_minutes": {
            "total": 120.0,
            "per_number": {"+441632960001": 60.0, "+441632960002": 60.0},
        },
        "calls": {"offered": 120, "completed": 117, "failed": 1, "misrouted": 1, "lost": 1},
        "deadline_breaches": 1,
        "compensation_eur": 58.5,
        "rollbacks": 1,
    }


def test_events_jsonl_is_one_compact_record_per_line(tmp_path: Path, events: list[dict]) -> None:
    path = tmp_path / "events.jsonl"
    report.write_events(events, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == events
    assert lines[0] == (
        '{"t":"2026-11-20T09:00:00+00:00","event":"submitted","port":"P1",'
        '"numbers":["+441632960001","+441632960002"],"state":"requested"}'
    )
    assert '"note":"é"' in lines[-3]  # ensure_ascii=False keeps text readable


def test_events_jsonl_is_byte_identical_for_identical_input(
    tmp_path: Path, events: list[dict]
) -> None:
    report.write_events(events, tmp_path / "a.jsonl")
    report.write_events([dict(e) for e in events], tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes().endswith(b"\n")


def test_summary_round_trips_sorted_with_trailing_newline(tmp_path: Path, summary: dict) -> None:
    path = tmp_path / "summary.json"
    report.write_summary(summary, path)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == summary
    assert text.endswith("}\n")
    assert text == json.dumps(summary, indent=2, sort_keys=True) + "\n"


def test_timeline_is_a_png(tmp_path: Path, events: list[dict]) -> None:
    path = tmp_path / "timeline.png"
    report.draw_timeline(events, path, title="synthetic")
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_timeline_is_deterministic(tmp_path: Path, events: list[dict]) -> None:
    report.draw_timeline(events, tmp_path / "a.png", title="synthetic")
    report.draw_timeline(events, tmp_path / "b.png", title="synthetic")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize(
    "count",
    [
        0,  # no events at all: a figure that says so
        1,  # a single instant: the axis still has a width
        75,  # more ports than rows: "+N more"
    ],
)
def test_timeline_copes_with_any_number_of_ports(tmp_path: Path, count: int) -> None:
    events = [
        {
            "t": f"2026-11-{20 + i % 5:02d}T09:00:00+00:00",
            "event": "submitted",
            "port": f"P{i}",
            "numbers": [f"+4416329600{i:02d}"],
            "state": "requested",
        }
        for i in range(count)
    ]
    path = tmp_path / "timeline.png"
    report.draw_timeline(events, path, title="many")
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_write_outputs_writes_all_three_into_a_new_directory(
    tmp_path: Path, events: list[dict], summary: dict
) -> None:
    out = tmp_path / "out" / "synthetic"
    written = report.write_outputs(out, events, summary, title="synthetic")
    assert sorted(p.name for p in out.iterdir()) == ["events.jsonl", "summary.json", "timeline.png"]
    assert written["summary.json"] == out / "summary.json"
    assert json.loads((out / "summary.json").read_text()) == summary
    assert sorted(p.name for p in out.parent.iterdir()) == ["synthetic"]  # no staging left


def test_write_outputs_keeps_other_files_and_replaces_its_own(
    tmp_path: Path, events: list[dict], summary: dict
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "summary.json").write_text("old")
    report.write_outputs(out, events, summary, title="synthetic")
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "summary.json").read_text()) == summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_while_writing_leaves_nothing_behind(
    tmp_path: Path,
    events: list[dict],
    summary: dict,
    monkeypatch: pytest.MonkeyPatch,
    existing: bool,
) -> None:
    out = tmp_path / "run"
    if existing:
        out.mkdir()
        (out / "summary.json").write_text("old")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(report, "draw_timeline", broken)
    with pytest.raises(RuntimeError, match="plotting failed"):
        report.write_outputs(out, events, summary, title="synthetic")
    if existing:
        assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
        assert (out / "summary.json").read_text() == "old"
    else:
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["run"] if existing else [])


def test_summary_table_shows_every_measure(summary: dict) -> None:
    console = Console(record=True, width=100, color_system=None)
    console.print(report.summary_table(summary))
    text = console.export_text()
    for expected in (
        "synthetic (uk regime, seed 7)",
        "ports active",
        "ports cancelled",
        "numbers ported",
        "120.0",
        "calls misrouted",
        "deadline breaches",
        "58.50",
        "rollbacks",
    ):
        assert expected in text


def test_summary_table_tolerates_a_minimal_summary() -> None:
    console = Console(record=True, width=100, color_system=None)
    console.print(report.summary_table({"regime": "pt", "seed": 1, "ports": {}}))
    assert "numbers ported" in console.export_text()


def test_summary_table_shows_the_cost_totals() -> None:
    costs = {"EUR": {"total": 0.0}, "GBP": {"porting_fees": 150.0, "total": 1234.5},
             "USD": {"total": 0.0}}
    console = Console(record=True, width=100, color_system=None)
    console.print(report.summary_table({"regime": "pt", "seed": 1, "ports": {}, "costs": costs}))
    text = console.export_text()
    # the regime's own currency always, another one when it has costs
    assert "costs (EUR, total)" in text and "costs (GBP, total)" in text
    assert "1,234.50" in text and "costs (USD" not in text


def test_an_accounts_suspension_is_a_row_of_its_own_in_the_timeline() -> None:
    from sim.report.outputs import _timeline_rows

    events = [
        {"t": "2026-11-24T09:00:00+00:00", "event": "suspended", "port": None,
         "numbers": ["+441632970020"], "state": "suspended", "customer": "harbour"},
        {"t": "2026-11-26T10:00:00+00:00", "event": "submitted", "port": "away",
         "numbers": ["+441632970020"], "state": "requested"},
        {"t": "2026-12-03T10:00:00+00:00", "event": "reconnected", "port": None,
         "numbers": ["+441632970020"], "state": "in_service", "customer": "harbour"},
        # a charge of the account is no state change
        {"t": "2026-12-03T10:00:00+00:00", "event": "charge", "port": None,
         "numbers": ["+441632970020"], "state": None, "customer": "harbour"},
    ]
    ports, changes, number_port = _timeline_rows(events)
    assert ports == ["account: harbour", "away"]
    assert [state for _, state in changes["account: harbour"]] == ["suspended", "in_service"]
    # interruptions of the number are drawn on its port order's row, not the account's
    assert number_port == {"+441632970020": "away"}

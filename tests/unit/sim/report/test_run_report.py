"""Tests for sim.report.run_report: report.html's content and the page it renders."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from sim.model import simulate
from sim.report import run_report as rr
from sim.scenario import load_scenario

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))
BUNDLED = [p for p in SCENARIOS if p.name != "reference.yaml"]
FIGURE = re.compile(r'data-figure="([^"]+)"[^>]*>([^<]*)<')


def figures(page: str) -> dict[str, str]:
    """Every ``data-figure`` element's path and text (the first of each path)."""
    out: dict[str, str] = {}
    for path, text in FIGURE.findall(page):
        out.setdefault(path, unescape(text).strip())
    return out


def lookup(summary: dict[str, Any], path: str) -> Any:
    value: Any = summary
    for part in path.split("."):
        value = value[part]
    return value


def as_number(text: str) -> float:
    return float(text.replace(",", ""))


def _port(i: int, start: datetime) -> list[dict[str, Any]]:
    """One order's events: submitted, accepted, activating, active (every 7th breaches)."""
    numbers = [f"+4416329{i:03d}{k}0" for k in range(2)]

    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    base = {"port": f"order-{i:02d}", "numbers": numbers}
    late = i % 7 == 0
    return [
        {"t": at(i), "event": "submitted", **base, "state": "requested"},
        {"t": at(i + 2), "event": "accepted", **base, "state": "accepted",
         "port_date": at(i + 48), "deadline": at(i + 40 if late else i + 60),
         "late_answer": False},
        {"t": at(i + 48), "event": "activating", **base, "state": "activating", "attempt": 1},
        {"t": at(i + 48.5), "event": "interruption", **base, "state": None,
         "start": at(i + 48), "end": at(i + 48.5), "minutes": 30.0, "cause": "cutover"},
        {"t": at(i + 49), "event": "active", **base, "state": "active", "attempt": 1,
         "days_late": 1 if late else 0},
    ]


@pytest.fixture
def fifty() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fifty orders of two numbers, each 30 min down; a carrier outage; two failed calls."""
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    events = [e for i in range(50) for e in _port(i, start)]
    events.append({"t": "2026-11-22T10:30:00+00:00", "event": "carrier_outage", "port": None,
                   "numbers": [], "state": None, "carrier": "bt",
                   "start": "2026-11-22T10:00:00+00:00", "end": "2026-11-22T10:30:00+00:00",
                   "minutes": 30.0})
    for t in ("2026-11-22T10:05:00+00:00", "2026-11-22T10:07:00+00:00"):
        events.append({"t": t, "event": "call_failed", "port": None,
                       "numbers": ["+441632900010"], "state": None, "origin": "vodafone",
                       "reached": "bt", "expected": "bt", "reason": "carrier outage"})
    events.sort(key=lambda e: e["t"])
    per_number = {n: 30.0 for e in events if e["event"] == "interruption" for n in e["numbers"]}
    summary = {
        "scenario": "fifty", "regime": "uk", "routing": "onward", "seed": 3,
        "until": "2026-12-01T00:00:00+00:00", "ports": {"active": 50},
        "numbers_ported": 100, "numbers_lost": 0,
        "downtime_minutes": {"total": 3000.0, "per_number": dict(sorted(per_number.items()))},
        "calls": {"offered": 1000, "completed": 998, "failed": 2, "misrouted": 0, "lost": 0},
        "rollbacks": 0, "rejections": {}, "deadline_breaches": 8, "late_answers": 0,
        "compensation_eur": 0.0, "compensation_by_port": {},
        "costs": {"GBP": {"porting_fees": 1250.5, "reconnection": 0.0, "total": 1250.5},
                  "EUR": {"compensation_delay": 10.0, "total": 10.0}},
    }
    return events, summary


def test_every_order_is_a_row_and_every_interruption_is_drawn(fifty: Any) -> None:
    events, summary = fifty
    content = rr.report_content(events, summary)
    rows = content["timeline"]["rows"]
    assert [r["label"] for r in rows][:2] == ["outage: bt", "order-00"]
    assert sum(r["kind"] == "port" for r in rows) == 50
    assert all(len(r["outages"]) == 1 for r in rows)  # the carrier's outage, each interruption
    assert all(0 <= s["x"] <= 100 and s["x"] + s["w"] <= 100.06 for r in rows
               for s in r["segments"])
    page = rr.render_run_report(events, summary)
    assert page.count('<g class="row port"') == 50
    assert page.count('class="outage"') == 51


def test_consecutive_numbers_with_one_downtime_are_one_row(fifty: Any) -> None:
    events, summary = fifty
    groups = rr.report_content(events, summary)["downtime"]["groups"]
    # the rows hold every number exactly once, and consecutive ones share a row
    listed = [n for g in groups for n in g.numbers()]
    assert sorted(listed) == sorted(summary["downtime_minutes"]["per_number"])
    assert all(g.key[1] == 30.0 for g in groups)


def test_the_page_shows_the_summarys_figures(fifty: Any) -> None:
    events, summary = fifty
    page = rr.render_run_report(events, summary, description="Fifty <orders> & more")
    shown = figures(page)
    for path in ("ports.active", "numbers_ported", "downtime_minutes.total", "calls.offered",
                 "calls.failed", "deadline_breaches", "costs.GBP.total", "costs.EUR.total",
                 "costs.GBP.porting_fees", "compensation_eur"):
        assert as_number(shown[path]) == pytest.approx(lookup(summary, path)), path
    assert shown["regime"] == "uk" and shown["seed"] == "3"
    assert "Fifty &lt;orders&gt; &amp; more" in page  # scenario text is escaped, never markup
    bars = re.findall(r'data-outcome="(\w+)" data-count="(\d+)"', page)
    assert sum(int(n) for o, n in bars if o == "failed") == summary["calls"]["failed"]
    breaches = page.count('data-breached="yes"')
    assert breaches == summary["deadline_breaches"] == len(range(0, 50, 7))


def test_the_page_is_self_contained(fifty: Any) -> None:
    page = rr.render_run_report(*fifty)
    assert not re.search(r"\b(src|href)=\"(?!#)", page)  # only in-page links
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "<link" not in page and "@import" not in page
    assert "default-src 'none'" in page


def test_without_costs_the_costs_section_says_so(fifty: Any) -> None:
    events, summary = fifty
    del summary["costs"]
    page = rr.render_run_report(events, summary)
    assert "has no costs by currency" in page and "costs-table" not in page


def test_beyond_the_row_limit_the_rest_are_counted(fifty: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(rr, "MAX_TIMELINE_ROWS", 20)
    timeline = rr.report_content(*fifty)["timeline"]
    assert (timeline["drawn"], timeline["hidden"], timeline["ports"]) == (20, 30, 50)
    assert "+30 more" in rr.render_run_report(*fifty)


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_breaches_and_calls_match_the_summary(path: Path) -> None:
    """The per-order deadline rows and the call bars agree with summary.json's counts."""
    scenario = load_scenario(path)
    result = simulate(scenario)
    content = rr.report_content(result.events, result.summary, description=scenario.description)
    breached = sum(d["breached"] for d in content["deadlines"])
    assert breached == result.summary["deadline_breaches"]
    for outcome, count in content["calls"]["totals"].items():
        assert count == result.summary["calls"][outcome]
        drawn = sum(s["count"] for b in content["calls"]["bins"] for s in b["stack"]
                    if s["outcome"] == outcome)
        assert drawn == count
    assert content["story"]["description"] == scenario.description.strip()


def test_an_accounts_suspension_is_a_row_of_its_own() -> None:
    events = [
        {"t": "2026-11-24T09:00:00+00:00", "event": "suspended", "port": None,
         "numbers": ["+441632970020"], "state": "suspended", "customer": "harbour"},
        {"t": "2026-11-26T10:00:00+00:00", "event": "submitted", "port": "away",
         "numbers": ["+441632970020"], "state": "requested"},
        {"t": "2026-12-03T10:00:00+00:00", "event": "reconnected", "port": None,
         "numbers": ["+441632970020"], "state": "in_service", "customer": "harbour"},
    ]
    timeline = rr.report_content(events, {})["timeline"]
    rows = {row["label"]: row for row in timeline["rows"]}
    assert list(rows) == ["account: harbour", "away"]
    assert [s["state"] for s in rows["account: harbour"]["segments"]] == ["suspended",
                                                                          "in_service"]

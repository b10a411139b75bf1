"""Issue 15: both HTML reports in a real browser (Debian's Chromium, headless, DevTools pipe).

Each page loads with no console error or warning, no uncaught exception and no network request
but its own file; the figures read from the rendered DOM are summary.json's, events.jsonl's and
the verification's JSON lines'. ``CUTOVER_UPDATE_SCREENSHOTS=1`` writes the README's
screenshots (docs/run-report.png, docs/verify-report.png) from the same pages.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main
from sim.report.number_groups import NumberGroup

from .browser import Browser, chromium_path
from .conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
BROKEN = str(ROOT / "scenarios" / "uk_gnp_misconfigured.yaml")
DOCS = ROOT / "docs"
#: Every bundled scenario (reference.yaml documents the keys; it is no story).
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml") if p.stem != "reference")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if chromium_path() is None:
        skip_or_fail("chromium is not installed (apt-get install chromium)")
    page = Browser(width=1300, height=900)
    try:
        yield page
    finally:
        page.close()


def loaded(browser: Browser, page: Path) -> None:
    """Load ``page``; it asked for nothing but itself and said nothing wrong."""
    browser.load(page)
    assert browser.requests() == [page.resolve().as_uri()]
    assert browser.problems() == []


def read(browser: Browser, script: str) -> Any:
    return json.loads(browser.evaluate(f"JSON.stringify({script})"))


FIGURES = "[...document.querySelectorAll('[data-figure]')].map(e => [e.dataset.figure, " \
          "e.textContent.trim()])"


def number(text: str) -> float:
    return float(text.replace(",", ""))


def lookup(document: Any, path: str) -> Any:
    for part in path.split("."):
        document = document[part]
    return document


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_run_report_shows_summary_and_events(browser: Browser, name: str,
                                                 tmp_path: Path) -> None:
    out = tmp_path / name
    assert main(["run", str(ROOT / "scenarios" / f"{name}.yaml"), "--out", str(out),
                 "--html"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    page = out / "report.html"
    loaded(browser, page)
    assert "<svg" in browser.dom()  # the rendered DOM holds the drawn timeline and bars
    figures = read(browser, FIGURES)
    assert len(figures) >= 12
    for path, text in figures:
        want = lookup(summary, path)
        if isinstance(want, str):
            assert text == want, path
        else:
            assert number(text) == pytest.approx(want), path
    shown = {p for p, _ in figures}
    for path in ("calls.offered", "calls.failed", "downtime_minutes.total", "deadline_breaches",
                 "numbers_ported", "compensation_eur"):
        assert path in shown
    for currency in summary.get("costs") or {}:  # costs by currency, once summary.json has them
        assert f"costs.{currency}.total" in shown
    # every number's downtime, from the grouped rows
    rows = read(browser, "[...document.querySelectorAll('tr.downtime')].map(r => [r.dataset.first,"
                " r.dataset.last, Number(r.dataset.count), Number(r.dataset.minutes)])")
    per_number = {n: m for first, last, count, m in rows
                  for n in NumberGroup(first, last, count, "").numbers()}
    assert per_number == summary["downtime_minutes"]["per_number"]
    # the bars of calls over time add up to the recorded calls, outcome by outcome
    bars = read(browser, "[...document.querySelectorAll('rect.calls')].map(r => "
                "[r.dataset.outcome, Number(r.dataset.count)])")
    drawn: Counter[str] = Counter()
    for outcome, count in bars:
        drawn[outcome] += count
    recorded = Counter(e["event"].removeprefix("call_") for e in events
                       if e["event"].startswith("call_"))
    assert +drawn == +recorded
    for outcome, count in recorded.items():
        assert summary["calls"][outcome] == count
    # one timeline row per order; rejections with their reasons; breaches as counted
    orders = {e["port"] for e in events if e.get("port") and not e["event"].startswith("call_")}
    rows = read(browser, "[...document.querySelectorAll('#timeline-svg g.row.port')].map(g => "
                "g.dataset.row)")
    assert sorted(r for r in rows if r in orders) == sorted(orders)
    assert all(r in orders or r.startswith("account: ") for r in rows)  # suspended accounts
    refusals = read(browser, "[...document.querySelectorAll('tr.refusal')].map(r => "
                    "r.dataset.reason)")
    assert refusals == [e["reason"] for e in events if e["event"] in ("rejected", "denied")]
    assert read(browser, "document.querySelectorAll('tr.deadline[data-breached=yes]').length") \
        == summary["deadline_breaches"]
    # zooming works and says nothing wrong
    width = read(browser, "(document.querySelector('#timeline [data-zoom=in]').click(), "
                 "document.getElementById('timeline-plot').style.width)")
    assert width == "200%" and browser.problems() == []
    if name == "pt_mobile_pvc" and os.environ.get("CUTOVER_UPDATE_SCREENSHOTS") == "1":
        browser.evaluate("document.querySelector('#timeline [data-zoom=reset]').click()")
        DOCS.mkdir(exist_ok=True)
        browser.screenshot(DOCS / "run-report.png")


def test_a_page_that_loads_something_is_caught(browser: Browser, tmp_path: Path) -> None:
    """The checks above can fail: a request off the page and a script error are both seen."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                    "<script>undefinedThing()</script></body></html>")
    browser.load(page)
    assert "http://127.0.0.1:9/x.png" in browser.requests()
    assert any("undefinedThing" in p for p in browser.problems())


def test_the_verify_report_shows_every_check(browser: Browser, verify_state: Any,
                                             tmp_path: Path) -> None:
    pytest.importorskip("pjsua2",
                        reason="pjsua2-python is not installed (pip install pjsua2-python)")
    jsonl, page = tmp_path / "verify.jsonl", tmp_path / "verify.html"
    assert main(["verify", BROKEN, "--json", str(jsonl), "--html", str(page)]) == 1
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    loaded(browser, page)
    figures = dict(read(browser, FIGURES))
    status = Counter("n/a" if r["passed"] is None else "pass" if r["passed"] else "fail"
                     for r in records)
    assert (number(figures["passed"]), number(figures["failed"]), number(figures["na"])) == (
        status["pass"], status["fail"], status["n/a"])
    cells = read(browser, """[...document.querySelectorAll('section.checkpoint')].flatMap(s =>
        [...s.querySelectorAll('tr[data-first]')].flatMap(r =>
          [...r.querySelectorAll('td[data-check]')].map(c => [s.dataset.checkpoint,
            r.dataset.first, r.dataset.last, Number(r.dataset.count), c.dataset.check,
            c.dataset.status])))""")
    shown = {}
    for checkpoint, first, last, count, check, state in cells:
        for n in NumberGroup(first, last, count, "").numbers():
            if state:
                shown[(checkpoint, n, check)] = state
    assert shown == {(r["checkpoint"], r["number"], r["check"]):
                     "n/a" if r["passed"] is None else "pass" if r["passed"] else "fail"
                     for r in records}
    failures = read(browser, """[...document.querySelectorAll('div.failure')].map(f =>
        [f.dataset.checkpoint, f.dataset.number, f.dataset.check,
         f.querySelector('.expected').textContent, f.querySelector('.observed').textContent,
         f.querySelectorAll('svg.ladder g.message').length,
         [...f.querySelectorAll('svg.ladder g.lane')].map(l => l.dataset.lane)])""")
    failed = [r for r in records if r["passed"] is False]
    assert [f[:5] for f in failures] == [[r["checkpoint"], r["number"], r["check"],
                                          r["expected"], r["observed"]] for r in failed]
    (inbound,) = [f for f in failures if f[2] == "inbound"]
    assert inbound[5] == 4 and inbound[6] == ["vodafone", "Asterisk", "bt"]  # the ladder
    # "only failures" hides the passing rows, and says nothing wrong
    hidden = read(browser, "(document.getElementById('only-failures').click(), "
                  "[...document.querySelectorAll('tr.group')].every(r => "
                  "getComputedStyle(r).display === 'none'))")
    assert hidden and browser.problems() == []
    if os.environ.get("CUTOVER_UPDATE_SCREENSHOTS") == "1":
        browser.evaluate("document.getElementById('only-failures').click()")
        DOCS.mkdir(exist_ok=True)
        browser.screenshot(DOCS / "verify-report.png")



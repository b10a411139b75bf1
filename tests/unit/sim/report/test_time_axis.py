"""Tests for sim.report.time_axis: positions, ticks and bins of the reports' time axes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sim.report.time_axis import TimeAxis, instant

START = instant("2026-11-20T09:30:00+00:00")


@pytest.mark.parametrize(("days", "step"), [
    (0.25, timedelta(hours=1)),  # six hours: hourly (half-hourly would be 12 ticks)
    (0.125, timedelta(minutes=30)),  # three hours: half-hourly
    (3, timedelta(hours=12)),  # three days
    (30, timedelta(days=7)),  # a month: weekly
    (365, timedelta(days=91)),  # a year: quarterly
])
def test_the_tick_step_keeps_to_ten_ticks(days: float, step: timedelta) -> None:
    axis = TimeAxis(START, START + timedelta(days=days))
    assert axis.step(10) == step
    ticks = axis.ticks(10)
    assert 1 <= len(ticks) <= 11
    assert [x for x, _ in ticks] == sorted(x for x, _ in ticks)
    assert all(0.0 <= x <= 100.0 for x, _ in ticks)


def test_positions_are_clipped_to_the_span() -> None:
    axis = TimeAxis(START, START + timedelta(hours=10))
    assert axis.x(START - timedelta(hours=1)) == 0.0
    assert axis.x(START + timedelta(hours=5)) == 50.0
    assert axis.x(START + timedelta(days=1)) == 100.0
    assert axis.width(START, START) > 0  # an instant stays visible


def test_bins_cover_the_span() -> None:
    axis = TimeAxis(START, START + timedelta(days=2))
    step, starts = axis.bins(48)
    assert step == timedelta(hours=1)
    assert starts[0] <= START and starts[-1] + step >= axis.end
    assert len(starts) <= 50


def test_around_leaves_a_margin_after_the_last_moment() -> None:
    axis = TimeAxis.around([START, START + timedelta(days=1)])
    assert axis.start == START and axis.end > START + timedelta(days=1)
    empty = TimeAxis.around([])
    assert empty.end > empty.start

"""Tests for sim.regimes.pt: the 17:00 rule, deadlines and their exceptions, compensation."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given

from sim.regimes import OrderFacts

from .conftest import ONE, PT, instants, lis


@pytest.mark.parametrize(
    ("submitted", "clock", "deadline"),
    [
        # Friday before Republic Day (Monday 5 October): 16:59 counts today
        (lis(2026, 10, 2, 16, 59), lis(2026, 10, 2, 16, 59), lis(2026, 10, 6, 16, 59)),
        # exactly 17:00 is not "after 17:00"
        (lis(2026, 10, 2, 17, 0), lis(2026, 10, 2, 17, 0), lis(2026, 10, 6, 17, 0)),
        # 17:01: counts from the next working day, Tuesday after the holiday
        (lis(2026, 10, 2, 17, 1), lis(2026, 10, 6, 9), lis(2026, 10, 7, 9)),
        # Friday 17:01 before Monday 7 Dec: the deadline skips Immaculate Conception (8 Dec)
        (lis(2026, 12, 4, 17, 1), lis(2026, 12, 7, 9), lis(2026, 12, 9, 9)),
        # a Saturday submission counts from Monday
        (lis(2026, 12, 5, 10), lis(2026, 12, 7, 9), lis(2026, 12, 9, 9)),
        # Christmas Eve evening: Christmas Day, then the weekend
        (lis(2026, 12, 24, 18), lis(2026, 12, 28, 9), lis(2026, 12, 29, 9)),
        # New Year's Eve evening: New Year's Day, then the weekend
        (lis(2026, 12, 31, 17, 30), lis(2027, 1, 4, 9), lis(2027, 1, 5, 9)),
        # an early-morning request on a working day starts at once
        (lis(2026, 12, 9, 7), lis(2026, 12, 9, 7), lis(2026, 12, 10, 7)),
    ],
)
def test_pt_clock_start_and_deadline(
    submitted: datetime, clock: datetime, deadline: datetime
) -> None:
    assert PT.clock_start(submitted) == clock
    assert PT.port_deadline(submitted, facts=ONE) == deadline
    # the losing operator answers within the same period
    assert PT.answer_deadline(submitted, facts=ONE) == deadline


@pytest.mark.parametrize(
    ("facts", "deadline"),
    [
        (ONE, lis(2026, 11, 3, 10)),  # 1 working day
        (OrderFacts(numbers=10, ddi=True), lis(2026, 11, 5, 10)),  # DDI / MSN: 3 working days
        (OrderFacts(numbers=1, distance_contract=True), lis(2026, 11, 5, 10)),  # distance sale
        # physical work done Thursday after 17:00: 1 working day from Friday 09:00
        (OrderFacts(numbers=1, physical_work_done_at=lis(2026, 11, 5, 18)), lis(2026, 11, 9, 9)),
        # a later agreed date is the deadline
        (OrderFacts(numbers=1, agreed_date=lis(2026, 11, 20, 12)), lis(2026, 11, 20, 12)),
        # an agreed date earlier than the rule does not shorten it
        (OrderFacts(numbers=1, agreed_date=lis(2026, 11, 2, 12)), lis(2026, 11, 3, 10)),
    ],
)
def test_pt_deadline_exceptions(facts: OrderFacts, deadline: datetime) -> None:
    assert PT.port_deadline(lis(2026, 11, 2, 10), facts=facts) == deadline


@pytest.mark.parametrize(
    ("numbers", "late", "beyond", "expected"),
    [
        (2, 2, 0.0, 10.0),  # 2.5 EUR x 2 numbers x 2 full days
        (1, 0, 0.0, 0.0),  # on time, within the window
        (1, 0, 10.0, 20.0),  # 10 min past the window: one started day
        (1, 0, 1260.0, 20.0),  # window + beyond = exactly 24 h: still one day
        (1, 0, 1261.0, 40.0),  # a second day started
        (3, 0, 3000.0, 180.0),  # 3 numbers x 3 started days
        (300, 0, 10.0, 5000.0),  # 6000 capped at 5000 per request
        (300, 1, 10.0, 5750.0),  # the cap is on the interruption part; delay on top
        (100, 4, 0.0, 1000.0),  # delay alone is not capped by the interruption cap
    ],
)
def test_pt_compensation(numbers: int, late: int, beyond: float, expected: float) -> None:
    got = PT.compensation_eur(
        numbers=numbers,
        days_late=late,
        interruption_minutes_beyond_window=beyond,
        window_minutes=PT.window_minutes,
    )
    assert got == expected


@given(t=instants)
def test_pt_clock_start_is_on_a_working_day(t: datetime) -> None:
    clock = PT.clock_start(t)
    assert clock >= t
    assert PT.is_working_day(clock.date())

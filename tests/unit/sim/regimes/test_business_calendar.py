"""Tests for sim.regimes.business_calendar: working days, holidays, periods, days late."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.regimes import Regime, days_late
from sim.regimes.business_calendar import Period

from .conftest import NEW_YORK, PT, UK, US, instants, lis, lon, nyc, regimes


@pytest.mark.parametrize(
    ("regime", "day", "working"),
    [
        (UK, date(2026, 12, 24), True),  # Christmas Eve is a working day
        (UK, date(2026, 12, 25), False),  # Christmas Day
        (UK, date(2026, 12, 28), False),  # Boxing Day (a Saturday) observed on Monday
        (UK, date(2026, 12, 29), True),  # back to work
        (UK, date(2026, 11, 28), False),  # Saturday
        (PT, date(2026, 12, 8), False),  # Immaculate Conception
        (PT, date(2026, 12, 28), True),  # PT does not substitute holidays
        (PT, date(2026, 10, 5), False),  # Republic Day (a Monday)
        (US, date(2026, 11, 26), False),  # Thanksgiving
        (US, date(2026, 12, 8), True),  # not a US holiday
    ],
)
def test_is_working_day(regime: Regime, day: date, working: bool) -> None:
    assert regime.is_working_day(day) is working


@pytest.mark.parametrize(
    ("regime", "start", "n", "expected"),
    [
        (UK, lon(2026, 12, 24, 10), 1, lon(2026, 12, 29, 10)),  # skips 25, weekend, 28 (subst.)
        (UK, lon(2026, 12, 23, 10), 4, lon(2026, 12, 31, 10)),  # 24, 29, 30, 31
        (UK, lon(2026, 12, 31, 10), 1, lon(2027, 1, 4, 10)),  # New Year's Day is a Friday
        (UK, lon(2026, 11, 28, 10), 1, lon(2026, 11, 30, 10)),  # from a Saturday: Monday
        (UK, lon(2026, 11, 27, 10), 0, lon(2026, 11, 27, 10)),  # n == 0: unchanged
        (UK, lon(2026, 11, 30, 10), -1, lon(2026, 11, 27, 10)),  # backwards over a weekend
        (UK, lon(2026, 3, 27, 1, 30), 1, lon(2026, 3, 30, 1, 30)),  # over a DST change
        (PT, lis(2026, 12, 7, 10), 1, lis(2026, 12, 9, 10)),  # skips Immaculate Conception
        (PT, lis(2026, 12, 24, 10), 1, lis(2026, 12, 28, 10)),  # skips Christmas, weekend
        (US, nyc(2026, 11, 25, 10), 1, nyc(2026, 11, 27, 10)),  # skips Thanksgiving
    ],
)
def test_add_working_days(regime: Regime, start: datetime, n: int, expected: datetime) -> None:
    assert regime.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("regime", "t", "expected"),
    [
        (PT, lis(2026, 12, 4, 18), lis(2026, 12, 7, 9)),  # Friday evening: Monday 09:00
        (PT, lis(2026, 12, 7, 8), lis(2026, 12, 9, 9)),  # the next day (8th) is a holiday
        (UK, lon(2026, 12, 24, 12), lon(2026, 12, 29, 9)),  # over Christmas
    ],
)
def test_next_working_day_start(regime: Regime, t: datetime, expected: datetime) -> None:
    assert regime.next_working_day_start(t) == expected


@pytest.mark.parametrize(
    ("deadline", "completed", "late"),
    [
        (lis(2026, 12, 9, 9), lis(2026, 12, 9, 8), 0),  # early
        (lis(2026, 12, 9, 9), lis(2026, 12, 9, 17), 0),  # late but not a full day
        (lis(2026, 12, 9, 9), lis(2026, 12, 10, 8, 59), 0),  # one minute short of a day
        (lis(2026, 12, 9, 9), lis(2026, 12, 10, 9), 1),  # exactly one day
        (lis(2026, 12, 9, 9), lis(2026, 12, 11, 10), 2),  # two full days
        (lis(2026, 3, 28, 12), lis(2026, 3, 29, 12), 0),  # 23 h across spring-forward
        (lis(2026, 12, 9, 9), datetime(2026, 12, 10, 9, tzinfo=NEW_YORK), 1),  # any zone
    ],
)
def test_days_late(deadline: datetime, completed: datetime, late: int) -> None:
    assert days_late(deadline, completed) == late
    assert PT.days_late(deadline, completed) == late


def test_period_month_arithmetic() -> None:
    assert Period(months=1).after(lis(2026, 1, 31)) == lis(2026, 2, 28)
    assert Period(months=12, days=1).after(lis(2026, 12, 31)) == lis(2028, 1, 1)


@given(regime=regimes, t=instants, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_a_working_day(regime: Regime, t: datetime, n: int) -> None:
    assert regime.is_working_day(regime.add_working_days(t, n).date())
    assert regime.is_working_day(regime.add_working_days(t, -n).date())


@given(
    regime=regimes,
    t=instants,
    n=st.integers(min_value=0, max_value=60),
    k=st.integers(min_value=1, max_value=20),
)
def test_add_working_days_is_monotonic(regime: Regime, t: datetime, n: int, k: int) -> None:
    assert regime.add_working_days(t, n) < regime.add_working_days(t, n + k)

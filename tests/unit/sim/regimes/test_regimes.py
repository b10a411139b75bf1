"""Tests for sim.regimes: calendars, deadlines, port slots, windows, compensation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.regimes import REGIMES, REJECTION_TEXT, OrderFacts, Regime, days_late, get_regime
from sim.regimes import uk as uk_module
from sim.regimes.business_calendar import Period

LONDON = ZoneInfo("Europe/London")
LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
UK, PT, US = get_regime("uk"), get_regime("pt"), get_regime("us")
ONE = OrderFacts(numbers=1)


def lon(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def lis(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LISBON)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


# -- lookup ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "country", "tz"),
    [
        ("uk", "GB", "Europe/London"),  # England's calendar
        ("PT", "PT", "Europe/Lisbon"),  # names are case-insensitive
        ("us", "US", "America/New_York"),  # federal holidays, Eastern time
    ],
)
def test_get_regime(name: str, country: str, tz: str) -> None:
    regime = get_regime(name)
    assert (regime.country, regime.tz.key) == (country, tz)
    assert regime.name == name.lower()


def test_get_regime_unknown_lists_known() -> None:
    with pytest.raises(ValueError, match="unknown regime 'fr': known regimes are pt, uk, us"):
        get_regime("fr")


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UK.clock_start(datetime(2026, 11, 23, 10))


# -- calendar ----------------------------------------------------------------------------------


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


# -- the PT 17:00 rule and deadlines -------------------------------------------------------------


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
    ("facts", "range_holder_days", "other_days"),
    [
        (OrderFacts(numbers=1), 4, 7),  # single line
        (OrderFacts(numbers=2), 7, 10),  # multi-line
        (OrderFacts(numbers=29), 7, 10),  # multi-line, under 30
        (OrderFacts(numbers=30), 7, 10),  # the table's gap at 30: multi-line
        (OrderFacts(numbers=31), 10, 13),  # 31-150
        (OrderFacts(numbers=150), 10, 13),  # 31-150
        (OrderFacts(numbers=5, ddi=True), 10, 13),  # DDI
        (OrderFacts(numbers=151), 17, 20),  # the table's gap at 151: more than 150
        (OrderFacts(numbers=400), 17, 20),  # more than 151
        (OrderFacts(numbers=3, part_of_ddi_range=True), 22, 25),  # part of a DDI range
        (OrderFacts(numbers=1, non_geographic=True), 7, 10),  # non-geographic
        (OrderFacts(numbers=1, mobile=True), 1, 1),  # mobile (PAC): 1 working day
    ],
)
def test_uk_lead_times(facts: OrderFacts, range_holder_days: int, other_days: int) -> None:
    assert uk_module.lead_time(facts) == range_holder_days
    assert uk_module.lead_time(replace(facts, losing_is_range_holder=False)) == other_days
    monday = lon(2026, 11, 2, 10)  # no holidays for weeks after
    assert UK.port_deadline(monday, facts=facts) == UK.add_working_days(monday, range_holder_days)


@pytest.mark.parametrize(
    ("regime", "submitted", "facts", "answer", "deadline"),
    [
        # UK: answer in 2 working days, single line done in 4
        (UK, lon(2026, 11, 23, 10), ONE, lon(2026, 11, 25, 10), lon(2026, 11, 27, 10)),
        # UK mobile: the answer cannot come after the 1-day port deadline
        (
            UK,
            lon(2026, 11, 23, 10),
            OrderFacts(numbers=1, mobile=True),
            lon(2026, 11, 24, 10),
            lon(2026, 11, 24, 10),
        ),
        # UK over Christmas: 4 working days from 23 Dec are 24, 29, 30, 31 Dec
        (UK, lon(2026, 12, 23, 10), ONE, lon(2026, 12, 29, 10), lon(2026, 12, 31, 10)),
        # US: FOC 10 working days after submission, deadline 20 (Veterans Day, Thanksgiving)
        (US, nyc(2026, 11, 2, 10), ONE, nyc(2026, 11, 17, 10), nyc(2026, 12, 2, 10)),
    ],
)
def test_answer_and_port_deadlines(
    regime: Regime, submitted: datetime, facts: OrderFacts, answer: datetime, deadline: datetime
) -> None:
    assert regime.answer_deadline(submitted, facts=facts) == answer
    assert regime.port_deadline(submitted, facts=facts) == deadline


# -- port date, window, point of no return ------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "earliest", "requested", "expected"),
    [
        # submitted Mon 23 Nov 10:00, deadline Fri 27, requested Sat 28: Sat 28 00:00
        (UK, lon(2026, 11, 27, 10), lon(2026, 11, 28), lon(2026, 11, 28)),
        # nothing requested: the next Saturday midnight
        (UK, lon(2026, 11, 27, 10), None, lon(2026, 11, 28)),
        # a requested Sunday midnight is a weekend midnight: kept
        (UK, lon(2026, 11, 27, 10), lon(2026, 11, 29), lon(2026, 11, 29)),
        # a requested date before the earliest is ignored
        (UK, lon(2026, 11, 27, 10), lon(2026, 11, 25), lon(2026, 11, 28)),
        # Saturday noon is past that Saturday's midnight: a week later
        (UK, lon(2026, 11, 28, 12), None, lon(2026, 12, 5)),
        # exactly at a Saturday midnight: that one
        (UK, lon(2026, 11, 28), None, lon(2026, 11, 28)),
        # PT: in business hours on a working day, as early as allowed
        (PT, lis(2026, 12, 7, 11, 30), None, lis(2026, 12, 7, 11, 30)),
        # PT: before opening: 09:00 the same day
        (PT, lis(2026, 12, 7, 8), None, lis(2026, 12, 7, 9)),
        # PT: too late for a 3 h window by 17:00, next day is a holiday: Wednesday 09:00
        (PT, lis(2026, 12, 7, 16), None, lis(2026, 12, 9, 9)),
        # PT: a requested Saturday moves to Monday 09:00
        (PT, lis(2026, 12, 2, 10), lis(2026, 12, 5, 10), lis(2026, 12, 7, 9)),
        # US: Monday is not searched: Tuesday at opening
        (US, nyc(2026, 11, 23, 10), None, nyc(2026, 11, 24, 9)),
        # US: mid-week in business hours: as it is
        (US, nyc(2026, 11, 24, 10), None, nyc(2026, 11, 24, 10)),
        # US: New Year's Eve is month end, then a holiday and a Monday: Tuesday 09:00
        (US, nyc(2026, 12, 31, 10), None, nyc(2027, 1, 5, 9)),
        # US: the last working day of June is avoided
        (US, nyc(2026, 6, 30, 10), None, nyc(2026, 7, 1, 9)),
        # US: a Monday the customer asks for is kept
        (US, nyc(2026, 11, 20, 10), nyc(2026, 11, 23, 10), nyc(2026, 11, 23, 10)),
    ],
)
def test_schedule_port(
    regime: Regime, earliest: datetime, requested: datetime | None, expected: datetime
) -> None:
    scheduled = regime.schedule_port(earliest, requested)
    assert scheduled == expected
    assert scheduled.tzinfo is regime.tz


def test_uk_schedule_from_submission() -> None:
    submitted = lon(2026, 11, 23, 10)  # Monday
    deadline = UK.port_deadline(submitted, facts=ONE)
    port = UK.schedule_port(deadline, lon(2026, 11, 28))
    assert port == datetime(2026, 11, 28, 0, 0, tzinfo=LONDON)
    assert port.isoformat() == "2026-11-28T00:00:00+00:00"


@pytest.mark.parametrize(
    ("regime", "start", "end", "minutes"),
    [
        (UK, lon(2026, 11, 28), lon(2026, 11, 28, 6), 360),  # overnight 00:00-06:00
        (UK, lon(2026, 3, 29), lon(2026, 3, 29, 7), 360),  # 6 h elapsed over spring-forward
        (PT, lis(2026, 12, 9, 9), lis(2026, 12, 9, 12), 180),  # the law's 3 hours
        (US, nyc(2026, 11, 24, 10), nyc(2026, 11, 24, 12), 120),  # 2 h
    ],
)
def test_window(regime: Regime, start: datetime, end: datetime, minutes: float) -> None:
    assert regime.window(start) == (start, end)
    assert regime.window_minutes == minutes


@pytest.mark.parametrize(
    ("regime", "accepted", "port", "expected"),
    [
        # PT: once accepted and the date confirmed, no withdrawal
        (PT, lis(2026, 12, 2, 10), lis(2026, 12, 3, 9), lis(2026, 12, 2, 10)),
        # UK: until 17:00 on the last working day before the port date
        (UK, lon(2026, 11, 24, 10), lon(2026, 11, 28), lon(2026, 11, 27, 17)),
        # UK: over New Year's Day the last working day is 31 December
        (UK, lon(2026, 12, 22, 10), lon(2027, 1, 2), lon(2026, 12, 31, 17)),
        # UK: accepted after that cut-off: the point of no return is the acceptance
        (UK, lon(2026, 11, 27, 18), lon(2026, 11, 28), lon(2026, 11, 27, 18)),
        # US: the FOC
        (US, nyc(2026, 11, 17, 10), nyc(2026, 11, 24, 10), nyc(2026, 11, 17, 10)),
    ],
)
def test_point_of_no_return(
    regime: Regime, accepted: datetime, port: datetime, expected: datetime
) -> None:
    assert regime.point_of_no_return(accepted, port) == expected


# -- after the port ------------------------------------------------------------------------------


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


@pytest.mark.parametrize("regime", [UK, US])
def test_no_statutory_compensation(regime: Regime) -> None:
    got = regime.compensation_eur(
        numbers=50, days_late=5, interruption_minutes_beyond_window=600, window_minutes=120
    )
    assert got == 0.0


def test_compensation_refuses_negative() -> None:
    with pytest.raises(ValueError):
        PT.compensation_eur(
            numbers=1, days_late=-1, interruption_minutes_beyond_window=0, window_minutes=180
        )


@pytest.mark.parametrize(
    ("regime", "contract_end", "ends"),
    [
        (UK, lon(2026, 1, 31, 12), lon(2027, 3, 2, 12)),  # 30 days suspended, then 12 months
        (PT, lis(2026, 11, 30, 12), lis(2027, 2, 28, 12)),  # 3 months, clamped to February
        (US, nyc(2026, 1, 1, 12), nyc(2026, 4, 1, 12)),  # 90 days
    ],
)
def test_quarantine_ends(regime: Regime, contract_end: datetime, ends: datetime) -> None:
    assert regime.quarantine_ends(contract_end) == ends
    assert regime.is_quarantined(contract_end, ends - timedelta(seconds=1))
    assert not regime.is_quarantined(contract_end, ends)
    assert not regime.is_quarantined(contract_end, contract_end - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("regime", "last_active", "at", "inactive"),
    [
        (PT, lis(2026, 1, 15), lis(2026, 4, 15), False),  # exactly 3 months
        (PT, lis(2026, 1, 15), lis(2026, 4, 16), True),  # over 3 months: not portable
        (UK, lon(2020, 1, 1), lon(2026, 1, 1), False),  # no inactivity rule in the UK
    ],
)
def test_inactivity(regime: Regime, last_active: datetime, at: datetime, inactive: bool) -> None:
    assert regime.is_inactive_too_long(last_active, at) is inactive


def test_period_month_arithmetic() -> None:
    assert Period(months=1).after(lis(2026, 1, 31)) == lis(2026, 2, 28)
    assert Period(months=12, days=1).after(lis(2026, 12, 31)) == lis(2028, 1, 1)


# -- validation ------------------------------------------------------------------------------


UK_LOA = {"loa_incomplete", "loa_unsigned", "unauthorised_signer", "not_portable"}
PT_ANACOM = {"pvc_mismatch", "not_portable", "service_type_switch", "inactive_number"}
US_BILL = {"account_number", "pin", "holder_name", "service_address", "pending_order"}


@pytest.mark.parametrize(
    ("regime", "present", "absent"),
    [
        (UK, UK_LOA, {"pvc_mismatch", "service_type_switch"}),  # LOA-based, no PVC
        (PT, PT_ANACOM, {"contract_restriction", "loa_unsigned"}),  # no loyalty-period refusal
        (US, US_BILL | {"unauthorised_signer"}, {"pvc_mismatch"}),  # must match the bill
    ],
)
def test_validation_checks(regime: Regime, present: set[str], absent: set[str]) -> None:
    checks = set(regime.validation_checks)
    assert present <= checks
    assert not absent & checks
    assert checks <= REJECTION_TEXT.keys()


def test_rejection_text_cites_suite_numbers() -> None:
    assert "suite/unit" in REJECTION_TEXT["service_address"]
    assert all(text and "\n" not in text for text in REJECTION_TEXT.values())


# -- invariants --------------------------------------------------------------------------------

regimes = st.sampled_from(sorted(REGIMES.values(), key=lambda r: r.name))
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(LISBON)
)


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


@given(regime=regimes, t=instants)
def test_scheduled_port_is_a_slot_at_or_after_earliest(regime: Regime, t: datetime) -> None:
    port = regime.schedule_port(t)
    assert port >= t
    assert regime.is_port_slot(port)


@given(t=instants)
def test_pt_clock_start_is_on_a_working_day(t: datetime) -> None:
    clock = PT.clock_start(t)
    assert clock >= t
    assert PT.is_working_day(clock.date())

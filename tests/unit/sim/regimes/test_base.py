"""Tests for sim.regimes.base: the Regime's deadlines, slots, windows, compensation, checks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given

from sim.regimes import REJECTION_TEXT, OrderFacts, Regime
from sim.regimes.base import no_return
from sim.regimes.timeline import Timeline

from .conftest import ONE, PT, UK, US, instants, lis, lon, nyc, regimes


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UK.clock_start(datetime(2026, 11, 23, 10))


@pytest.mark.parametrize(
    ("regime", "submitted", "facts", "answer", "deadline"),
    [
        # UK: a single line is answered within 24 h; the earliest port date 4 working days on
        (UK, lon(2026, 11, 23, 10), ONE, lon(2026, 11, 24, 10), lon(2026, 11, 27, 10)),
        # UK multi-line: 48 h, elapsed (a Friday order is answered by Sunday); 7 working days
        (UK, lon(2026, 11, 20, 10), OrderFacts(numbers=3), lon(2026, 11, 22, 10),
         lon(2026, 12, 1, 10)),
        # UK non-geographic, one number: 48 h as well
        (UK, lon(2026, 11, 23, 10), OrderFacts(numbers=1, non_geographic=True),
         lon(2026, 11, 25, 10), lon(2026, 12, 2, 10)),
        # UK mobile: 24 h, one working day to the earliest port date
        (UK, lon(2026, 11, 23, 10), OrderFacts(numbers=1, mobile=True), lon(2026, 11, 24, 10),
         lon(2026, 11, 24, 10)),
        # UK over Christmas: 4 working days from 23 Dec are 24, 29, 30, 31 Dec; 24 h to answer
        (UK, lon(2026, 12, 23, 10), ONE, lon(2026, 12, 24, 10), lon(2026, 12, 31, 10)),
        # US: FOC 10 working days after submission, deadline 20 (Veterans Day, Thanksgiving)
        (US, nyc(2026, 11, 2, 10), ONE, nyc(2026, 11, 17, 10), nyc(2026, 12, 2, 10)),
    ],
)
def test_answer_and_port_deadlines(
    regime: Regime, submitted: datetime, facts: OrderFacts, answer: datetime, deadline: datetime
) -> None:
    assert regime.answer_deadline(submitted, facts=facts) == answer
    assert regime.port_deadline(submitted, facts=facts) == deadline


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


def test_the_point_of_no_return_is_one_rule_for_datetimes_and_posix_seconds() -> None:
    # the regime and the model's timeline both call sim.regimes.base.no_return on the
    # regime's cut-off: the same answer whichever form the instants take
    accepted, port = lon(2026, 11, 24, 10), lon(2026, 11, 28)
    cutoff = UK.no_return_cutoff(port.date())
    assert cutoff == lon(2026, 11, 27, 17)
    assert PT.no_return_cutoff(port.date()) is None  # until acceptance
    assert no_return(accepted.timestamp(), port.timestamp(), cutoff.timestamp()) == (
        UK.point_of_no_return(accepted, port).timestamp())
    assert Timeline(UK).point_of_no_return(accepted.timestamp(), port.timestamp()) == (
        cutoff.timestamp())


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


@given(regime=regimes, t=instants)
def test_scheduled_port_is_a_slot_at_or_after_earliest(regime: Regime, t: datetime) -> None:
    port = regime.schedule_port(t)
    assert port >= t
    assert regime.is_port_slot(port)

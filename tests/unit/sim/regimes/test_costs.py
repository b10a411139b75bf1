"""sim.regimes.costs: the provider terms' charges and the compensations, asked directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.regimes import get_regime
from sim.regimes.business_calendar import Period
from sim.regimes.costs import (
    NO_TERMS,
    PT_TERMS,
    UK_TERMS,
    early_termination,
    empty_costs,
    golden_number_fee,
    reconnection_fee,
    suspension_phases,
)

PURCHASED = datetime(2025, 3, 10, 12, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(("ported", "fee"), [
    (at(2025, 3, 10), 150.0),       # the day of purchase: 3x
    (at(2026, 3, 10), 150.0),       # exactly 12 months on: still within the first year, 3x
    (at(2026, 3, 10, 13), 100.0),   # an hour later: between 12 and 24 months, 2x
    (at(2027, 3, 10), 100.0),       # exactly 24 months: 2x
    (at(2027, 3, 11), 0.0),         # after two years: nothing
])
def test_a_golden_number_ported_away_costs_a_multiple_of_its_initial_fee(
        ported: datetime, fee: float) -> None:
    assert golden_number_fee(50.0, purchased=PURCHASED, ported=ported, terms=UK_TERMS) == fee


@pytest.mark.parametrize(("fee", "ported", "terms", "message"), [
    (-1.0, at(2025, 4, 1), UK_TERMS, "negative"),               # a negative fee
    (50.0, at(2025, 3, 1), UK_TERMS, "before it was purchased"),  # ported before purchase
    (50.0, at(2025, 4, 1), PT_TERMS, "no Gold"),                  # a regime without the rule
])
def test_golden_number_fee_refuses_impossible_facts(fee: float, ported: datetime,
                                                    terms, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        golden_number_fee(fee, purchased=PURCHASED, ported=ported, terms=terms)


START = at(2026, 1, 15)


@pytest.mark.parametrize(("ported", "monthly", "charge", "terms", "owed"), [
    (at(2026, 2, 10), 10.0, 0.0, UK_TERMS, 0.0),     # within 30 days of the start: nothing
    (at(2026, 2, 14, 13), 10.0, 0.0, UK_TERMS, 110.0),  # day 30, 1 h on: 11 payments still due
    (at(2026, 11, 20), 10.0, 0.0, UK_TERMS, 10.0),   # only Dec 15's payment is left (the
                                                     # term ends Jan 15)
    (at(2026, 11, 15), 10.0, 0.0, UK_TERMS, 10.0),   # on Nov 15's due date: that one is paid
    (at(2027, 1, 15), 10.0, 0.0, UK_TERMS, 0.0),     # the term is over: nothing
    (at(2026, 3, 1), 0.0, 120.0, PT_TERMS, 120.0),   # PT loyalty: the fixed charge, no grace
    (at(2026, 1, 20), 0.0, 120.0, PT_TERMS, 120.0),  # ... even in the first days
    (at(2027, 2, 1), 0.0, 120.0, PT_TERMS, 0.0),     # loyalty over: nothing owed
])
def test_leaving_a_minimum_term_early(ported: datetime, monthly: float, charge: float,
                                      terms, owed: float) -> None:
    assert early_termination(start=START, months=12, monthly_fee=monthly, charge=charge,
                             ported=ported, terms=terms) == owed


def test_minimum_term_refuses_impossible_facts() -> None:
    kwargs = dict(start=START, months=12, monthly_fee=10.0, charge=0.0, terms=UK_TERMS)
    with pytest.raises(ValueError, match="before its contract"):
        early_termination(**{**kwargs, "ported": at(2026, 1, 1)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        early_termination(**{**kwargs, "monthly_fee": -1.0, "ported": at(2026, 5, 1)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no minimum-term"):
        early_termination(**{**kwargs, "terms": NO_TERMS, "ported": at(2026, 5, 1)})  # type: ignore[arg-type]


def test_reconnection_is_10_gbp_a_number_under_the_uk_terms() -> None:
    assert reconnection_fee(3, terms=UK_TERMS) == 30.0
    with pytest.raises(ValueError):
        reconnection_fee(0, terms=UK_TERMS)
    with pytest.raises(ValueError, match="no reconnection"):
        reconnection_fee(1, terms=PT_TERMS)


@pytest.mark.parametrize(("numbers", "minutes", "owed"), [
    (1, 0.0, 0.0),              # remedied at once: nothing
    (1, 1.0, 20.0),             # a minute unduly ported: one started day
    (3, 2 * 1440.0, 120.0),     # two whole days, three numbers
    (100, 10 * 1440.0, 5000.0),  # 20,000 EUR by the day, capped per request
])
def test_porting_without_consent_is_20_eur_a_number_a_day_capped(
        numbers: int, minutes: float, owed: float) -> None:
    assert get_regime("pt").no_consent_compensation(numbers=numbers, minutes=minutes) == owed


def test_only_portugal_compensates_a_port_without_consent() -> None:
    assert get_regime("uk").no_consent_compensation(numbers=5, minutes=1e6) == 0.0


def test_compensation_parts_add_up_to_compensation_eur() -> None:
    pt = get_regime("pt")
    args = dict(numbers=2, days_late=3, interruption_minutes_beyond_window=60.0,
                window_minutes=180.0)
    assert pt.compensation_parts(**args) == (15.0, 40.0)  # type: ignore[arg-type]
    assert pt.compensation_eur(**args) == 55.0  # type: ignore[arg-type]


def test_every_regime_charges_in_its_own_currency() -> None:
    assert {r: get_regime(r).currency for r in ("uk", "pt", "us")} == {
        "uk": "GBP", "pt": "EUR", "us": "USD"}
    assert set(empty_costs()) == {"EUR", "GBP", "USD"}


AT = datetime(2026, 11, 24, 9, tzinfo=UTC)
THIRTY_DAYS, TWELVE_MONTHS = Period(days=30), Period(months=12)


@pytest.mark.parametrize(("reconnect", "phases"), [
    # never reconnected: suspended 30 days, quarantined 12 months, then free for another user
    (None, [(AT, "suspended"), (at(2026, 12, 24, 9), "quarantined"),
            (at(2027, 12, 24, 9), "released")]),
    # the same user reconnects while suspended
    (at(2026, 12, 3, 10), [(AT, "suspended"), (at(2026, 12, 3, 10), "reconnected")]),
    # ... or while quarantined (the terms: "suspended or quarantined telephone numbers")
    (at(2027, 6, 1), [(AT, "suspended"), (at(2026, 12, 24, 9), "quarantined"),
                      (at(2027, 6, 1), "reconnected")]),
    # too late: released, and the request is refused
    (at(2028, 1, 5), [(AT, "suspended"), (at(2026, 12, 24, 9), "quarantined"),
                      (at(2027, 12, 24, 9), "released"), (at(2028, 1, 5), "reconnect_refused")]),
])
def test_suspension_for_lack_of_funds_runs_its_phases(reconnect, phases) -> None:
    assert suspension_phases(AT, reconnect=reconnect, suspension=THIRTY_DAYS,
                             quarantine=TWELVE_MONTHS) == phases


def test_a_reconnection_before_the_suspension_is_refused() -> None:
    with pytest.raises(ValueError):
        suspension_phases(AT, reconnect=at(2026, 11, 1), suspension=THIRTY_DAYS,
                          quarantine=TWELVE_MONTHS)


# -- invariants (Hypothesis) ---------------------------------------------------------------

DAYS = st.integers(min_value=0, max_value=4 * 366)


@given(fee=st.floats(min_value=0, max_value=1e5), a=DAYS, b=DAYS)
def test_a_golden_numbers_fee_only_falls_with_its_age(fee: float, a: int, b: int) -> None:
    early, late = sorted((a, b))
    fees = [golden_number_fee(fee, purchased=PURCHASED, ported=PURCHASED + timedelta(days=d),
                              terms=UK_TERMS) for d in (early, late)]
    assert fees[0] >= fees[1]
    assert all(f in (round(3 * fee, 2), round(2 * fee, 2), 0.0) for f in fees)


@given(months=st.integers(min_value=1, max_value=36), monthly=st.floats(0, 1e4),
       charge=st.floats(0, 1e4), a=DAYS, b=DAYS)
def test_what_is_left_of_a_minimum_term_only_falls(months: int, monthly: float, charge: float,
                                                   a: int, b: int) -> None:
    early, late = sorted((a, b))
    owed = [early_termination(start=START, months=months, monthly_fee=monthly, charge=charge,
                              ported=START + timedelta(days=d, hours=1), terms=UK_TERMS)
            for d in (early, late)]
    # within the grace period nothing is owed, so only past it does the remainder fall
    if early >= 30:
        assert owed[0] >= owed[1]
    assert all(0.0 <= o <= round(charge + monthly * (months - 1), 2) + 0.01 for o in owed)


@given(numbers=st.integers(1, 500), a=st.floats(0, 1e6), b=st.floats(0, 1e6))
def test_no_consent_compensation_grows_with_time_up_to_the_cap(numbers: int, a: float,
                                                                b: float) -> None:
    pt = get_regime("pt")
    short, long = sorted((a, b))
    owed = [pt.no_consent_compensation(numbers=numbers, minutes=m) for m in (short, long)]
    assert owed[0] <= owed[1] <= 5000.0

"""The Portuguese regime (ANACOM): 1 working day, the 17:00 rule, a 3-hour window, compensation."""

from __future__ import annotations

__all__ = ["lead_time", "REGIME"]

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sim.regimes.base import Compensation, OrderFacts, PortSlots, Regime
from sim.regimes.business_calendar import BusinessCalendar, Period
from sim.regimes.costs import PT_TERMS


def lead_time(facts: OrderFacts) -> int:
    """Working days from clock start: 1; MSN/DDI ranges and distance contracts 3."""
    return 3 if facts.ddi or facts.distance_contract else 1


_WINDOW = timedelta(hours=3)

REGIME = Regime(
    name="pt",
    country="PT",
    calendar=BusinessCalendar("PT", None, ZoneInfo("Europe/Lisbon")),
    clock_cutoff=time(17, 0),
    answer_within=lambda facts: 1,
    lead_time=lead_time,
    physical_work_working_days=1,
    # The whole 3-hour window inside business hours (09:00-17:00) of a working day.
    slots=PortSlots(
        days=frozenset(range(5)),
        requestable_days=frozenset(range(5)),
        earliest=time(9, 0),
        latest=time(14, 0),
        working_days_only=True,
    ),
    window_length=_WINDOW,
    no_return_working_days=None,
    compensation=Compensation(
        delay_per_number_day=2.5,
        interruption_per_number_day=20.0,
        interruption_cap_per_request=5000.0,
        no_consent_per_number_day=20.0,
        no_consent_cap_per_request=5000.0,
    ),
    validation_checks=(
        "pvc_mismatch",
        "not_portable",
        "temporary_access",
        "service_type_switch",
        "inactive_number",
        "quarantined",
    ),
    suspension=Period(),
    quarantine=Period(months=3),
    inactivity_limit=Period(months=3),
    order_keys=frozenset({"distance_contract", "physical_work_done"}),
    currency="EUR",
    terms=PT_TERMS,
    notes=(
        "a request after 17:00 on a working day, or on a non-working day, counts from "
        "09:00 on the next working day",
        "the losing operator answers within the same 1 working day as the whole port",
        "an agreed later date and physical network work (1 working day after it) only "
        "ever move the deadline later",
        "port windows start 09:00-14:00 on a working day so all 3 h fall in business hours",
        "interruption compensation counts the whole interruption per started day once it "
        "exceeds the window; the 5000 EUR cap applies to that part only, not to delay",
        "an active loyalty period is not a reason to refuse",
    ),
)

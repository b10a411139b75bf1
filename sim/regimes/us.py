"""The US-style business porting regime: FOC after about 2 weeks, port within 3-4 weeks."""

from __future__ import annotations

__all__ = ["FOC_WORKING_DAYS", "PORT_WORKING_DAYS", "lead_time", "REGIME"]

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sim.regimes.base import Compensation, OrderFacts, PortSlots, Regime
from sim.regimes.business_calendar import BusinessCalendar, Period

#: "the FOC date arrives about 2 weeks after submission" (Ooma seed).
FOC_WORKING_DAYS = 10
#: "takes 3-4 weeks" (Ooma seed): the late end, 4 weeks of working days.
PORT_WORKING_DAYS = 20


def lead_time(facts: OrderFacts) -> int:
    """Working days from submission to the port deadline: 20 whatever the order."""
    return PORT_WORKING_DAYS


REGIME = Regime(
    name="us",
    country="US",
    calendar=BusinessCalendar("US", None, ZoneInfo("America/New_York")),
    clock_cutoff=None,
    answer_within=lambda facts: FOC_WORKING_DAYS,
    lead_time=lead_time,
    physical_work_working_days=None,
    # Checklist seed: "schedule mid-week, avoid Monday mornings and month end; go live in
    # business hours so tests can run". Searched: Tuesday-Thursday, not the month's last
    # working day; a requested instant on any working day in the slot hours is kept.
    slots=PortSlots(
        days=frozenset({1, 2, 3}),
        requestable_days=frozenset(range(5)),
        earliest=time(9, 0),
        latest=time(15, 0),
        working_days_only=True,
        avoid_month_end=True,
    ),
    window_length=timedelta(hours=2),
    no_return_working_days=None,
    compensation=Compensation(),
    validation_checks=(
        "account_number",
        "pin",
        "holder_name",
        "service_address",
        "pending_order",
        "contract_restriction",
        "loa_incomplete",
        "loa_unsigned",
        "unauthorised_signer",
        "not_portable",
        "quarantined",
    ),
    suspension=Period(),
    quarantine=Period(days=90),
    inactivity_limit=None,
    currency="USD",
    notes=(
        "clock starts at submission; FOC (the losing carrier's answer) due 10 working days "
        "later, port deadline 20 working days (NPAC's 1-business-day simple port is the "
        "inter-carrier step, not the customer-facing time)",
        "port windows 2 h, starting 09:00-15:00 Tuesday-Thursday, not at month end",
        "withdrawal until FOC (accepted_at); NPAC's cancel-pending after FOC is not modelled",
        "no statutory compensation in the seeds: 0",
        "quarantine 90 days after disconnection (not in the seeds)",
    ),
)

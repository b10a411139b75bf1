"""The UK regime: GNP industry lead times, weekend-midnight ports, onward-routed numbers."""

from __future__ import annotations

__all__ = ["LEAD_TIMES", "LeadTimeRow", "lead_time", "lead_time_row", "answer_within",
           "MIGRATION_NETWORKS", "is_migration_network", "REGIME"]

import re
from collections.abc import Callable
from datetime import time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sim.regimes.base import Compensation, OrderFacts, PortSlots, Regime
from sim.regimes.business_calendar import BusinessCalendar, Period
from sim.regimes.costs import UK_TERMS


class LeadTimeRow(NamedTuple):
    """One row of the industry lead-time table, in working days."""

    label: str
    applies: Callable[[OrderFacts], bool]
    range_holder: int  # the losing carrier is the range holder
    not_range_holder: int  # the losing carrier is not (subsequent port)


#: DOMAIN.md "Industry lead times": MINIMUM lead times, the fewest working days from a valid
#: order to the earliest port date. The first row that applies wins. The table leaves 30 and
#: 151 numbers between rows: 30 counts as multi-line, 151 as "more than 150".
LEAD_TIMES: tuple[LeadTimeRow, ...] = (
    LeadTimeRow("mobile (PAC)", lambda f: f.mobile, 1, 1),
    LeadTimeRow("non-geographic", lambda f: f.non_geographic, 7, 10),
    LeadTimeRow("complex DDI (part of a DDI range)", lambda f: f.part_of_ddi_range, 22, 25),
    LeadTimeRow("more than 150 numbers", lambda f: f.numbers > 150, 17, 20),
    LeadTimeRow("31-150 numbers or DDI", lambda f: f.ddi or f.numbers > 30, 10, 13),
    LeadTimeRow("multi-line up to 30 numbers", lambda f: f.numbers > 1, 7, 10),
    LeadTimeRow("single line, more than 10 lines at the installation",
                lambda f: f.installation_lines > 10, 14, 17),
    LeadTimeRow("single line", lambda f: True, 4, 7),
)

#: The losing carrier's order handling (DOMAIN.md): single line 24 h, multi-line and
#: non-geographic 48 h.
SINGLE_LINE_ANSWER = timedelta(hours=24)
MULTI_LINE_ANSWER = timedelta(hours=48)


def lead_time_row(facts: OrderFacts) -> LeadTimeRow:
    """The row of :data:`LEAD_TIMES` an order with these facts falls in."""
    return next(r for r in LEAD_TIMES if r.applies(facts))


def lead_time(facts: OrderFacts) -> int:
    """Working days from submission to the earliest port date for an order with these facts."""
    row = lead_time_row(facts)
    return row.range_holder if facts.losing_is_range_holder else row.not_range_holder


def answer_within(facts: OrderFacts) -> timedelta:
    """The losing carrier's order-handling time: 24 h for a single line, else 48 h."""
    single = facts.numbers == 1 and not (facts.ddi or facts.non_geographic)
    return SINGLE_LINE_ANSWER if single else MULTI_LINE_ANSWER


#: UK provider page: numbers held through a reseller of these networks "can be migrated (written
#: authorisation only) instead of ported". Matched on a carrier's name (or id), letters only,
#: '&' read as 'and'.
MIGRATION_NETWORKS = ("energis", "cableandwireless", "verizon")
_MIGRATION_IDS = frozenset({"energis", "cw", "candw", "cablewireless", "verizon"})


def is_migration_network(carrier_id: str, name: str) -> bool:
    """Whether the carrier is Energis, Cable & Wireless or Verizon (the migration networks).

    >>> is_migration_network("cw", "Cable & Wireless"), is_migration_network("bt", "BT")
    (True, False)
    """
    key = re.sub(r"[^a-z]", "", name.lower().replace("&", "and"))
    return carrier_id.lower() in _MIGRATION_IDS or key.startswith(MIGRATION_NETWORKS)


REGIME = Regime(
    name="uk",
    country="GB",
    calendar=BusinessCalendar("GB", "ENG", ZoneInfo("Europe/London")),
    clock_cutoff=None,
    answer_within=answer_within,
    lead_time=lead_time,
    physical_work_working_days=None,
    # "usually midnight at weekends": Saturday 00:00, or Sunday 00:00 when asked for.
    slots=PortSlots(
        days=frozenset({5}),
        requestable_days=frozenset({5, 6}),
        earliest=time(0, 0),
        latest=time(0, 0),
        working_days_only=False,
    ),
    window_length=timedelta(hours=6),
    no_return_working_days=1,
    compensation=Compensation(),
    validation_checks=(
        "loa_incomplete",
        "loa_unsigned",
        "unauthorised_signer",
        "account_number",
        "holder_name",
        "service_address",
        "pending_order",
        "contract_restriction",
        "not_portable",
        "quarantined",
    ),
    suspension=Period(days=30),
    quarantine=Period(months=12),
    inactivity_limit=None,
    currency="GBP",
    terms=UK_TERMS,
    lead_time_is_minimum=True,
    notes=(
        "clock starts at submission; lead times are the industry table's minimum working "
        "days to the earliest port date: a requested date before it moves to the first slot "
        "after it; without a requested date the port takes that slot",
        "a port is due by the end of its committed window (a re-attempt after it breaches)",
        "the losing carrier answers within 24 h (single line) or 48 h (multi-line, DDI, "
        "non-geographic) of elapsed time, nights and weekends included",
        "port at Saturday 00:00 Europe/London; a requested Saturday or Sunday 00:00 on or "
        "after the earliest port date is kept",
        "window 00:00-06:00 (6 h elapsed): 'usually overnight with no loss of service'",
        "withdrawal until 17:00 on the last working day before the port date (Ofcom lets "
        "cancellation run until activation; the simulator stops a working day earlier so "
        "the losing carrier can act in business hours)",
        "no statutory compensation in the seeds: 0",
        "suspension 30 days then quarantine 12 months (provider terms)",
    ),
)

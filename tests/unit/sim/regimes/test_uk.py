"""Tests for sim.regimes.uk: the lead-time table and a port scheduled from submission."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from sim.regimes import OrderFacts
from sim.regimes import uk as uk_module
from sim.regimes.timeline import Timeline

from .conftest import LONDON, ONE, PT, UK, lis, lon


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
        # a single line from an installation of more than 10 lines
        (OrderFacts(numbers=1, installation_lines=11), 14, 17),
        (OrderFacts(numbers=1, installation_lines=10), 4, 7),  # 10 is not more than 10
        (OrderFacts(numbers=2, installation_lines=12), 7, 10),  # two lines: multi-line
    ],
)
def test_uk_lead_times(facts: OrderFacts, range_holder_days: int, other_days: int) -> None:
    assert uk_module.lead_time(facts) == range_holder_days
    assert uk_module.lead_time(replace(facts, losing_is_range_holder=False)) == other_days
    monday = lon(2026, 11, 2, 10)  # no holidays for weeks after
    assert UK.port_deadline(monday, facts=facts) == UK.add_working_days(monday, range_holder_days)


def test_uk_schedule_from_submission() -> None:
    submitted = lon(2026, 11, 23, 10)  # Monday
    deadline = UK.port_deadline(submitted, facts=ONE)
    port = UK.schedule_port(deadline, lon(2026, 11, 28))
    assert port == datetime(2026, 11, 28, 0, 0, tzinfo=LONDON)
    assert port.isoformat() == "2026-11-28T00:00:00+00:00"


@pytest.mark.parametrize(("facts", "hours"), [
    (OrderFacts(numbers=1), 24),  # single line
    (OrderFacts(numbers=1, mobile=True), 24),  # a mobile is a single line
    (OrderFacts(numbers=1, installation_lines=12), 24),  # one line of many
    (OrderFacts(numbers=2), 48),  # multi-line
    (OrderFacts(numbers=1, ddi=True), 48),  # a DDI range
    (OrderFacts(numbers=1, non_geographic=True), 48),  # non-geographic
])
def test_uk_order_handling_sla(facts: OrderFacts, hours: int) -> None:
    assert uk_module.answer_within(facts) == timedelta(hours=hours)
    submitted = lon(2026, 11, 27, 10)  # a Friday: the SLA runs over the weekend
    assert UK.answer_deadline(submitted, facts=facts) == lon(2026, 11, 27 + hours // 24, 10)


MONDAY = lon(2026, 11, 23, 10)
EARLIEST = UK.port_deadline(MONDAY, facts=OrderFacts(numbers=40, ddi=True))  # 10 working days


@pytest.mark.parametrize(("requested", "port", "moved"), [
    # the Saturday of the same week, before the earliest port date: the first slot after it
    (lon(2026, 11, 28), lon(2026, 12, 12), True),
    # a Saturday after the earliest port date is kept, and so is a later Sunday
    (lon(2026, 12, 19), lon(2026, 12, 19), False),
    (lon(2026, 12, 13), lon(2026, 12, 13), False),
    # nothing requested: the first slot after the earliest port date
    (None, lon(2026, 12, 12), False),
])
def test_uk_lead_times_are_minimums(requested: datetime | None, port: datetime,
                                    moved: bool) -> None:
    assert EARLIEST == lon(2026, 12, 7, 10)
    accepted = lon(2026, 11, 23, 16).timestamp()
    got = Timeline(UK).port_date(accepted, EARLIEST.timestamp(), requested)
    assert got == (port.timestamp(), moved)


def test_a_deadline_regime_keeps_a_requested_date_before_its_deadline() -> None:
    # PT: the 1 working day is a deadline, not a minimum: an earlier slot is no problem
    monday = lis(2026, 11, 23, 10)
    deadline = PT.port_deadline(monday, facts=ONE)
    wanted = lis(2026, 11, 23, 11)
    assert Timeline(PT).port_date(monday.timestamp(), deadline.timestamp(), wanted) == (
        wanted.timestamp(), False)

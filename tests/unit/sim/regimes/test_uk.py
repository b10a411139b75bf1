"""Tests for sim.regimes.uk: the lead-time table and a port scheduled from submission."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from sim.regimes import OrderFacts
from sim.regimes import uk as uk_module

from .conftest import LONDON, ONE, UK, lon


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


def test_uk_schedule_from_submission() -> None:
    submitted = lon(2026, 11, 23, 10)  # Monday
    deadline = UK.port_deadline(submitted, facts=ONE)
    port = UK.schedule_port(deadline, lon(2026, 11, 28))
    assert port == datetime(2026, 11, 28, 0, 0, tzinfo=LONDON)
    assert port.isoformat() == "2026-11-28T00:00:00+00:00"

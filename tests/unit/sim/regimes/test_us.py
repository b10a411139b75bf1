"""Tests for sim.regimes.us: FOC after 10 working days, port within 20, business-hour slots."""

from __future__ import annotations

from datetime import datetime

import pytest

from sim.regimes import OrderFacts
from sim.regimes import us as us_module

from .conftest import US, nyc


@pytest.mark.parametrize("facts", [
    OrderFacts(numbers=1),  # a single line
    OrderFacts(numbers=400, ddi=True),  # a large DDI block: no table, still 20
    OrderFacts(numbers=1, losing_is_range_holder=False),  # who holds the range does not matter
])
def test_lead_time_is_twenty_working_days_whatever_the_order(facts: OrderFacts) -> None:
    assert us_module.lead_time(facts) == us_module.PORT_WORKING_DAYS == 20


def test_foc_is_due_ten_working_days_after_submission() -> None:
    submitted = nyc(2026, 11, 2, 10)  # Monday; Veterans Day (11 Nov) is skipped
    assert US.answer_deadline(submitted, facts=OrderFacts(numbers=1)) == \
        US.add_working_days(submitted, us_module.FOC_WORKING_DAYS) == nyc(2026, 11, 17, 10)


@pytest.mark.parametrize(("t", "slot"), [
    (nyc(2026, 11, 24, 10), True),  # Tuesday in the slot hours
    (nyc(2026, 11, 28, 10), False),  # a Saturday
    (nyc(2026, 11, 26, 10), False),  # Thanksgiving, a Thursday
    (nyc(2026, 11, 24, 16), False),  # after the latest start, 15:00
])
def test_port_slots_are_working_days_in_business_hours(t: datetime, slot: bool) -> None:
    assert US.is_port_slot(t) is slot

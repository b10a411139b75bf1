"""sim.model.account: what porting away costs under the losing carrier's terms, and the caller
ID a customer presents; pure functions, asked without a run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from sim.model.account import Charge, port_away_charges, presented_caller_id
from sim.regimes import get_regime
from sim.scenario import Contract, Customer, GoldenNumber, PortOrder, Request

GOLD, SILVER, PLAIN = "+441632970010", "+441632970011", "+441632970012"
PORTED = datetime(2026, 12, 5, 0, 11, tzinfo=UTC)
CUSTOMER = Customer(
    id="brightside", name="Brightside", account="A", address="X", carrier="callagenix",
    numbers=(GOLD, SILVER, PLAIN),
    golden_numbers=(GoldenNumber(GOLD, "gold", datetime(2026, 3, 2, 10, tzinfo=UTC), 60.0),
                    GoldenNumber(SILVER, "silver", datetime(2025, 5, 20, tzinfo=UTC), 30.0)),
    contract=Contract(datetime(2026, 3, 2, 10, tzinfo=UTC), 12, monthly_fee=8.0))
ORDER = PortOrder(id="away", customer="brightside", numbers=(GOLD, SILVER, PLAIN),
                  losing="callagenix", gaining="bt", submitted=datetime(2026, 11, 23, tzinfo=UTC),
                  request=Request(account="A", name="Brightside", address="X"))
UK = get_regime("uk")


def test_porting_golden_numbers_away_inside_the_term() -> None:
    charges = port_away_charges(ORDER, CUSTOMER, UK, PORTED)
    assert [(c.kind, c.amount, c.currency, c.payee, c.number) for c in charges] == [
        ("porting_fees", 180.0, "GBP", "callagenix", GOLD),    # 9 months old: 3 x 60
        ("porting_fees", 60.0, "GBP", "callagenix", SILVER),   # 18 months old: 2 x 30
        ("early_termination", 16.0, "GBP", "callagenix", None),  # Jan 2 and Feb 2 still due
    ]
    assert "3x its initial fee" in charges[0].reason


def test_only_the_orders_own_golden_numbers_and_the_first_port_away_pay() -> None:
    plain_only = replace(ORDER, numbers=(PLAIN,))
    # the plain number alone: no porting fee; the term is settled only by the first order
    assert [c.kind for c in port_away_charges(plain_only, CUSTOMER, UK, PORTED)] == [
        "early_termination"]
    assert port_away_charges(plain_only, CUSTOMER, UK, PORTED, contract=False) == []


def test_after_two_years_and_the_term_nothing_is_owed() -> None:
    later = datetime(2028, 3, 3, tzinfo=UTC)  # gold 24 months and a day old
    assert [c.amount for c in port_away_charges(ORDER, CUSTOMER, UK, later)] == []


def test_a_pt_loyalty_period_owes_its_early_termination_charge() -> None:
    customer = replace(CUSTOMER, golden_numbers=(),
                       contract=Contract(datetime(2026, 6, 1, tzinfo=UTC), 24,
                                         early_termination_charge=150.0))
    charges = port_away_charges(ORDER, customer, get_regime("pt"), PORTED)
    assert charges == [Charge("early_termination", 150.0, "EUR", "callagenix", charges[0].reason)]
    assert charges[0].fields()["amount"] == 150.0


@pytest.mark.parametrize(("temporary", "active", "presented"), [
    (None, False, GOLD),          # no temporary number: its own, before the port too
    ("+441632970999", False, "+441632970999"),  # before the port: the temporary number
    ("+441632970999", True, GOLD),  # once the port is active: the ported number
])
def test_caller_id(temporary: str | None, active: bool, presented: str) -> None:
    customer = replace(CUSTOMER, temporary_number=temporary)
    assert presented_caller_id(GOLD, customer, active=active) == presented


def test_a_number_of_no_customer_presents_nothing() -> None:
    assert presented_caller_id(GOLD, None, active=True) is None

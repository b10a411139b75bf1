"""sim.model.port_checks: each rule on its own (no scenario, no simulation), then every
rejection reason of DOMAIN.md reached in a run, under the regime whose rules check it."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from sim.model import simulate
from sim.model.port_checks import CHECKS, rejection_reasons
from sim.regimes import get_regime
from sim.scenario import Customer, PortOrder, Request, scenario_from_text

NUMBER = "+441632960001"
PT_NUMBER = "+351210000001"
#: A portable number of each regime's plan.
NUMBER_IN = {"uk": NUMBER, "pt": PT_NUMBER, "us": "+12125550101"}
SUBMITTED = datetime(2026, 12, 2, 10, tzinfo=UTC)

#: The losing carrier's record, and a request that matches it in every field.
RECORD = Customer(id="acme", name="Acme Ltd", account="A-1", address="Unit 4, 1 High St",
                  carrier="bt", numbers=(NUMBER,), pin="1234", pvc="123456789012",
                  authorised_signers=("Jane Holt",))
ORDER = PortOrder(id="p", customer="acme", numbers=(NUMBER,), losing="bt", gaining="callagenix",
                  submitted=SUBMITTED,
                  request=Request(account="A-1", name="Acme Ltd", address="Unit 4, 1 High St",
                                  pin="1234", pvc="123456789012", signer="Jane Holt"))


def order_with(numbers: tuple[str, ...] = (NUMBER,), **request: Any) -> PortOrder:
    return replace(ORDER, numbers=numbers, request=replace(ORDER.request, **request))


@pytest.mark.parametrize(("reason", "regime", "order", "customer", "in_flight", "quarantined"), [
    # each rule holds an order that matches the record to be fine...
    *[(reason, "pt", ORDER, RECORD, {}, set()) for reason in CHECKS if reason != "not_portable"],
    ("not_portable", "pt", order_with((PT_NUMBER,)), RECORD, {}, set()),
])
def test_no_rule_rejects_an_order_that_matches_the_record(
        reason: str, regime: str, order: PortOrder, customer: Customer,
        in_flight: dict[str, int], quarantined: set[str]) -> None:
    assert not CHECKS[reason](order, customer, get_regime(regime), in_flight, quarantined)


@pytest.mark.parametrize(("reason", "regime", "order", "customer", "in_flight", "quarantined"), [
    # the account number on the request is not the one on the bill
    ("account_number", "uk", order_with(account="A-2"), RECORD, {}, set()),
    # a wrong PIN, where the record has one
    ("pin", "us", order_with(pin="9999"), RECORD, {}, set()),
    # the holder's name must match the bill exactly
    ("holder_name", "uk", order_with(name="ACME Limited"), RECORD, {}, set()),
    # so must the service address
    ("service_address", "uk", order_with(address="4, 1 High St"), RECORD, {}, set()),
    # the record says an order is pending already
    ("pending_order", "uk", ORDER, replace(RECORD, pending_order=True), {}, set()),
    # another order in flight on the same number (the count includes this order)
    ("pending_order", "uk", ORDER, RECORD, {NUMBER: 2}, set()),
    # the contract forbids porting out
    ("contract_restriction", "uk", ORDER, replace(RECORD, contract_restriction=True), {}, set()),
    # the letter of authority is incomplete
    ("loa_incomplete", "uk", order_with(loa_complete=False), RECORD, {}, set()),
    # ... or not signed
    ("loa_unsigned", "uk", order_with(loa_signed=False), RECORD, {}, set()),
    # ... or signed by someone the account does not authorise
    ("unauthorised_signer", "uk", order_with(signer="Temp"), RECORD, {}, set()),
    # the PVC on the request is not the losing operator's
    ("pvc_mismatch", "pt", order_with(pvc="123456789013"), RECORD, {}, set()),
    # a PT nomadic-range (760) number is not portable at all
    ("not_portable", "pt", order_with(("+351760000001",)), RECORD, {}, set()),
    # a fixed number asked to move as mobile switches the service type
    ("service_type_switch", "pt", order_with((PT_NUMBER,), service_type="mobile"), RECORD, {},
     set()),
    # inactive for more than PT's 3 months before the request
    ("inactive_number", "pt", ORDER,
     replace(RECORD, inactive_since=datetime(2026, 8, 1, tzinfo=UTC)), {}, set()),
    # one of the numbers is in quarantine after an earlier port's contract ended
    ("quarantined", "pt", ORDER, RECORD, {}, {NUMBER}),
    # ANACOM FAQ 3: a temporary access is not portable
    ("temporary_access", "pt", ORDER, replace(RECORD, temporary_access=True), {}, set()),
])
def test_each_rule_rejects_what_it_is_for(
        reason: str, regime: str, order: PortOrder, customer: Customer,
        in_flight: dict[str, int], quarantined: set[str]) -> None:
    assert CHECKS[reason](order, customer, get_regime(regime), in_flight, quarantined)


@pytest.mark.parametrize(("customer", "orders_on_number", "pin"), [
    # the order itself is the only one in flight on its number
    (RECORD, 1, "1234"),
    # inactive for less than PT's 3 months
    (replace(RECORD, inactive_since=datetime(2026, 10, 1, tzinfo=UTC)), 0, "1234"),
    # where the record has no PIN, the request's PIN is not checked
    (replace(RECORD, pin=None), 0, "0000"),
])
@pytest.mark.parametrize("regime", sorted(NUMBER_IN))
def test_rules_at_their_edges_let_the_order_through(customer: Customer, orders_on_number: int,
                                                    pin: str, regime: str) -> None:
    number = NUMBER_IN[regime]
    assert rejection_reasons(order_with((number,), pin=pin), customer,
                             regime=get_regime(regime), in_flight={number: orders_on_number},
                             quarantined=()) == ()


@pytest.mark.parametrize(("regime", "reasons"), [
    # UK: the letter of authority first, then the account's fields, then the contract
    ("uk", ("account_number", "holder_name", "contract_restriction")),
    # PT checks no account, name or contract restriction (the PVC stands for them)
    ("pt", ()),
    # US checks the PIN too, right after the account number
    ("us", ("account_number", "pin", "holder_name", "contract_restriction")),
])
def test_reasons_come_in_the_regimes_order_and_only_its_own(
        regime: str, reasons: tuple[str, ...]) -> None:
    order = order_with((NUMBER_IN[regime],), account="A-2", name="ACME Limited", pin="9999")
    restricted = replace(RECORD, contract_restriction=True)
    assert rejection_reasons(order, restricted, regime=get_regime(regime), in_flight={},
                             quarantined=()) == reasons


def test_the_checks_read_nothing_they_are_not_given() -> None:
    # the same arguments give the same answer, whatever ran before (a pure function)
    args = (order_with(account="A-2"), RECORD)
    kwargs: dict[str, Any] = {"regime": get_regime("uk"), "in_flight": {NUMBER: 2},
                              "quarantined": frozenset({NUMBER})}
    first = rejection_reasons(*args, **kwargs)
    assert first == rejection_reasons(*args, **kwargs)
    assert first[:1] == ("account_number",)


# -- in a run -------------------------------------------------------------------------------------

UK: dict[str, Any] = {
    "regime": "uk", "start": "2026-11-23T00:00:00Z", "horizon": "2026-12-20T00:00:00Z",
    "carriers": [{"id": "bt"}, {"id": "callagenix"}],
    "interconnects": [["bt", "callagenix"]],
    "ranges": [{"prefix": "+44 1632 96", "holder": "bt"}],
    "customers": [{"id": "acme", "name": "Acme Ltd", "account": "A-1", "pin": "1234",
                   "address": "Unit 4, 1 High St", "numbers": ["01632 960001"],
                   "authorised_signers": ["Jane Holt"]}],
    "port_orders": [{"id": "p", "customer": "acme", "gaining": "callagenix",
                     "submitted": "2026-11-23T10:00:00"}],
}
PT: dict[str, Any] = {
    "regime": "pt", "start": "2026-11-30T00:00:00Z", "horizon": "2027-06-30T00:00:00Z",
    "carriers": [{"id": "meo"}, {"id": "nos"}],
    "interconnects": [["meo", "nos"]],
    "ranges": [{"prefix": "+351 21", "holder": "meo"}, {"prefix": "+351 96", "holder": "meo"},
               {"prefix": "+351 760", "holder": "meo"}],
    "customers": [{"id": "ana", "name": "Ana Silva", "pvc": "123456789012",
                   "numbers": ["21 000 0001"]}],
    "port_orders": [{"id": "p", "customer": "ana", "gaining": "nos",
                     "submitted": "2026-12-02T10:00:00"}],
}


def first_rejection(base: dict[str, Any], customer: dict[str, Any] | None = None,
                    order: dict[str, Any] | None = None) -> str | None:
    data = copy.deepcopy(base)
    data["customers"][0].update(customer or {})
    data["port_orders"][0].update(order or {})
    result = simulate(scenario_from_text(yaml.safe_dump(data)))
    reasons = [e["reason"] for e in result.events if e["event"] == "rejected"]
    return reasons[0] if reasons else None


@pytest.mark.parametrize(("customer", "order", "reason"), [
    # the request as on the bill goes through
    ({}, {}, None),
    ({}, {"request": {"account": "A-2"}}, "account_number"),
    ({}, {"request": {"name": "ACME Limited"}}, "holder_name"),
    ({}, {"request": {"address": "4, 1 High St"}}, "service_address"),
    ({"pending_order": True}, {}, "pending_order"),
    ({"contract_restriction": True}, {}, "contract_restriction"),
    ({}, {"request": {"loa": {"complete": False}}}, "loa_incomplete"),
    ({}, {"request": {"loa": {"signed": False}}}, "loa_unsigned"),
    ({}, {"request": {"loa": {"signer": "Temp"}}}, "unauthorised_signer"),
])
def test_uk_reasons(customer: dict[str, Any], order: dict[str, Any], reason: str | None) -> None:
    assert first_rejection(UK, customer, order) == reason


def test_us_pin_is_checked() -> None:
    us = copy.deepcopy(UK)
    us.update(regime="us", ranges=[{"prefix": "+1 212 555 01", "holder": "bt"}])
    us["customers"][0]["numbers"] = ["(212) 555-0101"]
    assert first_rejection(us, {}, {"request": {"pin": "9999"}}) == "pin"


@pytest.mark.parametrize(("customer", "order", "reason"), [
    # the PVC as the losing operator has it goes through
    ({}, {}, None),
    ({}, {"request": {"pvc": "123456789013"}}, "pvc_mismatch"),
    # fixed -> mobile is a switch of service type
    ({}, {"request": {"service_type": "mobile"}}, "service_type_switch"),
    # inactive for more than 3 months
    ({"inactive_since": "2026-08-01T00:00:00"}, {}, "inactive_number"),
    # a number type the regime does not port
    ({"numbers": ["+351 760 000 001"]}, {}, "not_portable"),
    # a temporary access
    ({"temporary_access": True}, {}, "temporary_access"),
])
def test_pt_reasons(customer: dict[str, Any], order: dict[str, Any], reason: str | None) -> None:
    assert first_rejection(PT, customer, order) == reason


def test_pt_loyalty_period_is_not_a_reason() -> None:
    # ANACOM: an active loyalty period does not stop a port (the customer pays the penalty);
    # a contract restriction is not among PT's checks at all
    assert first_rejection(PT, {"contract_restriction": True}) is None


def test_quarantined_number_is_refused() -> None:
    data = copy.deepcopy(PT)
    first = data["port_orders"][0]
    first.update(requested_date="2026-12-03T10:00:00", contract_end="2026-12-20T00:00:00")
    data["port_orders"].append({"id": "again", "customer": "ana", "gaining": "nos",
                                "submitted": "2027-01-11T10:00:00"})
    result = simulate(scenario_from_text(yaml.safe_dump(data)))
    rejected = [e for e in result.events if e["event"] == "rejected"]
    assert [(e["port"], e["reason"]) for e in rejected] == [("again", "quarantined")]

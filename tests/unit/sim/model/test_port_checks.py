"""Every rejection reason of DOMAIN.md is reachable, under the regime whose rules check it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from sim.model import simulate
from sim.scenario import scenario_from_text

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

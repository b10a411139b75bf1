"""sim.scenario.account: Gold/Silver/Bronze numbers, contracts and temporary accesses read from
YAML; every bad value an issue naming its path (and ``cutover run`` exits 2 on one line)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cutover.cli import app as cli
from sim.scenario import Contract, Dsl, GoldenNumber

from .conftest import errors_of, load, mutate

GOLD = {"number": "01632 960001", "grade": "gold", "purchased": "2026-03-02T10:00:00",
        "initial_fee": 60}
CONTRACT = {"start": "2026-03-02T10:00:00", "months": 12, "monthly_fee": 8}


def with_account(**keys: Any) -> dict[str, Any]:
    return mutate(lambda d: d["customers"][0].update(copy.deepcopy(keys)))


def test_golden_numbers_and_contract_are_read() -> None:
    customer = load(with_account(golden_numbers=[GOLD], contract=CONTRACT)).customers[0]
    purchased = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert customer.golden_numbers == (GoldenNumber("+441632960001", "gold", purchased, 60.0),)
    assert customer.contract == Contract(purchased, 12, 8.0, 0.0)
    assert customer.temporary_access is False


def test_without_terms_a_customer_has_none() -> None:
    customer = load(with_account()).customers[0]
    assert (customer.golden_numbers, customer.contract) == ((), None)


@pytest.mark.parametrize(("keys", "expected"), [
    # a negative fee
    ({"golden_numbers": [{**GOLD, "initial_fee": -5}]},
     "customers[0].golden_numbers[0].initial_fee (line 17): expected a number >= 0, got -5"),
    # not one of the customer's numbers
    ({"golden_numbers": [{**GOLD, "number": "01632 960099"}]},
     "customers[0].golden_numbers[0].number (line 15): +441632960099 is not one of the "
     "customer's numbers"),
    # an unknown grade
    ({"golden_numbers": [{**GOLD, "grade": "platinum"}]},
     "customers[0].golden_numbers[0].grade (line 16): unknown grade 'platinum' (gold, silver, "
     "bronze)"),
    # purchased after the port order is submitted
    ({"golden_numbers": [{**GOLD, "purchased": "2026-11-24T10:00:00"}]},
     "customers[0].golden_numbers[0].purchased (line 17): +441632960001 is purchased "
     "2026-11-24T10:00:00+00:00, after port order at port_orders[0] is submitted "
     "(2026-11-23T10:00:00+00:00)"),
    # a missing purchase date
    ({"golden_numbers": [{k: v for k, v in GOLD.items() if k != "purchased"}]},
     "customers[0].golden_numbers[0].purchased: required key is missing"),
    # a contract of no months
    ({"contract": {**CONTRACT, "months": 0}},
     "customers[0].contract.months (line 15): a minimum term is at least 1 month, not 0"),
    # a negative monthly fee
    ({"contract": {**CONTRACT, "monthly_fee": -8}},
     "customers[0].contract.monthly_fee (line 16): expected a number >= 0, got -8"),
    # a contract that starts after the order
    ({"contract": {**CONTRACT, "start": "2026-12-01T00:00:00"}},
     "customers[0].contract.start (line 14): the contract starts 2026-12-01T00:00:00+00:00, "
     "after port order at port_orders[0] is submitted (2026-11-23T10:00:00+00:00)"),
    # temporary accesses are a Portuguese rule
    ({"temporary_access": True},
     "customers[0].temporary_access (line 13): temporary accesses are a rule of the pt "
     "regime (ANACOM), not of uk"),
])
def test_bad_account_terms_name_the_path(keys: dict[str, Any], expected: str) -> None:
    path, message = re.split(r"(?: \(line \d+\))?: ", expected, maxsplit=1)
    errors = errors_of(with_account(**keys))
    assert any(e.startswith(path + " (line") and e.endswith(": " + message) for e in errors), errors


def test_golden_numbers_outside_the_uk_are_refused() -> None:
    data = with_account(golden_numbers=[GOLD])
    data["regime"] = "us"
    data["customers"][0]["numbers"] = ["+1 212 555 0141"]
    data["customers"][0]["golden_numbers"][0]["number"] = "+1 212 555 0141"
    data["customers"][0]["voicemail"] = []
    data["ranges"] = [{"prefix": "+1 212 555", "holder": "bt"}]
    data["carriers"] = [{"id": "bt", "routing_number": "+1D001"},
                        {"id": "callagenix", "routing_number": "+1D002"},
                        {"id": "vodafone", "routing_number": "+1D003"}]
    assert any("customers[0].golden_numbers" in e and "not of us" in e for e in errors_of(data))


def test_a_negative_fee_exits_2_with_one_line_naming_the_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(with_account(golden_numbers=[{**GOLD, "initial_fee": -1}]),
                                   sort_keys=False))
    assert cli.main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "customers[0].golden_numbers[0].initial_fee" in err[0]
    assert not (tmp_path / "out").exists()


SUSPENSION = {"at": "2026-11-24T09:00:00", "reconnect": "2026-12-03T10:00:00"}


def test_suspensions_are_read_with_all_the_numbers_by_default() -> None:
    customer = load(with_account(suspensions=[SUSPENSION])).customers[0]
    (s,) = customer.suspensions
    assert s.numbers == customer.numbers
    assert (s.at, s.reconnect) == (datetime(2026, 11, 24, 9, tzinfo=UTC),
                                   datetime(2026, 12, 3, 10, tzinfo=UTC))


@pytest.mark.parametrize(("suspensions", "expected"), [
    # a reconnection before the suspension
    ([{**SUSPENSION, "reconnect": "2026-11-20T00:00:00"}],
     "customers[0].suspensions[0].reconnect: reconnect 2026-11-20T00:00:00+00:00 is not after "
     "the suspension (2026-11-24T09:00:00+00:00)"),
    # a number that is not the customer's
    ([{**SUSPENSION, "numbers": ["01632 960099"]}],
     "customers[0].suspensions[0].numbers: +441632960099 is not one of the customer's numbers"),
    # a second suspension while the first is not reconnected
    ([{"at": "2026-11-24T09:00:00"}, {"at": "2026-11-30T09:00:00"}],
     "customers[0].suspensions[1].at: suspensions of one customer come in time order, each "
     "after the previous one is reconnected"),
    # no instant
    ([{"reconnect": "2026-12-03T10:00:00"}],
     "customers[0].suspensions[0].at: required key is missing"),
])
def test_bad_suspensions_name_the_path(suspensions: list[dict[str, Any]], expected: str) -> None:
    path, message = expected.split(": ", 1)
    errors = errors_of(with_account(suspensions=suspensions))
    assert any(e.startswith(path + " (line") and e.endswith(": " + message) for e in errors), errors


def test_suspensions_outside_the_uk_are_refused() -> None:
    data = with_account(suspensions=[SUSPENSION])
    data.update(regime="pt", ranges=[{"prefix": "+351 21", "holder": "bt"}])
    data["carriers"] = [{"id": c, "routing_number": f"+351D00{i}"}
                        for i, c in enumerate(["bt", "callagenix", "vodafone"], 1)]
    data["customers"][0].update(numbers=["+351 21 000 0001"], voicemail=[], pvc="123456789012")
    assert any("customers[0].suspensions" in e and "not of pt" in e for e in errors_of(data))


def ngn(**order: Any) -> dict[str, Any]:
    """A customer on 0808 with a reseller of Energis, and a migration order."""
    data = mutate(lambda d: None)
    data["carriers"].append({"id": "energis", "name": "Energis"})
    data["ranges"].append({"prefix": "+44 808 157 02", "holder": "energis"})
    data["customers"].append({"id": "seaview", "name": "Seaview", "reseller": "CallStream",
                              "numbers": ["0808 157 0200"]})
    data["port_orders"].append({"id": "m", "customer": "seaview", "gaining": "callagenix",
                                "submitted": "2026-11-24T10:00:00", "method": "migration",
                                **order})
    return data


def test_a_migration_is_read() -> None:
    order = load(ngn(request={"written_authorisation": False})).port_orders[1]
    assert order.method == "migration" and order.request.written_authorisation is False
    assert load(ngn()).port_orders[0].method == "port"  # the default


@pytest.mark.parametrize(("change", "message"), [
    # an unknown method
    (lambda d: d["port_orders"][1].update(method="transfer"),
     "unknown method 'transfer' (port, migration)"),
    # BT is not a migration network
    (lambda d: d["ranges"][1].update(holder="bt"),
     "only numbers with an Energis, Cable & Wireless or Verizon reseller can be migrated, not "
     "bt (bt)"),
    # no reseller
    (lambda d: d["customers"][1].pop("reseller"),
     "only numbers held through a reseller can be migrated; customer 'seaview' has no "
     "reseller"),
    # a geographic number
    (lambda d: d["port_orders"].append({"id": "g", "customer": "acme", "gaining": "callagenix",
                                        "submitted": "2026-11-24T10:00:00",
                                        "numbers": ["01632 960002"], "method": "migration"}),
     "only non-geographic numbers can be migrated, not +441632960002"),
])
def test_a_migration_the_provider_page_does_not_allow_names_the_path(change, message) -> None:
    data = ngn()
    change(data)
    errors = errors_of(data)
    assert any(".method (line" in e and e.endswith(": " + message) for e in errors), errors


def test_a_migration_is_a_uk_rule() -> None:
    data = ngn()
    assert load(data).port_orders[1].method == "migration"
    pt = copy.deepcopy(BASE_PT)
    pt["port_orders"][0]["method"] = "migration"
    errors = errors_of(pt)
    assert any(e.startswith("port_orders[0].method (line") and "not of pt" in e for e in errors)


BASE_PT: dict[str, Any] = {
    "regime": "pt", "start": "2026-11-30T00:00:00Z", "horizon": "2026-12-30T00:00:00Z",
    "carriers": [{"id": "meo"}, {"id": "nos"}], "interconnects": [["meo", "nos"]],
    "ranges": [{"prefix": "+351 21", "holder": "meo"}],
    "customers": [{"id": "ana", "name": "Ana", "pvc": "123456789012",
                   "numbers": ["21 000 0001"]}],
    "port_orders": [{"id": "p", "customer": "ana", "gaining": "nos",
                     "submitted": "2026-12-02T10:00:00"}],
}


def test_dsl_is_read() -> None:
    customer = load(with_account(dsl={"separated": "2026-12-14T12:00:00"})).customers[0]
    assert customer.dsl == Dsl(True, datetime(2026, 12, 14, 12, tzinfo=UTC))
    order = mutate(lambda d: (d["customers"][0].update(dsl={"same_line": True}),
                              d["port_orders"][0].update(ignore_dsl=True)))
    assert load(order).port_orders[0].ignore_dsl is True


@pytest.mark.parametrize(("change", "expected"), [
    # separated, but it was never on the same line
    (lambda d: d["customers"][0].update(dsl={"same_line": False,
                                            "separated": "2026-12-01T00:00:00"}),
     "customers[0].dsl.separated: only DSL on the same line as the phone service is separated "
     "(same_line is false)"),
    # nothing to ignore
    (lambda d: d["port_orders"][0].update(ignore_dsl=True),
     "port_orders[0].ignore_dsl: customer 'acme' has no DSL on the same line to ignore"),
    # not a boolean
    (lambda d: d["customers"][0].update(dsl={"same_line": "yes"}),
     "customers[0].dsl.same_line: expected true or false, got text"),
])
def test_bad_dsl_names_the_path(change, expected: str) -> None:
    path, message = expected.split(": ", 1)
    errors = errors_of(mutate(change))
    assert any(e.startswith(path + " (line") and e.endswith(": " + message) for e in errors), errors


def test_keeping_a_temporary_number_needs_one() -> None:
    errors = errors_of(with_account(keep_temporary_number=True))
    assert any(e.startswith("customers[0].keep_temporary_number (line") and
               e.endswith(": there is no temporary_number to keep") for e in errors), errors
    kept = load(with_account(keep_temporary_number=True, temporary_number="01632 960999"))
    assert kept.customers[0].keep_temporary_number is True


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d["customers"][0].update(golden_numbers=[{**GOLD, "initial_fee": -1}]),
     "customers[0].golden_numbers[0].initial_fee"),
    (lambda d: d["customers"][0].update(golden_numbers=[{**GOLD,
                                                         "purchased": "2026-12-01T00:00:00"}]),
     "customers[0].golden_numbers[0].purchased"),
    (lambda d: d["customers"][0].update(contract={**CONTRACT, "early_termination_charge": -5}),
     "customers[0].contract.early_termination_charge"),
    (lambda d: d["customers"][0].update(temporary_access=True),
     "customers[0].temporary_access"),
    (lambda d: d["customers"][0].update(suspensions=[{**SUSPENSION,
                                                      "reconnect": "2026-11-01T00:00:00"}]),
     "customers[0].suspensions[0].reconnect"),
    (lambda d: d["customers"][0].update(dsl={"same_line": False,
                                            "separated": "2026-12-01T00:00:00"}),
     "customers[0].dsl.separated"),
    (lambda d: d["customers"][0].update(keep_temporary_number=True),
     "customers[0].keep_temporary_number"),
    (lambda d: d["port_orders"][0].update(ignore_dsl=True), "port_orders[0].ignore_dsl"),
    (lambda d: d["port_orders"][0].update(method="migration"), "port_orders[0].method"),
    (lambda d: d["port_orders"][0].update(request={"written_authorisation": "yes"}),
     "port_orders[0].request.written_authorisation"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "no_consent",
                                                   "number": "01632 960099"}]),
     "port_orders[0].faults[0].number"),
])
def test_bad_input_for_every_new_key_exits_2_with_one_line_naming_the_path(
        change, path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(yaml.safe_dump(mutate(change), sort_keys=False))
    assert cli.main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f": {path} (line " in err[0], err
    assert not (tmp_path / "out").exists()

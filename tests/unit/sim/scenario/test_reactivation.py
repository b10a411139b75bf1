"""sim.scenario.reactivation: who may reactivate which numbers, from which order, and when."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from cutover.cli import app as cli

from .conftest import errors_of, load

SCENARIO: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[4] / "scenarios" / "pt_quarantine_reactivation.yaml")
    .read_text())


def change(edit) -> dict[str, Any]:
    data = copy.deepcopy(SCENARIO)
    edit(data["port_orders"])
    return data


def test_a_reactivation_takes_back_the_former_orders_numbers_from_its_operator() -> None:
    orders = {o.id: o for o in load(SCENARIO).port_orders}
    back, switch = orders["ana-reactivates"], orders["rui-reactivates"]
    assert (back.reactivates, back.numbers, back.losing, back.gaining) == (
        "ana-to-nos", ("+351912345678",), "nos", "nos")  # with the operator that held it
    assert (switch.losing, switch.gaining) == ("meo", "vodafone_pt")  # by a port


@pytest.mark.parametrize(("edit", "expected"), [
    # someone who never held the number: only the former subscriber may reactivate it
    (lambda o: o[3].update(customer="rui"),
     "port_orders[3].customer (line 74): 'rui' never held the numbers of order 'ana-to-nos': "
     "only the former subscriber ('ana') may reactivate them"),
    # an order that does not exist (or comes later), and one whose contract never ended
    (lambda o: o[3].update(reactivates="ana-to-meo"),
     "port_orders[3].reactivates (line 75): no earlier port order 'ana-to-meo'"),
    (lambda o: (o[0].pop("contract_end"), o[3]),
     "port_orders[3].reactivates (line 74): order 'ana-to-nos' has no contract_end"),
    # asked before the contract ends
    (lambda o: o[3].update(submitted="2026-11-20T10:00:00"),
     "port_orders[3].submitted (line 77): the contract of order 'ana-to-nos' ends at "
     "2026-11-30T23:59:00+00:00: a reactivation comes after it"),
    # a number that was not that order's
    (lambda o: o[3].update(numbers=["936 000 111"]),
     "port_orders[3].numbers"),
    # from another operator than the one holding the numbers in quarantine
    (lambda o: o[3].update(losing="meo"),
     "port_orders[3].losing (line 78): the numbers are in quarantine at 'nos' (order "
     "'ana-to-nos'), not 'meo'"),
])
def test_bad_reactivations_name_the_path(edit, expected: str) -> None:
    messages = errors_of(change(edit))
    assert any(m.startswith(expected) for m in messages), messages


def test_a_reactivation_by_someone_who_never_held_the_number_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(change(lambda o: o[3].update(customer="rui")),
                                  sort_keys=False))
    assert cli.main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{bad}: port_orders[3].customer (line 74): 'rui' never held the numbers "
                   "of order 'ana-to-nos': only the former subscriber ('ana') may reactivate "
                   "them"]


def test_an_ordinary_port_of_a_number_back_with_its_range_holder_exits_2() -> None:
    # after the quarantine the number is no longer the customer's: not a port to tell (before,
    # it was accepted and ported a number already back with the range holder)
    def edit(orders: list[dict[str, Any]]) -> None:
        orders[5].pop("reactivates")
        orders[5].update(losing="meo")

    messages = errors_of(change(edit))
    assert messages == ["port_orders[5].numbers (line 83): +351961111222 went back to its range "
                        "holder when the quarantine after order 'marta-to-nos''s contract end "
                        "was over (2027-02-28T23:59:00+00:00): it is no longer the customer's "
                        "to port"], messages


def test_inside_the_quarantine_an_ordinary_port_is_the_models_to_refuse() -> None:
    data = change(lambda o: (o[5].pop("reactivates"), o[5].update(
        losing="meo", submitted="2027-02-01T10:00:00")))
    assert load(data).port_orders[5].reactivates is None

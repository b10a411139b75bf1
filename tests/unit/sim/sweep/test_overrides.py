"""sim.sweep.overrides: --set parsing, paths by id or position, the grid, the checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import BadInputError
from sim.sweep import SweepSource, apply, grid, parse_override, parse_seeds

ROOT = Path(__file__).resolve().parents[4]
WEEKEND = ROOT / "scenarios/uk_gnp_weekend.yaml"
ROLLBACK = ROOT / "scenarios/uk_ngn_reseller_rollback.yaml"


@pytest.mark.parametrize(("text", "path", "values"), [
    # integers, as YAML reads them
    ("carriers.bt.desk.capacity=1,2,4", "carriers.bt.desk.capacity", (1, 2, 4)),
    # floats, spaces allowed around the values
    ("port_orders.p.faults.0.probability=0.05, 0.2", "port_orders.p.faults.0.probability",
     (0.05, 0.2)),
    # booleans and text
    ("customers.acme.pending_order=true,false", "customers.acme.pending_order", (True, False)),
    ("routing=onward", "routing", ("onward",)),
])
def test_parse_override(text: str, path: str, values: tuple[object, ...]) -> None:
    o = parse_override(text)
    assert (o.path, o.values) == (path, values)


@pytest.mark.parametrize(("text", "message"), [
    ("carriers.bt.desk.capacity", "expected PATH=VALUE"),  # no '='
    ("=1,2", "expected PATH=VALUE"),  # no path
    ("carriers.bt.desk.capacity=", "expected PATH=VALUE"),  # no value
    ("carriers.bt.desk.capacity=1,,2", "is not a single value"),  # an empty value
    ("carriers.bt.desk.capacity=[1]", "is not a single value"),  # a list
])
def test_a_bad_override_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        parse_override(text)


@pytest.mark.parametrize(("text", "seeds"), [("1-3", range(1, 4)), ("7", range(7, 8)),
                                             ("0-0", range(0, 1))])
def test_parse_seeds(text: str, seeds: range) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["3-1", "a-b", "", "1-", "-1"])
def test_bad_seeds(text: str) -> None:
    with pytest.raises(BadInputError, match="--seeds"):
        parse_seeds(text)


def test_the_grid_is_every_combination_first_override_slowest() -> None:
    combos = grid([parse_override("a=1,2"), parse_override("b=x,y,z")])
    assert combos == [(("a", 1), ("b", "x")), (("a", 1), ("b", "y")), (("a", 1), ("b", "z")),
                      (("a", 2), ("b", "x")), (("a", 2), ("b", "y")), (("a", 2), ("b", "z"))]
    assert grid([]) == [()]


def test_apply_names_items_by_id_or_position_and_never_changes_its_input() -> None:
    data = {"carriers": [{"id": "bt", "desk": {"capacity": 4}}, {"id": "ee"}],
            "port_orders": [{"id": "p", "faults": [{"kind": "deny"}]}]}
    out = apply(data, (("carriers.bt.desk.capacity", 1), ("carriers.1.name", "EE"),
                       ("port_orders.p.faults.0.probability", 0.5)))
    assert out["carriers"][0]["desk"]["capacity"] == 1
    assert out["carriers"][1] == {"id": "ee", "name": "EE"}  # a new last key
    assert out["port_orders"][0]["faults"][0] == {"kind": "deny", "probability": 0.5}
    assert data["carriers"][0]["desk"]["capacity"] == 4 and "name" not in data["carriers"][1]


@pytest.mark.parametrize(("path", "message"), [
    ("carriers.xx.desk.capacity", "carriers has no item 'xx' (it has: bt, callagenix, vodafone)"),
    ("port_orders.acme-gnp.faults.0.probability", "port_orders.acme-gnp has no 'faults'"),
    ("nothing.here", "the scenario has no 'nothing'"),
    ("seed.x", "seed is a value, not a mapping or a list"),
])
def test_a_path_that_names_nothing_is_named(path: str, message: str) -> None:
    with pytest.raises(BadInputError) as caught:
        SweepSource.read(WEEKEND).check(grid([parse_override(f"{path}=1")]))
    assert message in str(caught.value) and str(caught.value).startswith(f"--set {path}")


def test_a_value_the_reader_refuses_is_one_line_with_its_path_and_line() -> None:
    with pytest.raises(BadInputError) as caught:
        SweepSource.read(WEEKEND).check(grid([parse_override("carriers.bt.desk.capacity=2,0")]))
    assert str(caught.value) == (
        f"--set carriers.bt.desk.capacity=0: {WEEKEND}: carriers[0].desk.capacity (line 20): "
        "expected a whole number >= 1, got 0")


def test_the_scenario_under_overrides() -> None:
    source = SweepSource.read(ROLLBACK)
    s = source.scenario((("port_orders.brightline-ngn.faults.0.probability", 0.25),
                         ("carriers.cw.desk.capacity", 1)))
    assert s.port_orders[0].faults[0].probability == 0.25
    assert s.carrier("cw").desk_capacity == 1
    assert source.scenario() == SweepSource.read(ROLLBACK).scenario()
    assert source.scenario().port_orders[0].faults[0].probability is None

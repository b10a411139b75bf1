"""Scenario loading: defaults, frozen objects, and every error reported with its path and line."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.errors import ScenarioError
from sim.scenario import load_scenario, scenario_from_text

SCENARIOS = Path(__file__).resolve().parents[4] / "scenarios"

BASE: dict[str, Any] = {
    "regime": "uk",
    "start": "2026-11-23T00:00:00Z",
    "horizon": "2026-12-07T00:00:00Z",
    "carriers": [{"id": "bt"}, {"id": "callagenix"}, {"id": "vodafone"}],
    "interconnects": [["vodafone", "bt"], ["bt", "callagenix"]],
    "ranges": [{"prefix": "+44 1632 96", "holder": "bt"}],
    "customers": [{
        "id": "acme", "name": "Acme Widgets Ltd", "account": "A1", "address": "Unit 4",
        "numbers": ["01632 960001", "01632 960002"],
        "voicemail": [{"box": "1", "number": "01632 960001"}],
    }],
    "port_orders": [{
        "id": "p1", "customer": "acme", "gaining": "callagenix",
        "submitted": "2026-11-23T10:00:00", "requested_date": "2026-11-28T00:00:00",
    }],
    "checkpoints": [{"name": "before", "at": "2026-11-27T12:00:00Z"}],
}


def load(data: dict[str, Any]):
    return scenario_from_text(yaml.safe_dump(data, sort_keys=False), name="t")


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(data)
    return [str(i) for i in info.value.issues]


def test_base_loads_with_defaults() -> None:
    s = load(BASE)
    assert s.name == "t" and s.seed == 1 and s.routing == "onward" and s.country == "GB"
    order = s.port_orders[0]
    assert order.numbers == ("+441632960001", "+441632960002")
    assert order.losing == "bt"  # the customer's carrier, defaulted to the range holder
    # a time without an offset is local to the regime (London is UTC in November)
    assert order.submitted == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert order.request.name == "Acme Widgets Ltd"  # the request states what the bill says
    assert s.customers[0].voicemail[0].number == "+441632960001"


def test_loader_does_not_mutate_and_objects_are_frozen() -> None:
    data = copy.deepcopy(BASE)
    s = load(data)
    assert data == BASE
    with pytest.raises(AttributeError):
        s.seed = 2  # type: ignore[misc]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_scenarios_load(path: Path) -> None:
    s = load_scenario(path)
    assert s.port_orders and s.checkpoints


def mutate(change) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


@pytest.mark.parametrize(("change", "expected"), [
    # a missing required key
    (lambda d: d.pop("regime"), "regime (line"),
    (lambda d: d["port_orders"][0].pop("gaining"), "port_orders[0].gaining"),
    # a wrong type
    (lambda d: d.update(seed="one"), "seed (line 36): expected an integer"),
    (lambda d: d["customers"][0].update(numbers="01632 960001"), "customers[0].numbers"),
    # an unknown carrier id
    (lambda d: d["interconnects"].append(["bt", "o2"]), "unknown carrier 'o2'"),
    (lambda d: d["port_orders"][0].update(gaining="ee"), "port_orders[0].gaining"),
    # a number that is not E.164-able, and one outside every range
    (lambda d: d["customers"][0]["numbers"].append("12"), "customers[0].numbers[2]"),
    (lambda d: d["customers"][0]["numbers"].append("+44 20 7946 0000"), "not in any allocated"),
    # overlapping ports of one number
    (lambda d: d["port_orders"].append({**d["port_orders"][0], "id": "p2"}), "ports of one"),
    # dates out of order
    (lambda d: d.update(horizon="2026-11-01T00:00:00Z"), "horizon (line"),
    (lambda d: d["port_orders"][0].update(requested_date="2026-11-20T00:00:00"),
     "requested date is before submission"),
    (lambda d: d["checkpoints"][0].update(at="2027-01-01T00:00:00Z"), "checkpoints[0].at"),
    # a typo in a key
    (lambda d: d["port_orders"][0].update(gainng="x"), "unknown key 'gainng'"),
    # an unknown regime, fault, checkpoint duplicate, voicemail on a foreign number
    (lambda d: d.update(regime="fr"), "unknown regime 'fr'"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "meteor"}]), "unknown fault"),
    (lambda d: d["checkpoints"].append(dict(d["checkpoints"][0])), "duplicate checkpoint"),
    (lambda d: d["customers"][0]["voicemail"].append({"box": "2", "number": "01632 960009"}),
     "not one of the customer's numbers"),
])
def test_bad_scenarios_name_the_path(change, expected: str) -> None:
    messages = errors_of(mutate(change))
    assert any(expected in m for m in messages), messages


def test_every_error_is_reported_at_once() -> None:
    data = mutate(lambda d: (d.update(seed="x"), d["port_orders"][0].update(gaining="ee")))
    assert len(errors_of(data)) == 2


def test_resubmission_after_the_requested_date_is_not_an_overlap() -> None:
    again = {**BASE["port_orders"][0], "id": "p2", "submitted": "2026-11-30T10:00:00",
             "requested_date": None}
    s = load(mutate(lambda d: d["port_orders"].append(again)))
    assert [o.id for o in s.port_orders] == ["p1", "p2"]


def test_ddi_block_expands_and_marks_the_order() -> None:
    def change(d: dict[str, Any]) -> None:
        d["customers"][0]["numbers"] = [{"first": "01632 960100", "count": 3}]
        d["customers"][0].pop("voicemail")
        d["port_orders"][0]["numbers"] = [{"first": "01632 960100", "count": 3}]

    order = load(mutate(change)).port_orders[0]
    assert order.ddi and order.numbers[-1] == "+441632960102"


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_text("regime: uk\ncarriers: [\n")
    assert info.value.issues[0].line == 3


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="nope.yaml: \\(file\\): no such file"):
        load_scenario(tmp_path / "nope.yaml")

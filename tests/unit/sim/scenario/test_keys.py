"""Tests of sim.scenario.keys: the allowed keys, the types and reference.yaml agree both ways."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.scenario import scenario_from_text
from sim.scenario import types as scenario_types
from sim.scenario.keys import KEYS

REFERENCE = Path(__file__).resolve().parents[4] / "scenarios" / "reference.yaml"
# kind of mapping -> key -> the kind of the mapping(s) under it (alone or in a list)
CHILDREN = {
    "": {"carriers": "carrier", "ranges": "range", "customers": "customer",
         "port_orders": "order", "traffic": "traffic", "checkpoints": "checkpoint"},
    "carrier": {"desk": "desk", "outages": "outage"},
    "customer": {"numbers": "block", "voicemail": "mailbox", "golden_numbers": "golden_number",
                 "contract": "contract", "suspensions": "suspension",
                 "dsl": "dsl", "sites": "site"},
    "site": {"numbers": "block"},
    "order": {"numbers": "block", "request": "request", "faults": "fault"},
    "request": {"loa": "loa"},
}
# reference.yaml shows the other kinds of fault as commented-out examples, one a line, so that
# the scenario (and its golden events) stays as it is: `# - {kind: delay, days: 2}  words`
COMMENTED_FAULT = re.compile(r"^\s*#\s*-\s*(\{kind:.*?\})")


def documented_keys() -> dict[str, set[str]]:
    """Kind of mapping -> every key reference.yaml gives it, live or in a commented example."""
    text = REFERENCE.read_text()
    found: dict[str, set[str]] = {}

    def walk(kind: str, node: dict[str, Any]) -> None:
        found.setdefault(kind, set()).update(node)
        for key, inner in CHILDREN.get(kind, {}).items():
            for item in node.get(key) if isinstance(node.get(key), list) else [node.get(key)]:
                if isinstance(item, dict):
                    walk(inner, item)

    walk("", yaml.safe_load(text))
    for line in text.splitlines():
        if m := COMMENTED_FAULT.match(line):
            walk("fault", yaml.safe_load(m.group(1)))
    return found


def test_reference_yaml_names_exactly_the_allowed_keys() -> None:
    documented = documented_keys()
    assert set(documented) == set(KEYS), "kinds of mapping"
    for kind, keys in KEYS.items():
        assert documented[kind] == set(keys), f"keys of {kind or 'the top level'}"


@pytest.mark.parametrize("kind", sorted(k for k in KEYS if k not in {"block", "desk", "loa"}))
def test_every_allowed_key_is_a_field_or_a_nested_mapping(kind: str) -> None:
    cls = {"": scenario_types.Scenario, "carrier": scenario_types.Carrier,
           "outage": scenario_types.Outage, "range": scenario_types.NumberRange,
           "customer": scenario_types.Customer, "mailbox": scenario_types.Mailbox,
           "order": scenario_types.PortOrder, "request": scenario_types.Request,
           "fault": scenario_types.Fault, "traffic": scenario_types.Traffic,
           "checkpoint": scenario_types.Checkpoint,
           "golden_number": scenario_types.GoldenNumber,
           "contract": scenario_types.Contract,
           "suspension": scenario_types.Suspension,
           "dsl": scenario_types.Dsl,
           "site": scenario_types.Site}[kind]
    names = {f.name for f in fields(cls)}
    nested = set(CHILDREN.get(kind, {})) & {"desk", "loa"}
    assert KEYS[kind] - nested <= names


def test_an_unknown_key_names_the_allowed_ones() -> None:
    text = REFERENCE.read_text().replace("  calls_per_number_per_hour: 2",
                                         "  calls_per_hour: 2")
    with pytest.raises(ValueError, match=r"unknown key 'calls_per_hour' \(allowed: "
                                         r"calls_per_number_per_hour, origins\)"):
        scenario_from_text(text)

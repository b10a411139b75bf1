"""Shared by the scenario tests: a small valid scenario and ways to load and break it.

Plain values, imported by the test modules (``from .conftest import BASE, load``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from sim.errors import ScenarioError
from sim.scenario import scenario_from_text

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


def mutate(change) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data

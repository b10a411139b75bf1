"""sim.scenario.loader: files and text to frozen scenarios (the checks: test_reader.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario import load_scenario, scenario_from_text

from .conftest import BASE, load

SCENARIOS = Path(__file__).resolve().parents[4] / "scenarios"


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


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_text("regime: uk\ncarriers: [\n")
    assert info.value.issues[0].line == 3


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="nope.yaml: \\(file\\): no such file"):
        load_scenario(tmp_path / "nope.yaml")

"""Loading a scenario: YAML -> defaults -> validation (every error, with its path) -> frozen
objects.

>>> s = load_scenario("scenarios/uk_gnp_weekend.yaml")
>>> s.port_orders[0].numbers
('+441632960001', '+441632960002', '+441632960003')
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import ScenarioError
from sim.scenario.reader import Reader
from sim.scenario.types import Scenario
from sim.scenario.yaml_source import YamlSource, parse_yaml, read_yaml

__all__ = ["load_scenario", "scenario_from_text", "scenario_from_source"]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    Raises
    ------
    ScenarioError
        With every problem found, each as ``path (line N): message``; nothing is half-loaded.
    """
    source = read_yaml(path)
    name_default = Path(path).stem
    return _build(source, name_default)


def scenario_from_text(text: str, *, name: str = "scenario", origin: str = "<string>") -> Scenario:
    """Like load_scenario, from YAML text (tests, generated scenarios)."""
    return _build(parse_yaml(text, origin=origin), name)


def scenario_from_source(source: YamlSource, *, name: str) -> Scenario:
    """Like load_scenario, from YAML already parsed (a sweep's overridden data, with the
    file's lines kept for the messages)."""
    return _build(source, name)


def _build(source: YamlSource, name_default: str) -> Scenario:
    reader = Reader(source)
    scenario = reader.scenario(name_default)
    if reader.issues or scenario is None:
        raise ScenarioError(reader.issues, source=source.origin)
    return scenario


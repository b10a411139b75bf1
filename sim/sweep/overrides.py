"""Overrides of a scenario's values by path (``--set PATH=V1,V2,...``) and the grid they make.

A path names a value in the scenario's YAML as written: mapping keys and list items joined by
dots. A list item is named by its ``id`` (``carriers.bt.desk.capacity``,
``port_orders.acme-gnp.faults.0.probability``) or by its position from 0; the last key may be
one the mapping does not have yet (a fault's ``probability``). Values are YAML scalars
(``4``, ``0.05``, ``true``, ``2026-11-28T00:00:00Z``). The overridden scenario is read again
by the scenario reader, so a value it does not accept is an error with its path and line.

>>> o = parse_override("carriers.bt.desk.capacity=1,2,4")
>>> o.path, o.values
('carriers.bt.desk.capacity', (1, 2, 4))
>>> [dict(c) for c in grid([o, parse_override("traffic.calls_per_number_per_hour=2")])][:2]
[{'carriers.bt.desk.capacity': 1, 'traffic.calls_per_number_per_hour': 2}, \
{'carriers.bt.desk.capacity': 2, 'traffic.calls_per_number_per_hour': 2}]
>>> parse_seeds("1-3")
range(1, 4)
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.errors import BadInputError, ScenarioError
from sim.scenario import Scenario
from sim.scenario.loader import scenario_from_source
from sim.scenario.yaml_source import YamlSource, parse_yaml

__all__ = ["Override", "Combination", "parse_override", "parse_seeds", "grid", "apply",
           "SweepSource"]

#: One combination of the grid: (path, value) for every override, in the order given.
Combination = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Override:
    """A path and the values it takes in the sweep."""

    path: str
    values: tuple[Any, ...]


def parse_override(text: str) -> Override:
    """``PATH=V1,V2,...`` as an Override. Raises BadInputError naming the argument."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise BadInputError(f"--set {text}: expected PATH=VALUE[,VALUE...], e.g. "
                            "carriers.bt.desk.capacity=1,2,4")
    parsed = []
    for raw in values.split(","):
        try:
            parsed.append(yaml.safe_load(raw.strip()) if raw.strip() else None)
        except yaml.YAMLError:
            raise BadInputError(f"--set {text}: {raw.strip()!r} is not a value") from None
        if parsed[-1] is None or isinstance(parsed[-1], (dict, list)):
            raise BadInputError(f"--set {text}: {raw.strip()!r} is not a single value")
    return Override(path, tuple(parsed))


def parse_seeds(text: str) -> range:
    """``A-B`` (inclusive) or ``N`` as a range of seeds. Raises BadInputError."""
    first, sep, last = text.partition("-")
    try:
        a = int(first)
        b = int(last) if sep else a
    except ValueError:
        raise BadInputError(f"--seeds {text}: expected A-B, e.g. 1-100") from None
    if b < a or a < 0:
        raise BadInputError(f"--seeds {text}: expected A-B with 0 <= A <= B")
    return range(a, b + 1)


def grid(overrides: Sequence[Override]) -> list[Combination]:
    """Every combination of the overrides' values (the first override varies slowest)."""
    if not overrides:
        return [()]
    return [tuple(zip([o.path for o in overrides], values, strict=True))
            for values in itertools.product(*(o.values for o in overrides))]


def _step(node: Any, key: str, where: str, path: str) -> tuple[Any, Any]:
    """The container and key (or index) ``key`` names in ``node``."""
    if isinstance(node, dict):
        if key not in node:
            known = ", ".join(map(str, node)) or "none"
            raise BadInputError(f"--set {path}: {where or 'the scenario'} has no {key!r} "
                                f"(it has: {known})")
        return node, key
    if isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, dict) and str(item.get("id")) == key:
                return node, i
        if key.isdigit() and int(key) < len(node):
            return node, int(key)
        ids = [str(item["id"]) for item in node if isinstance(item, dict) and "id" in item]
        known = ", ".join(ids) if ids else f"0 to {len(node) - 1}" if node else "none"
        raise BadInputError(f"--set {path}: {where} has no item {key!r} (it has: {known})")
    raise BadInputError(f"--set {path}: {where} is a value, not a mapping or a list")


def apply(data: Any, combination: Combination) -> Any:
    """A deep copy of the YAML data with each (path, value) set. Raises BadInputError for a
    path that names nothing (the last key may be new in a mapping)."""
    out = copy.deepcopy(data)
    for path, value in combination:
        keys = path.split(".")
        node, where = out, ""
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if last and isinstance(node, dict):
                node[key] = value
                break
            container, k = _step(node, key, where, path)
            if last:
                container[k] = value
            else:
                node = container[k]
            where = f"{where}.{key}" if where else key
    return out


class SweepSource:
    """A scenario file read once; the scenario under any combination of overrides.

    Keeps the file's text, so it can be sent to a worker and read there the same way.
    """

    def __init__(self, text: str, origin: str):
        self.text = text
        self.origin = origin
        self.name = Path(origin).stem
        self._source: YamlSource | None = None

    @classmethod
    def read(cls, path: str | Path) -> SweepSource:
        return cls(Path(path).read_text(encoding="utf-8"), str(path))

    def scenario(self, combination: Combination = ()) -> Scenario:
        """The scenario with the overrides applied. Raises BadInputError (a path naming
        nothing) or ScenarioError (a value the reader refuses, with its path and line)."""
        if self._source is None:
            self._source = parse_yaml(self.text, origin=self.origin)
        source = self._source
        if combination:
            source = YamlSource(apply(source.data, combination), source.lines, source.origin)
        return scenario_from_source(source, name=self.name)

    def check(self, combinations: Sequence[Combination]) -> None:
        """Read the scenario under every combination. Raises BadInputError with one line
        naming the override and what is wrong, for the first that does not read."""
        for combination in combinations:
            try:
                self.scenario(combination)
            except ScenarioError as exc:
                given = ", ".join(f"{p}={v}" for p, v in combination) or "no override"
                issue = exc.issues[0]
                line = f" (line {issue.line})" if issue.line else ""
                raise BadInputError(f"--set {given}: {self.origin}: {issue.path}{line}: "
                                    f"{issue.message}") from None

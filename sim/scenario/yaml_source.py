"""A YAML document read safely, with the line of every key path, for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError, ScenarioIssue

__all__ = ["YamlSource", "read_yaml", "parse_yaml"]


@dataclass(frozen=True)
class YamlSource:
    """Plain data from ``yaml.safe_load`` plus ``lines``: dotted path -> 1-based line."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    origin: str = "<string>"

    def line(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""


def _index(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                sub = f"{path}.{key.value}" if path else str(key.value)
                lines[sub] = key.start_mark.line + 1
                _index(value, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, f"{path}[{i}]", lines)


def parse_yaml(text: str, *, origin: str = "<string>") -> YamlSource:
    """Parse YAML text (safe loader only); a syntax error becomes a ScenarioError with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        issue = ScenarioIssue("(yaml)", f"{exc.problem or 'invalid YAML'}", line)
        raise ScenarioError(issue, source=origin) from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(ScenarioIssue("(yaml)", str(exc)), source=origin) from exc
    lines: dict[str, int] = {}
    if node is not None:
        _index(node, "", lines)
    return YamlSource(data, lines, origin)


def read_yaml(path: str | Path) -> YamlSource:
    """Read a YAML file; a missing or unreadable file is a ScenarioError naming the path."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ScenarioError(ScenarioIssue("(file)", "no such file"), source=str(p)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(ScenarioIssue("(file)", f"cannot read: {exc}"), source=str(p)) from exc
    return parse_yaml(text, origin=str(p))

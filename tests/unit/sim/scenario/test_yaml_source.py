"""sim.scenario.yaml_source: safe loading only, and the line of every key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.yaml_source import parse_yaml, read_yaml

TEXT = """\
regime: uk
carriers:
  - id: bt
  - id: vodafone
    name: Vodafone
"""


@pytest.mark.parametrize(("path", "line"), [
    ("regime", 1),
    ("carriers", 2),
    ("carriers[0]", 3),
    ("carriers[1].name", 5),
    ("carriers[1].name.nothing", 5),  # no line of its own: the nearest ancestor's
    ("horizon", 1),  # not in the document at all: the document's first line
])
def test_line_of_a_path(path: str, line: int) -> None:
    source = parse_yaml(TEXT)
    assert source.line(path) == line
    assert source.data["carriers"][1] == {"id": "vodafone", "name": "Vodafone"}


def test_an_empty_document_has_no_lines() -> None:
    source = parse_yaml("")
    assert source.data is None and source.line("regime") is None


@pytest.mark.parametrize("text", [
    "seed: !!python/object/apply:os.system ['true']\n",  # would run a command
    "seed: !!python/name:os.system\n",
])
def test_python_tags_are_refused(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_yaml(text, origin="evil.yaml")
    assert info.value.source == "evil.yaml" and info.value.issues[0].path == "(yaml)"


def test_syntax_error_names_origin_and_line() -> None:
    with pytest.raises(ScenarioError, match=r"^t.yaml: \(yaml\) \(line 3\)"):
        parse_yaml("regime: uk\ncarriers: [\n", origin="t.yaml")


def test_read_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    assert read_yaml(path).origin == str(path)
    with pytest.raises(ScenarioError, match="no such file"):
        read_yaml(tmp_path / "missing.yaml")
    path.write_bytes(b"\xff\xfe regime")
    with pytest.raises(ScenarioError, match="cannot read"):
        read_yaml(path)

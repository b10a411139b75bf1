"""Dependency direction (DESIGN.md): sim never imports sip_harness; the routing core is pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIM = sorted((ROOT / "sim").rglob("*.py"))
PURE_ROUTING = ("routing.py", "lookup.py", "number_plan.py", "porting_db.py", "number_table.py")
ALLOWED_IN_ROUTING = {"numpy", "networkx", "sim"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("sim" if node.level else (node.module or "").split(".")[0])
    return names


# The command line (cli.py and its SIP half, cli_harness.py) is the composition root (DESIGN.md:
# "the only place that wires everything"): it reaches into sip_harness inside its commands.
# Every other module of sim stays free of SIP.
CLI = ("cli.py", "cli_harness.py")


@pytest.mark.parametrize("path", [p for p in SIM if p.name not in CLI],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_sim_never_imports_the_harness(path: Path) -> None:
    assert "sip_harness" not in imports(path)


@pytest.mark.parametrize("name", CLI)
def test_cli_imports_the_harness_only_inside_commands(name: str) -> None:
    tree = ast.parse((ROOT / "sim" / name).read_text())
    top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    top |= {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("sip_harness") for m in top)


@pytest.mark.parametrize("name", [n for n in PURE_ROUTING if (ROOT / "sim" / n).exists()])
def test_routing_core_imports_only_stdlib_numpy_networkx(name: str) -> None:
    import sys

    third_party = {m for m in imports(ROOT / "sim" / name) if m not in sys.stdlib_module_names}
    assert third_party <= ALLOWED_IN_ROUTING, third_party

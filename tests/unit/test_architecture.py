"""The house rules of DESIGN.md, over every import statement of every module (no exemptions).

- Direction: ``cutover -> sip_harness -> sim``; ``sim`` never imports ``sip_harness`` or
  ``cutover`` and ``sip_harness`` never imports ``cutover``, not even inside a function or under
  ``TYPE_CHECKING``.
- No import circles among the project's modules.
- The routing core is pure: a fresh interpreter that imports it has not loaded SimPy, YAML,
  click or pjsua2 (checked for real, so transitive imports count).
- Rooms stay small: no folder with more than 12 modules, no module over 500 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cutover", "sim", "sip_harness")
MODULES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
MAX_MODULES_PER_FOLDER = 12
MAX_LINES = 500
# Which top-level package may import which (DESIGN.md: cutover -> sip_harness -> sim).
MAY_IMPORT = {"cutover": {"cutover", "sip_harness", "sim"}, "sip_harness": {"sip_harness", "sim"},
              "sim": {"sim"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {module_name(p) for p in MODULES}


def imported(path: Path) -> set[str]:
    """Every project module ``path`` imports, anywhere in the file (functions included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # `from pkg import submodule` imports the submodule; `from mod import name`, mod
                submodule = f"{base}.{alias.name}"
                out.add(submodule if submodule in KNOWN else base)
    return {m for m in out if m.split(".")[0] in PACKAGES}


GRAPH = nx.DiGraph()
for _path in MODULES:
    GRAPH.add_node(module_name(_path))
    for _target in imported(_path):
        GRAPH.add_edge(module_name(_path), _target)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_cutover_to_sip_harness_to_sim(path: Path) -> None:
    top = module_name(path).split(".")[0]
    wrong = sorted(m for m in imported(path) if m.split(".")[0] not in MAY_IMPORT[top])
    assert not wrong, f"{top} must not import {wrong}"


def test_every_import_names_a_module_that_exists() -> None:
    # a typo'd module name would otherwise slip past the graph checks
    missing = sorted(t for t in GRAPH.nodes if t not in KNOWN)
    assert not missing


def test_no_import_circles() -> None:
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import circles: {cycles[:5]}"


def test_the_routing_core_loads_nothing_but_numpy_and_networkx() -> None:
    probe = ("import sys, sim.routing; "
             "print(' '.join(m for m in ('simpy', 'yaml', 'click', 'pjsua2', 'rich', "
             "'matplotlib', 'phonenumbers', 'sip_harness', 'cutover') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    assert loaded == []


@pytest.mark.parametrize("folder", sorted({p.parent for p in MODULES}),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_folder_holds_more_than_twelve_modules(folder: Path) -> None:
    modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
    assert len(modules) <= MAX_MODULES_PER_FOLDER, sorted(p.name for p in modules)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_500_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES

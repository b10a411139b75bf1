"""Every docstring example in cutover/, sim/ and sip_harness/ runs, from the repository root.

One test per module with examples. Paths in examples are relative to the repository root
(``scenarios/uk_gnp_weekend.yaml``). An example that needs a live Asterisk says so in the text
and carries ``# doctest: +SKIP``.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cutover", "sim", "sip_harness")


def modules_with_examples() -> list[str]:
    """Dotted names of the packages' modules whose source holds a ``>>>`` prompt."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__main__.py" or ">>>" not in path.read_text(encoding="utf-8"):
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = modules_with_examples()


def test_the_packages_have_examples() -> None:
    assert len(MODULES) >= 10, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    # a ">>>" that doctest does not see (a comment, a non-docstring string) is no example
    assert sum(len(t.examples) for t in tests) > 0, f"{name}: '>>>' but no docstring example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()

"""ruff and mypy stay clean: the style the project promises is checked, not hoped for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [
    # ruff: well under a second, so it stays in the fast loop
    pytest.param([sys.executable, "-m", "ruff", "check", "cutover", "sim", "sip_harness", "tests",
                  "benchmarks"], id="ruff"),
    # mypy: several seconds even with its cache
    pytest.param([sys.executable, "-m", "mypy", "cutover", "sim", "sip_harness"], id="mypy",
                 marks=pytest.mark.slow),
])
def test_clean(command: list[str]) -> None:
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr

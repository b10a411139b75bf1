"""ruff and mypy stay clean: the style the project promises is checked, not hoped for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "cutover", "sim", "sip_harness", "tests", "benchmarks"],
    [sys.executable, "-m", "mypy", "cutover", "sim", "sip_harness"],
], ids=["ruff", "mypy"])
def test_clean(command: list[str]) -> None:
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr

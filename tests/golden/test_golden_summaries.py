"""Golden summaries: every bundled scenario at its own seed gives exactly the checked-in summary.

Regenerate after an intended change with ``CUTOVER_UPDATE_GOLDEN=1 python -m pytest tests/golden``
and review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim.model import simulate
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p.stem != "reference")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_summary_matches_golden(path: Path) -> None:
    summary = simulate(load_scenario(path)).summary
    golden = HERE / f"{path.stem}.summary.json"
    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    if os.environ.get("CUTOVER_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden.name}: run with CUTOVER_UPDATE_GOLDEN=1"
    assert json.loads(text) == json.loads(golden.read_text())

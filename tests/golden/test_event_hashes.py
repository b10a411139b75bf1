"""events.jsonl of every bundled scenario at seeds 1-4 is byte-identical to the recorded one.

Recorded before the restructure (issue 9) so that moving code cannot move behaviour. A change of
the model that deliberately moves events records new hashes:
``CUTOVER_UPDATE_GOLDEN=1 python -m pytest tests/golden``, then review why every one moved.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from sim.model import simulate
from sim.report import write_events
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
HASHES = Path(__file__).with_name("events_sha256.json")
RECORDED: dict[str, str] = json.loads(HASHES.read_text())
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
CASES = [(path, seed) for path in SCENARIOS for seed in (1, 2, 3, 4)]


def events_sha256(path: Path, seed: int, directory: Path) -> str:
    result = simulate(load_scenario(path), seed=seed)
    out = directory / f"{path.stem}-{seed}.jsonl"
    write_events(result.events, out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def test_every_bundled_scenario_is_recorded() -> None:
    assert sorted(RECORDED) == sorted(f"{p.stem}@{s}" for p, s in CASES)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "seed"), CASES, ids=lambda v: getattr(v, "stem", str(v)))
def test_events_are_byte_identical(path: Path, seed: int, tmp_path: Path) -> None:
    digest = events_sha256(path, seed, tmp_path)
    key = f"{path.stem}@{seed}"
    if os.environ.get("CUTOVER_UPDATE_GOLDEN"):
        RECORDED[key] = digest
        HASHES.write_text(json.dumps(RECORDED, indent=1, sort_keys=True) + "\n")
    assert digest == RECORDED[key]

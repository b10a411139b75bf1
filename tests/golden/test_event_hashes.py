"""events.jsonl of every bundled scenario at seeds 1-4 is byte-identical to the recorded one.

Recorded before the restructure (issue 9) so that moving code cannot move behaviour. A change of
the model that deliberately moves events records new hashes:
``CUTOVER_UPDATE_GOLDEN=1 python -m pytest tests/golden``, then review why every one moved.

Two records: ``events_sha256.json`` for the model as it runs (calls drawn per interval of
constant routing state, issue 12), and ``events_sha256_call_by_call.json`` for the reference
switchboard placing each call as a SimPy event. The second is the record from before issue 12,
unchanged: the lifecycle, the faults (probable ones included, when none is probable) and the
per-call traffic still give those exact bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from sim.model import CutoverModel
from sim.report import write_events
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
HASHES = {False: Path(__file__).with_name("events_sha256.json"),
          True: Path(__file__).with_name("events_sha256_call_by_call.json")}
RECORDED: dict[bool, dict[str, str]] = {k: json.loads(p.read_text()) for k, p in HASHES.items()}
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
CASES = [(path, seed) for path in SCENARIOS for seed in (1, 2, 3, 4)]


def events_sha256(path: Path, seed: int, directory: Path, *, call_by_call: bool = False) -> str:
    model = CutoverModel(load_scenario(path), seed=seed, call_by_call=call_by_call)
    model.run()
    out = directory / f"{path.stem}-{seed}.jsonl"
    write_events(model.ledger.records(), out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.mark.parametrize("call_by_call", [False, True])
def test_every_bundled_scenario_is_recorded(call_by_call: bool) -> None:
    assert sorted(RECORDED[call_by_call]) == sorted(f"{p.stem}@{s}" for p, s in CASES)


@pytest.mark.slow
@pytest.mark.parametrize("call_by_call", [False, True], ids=["intervals", "call_by_call"])
@pytest.mark.parametrize(("path", "seed"), CASES, ids=lambda v: getattr(v, "stem", str(v)))
def test_events_are_byte_identical(path: Path, seed: int, call_by_call: bool,
                                   tmp_path: Path) -> None:
    digest = events_sha256(path, seed, tmp_path, call_by_call=call_by_call)
    key = f"{path.stem}@{seed}"
    recorded = RECORDED[call_by_call]
    if os.environ.get("CUTOVER_UPDATE_GOLDEN"):
        recorded[key] = digest
        HASHES[call_by_call].write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    assert digest == recorded[key]

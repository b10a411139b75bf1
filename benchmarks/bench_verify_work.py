"""Scenario parses and model runs of one `cutover verify` (needs a real Asterisk): prints JSON.

The routing state at every checkpoint comes from one replay of the model, so a verify of a
scenario with three checkpoints parses it once and runs the model once (before the restructure
of issue 9: 8 parses and 12 model runs for uk_ngn_reseller_rollback).

    python benchmarks/bench_verify_work.py [SCENARIO] [verify options...]
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import sim.scenario.loader as loader
from cutover.cli import main
from sim.model import CutoverModel

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml"


def measure(argv: list[str]) -> dict[str, Any]:
    counts = {"parses": 0, "model_runs": 0}
    build, init = loader._build, CutoverModel.__init__

    def counted_build(*args: Any, **kwargs: Any) -> Any:
        counts["parses"] += 1
        return build(*args, **kwargs)

    def counted_init(self: CutoverModel, *args: Any, **kwargs: Any) -> None:
        counts["model_runs"] += 1
        init(self, *args, **kwargs)

    loader._build = counted_build  # type: ignore[assignment]
    CutoverModel.__init__ = counted_init  # type: ignore[method-assign]
    started = time.monotonic()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(["verify", *argv])
    finally:
        loader._build, CutoverModel.__init__ = build, init  # type: ignore[method-assign]
    return {"scenario": argv[0], "exit_code": code, **counts,
            "wall_s": round(time.monotonic() - started, 1),
            "verify_last_line": out.getvalue().strip().splitlines()[-1:],
            "target": {"parses": 1, "model_runs": 1}}


if __name__ == "__main__":
    args = sys.argv[1:] or [str(DEFAULT)]
    print(json.dumps(measure(args), indent=2))

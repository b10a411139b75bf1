"""Loading AstDB over AMI: one action at a time (the old path) against the pipelined sync, same run.

Usage: python benchmarks/bench_astdb.py [--ddi N] [--boxes M] [--runs R]

Starts one Asterisk (the bench_verify scenario at its checkpoint: N DDI numbers and M boxes,
default 10,000 and 100, so 2 x 10,100 = 20,200 entries less the ones not ported) and times, on
that same Asterisk and the same entries, R times each:

- ``one_at_a_time_s``: the families emptied, then every entry put and confirmed by a DBGet, one
  round trip each (``AMIClient.set_db``: how ``sync`` did it before);
- ``pipelined_s``: the families emptied, then :func:`sip_harness.ami.astdb.sync` (DBPut in
  flight up to the window, matched by ActionID, then the families read back once);
- ``unchanged_s``: ``sync`` again with nothing to change (the diff: two reads, no write);
- ``tenth_changed_s``: ``sync`` with a tenth of the entries changed.

Prints one JSON document with the medians and ``ratio`` = one_at_a_time / pipelined. Needs free
ports 5060/udp and 5038/tcp (run it in a private network namespace: README, Benchmarks).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.ami import AMIClient
from sip_harness.ami.astdb import read_families, sync
from sip_harness.asterisk import live as control
from sip_harness.asterisk import runner as asterisk
from sip_harness.config import FAMILIES, astdb_entries

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_verify import scenario_text  # noqa: E402 - the same scenario as the verify benchmark


def _empty(ami: AMIClient) -> None:
    for family in FAMILIES:
        ami.action("DBDelTree", describe=family, Family=family, timeout=30.0)
    if read_families(ami, FAMILIES):
        raise SystemExit("DBDelTree left entries behind")


def _timed(work: Callable[[], object]) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ddi", type=int, default=10_000)
    parser.add_argument("--boxes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cutover-bench-astdb-") as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(scenario_text(args.ddi, args.boxes))
        scenario = load_scenario(path)
        replay = Replay(scenario)
        instant = scenario.checkpoint("after_cutover").at
        state_file = Path(tmp) / "asterisk.json"
        started = time.monotonic()
        running, view = control.bring_up(replay, instant, state_file=state_file)
        up_s = time.monotonic() - started
        target = astdb_entries(view)
        changed = {k: (v if i % 10 else "bt") for i, (k, v) in enumerate(sorted(target.items()))}
        times: dict[str, list[float]] = {"one_at_a_time_s": [], "pipelined_s": [],
                                         "unchanged_s": [], "tenth_changed_s": []}
        try:
            with running.ami(timeout=30.0) as ami:
                if read_families(ami, FAMILIES) != target:
                    raise SystemExit("bring_up did not load AstDB as the view says")
                for _ in range(args.runs):
                    _empty(ami)
                    times["one_at_a_time_s"].append(_timed(lambda: [
                        ami.set_db(f, k, v) for (f, k), v in sorted(target.items())]))
                    _empty(ami)
                    times["pipelined_s"].append(_timed(lambda: sync(ami, FAMILIES, target)))
                    times["unchanged_s"].append(_timed(lambda: sync(ami, FAMILIES, target)))
                    times["tenth_changed_s"].append(_timed(lambda: sync(ami, FAMILIES,
                                                                        changed)))
                    sync(ami, FAMILIES, target)
                if read_families(ami, FAMILIES) != target:
                    raise SystemExit("AstDB does not hold the target at the end")
        finally:
            asterisk.down(state_file=state_file)
    medians = {k: round(statistics.median(v), 3) for k, v in times.items()}
    print(json.dumps({
        "entries": len(target), "runs": args.runs,
        "asterisk_up_and_astdb_s": round(up_s, 2),
        **medians, "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "ratio": round(medians["one_at_a_time_s"] / medians["pipelined_s"], 1),
    }, indent=2))


if __name__ == "__main__":
    main()

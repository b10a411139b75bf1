"""`cutover verify` speed: 100 numbers x (inbound, outbound caller ID, voicemail) at one checkpoint.

Usage: python benchmarks/bench_verify.py [--numbers N] [--concurrency C]
Generates a scenario (one port order of N numbers from bt to callagenix, a mailbox on each),
starts its own Asterisk at the after_cutover checkpoint (state file in a temporary directory),
runs the suite and prints one JSON document: wall time of the suite (agents' start included,
Asterisk's start not), checks run and passed, calls placed and the most in flight at once, and
how many voicemail messages Asterisk's log says failed to play.
Target (issue 4): under 60 s for 100 numbers with at least 20 calls in flight. Needs free ports
5060/udp and 5038/tcp (no other Asterisk on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.asterisk import live as control
from sip_harness.asterisk import runner as asterisk
from sip_harness.verify.runner import run_suite


def scenario_text(numbers: int) -> str:
    nums = [f"01632 96{i:04d}" for i in range(1000, 1000 + numbers)]
    boxes = "\n".join(f'      - {{box: "96{i:04d}", number: "01632 96{i:04d}"}}'
                      for i in range(1000, 1000 + numbers))
    return f"""\
name: bench_verify
description: {numbers} numbers ported from bt to callagenix, each with a mailbox
regime: uk
seed: 1
start: 2026-11-23T00:00:00Z
horizon: 2026-12-07T00:00:00Z
routing: onward
carriers:
  - {{id: bt, name: BT, desk: {{capacity: 4, answer_hours: 6}}}}
  - {{id: callagenix, name: Callagenix Ltd}}
  - {{id: vodafone, name: Vodafone UK}}
interconnects: [[vodafone, bt], [bt, callagenix], [vodafone, callagenix]]
ranges:
  - {{prefix: "+44 1632 96", holder: bt}}
  - {{prefix: "+44 7700 900", holder: vodafone}}
customers:
  - id: acme
    name: Acme Widgets Ltd
    account: BT-0161-2233445
    address: Unit 4, Riverside Park, Leeds LS1 4AB
    numbers: {json.dumps(nums)}
    authorised_signers: [Jane Holt]
    voicemail:
{boxes}
port_orders:
  - id: acme-gnp
    customer: acme
    gaining: callagenix
    submitted: 2026-11-23T10:00:00
    requested_date: 2026-11-28T00:00:00
traffic: {{origins: [vodafone]}}
checkpoints:
  - {{name: after_cutover, at: 2026-11-28T06:00:00Z}}
"""


def _playback_failures(state_file: Path) -> int | None:
    """Lines of Asterisk's log saying a voicemail message failed to play (None: no log)."""
    run_dir = asterisk.require_running(state_file=state_file).run_dir
    log = Path(run_dir) / "log" / "messages" if run_dir else None
    if log is None or not log.exists():
        return None
    text = log.read_text(errors="replace")
    return sum("Playback of message" in line for line in text.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cutover-bench-") as tmp:
        path = Path(tmp) / "bench_verify.yaml"
        path.write_text(scenario_text(args.numbers))
        scenario = load_scenario(path)
        state_file = Path(tmp) / "asterisk.json"
        point = ("after_cutover", scenario.checkpoint("after_cutover").at)
        replay = Replay(scenario)
        control.bring_up(replay, point[1], state_file=state_file)
        try:
            stats: dict[str, object] = {}
            started = time.monotonic()
            results = run_suite(
                replay, [point], stats=stats, concurrency=args.concurrency,
                apply=lambda name, at: control.move_to(replay, at, state_file=state_file),
                ami=lambda: asterisk.require_running(state_file=state_file).ami())
            wall = time.monotonic() - started
            playback_failures = _playback_failures(state_file)
        finally:
            asterisk.down(state_file=state_file)
    main_checks = [r for r in results if r.check in ("inbound", "outbound_callerid",
                                                     "voicemail")]
    failures = [r.reason for r in results if r.passed is False]
    print(json.dumps({
        "numbers": args.numbers, "checks": len(main_checks),
        "passed": sum(r.passed is True for r in main_checks),
        "failed": len(failures), "first_failures": failures[:3],
        "wall_s": round(wall, 2), "calls": stats.get("calls"),
        "max_in_flight": stats.get("max_in_flight"), "agent_processes": stats.get("processes"),
        "concurrency": args.concurrency, "target_s": 60,
        "asterisk_playback_failures": playback_failures,
    }, indent=2))


if __name__ == "__main__":
    main()

"""`cutover verify` at the size of a business cutover: 10,000 DDI numbers and 100 voicemail boxes.

Usage: python benchmarks/bench_verify.py [--ddi N] [--boxes M] [--baseline-numbers K]
                                         [--baseline none] [--concurrency C]

Generates a scenario: one customer porting from bt to callagenix a DDI block of N numbers
(landing on its PBX trunk) and M extensions, each with a mailbox. Starts its own Asterisk at
the after_cutover checkpoint (state in a temporary directory) and runs the suite at that one
checkpoint: inbound and outbound caller ID for every number (DDI numbers through SIPp, the
extensions through pjsua2) and voicemail (left, seen in AMI, retrieved with DTMF) on every box.
Prints one JSON document: wall time of the suite (agents' start included, Asterisk's start and
AstDB load not: they are reported apart, ``asterisk_up_and_astdb_s`` and within it
``astdb_load``), checks run and failed, calls placed, calls/s, the
bulk engine's setup time (INVITE to final answer) p50/p99 and sustained calls/s, the most
calls in flight, and the CPU seconds of the harness (this process, its pjsua2 workers and
SIPp) and of Asterisk.

Baseline: the same kind of run through the code path verify had before issue 11 (every number
a pjsua2 phone, carrier trunks as pjsua2 workers), with K numbers (default 100: that path
needs a worker process per two numbers and held the 254-phone limit); its calls/s against the
bulk run's is ``ratio_calls_per_s``. Target (issue 11): the 10,000-number suite under 180 s on
this 2-core machine, and at least 150 calls/s sustained for the signalling checks.
Needs free ports 5060/udp and 5038/tcp (no other Asterisk on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.agents.fleet import Fleet
from sip_harness.asterisk import live as control
from sip_harness.asterisk import runner as asterisk
from sip_harness.config import hosted_phones
from sip_harness.topology import carrier_addresses
from sip_harness.verify.expectations import plan
from sip_harness.verify.runner import run_suite

_TICK = os.sysconf("SC_CLK_TCK")


def scenario_text(ddi: int, boxes: int, *, all_phones: bool = False) -> str:
    """The scenario: a DDI block of ``ddi`` numbers from 01632 960000 and ``boxes`` extensions
    from 01632 950000 with a mailbox each; ``all_phones`` declares every number an extension
    (the pre-issue-11 path: a pjsua2 phone each)."""
    if ddi > 10_000 or boxes > 10_000:
        raise SystemExit("at most 10,000 DDI numbers and 10,000 boxes (one 01632 9x block each)")
    extensions = [f"01632 95{i:04d}" for i in range(boxes)]
    block = [f'{{first: "01632 960000", count: {ddi}}}'] if ddi else []
    numbers = ", ".join([*(json.dumps(n) for n in extensions), *block])
    mailboxes = "\n".join(f'      - {{box: "95{i:04d}", number: "01632 95{i:04d}"}}'
                          for i in range(boxes))
    declared = ""
    if all_phones and ddi:
        declared = f"    extensions: [{block[0]}]\n"
    return f"""\
name: bench_verify
description: {ddi} DDI numbers and {boxes} extensions with voicemail, from bt to callagenix
regime: uk
seed: 1
start: 2026-10-19T00:00:00Z
horizon: 2026-12-07T00:00:00Z
routing: onward
carriers:
  - {{id: bt, name: BT, desk: {{capacity: 4, answer_hours: 6}}}}
  - {{id: callagenix, name: Callagenix Ltd}}
  - {{id: vodafone, name: Vodafone UK}}
interconnects: [[vodafone, bt], [bt, callagenix], [vodafone, callagenix]]
ranges:
  - {{prefix: "+44 1632 9", holder: bt}}
  - {{prefix: "+44 7700 900", holder: vodafone}}
customers:
  - id: acme
    name: Acme Widgets Ltd
    account: BT-0161-2233445
    address: Unit 4, Riverside Park, Leeds LS1 4AB
    numbers: [{numbers}]
    authorised_signers: [Jane Holt]
{declared}    voicemail:
{mailboxes if mailboxes else "      []"}
port_orders:
  - id: acme-gnp
    customer: acme
    gaining: callagenix
    submitted: 2026-10-19T10:00:00  # a lead time of up to 17 working days (a big order)
    requested_date: 2026-11-28T00:00:00
traffic: {{origins: [vodafone]}}
checkpoints:
  - {{name: after_cutover, at: 2026-11-28T06:00:00Z}}
"""


class CpuSampler:
    """CPU seconds of a process tree (this process and every descendant but the watched ones)
    and of the watched pids (Asterisk), from /proc, sampled every 0.2 s: a process that ends
    keeps its last sample."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.extra: dict[int, tuple[float, float]] = {}  # pid -> (first, last)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pid: int | None) -> None:
        if pid is not None and (cpu := _cpu(pid)) is not None:
            self.extra[pid] = (cpu, cpu)

    def __enter__(self) -> CpuSampler:
        self._base = {pid: c for pid in _tree(os.getpid()) if (c := _cpu(pid)) is not None}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def _sample(self) -> None:
        # Asterisk runs under this process (unshare, sh, asterisk): counted apart, not as harness
        apart = {q for pid in self.extra for q in _tree(pid)}
        for pid in _tree(os.getpid()):
            if pid in apart:
                continue
            cpu = _cpu(pid)
            if cpu is not None:
                self.seen[pid] = cpu
                if pid not in self.names:
                    try:
                        self.names[pid] = Path(f"/proc/{pid}/comm").read_text().strip()
                    except OSError:
                        self.names[pid] = "?"
        for pid, (first, _) in list(self.extra.items()):
            cpu = _cpu(pid)
            if cpu is not None:
                self.extra[pid] = (first, cpu)

    def harness_s(self) -> float:
        return round(sum(c - self._base.get(pid, 0.0) for pid, c in self.seen.items()), 2)

    def by_kind(self) -> dict[str, float]:
        """The harness's CPU seconds split: this process, SIPp, the pjsua2 workers (and their
        forkserver)."""
        kinds: dict[str, float] = {"parent": 0.0, "sipp": 0.0, "pjsua2_workers": 0.0}
        for pid, c in self.seen.items():
            used = c - self._base.get(pid, 0.0)
            kind = ("parent" if pid == os.getpid() else
                    "sipp" if self.names.get(pid) == "sipp" else "pjsua2_workers")
            kinds[kind] += used
        return {k: round(v, 2) for k, v in kinds.items()}

    def extra_s(self) -> float:
        return round(sum(last - first for first, last in self.extra.values()), 2)


def _cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


@dataclass
class _AstdbLoad:
    seconds: float = 0.0
    puts: int = 0


@contextmanager
def _timing_astdb() -> Iterator[_AstdbLoad]:
    """Time the AstDB load inside ``bring_up`` (its ``sync_astdb``), apart from Asterisk's start."""
    load, real = _AstdbLoad(), control.sync_astdb

    def timed(ami: Any, view: Any) -> Any:
        started = time.monotonic()
        try:
            done = real(ami, view)
        finally:
            load.seconds += time.monotonic() - started
        load.puts += len(done[0])
        return done

    control.sync_astdb = timed  # type: ignore[assignment]
    try:
        yield load
    finally:
        control.sync_astdb = real  # type: ignore[assignment]


def run(text: str, tmp: Path, name: str, *, concurrency: int, old_path: bool) -> dict[str, Any]:
    """One suite at after_cutover of the scenario ``text``; its figures."""
    path = tmp / f"{name}.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    state_file = tmp / f"{name}-asterisk.json"
    point = ("after_cutover", scenario.checkpoint("after_cutover").at)
    replay = Replay(scenario)
    order = scenario.port_orders[0]
    serving = {replay.at(point[1]).serving_carrier(n) for n in order.numbers}
    if serving != {order.gaining}:  # else no phone answers and no box is reachable
        raise SystemExit(f"{name}: the port is not active at {point[1]:%F %T} (numbers served "
                         f"by {sorted(serving)}): the benchmark would not measure its claims")
    started = time.monotonic()
    with _timing_astdb() as astdb:
        running, _ = control.bring_up(replay, point[1], state_file=state_file)
    up_s = time.monotonic() - started
    try:
        stats: dict[str, Any] = {}
        fleet = None
        if old_path:  # pjsua2 trunk workers, as before issue 11 (no recorder, no SIPp)
            carriers = carrier_addresses(scenario.carrier_ids)
            fleet = Fleet(carriers, hosted_phones(scenario),
                          carriers[plan(replay).origin].host)
        with CpuSampler() as cpu:
            cpu.watch(running.asterisk_pid())
            started = time.monotonic()
            try:
                results = run_suite(
                    replay, [point], stats=stats, concurrency=concurrency, fleet=fleet,
                    apply=lambda name, at: control.move_to(replay, at, state_file=state_file),
                    ami=lambda: asterisk.require_running(state_file=state_file).ami())
            finally:
                if fleet is not None:
                    fleet.close()
            wall = time.monotonic() - started
    finally:
        asterisk.down(state_file=state_file)
    failures = [r.reason for r in results if r.passed is False]
    signalling = [r for r in results if r.check in ("inbound", "outbound_callerid")]
    bulk = stats.get("bulk") or {}
    calls = int(stats.get("calls") or 0)
    return {
        "numbers": len({r.number for r in results if r.check == "inbound"}),
        "checks": len(results), "signalling_checks": len(signalling),
        "voicemail_checks": sum(r.check == "voicemail" and r.passed is not None
                                for r in results),
        "passed": sum(r.passed is True for r in results), "failed": len(failures),
        "first_failures": failures[:3],
        "asterisk_up_and_astdb_s": round(up_s, 2),
        "astdb_load": {"seconds": round(astdb.seconds, 2), "entries_put": astdb.puts},
        "wall_s": round(wall, 2),
        "calls": calls, "calls_per_s": round(calls / wall, 1) if wall else None,
        "max_in_flight": stats.get("max_in_flight"),
        "agent_processes": stats.get("processes"),
        "bulk": bulk,
        "bulk_calls_per_s": (round(bulk["calls"] / bulk["elapsed_s"], 1)
                             if bulk.get("elapsed_s") else None),
        "cpu_s": {"harness": cpu.harness_s(), "harness_by_kind": cpu.by_kind(),
                  "asterisk": cpu.extra_s()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ddi", type=int, default=10_000)
    parser.add_argument("--boxes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--baseline-numbers", type=int, default=100)
    parser.add_argument("--baseline", choices=("old-path", "none"), default="old-path")
    args = parser.parse_args()
    out: dict[str, Any] = {"ddi": args.ddi, "boxes": args.boxes,
                           "concurrency": args.concurrency,
                           "target": {"wall_s": 180, "bulk_calls_per_s": 150}}
    with tempfile.TemporaryDirectory(prefix="cutover-bench-") as tmp:
        out["run"] = run(scenario_text(args.ddi, args.boxes), Path(tmp), "bulk",
                         concurrency=args.concurrency, old_path=False)
        if args.baseline == "old-path":
            k = args.baseline_numbers
            out["baseline"] = run(scenario_text(k - k // 2, k // 2, all_phones=True), Path(tmp),
                                  "old", concurrency=args.concurrency, old_path=True)
    result = out["run"]
    out["pass"] = {"wall_s": result["wall_s"] < 180 and result["failed"] == 0,
                   "bulk_calls_per_s": (result["bulk_calls_per_s"] or 0) >= 150}
    if "baseline" in out and out["baseline"]["calls_per_s"]:
        out["ratio_calls_per_s"] = round(result["calls_per_s"] / out["baseline"]["calls_per_s"],
                                         1)
        out["baseline_estimate_s_at_this_size"] = round(
            result["calls"] / out["baseline"]["calls_per_s"], 0)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

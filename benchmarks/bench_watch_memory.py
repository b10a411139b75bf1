"""`cutover watch` over time: 200 numbers every 10 s must not grow memory (issue 14).

Usage: python benchmarks/bench_watch_memory.py [--numbers N] [--every S] [--seconds S]
       [--baseline-seconds S] [--rate R] [--max-in-flight M] [--no-baseline] [--tracemalloc]

Generates a scenario (one port order of N numbers from bt to callagenix, a mailbox, hence a
pjsua2 phone, on the first 10; the rest are DDI numbers on the customer's PBX, probed with
SIPp), starts its own Asterisk an hour into the port's cutover window (state file in a temporary
directory) and publishes a replay clock at speed 1 there, so the watch compares against the
plan inside the cutover window for the whole run. Then it watches, in this process, exactly as
`cutover watch` does (same board, prober and loop), every ``--every`` seconds for
``--seconds``, inbound and outbound caller ID for every number, and samples after every round
the resident memory of the harness: this process and all its descendants (the pjsua2
workers, the forkserver) except the Asterisk it started, which is sampled apart (its memory and
CPU are Asterisk's, not the watcher's).

The issue asks for an hour; the default is shortened to 150 s (15 rounds) and the growth is
measured as the slope of a least-squares line through the samples after a warm-up of 3 rounds,
extrapolated to an hour. The baseline, in the same run, is the same watch with the
between-rounds forgetting switched off (``--no-baseline`` skips it, ``--baseline-seconds``
shortens it): what the watcher would grow by if it kept what every call left behind.

Where the memory is: each phase also reports, per process of the tree (this process, the
forkserver, each pjsua2 worker by its place in the tree; SIPp runs come and go between samples),
the RSS, the private memory (pages not shared with a parent: a forked worker's RSS counts the
forkserver's pages too) and the thread count, after the warm-up and at the end, with the
slopes. ``--tracemalloc`` traces this process's Python allocations and adds the 15 lines whose
allocations grew most between the end of the warm-up and the end of the phase (it slows this
process down; its own overhead is not in the RSS figures' favour). Prints one JSON document.
Needs free ports 5060/udp and 5038/tcp and SIPp: run it under the live lock, or in a private
network namespace (``unshare -n bash -c 'ip link set lo up && exec python ...'``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from array import array
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.asterisk import live as control
from sip_harness.asterisk import runner as asterisk
from sip_harness.verify.expectations import plan as caller_plan
from sip_harness.watch.clock import CLOCK_FAMILY, CLOCK_KEY, ReplayClock, WatchClock
from sip_harness.watch.cost import (
    ProcessInfo,
    cpu_seconds,
    rss_bytes,
    tree_cpu_seconds,
    tree_processes,
    tree_rss_bytes,
)
from sip_harness.watch.plan import watch_plan, windows
from sip_harness.watch.probe import call_prober
from sip_harness.watch.tracker import WatchBoard
from sip_harness.watch.watcher import WatchSettings, watch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_verify import scenario_text as verify_scenario  # noqa: E402 - one scenario for both

#: Where the watch is put: an hour into the port's (first) cutover window, after the flip.
INTO_WINDOW = timedelta(hours=1)
PHONES = 10
WARMUP_ROUNDS = 3
#: Growth allowed over an hour, extrapolated: 5 % of the memory after the warm-up.
TARGET_GROWTH_FRACTION = 0.05


def scenario_text(numbers: int) -> str:
    """bench_verify's scenario: ``PHONES`` extensions with a mailbox (pjsua2 phones) and a DDI
    block of the rest (on the customer's PBX, probed with SIPp), ported from bt to callagenix."""
    return verify_scenario(max(0, numbers - PHONES), min(PHONES, numbers))


def watch_at(replay: Replay) -> datetime:
    """An hour into the first cutover window (the regime's lead time decides the port date)."""
    opened = [w.start for ws in windows(replay, replay.scenario.horizon).values() for w in ws]
    if not opened:
        raise SystemExit("the generated scenario's port never opens a window")
    return min(opened) + INTO_WINDOW


def slope_per_hour(samples: list[tuple[float, int]]) -> float | None:
    """Least-squares slope of (seconds, bytes), in bytes per hour; None under 3 samples."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(b for _, b in samples) / n
    var = sum((t - mx) ** 2 for t, _ in samples)
    if var == 0:
        return None
    return sum((t - mx) * (b - my) for t, b in samples) / var * 3600


ASTERISK_LABEL = "asterisk (not in the harness figures)"


class ProcessLabels:
    """Stable names for the processes of this process's tree, by their place in it."""

    def __init__(self) -> None:
        self.me = os.getpid()
        self._names: dict[tuple[int, str], str] = {}
        self._workers = 0

    @staticmethod
    def exclude(asterisk_pid: int | None) -> tuple[int, ...]:
        """What the harness's figures leave out: the Asterisk this benchmark started."""
        return (asterisk_pid,) if asterisk_pid else ()

    def name(self, p: ProcessInfo, parents: dict[int, str]) -> str | None:
        """The process's name; None for a transient one (SIPp, a compiler) that is not followed."""
        key = (p.pid, p.command)
        if key in self._names:
            return self._names[key]
        parent = parents.get(p.ppid, "")
        if p.pid == self.me:
            label = "this process"
        elif "forkserver" in p.command and parent == "this process":
            label = "forkserver"
        elif "resource_tracker" in p.command:
            label = "resource tracker"
        elif parent == "forkserver":
            self._workers += 1
            label = f"pjsua2 worker {self._workers}"
        else:
            return None
        self._names[key] = label
        return label

    def sample(self, asterisk_pid: int | None) -> dict[str, ProcessInfo]:
        """This process's tree but Asterisk, by name; Asterisk (its main process) apart."""
        out: dict[str, ProcessInfo] = {}
        parents: dict[int, str] = {}
        if asterisk_pid:
            out.update((ASTERISK_LABEL, p) for p in tree_processes(asterisk_pid)[:1])
        for p in tree_processes(exclude=self.exclude(asterisk_pid)):
            label = self.name(p, parents)
            if label is not None:
                parents[p.pid] = label
                out[label] = p
        return out


class ProcessSeries:
    """Per process name, its samples (seconds, RSS, private memory, threads) as flat arrays:
    a sample costs a few dozen bytes, not a few objects, so the measuring does not grow the
    process it measures by more than it must."""

    def __init__(self) -> None:
        self._by_name: dict[str, tuple[array[float], array[int], array[int], array[int]]] = {}

    def add(self, t: float, processes: dict[str, ProcessInfo]) -> None:
        for name, p in processes.items():
            times, rss, private, threads = self._by_name.setdefault(
                name, (array("d"), array("q"), array("q"), array("q")))
            times.append(t)
            rss.append(p.rss)
            private.append(-1 if p.private is None else p.private)
            threads.append(p.threads)

    def summary(self, after: float) -> dict[str, Any]:
        """Per process: RSS and private memory after the warm-up (the samples from ``after``
        seconds on) and last, their slopes per hour, and the threads."""
        out: dict[str, Any] = {}
        for name in sorted(self._by_name):
            times, rss, private, threads = self._by_name[name]
            keep = [i for i, t in enumerate(times) if t >= after]
            if not keep:
                continue
            rss_slope = slope_per_hour([(times[i], rss[i]) for i in keep])
            known = [(times[i], private[i]) for i in keep if private[i] >= 0]
            private_slope = slope_per_hour(known)
            first, last = keep[0], keep[-1]
            out[name] = {
                "rss_mb_after_warmup": round(rss[first] / 1e6, 1),
                "rss_mb_last": round(rss[last] / 1e6, 1),
                "rss_growth_mb_per_hour": round(rss_slope / 1e6, 2)
                if rss_slope is not None else None,
                "private_mb_after_warmup": round(known[0][1] / 1e6, 1) if known else None,
                "private_mb_last": round(known[-1][1] / 1e6, 1) if known else None,
                "private_growth_mb_per_hour": round(private_slope / 1e6, 2)
                if private_slope is not None else None,
                "threads": [threads[first], threads[last]],
                "rss_mb_samples": [round(rss[i] / 1e6, 1) for i in keep],
            }
        return out


def grown_lines(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> list[dict[str, Any]]:
    """The 15 source lines whose live Python allocations grew most between two snapshots."""
    stats = after.compare_to(before, "lineno")
    return [{"where": f"{s.traceback[0].filename}:{s.traceback[0].lineno}",
             "grew_kb": round(s.size_diff / 1024, 1), "blocks_grew": s.count_diff,
             "now_kb": round(s.size / 1024, 1)}
            for s in sorted(stats, key=lambda s: s.size_diff, reverse=True)[:15]]


def phase(name: str, scenario: Any, replay: Replay, ami: Any, asterisk_pid: int | None,
          args: argparse.Namespace, *, forget: bool, seconds: float) -> dict[str, Any]:
    """One watch of ``seconds``; memory sampled after every round."""
    callers = caller_plan(replay)
    plans = watch_plan(replay, callers.origin)
    board = WatchBoard(plans)
    settings = WatchSettings(every=args.every, rate=args.rate,
                             max_in_flight=args.max_in_flight)
    clock_entry = ReplayClock(scenario.name, watch_at(replay), time.time(), 1.0, "running")
    ami.db_put(CLOCK_FAMILY, CLOCK_KEY, clock_entry.encode())
    samples: list[tuple[float, int]] = []
    split = ProcessSeries()
    labels = ProcessLabels()
    traced: list[tracemalloc.Snapshot] = []
    if args.tracemalloc:
        tracemalloc.start()
    asterisk_rss: list[int] = []
    counts = {"records": 0, "alerts": 0, "wrong": 0}
    stop = threading.Event()
    with call_prober(scenario, plans, callers) as prober:
        if not forget:
            prober.forget = lambda: None  # type: ignore[method-assign]
        began = time.monotonic()
        apart = ProcessLabels.exclude(asterisk_pid)
        cpu0 = tree_cpu_seconds(exclude=apart)
        ast0 = cpu_seconds(asterisk_pid) if asterisk_pid else None
        seen_rounds = [0]

        def sample(now: datetime | None, outcome: Any) -> None:
            if outcome.rounds != seen_rounds[0]:
                seen_rounds[0] = outcome.rounds
                at = time.monotonic() - began
                samples.append((at, tree_rss_bytes(exclude=apart)))
                split.add(at, labels.sample(asterisk_pid))
                asterisk_rss.append(rss_bytes(asterisk_pid) or 0 if asterisk_pid else 0)
                if args.tracemalloc and len(samples) == WARMUP_ROUNDS + 1:
                    traced.append(tracemalloc.take_snapshot())
            if time.monotonic() - began >= seconds:
                stop.set()

        def emit(record: dict[str, Any]) -> None:
            counts["records"] += 1
            counts["alerts"] += record.get("kind") == "alert"
            counts["wrong"] += record.get("verdict") not in (None, "ok")

        outcome = watch(board, prober, WatchClock(scenario.name, "replay"),
                        lambda: ami.db_get(CLOCK_FAMILY, CLOCK_KEY), settings, emit=emit,
                        on_round=sample, stop=stop)
        cpu = tree_cpu_seconds(exclude=apart) - cpu0
        ast_cpu = ((cpu_seconds(asterisk_pid) or 0) - ast0
                   if ast0 is not None and asterisk_pid else None)
        left_up = prober.live_calls()
    channels = [line for line in ami.command("core show channels count").splitlines()
                if line.strip()]
    growth = None
    if args.tracemalloc:
        if traced:
            growth = grown_lines(traced[0], tracemalloc.take_snapshot())
        tracemalloc.stop()
    warm = samples[WARMUP_ROUNDS:]
    slope = slope_per_hour(warm)
    base = warm[0][1] if warm else None
    return {
        "phase": name, "forget_between_rounds": forget, "rounds": outcome.rounds,
        "probes": outcome.probes, "calls": outcome.calls,
        "calls_per_second": round(outcome.calls_per_second, 2),
        "max_in_flight": outcome.max_in_flight, "round_mean_s": round(outcome.round_mean, 2),
        "round_max_s": round(outcome.round_max, 2), "rounds_over_every": outcome.overruns,
        "cpu_harness_s": round(cpu, 2),
        "cpu_harness_per_call_ms": round(1000 * cpu / outcome.calls, 2) if outcome.calls
        else None, "cpu_asterisk_s": round(ast_cpu, 2) if ast_cpu is not None else None,
        "calls_left_up": left_up, "asterisk_channels_at_end": channels,
        "observations_not_ok": counts["wrong"],
        "alerts": counts["alerts"],
        "rss_mb_after_warmup": round(base / 1e6, 1) if base else None,
        "rss_mb_last": round(samples[-1][1] / 1e6, 1) if samples else None,
        "rss_growth_mb_per_hour": round(slope / 1e6, 2) if slope is not None else None,
        "rss_growth_fraction_per_hour": round(slope / base, 4) if slope is not None and base
        else None,
        "asterisk_rss_mb": [round(asterisk_rss[0] / 1e6, 1), round(asterisk_rss[-1] / 1e6, 1)]
        if asterisk_rss else None,
        "rss_mb_samples": [round(b / 1e6, 1) for _, b in samples],
        "per_process": split.summary(warm[0][0]) if warm else {},
        **({"tracemalloc_top_growth": growth} if args.tracemalloc else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=200)
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--baseline-seconds", type=float, default=None,
                        help="length of the baseline phase (default: --seconds)")
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--max-in-flight", type=int, default=10)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="add this process's top Python allocation growth (slower)")
    args = parser.parse_args()
    baseline_seconds = args.seconds if args.baseline_seconds is None else args.baseline_seconds
    if shutil.which("sipp") is None:
        raise SystemExit("sipp is not installed (apt-get install sip-tester)")
    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    state_file = work / "state" / "asterisk.json"
    try:
        path = work / "bench_watch.yaml"
        path.write_text(scenario_text(args.numbers))
        scenario = load_scenario(str(path))
        replay = Replay(scenario)
        started = time.monotonic()
        running, _ = control.bring_up(replay, watch_at(replay), state_file=state_file)
        up_s = time.monotonic() - started
        try:
            pid = running.asterisk_pid()
            with running.ami(events=False) as ami:  # as `cutover watch`'s session
                phases = [phase("watch", scenario, replay, ami, pid, args, forget=True,
                                seconds=args.seconds)]
                # each phase as it ends, on stderr: an hour's figures survive a later failure
                print(json.dumps(phases[-1]), file=sys.stderr, flush=True)
                if not args.no_baseline:
                    phases.append(phase("baseline: nothing forgotten between rounds",
                                        scenario, replay, ami, pid, args, forget=False,
                                        seconds=baseline_seconds))
                    print(json.dumps(phases[-1]), file=sys.stderr, flush=True)
        finally:
            asterisk.down(state_file=state_file)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    watched = phases[0]
    fraction = watched["rss_growth_fraction_per_hour"]
    baseline = phases[1] if len(phases) > 1 else None
    document = {
        "benchmark": "bench_watch_memory", "numbers": args.numbers, "phones": PHONES,
        "every_s": args.every, "seconds_watch": args.seconds,
        "seconds_baseline": None if args.no_baseline else baseline_seconds, "rate": args.rate,
        "max_in_flight": args.max_in_flight, "asterisk_up_s": round(up_s, 2),
        "cpus": os.cpu_count(), "machine_shared": True,
        "max_rss_of_this_process_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "phases": phases,
        "target": {"rss_growth_fraction_per_hour_at_most": TARGET_GROWTH_FRACTION,
                   "every_round_within_every_s": True},
        "pass": {
            "memory_flat": fraction is not None and fraction <= TARGET_GROWTH_FRACTION,
            "rounds_kept_up": watched["rounds_over_every"] == 0,
            "every_call_torn_down": watched["calls_left_up"] == 0,
            "all_observations_as_planned": watched["observations_not_ok"] == 0,
        },
        "ratio_growth_baseline_vs_watch": (
            round(baseline["rss_growth_mb_per_hour"] / watched["rss_growth_mb_per_hour"], 1)
            if baseline and watched["rss_growth_mb_per_hour"]
            and baseline["rss_growth_mb_per_hour"] is not None else None),
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()

"""Load test of the number-portability query server, with an Asterisk baseline; prints JSON.

SIPp sends INVITEs at ``--rate`` for ``--seconds`` to ``cutover``'s query server (the code of
``cutover serve``, in a child process, on 127.0.5.1:5070) holding ``--ported`` ported numbers
and ``--ranges`` ranges, while a feed of ``--changes`` port activations and rollbacks (JSON
lines through a FIFO, as ``--follow FILE`` reads them) is published as one snapshot each.
Every 302 is checked by SIPp against the expected routing number, so wrong answers are failed
calls. The queried numbers and the churned numbers are disjoint: the expected answers stay
fixed while the churn runs.

Baseline (``--baseline asterisk``): the same queries against a separate Asterisk 22 (rootfs
backend; SIP 127.0.4.1:5060, AMI 127.0.0.1:5039) whose dialplan looks each number up in AstDB
(``DB_EXISTS(np/NUMBER)``) and answers 302 via ``Transfer()`` (chan_pjsip redirects an
unanswered call: 302 with the target as Contact), checked by the same scenario, while the same
kind of churn goes to AstDB over AMI at the same change rate. A short ramp finds the highest
rate Asterisk answers without a failure (:mod:`np_asterisk_baseline`); the ratio is cutover's
achieved rate (the rate asked of it, so a lower bound of its maximum) over that rate, null when
Asterisk failed at every step.

The load runs ``--repeat`` times (5), each against a fresh server process: the rate, the
answers (none failed or wrong) and the changes must hold in every run; the latency figures and
the p99 target are the median run's (the machine is a 2-vCPU virtual machine shared with SIPp,
and one run in several can catch the host's noise); every run's figures are listed.

ENUM (``--dns-rate``, :mod:`np_dns_load`): the same server code answering NAPTR queries for the
same numbers on 127.0.5.1:5353, driven by dnsperf at a fixed rate while the same churn runs,
a checker sampling answers with dnspython; ``--dns-repeat`` runs (latency: the median's). Then
``--scale-rate`` against 1 and then 2 server processes sharing the port (SO_REUSEPORT), each
following the same churn into its own snapshots.

Usage: ``python benchmarks/bench_np_load.py [--rate 20000] [--seconds 10] [--baseline asterisk]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_routing import CARRIERS, make_data
from np_asterisk_baseline import RAMP, asterisk_baseline
from np_dns_load import enum_run
from np_echo import echo_responder

from sim.errors import HarnessError
from sim.numbering import default_routing_number
from sim.routing import RoutingCore
from sip_harness.npserver import server as npserver
from sip_harness.npserver.sipp_load import (
    LatencyProbe,
    SippRun,
    cpu_latency_hold,
    fine_clock_library,
    options_ping,
    run_queries,
    write_injection,
)

SERVER = ("127.0.5.1", 5070)
CLIENT = ("127.0.5.2", 5090)
PROBE = "127.0.5.3"
ROUTING_NUMBERS = {c: default_routing_number("GB", i) for i, c in enumerate(CARRIERS)}
TARGETS = {"queries_per_s": 20_000, "p99_ms": 2.0, "wrong_or_failed": 0, "changes": 10_000,
           "enum_queries_per_s": 20_000, "enum_p99_ms": 2.0}


def build(args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    """The routing core, the query rows (number, expected rn) and the churn (feed lines)."""
    data = make_data(args.ported, args.ranges, rng)
    interconnects = [(a, b) for i, a in enumerate(CARRIERS) for b in CARRIERS[i + 1:]]
    plain = RoutingCore(CARRIERS, interconnects, data["ranges"])
    pool = np.unique(data["allocated"](int((args.ported + args.queries + args.changes) * 1.4)))
    pool = rng.permutation(pool)
    ported = pool[:args.ported]
    holders_all = plain.lookup_batch(pool)
    shift = rng.integers(1, len(CARRIERS), size=len(ported))
    serving = (holders_all[:args.ported] + shift) % len(CARRIERS)
    t = time.perf_counter()
    core = RoutingCore(CARRIERS, interconnects, data["ranges"],
                       ported=zip(ported.tolist(), [CARRIERS[c] for c in serving.tolist()],
                                  strict=True))
    build_s = time.perf_counter() - t
    # Queries: half ported numbers, half others (mostly not ported); churn: numbers of neither.
    rest = pool[args.ported:]
    half = args.queries // 2
    queried = np.concatenate([rng.choice(ported, half, replace=False), rest[:args.queries - half]])
    queried = rng.permutation(queried)
    got = core.lookup_batch(queried)
    held = plain.lookup_batch(queried)
    rows = [(f"+{n}", "" if s == h else ROUTING_NUMBERS[CARRIERS[s]])
            for n, s, h in zip(queried.tolist(), got.tolist(), held.tolist(), strict=True)]
    churn_nums = rest[args.queries:args.queries + args.changes // 2]
    churn_holders = plain.lookup_batch(churn_nums)
    lines = []
    for n, h in zip(churn_nums.tolist(), churn_holders.tolist(), strict=True):
        lines.append(json.dumps({"number": f"+{n}", "carrier": CARRIERS[(h + 1) % len(CARRIERS)],
                                 "note": "activation"}))
    for n, h in zip(churn_nums.tolist(), churn_holders.tolist(), strict=True):
        lines.append(json.dumps({"number": f"+{n}", "carrier": CARRIERS[h], "note": "rollback"}))
    # Activations first, each rollback later in the stream (a port that failed and came back).
    return {"core": core, "rows": rows, "churn": lines[:args.changes], "build_s": build_s,
            "ported": int(len(ported)), "ranges": len(data["ranges"])}


def _serve_child(core: RoutingCore, fifo: str, duration: float, out: str) -> None:
    report = npserver.serve(core, ROUTING_NUMBERS, host=SERVER[0], port=SERVER[1], feed=fifo,
                            duration=duration)
    Path(out).write_text(json.dumps(report.to_json()))


def feed_writer(fifo: Path, lines: list[str], seconds: float, delay: float) -> threading.Thread:
    """Write ``lines`` into ``fifo`` evenly over ``seconds``, starting after ``delay``."""

    def pump() -> None:
        with fifo.open("w") as out:
            time.sleep(delay)
            start = time.monotonic()
            chunk = max(1, len(lines) // max(1, int(seconds * 100)))  # about every 10 ms
            for i in range(0, len(lines), chunk):
                due = start + seconds * i / len(lines)
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                out.write("\n".join(lines[i:i + chunk]) + "\n")
                out.flush()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def sipp_load(args: argparse.Namespace, inf: Path, work: Path) -> SippRun:
    """The load: ``--rate`` queries/s for ``--seconds`` from the injection file ``inf``."""
    return run_queries(SERVER, inf, workdir=work / "sipp", rate=args.rate,
                       calls=int(args.rate * args.seconds), local=CLIENT,
                       instances=args.sipp_instances, preload=args.fine_clock,
                       timer_resol_ms=args.sipp_timer_resol)


def cutover_run(args: argparse.Namespace, built: dict[str, Any], work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    inf = work / "queries.csv"
    write_injection(inf, built["rows"])
    fifo = work / "feed.fifo"
    os.mkfifo(fifo)
    report_path = work / "server.json"
    ctx = mp.get_context("fork")
    child = ctx.Process(target=_serve_child, args=(built["core"], str(fifo),
                                                   args.seconds + 40.0, str(report_path)))
    child.start()
    try:
        options_ping(SERVER, source=CLIENT[0], timeout=30)
        # The churn starts a little after SIPp and ends before it does.
        writer = feed_writer(fifo, built["churn"], args.seconds * 0.8, 0.1 * args.seconds)
        with LatencyProbe(SERVER, built["rows"], source=PROBE) as probe:
            sipp = sipp_load(args, inf, work)
        writer.join(timeout=30)
        versions = options_ping(SERVER, source=CLIENT[0])
    finally:
        if child.is_alive():
            child.terminate()  # SIGTERM to the child alone (a pid of 0 would be our group)
        child.join(timeout=30)
    server = json.loads(report_path.read_text()) if report_path.exists() else {}
    return {"sipp": sipp.to_json(), "server": server, "probe": probe.figures(),
            "version_after": int(versions.get("x-cutover-version", -1))}


def floor_run(args: argparse.Namespace, built: dict[str, Any], work: Path) -> dict[str, Any]:
    """The same SIPp load against :func:`np_echo.echo_responder` (no churn): SIPp's floor."""
    work.mkdir(parents=True, exist_ok=True)
    inf = work / "queries.csv"
    write_injection(inf, built["rows"])
    child = mp.get_context("fork").Process(target=echo_responder,
                                           args=(built["rows"], SERVER), daemon=True)
    child.start()
    try:
        options_ping(SERVER, source=CLIENT[0], timeout=30)
        sipp = sipp_load(args, inf, work)
    finally:
        child.kill()
        child.join(timeout=30)
    return {"queries_per_s": sipp.rate_per_s, "failed_or_wrong": sipp.failed,
            "latency_ms": sipp.rtt_ms}


def figures_of(ours: dict[str, Any], clock: str) -> dict[str, Any]:
    """One run's figures. ``p99_deciding_ms``: SIPp's p99, unless its clock was left coarse
    (4 ms steps here): then the probe's microsecond p99."""
    sipp, server = ours["sipp"], ours["server"]
    rtt = sipp["rtt_ms"]
    return {
        "queries_per_s": sipp["rate_per_s"],
        "calls": sipp["calls"],
        "failed_or_wrong": sipp["failed"],
        "failures": sipp["failures"],
        "retransmissions": sipp["retransmissions"],
        "sipp_cpu_seconds": sipp["cpu_seconds"],
        "latency_ms": rtt,
        "probe_latency_ms": ours["probe"],
        "p99_deciding_ms": (rtt if clock == "fine" else ours["probe"]).get("p99", 1e9),
        "changes_applied": server.get("changes", 0),
        "snapshots_published": server.get("applies", 0),
        "apply_ms": server.get("apply_ms", {}),
        "version_after": ours["version_after"],
        "server": server,
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose deciding p99 is the median (the lower middle for an even count)."""
    ordered = sorted(runs, key=lambda r: r["p99_deciding_ms"])
    return ordered[(len(ordered) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=20_000, help="queries per second (SIPp -r)")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the run")
    ap.add_argument("--ported", type=int, default=1_000_000)
    ap.add_argument("--ranges", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=20_000, help="distinct numbers queried")
    ap.add_argument("--changes", type=int, default=10_000, help="port changes during the run")
    ap.add_argument("--baseline", choices=["asterisk", "none"], default="asterisk")
    ap.add_argument("--baseline-ramp", default=",".join(map(str, RAMP)),
                    help="queries/s of the Asterisk ramp's steps (comma-separated, rising)")
    ap.add_argument("--baseline-step", type=float, default=3.0, help="seconds per ramp step")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--sipp-instances", type=int, default=4,
                    help="SIPp processes sharing the rate (one at 20k/s measures its own loop)")
    ap.add_argument("--sipp-timer-resol", type=int, default=1,
                    help="SIPp -timer_resol in ms (SIPp's default, 10, batches the calls due)")
    ap.add_argument("--coarse-clock", action="store_true",
                    help="leave SIPp on its coarse clock (4 ms steps here)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="load runs (fresh server each); latency is the median run's, rate, "
                         "answers and changes must hold in every run")
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the run against a do-nothing responder (SIPp's own floor)")
    ap.add_argument("--let-cpus-sleep", action="store_true",
                    help="do not hold /dev/cpu_dma_latency at 0 during the run")
    ap.add_argument("--dns-rate", type=float, default=20_000,
                    help="ENUM queries per second (dnsperf -Q); 0 skips ENUM")
    ap.add_argument("--dns-repeat", type=int, default=3, help="ENUM load runs")
    ap.add_argument("--scale-rate", type=float, default=40_000,
                    help="ENUM rate for the 1 against 2 processes runs; 0 skips them")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    built = build(args, rng)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="np-load-"))
        held = None if args.let_cpus_sleep else stack.enter_context(cpu_latency_hold(0))
        work = Path(tmp)
        args.fine_clock = None if args.coarse_clock else fine_clock_library(work / "clock")
        clock = "coarse" if args.fine_clock is None else "fine"
        runs = [figures_of(cutover_run(args, built, work / f"cutover-{i}"), clock)
                for i in range(args.repeat)]
        floor = None if args.no_floor else floor_run(args, built, work / "floor")
        enum_runs, scaling = [], []
        if args.dns_rate > 0:
            enum_runs = [enum_run(built["core"], ROUTING_NUMBERS, built["rows"],
                                  built["churn"], processes=1, rate=args.dns_rate,
                                  seconds=args.seconds, work=work / f"enum-{i}",
                                  feed_writer=feed_writer) for i in range(args.dns_repeat)]
        if args.scale_rate > 0:
            scaling = [enum_run(built["core"], ROUTING_NUMBERS, built["rows"], built["churn"],
                                processes=n, rate=args.scale_rate, seconds=args.seconds,
                                work=work / f"scale-{n}", feed_writer=feed_writer)
                       for n in (1, 2)]
        baseline = None
        if args.baseline == "asterisk":
            try:
                baseline = asterisk_baseline(
                    built["rows"], built["churn"], work=work / "asterisk",
                    routing_numbers=ROUTING_NUMBERS,
                    churn_per_s=len(built["churn"]) / (args.seconds * 0.8),
                    rates=tuple(int(r) for r in args.baseline_ramp.split(",")),
                    step_seconds=args.baseline_step, sipp_preload=args.fine_clock)
            except (HarnessError, OSError) as exc:  # Asterisk did not start; it is stopped
                baseline = {"error": str(exc), "queries_per_s": None}
    figures = median_run(runs)
    doc: dict[str, Any] = {
        "data": {"ported": built["ported"], "ranges": built["ranges"],
                 "carriers": len(CARRIERS), "distinct_queried": len(built["rows"]),
                 "changes": len(built["churn"]), "rate": args.rate, "seconds": args.seconds,
                 "server": f"{SERVER[0]}:{SERVER[1]}", "client": f"{CLIENT[0]}:{CLIENT[1]}",
                 "core_build_s": round(built["build_s"], 3), "seed": args.seed,
                 "cpu_dma_latency_us": held,
                 "sipp": {"instances": args.sipp_instances,
                          "timer_resol_ms": args.sipp_timer_resol, "clock": clock},
                 "latency_note": "latency_ms: SIPp's response times (INVITE to 302) over all "
                                 "its instances; clock 'fine': exact to the microsecond "
                                 "(benchmarks/sipp/fineclock.c preloaded), 'coarse': SIPp's "
                                 "own CLOCK_MONOTONIC_COARSE, 4 ms steps with HZ=250; "
                                 "probe_latency_ms: a probe querying every 5 ms during the "
                                 "load, timed to the microsecond; cpu_dma_latency_us: the PM "
                                 "QoS wake-up limit held during the run (0: idle CPUs poll "
                                 "instead of halting; null: not held); sipp_floor: the same "
                                 "SIPp load against a responder answering from a pre-built "
                                 "table (benchmarks/np_echo.py), what SIPp and the machine "
                                 "add by themselves"},
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                    "platform": platform.platform(), "load_average": os.getloadavg()},
        "cutover": figures,
        "runs": [{"queries_per_s": r["queries_per_s"], "failed_or_wrong": r["failed_or_wrong"],
                  "changes_applied": r["changes_applied"], "latency_ms": r["latency_ms"],
                  "probe_latency_ms": r["probe_latency_ms"]} for r in runs],
        "sipp_floor": floor,
        "baseline": baseline,
        "enum": {"runs": enum_runs,
                 "median": (sorted(enum_runs, key=lambda r: r["latency_ms"]["p99"])
                            [(len(enum_runs) - 1) // 2] if enum_runs else None),
                 "note": "dnsperf -Q rate -c 8 -v: latency per answer (dnsperf's clock); "
                         "checker: dnspython queries for sampled numbers every 2 ms, compared "
                         "with the expected tel URI; lost: dnsperf's timeouts (2 s)"},
        "enum_scaling": {"rate": args.scale_rate, "runs": scaling,
                         "ratio_2_vs_1_processes": (
                             round(scaling[1]["queries_per_s"] / scaling[0]["queries_per_s"], 2)
                             if len(scaling) == 2 and scaling[0]["queries_per_s"] else None)},
    }
    if baseline is not None:
        # null when Asterisk failed at every rate (or did not run): no fair ratio
        base_rate = baseline.get("queries_per_s")
        # and null when cutover itself failed queries (its rate then is no sustained rate)
        doc["ratio_queries_per_s_vs_asterisk"] = (
            round(figures["queries_per_s"] / base_rate, 1)
            if base_rate and not any(r["failed_or_wrong"] for r in runs) else None)
    calls = int(args.rate * args.seconds)
    passed = {
        # rate, answers and changes: in every run; latency: the median run's
        "queries_per_s": all(r["queries_per_s"] >= TARGETS["queries_per_s"] * 0.99
                             for r in runs),
        "p99_ms": figures["p99_deciding_ms"] < TARGETS["p99_ms"],
        "wrong_or_failed": all(r["failed_or_wrong"] == TARGETS["wrong_or_failed"]
                               and r["calls"] == calls for r in runs),
        "changes": all(r["changes_applied"] >= min(args.changes, TARGETS["changes"])
                       for r in runs),
    }
    if enum_runs:
        median = doc["enum"]["median"]
        passed["enum_queries_per_s"] = all(
            r["queries_per_s"] >= TARGETS["enum_queries_per_s"] * 0.99 for r in enum_runs)
        passed["enum_p99_ms"] = median["latency_ms"]["p99"] < TARGETS["enum_p99_ms"]
        passed["enum_wrong_or_lost"] = all(
            r["checker"]["wrong"] == 0 and r["checker"]["checked"] > 0 and r["lost"] == 0
            and set(r["rcodes"]) == {"NOERROR"} for r in enum_runs)
        passed["enum_changes"] = all(
            min(r["changes_applied_per_server"]) >= min(args.changes, TARGETS["changes"])
            for r in enum_runs)
    doc["targets"], doc["pass"], doc["all_pass"] = TARGETS, passed, all(passed.values())
    doc["total_s"] = round(time.perf_counter() - started, 1)
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

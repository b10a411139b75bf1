"""ENUM load on `cutover serve --dns`'s server: dnsperf (Debian) at a fixed rate, a checker
sampling answers with dnspython, the churn through each server's own feed; imported by
bench_np_load.py.

``processes`` server processes bind the same address with SO_REUSEPORT (the kernel spreads
dnsperf's client sockets over them); each follows its own FIFO, all fed the same lines, into
its own snapshots, as replicas following one change log would.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import numpy as np

from sim.errors import HarnessError
from sim.routing import RoutingCore
from sip_harness.npserver import server as npserver
from sip_harness.npserver.enum_answers import enum_name

DNS_SERVER = ("127.0.5.1", 5353)
CHECKER = "127.0.5.4"


def _serve_child(core: RoutingCore, rns: dict[str, str], fifo: str, duration: float,
                 out: str) -> None:
    report = npserver.serve(core, rns, dns=DNS_SERVER, feed=fifo, duration=duration,
                            reuse_port=True)
    Path(out).write_text(json.dumps(report.to_json()))


class Checker:
    """Asks for sampled numbers every ``every`` seconds during the load; counts wrong answers
    (the queried numbers are not churned: their answers are fixed)."""

    def __init__(self, rows: list[tuple[str, str]], every: float = 0.002) -> None:
        self.rows, self.every = rows, every
        self.checked = self.wrong = self.unanswered = 0
        self.example = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Checker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        rng = np.random.default_rng(7)
        while not self._stop.is_set():
            number, rn = self.rows[int(rng.integers(len(self.rows)))]
            want = f"!^.*$!tel:{number};npdi{';rn=' + rn if rn else ''}!".encode()
            try:
                got = dns.query.udp(dns.message.make_query(enum_name(number), "NAPTR"),
                                    DNS_SERVER[0], port=DNS_SERVER[1], timeout=1.0,
                                    source=CHECKER)
                regexp = got.answer[0][0].regexp if got.answer else b""
            except (dns.exception.DNSException, OSError):
                self.unanswered += 1
                continue
            self.checked += 1
            if regexp != want:
                self.wrong += 1
                self.example = f"{number}: {regexp!r} != {want!r}"
            time.sleep(self.every)

    def figures(self) -> dict[str, Any]:
        return {"checked": self.checked, "wrong": self.wrong, "unanswered": self.unanswered,
                "example": self.example}


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 3) if values else 1e9


def dnsperf(query_file: Path, *, rate: float, seconds: float, clients: int,
            out: Path) -> dict[str, Any]:
    """Run dnsperf (verbose: one line per answer with its latency); its figures."""
    binary = shutil.which("dnsperf")
    if binary is None:
        raise HarnessError("dnsperf is not installed (apt-get install dnsperf)")
    with out.open("w") as log:
        done = subprocess.run([binary, "-s", DNS_SERVER[0], "-p", str(DNS_SERVER[1]),
                               "-d", str(query_file), "-Q", f"{rate:g}", "-l", f"{seconds:g}",
                               "-c", str(clients), "-q", "2000", "-t", "2", "-v"],
                              stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 60)
    latencies: list[float] = []
    rcodes: dict[str, int] = {}
    stats: dict[str, str] = {}
    for line in out.read_text().splitlines():
        if line.startswith("> "):
            parts = line.split()
            rcodes[parts[1]] = rcodes.get(parts[1], 0) + 1
            if len(parts) == 5:
                latencies.append(float(parts[4]))
        elif ":" in line and line.startswith("  "):
            key, _, value = line.strip().partition(":")
            stats[key] = value.strip()
    completed = sum(v for k, v in rcodes.items() if k not in ("T", "I"))
    run_s = float(stats.get("Run time (s)", seconds) or seconds)
    return {"exit": done.returncode, "queries_per_s": round(completed / run_s, 1),
            "sent": int(stats.get("Queries sent", "0").split()[0] or 0),
            "completed": completed, "lost": rcodes.get("T", 0),
            "rcodes": rcodes,
            "latency_ms": {"p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99),
                           "max": _percentile(latencies, 100)}}


def enum_run(core: RoutingCore, rns: dict[str, str], rows: list[tuple[str, str]],
             churn: list[str], *, processes: int, rate: float, seconds: float,
             work: Path, feed_writer: Any, clients: int = 8) -> dict[str, Any]:
    """One ENUM load: ``processes`` servers (SO_REUSEPORT), dnsperf at ``rate`` for
    ``seconds``, the checker, and ``churn`` written into every server's feed."""
    work.mkdir(parents=True, exist_ok=True)
    queries = work / "queries.txt"
    queries.write_text("".join(f"{enum_name(n)} NAPTR\n" for n, _ in rows))
    ctx = mp.get_context("fork")
    children, fifos, reports = [], [], []
    for i in range(processes):
        fifo = work / f"feed{i}.fifo"
        os.mkfifo(fifo)
        report = work / f"server{i}.json"
        child = ctx.Process(target=_serve_child,
                            args=(core, rns, str(fifo), seconds + 40.0, str(report)))
        child.start()
        children.append(child)
        fifos.append(fifo)
        reports.append(report)
    try:
        _wait_ready(rows[0][0])
        time.sleep(0.5 * (processes - 1))  # the others bind the port too, just after
        writers = [feed_writer(fifo, churn, seconds * 0.8, 0.1 * seconds) for fifo in fifos]
        with Checker(rows) as checker:
            load = dnsperf(queries, rate=rate, seconds=seconds, clients=clients,
                           out=work / "dnsperf.log")
        for writer in writers:
            writer.join(timeout=30)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM to that child alone
            child.join(timeout=30)
    servers = [json.loads(r.read_text()) if r.exists() else {} for r in reports]
    answered = [sum(s.get("enum_answered", {}).values()) for s in servers]
    cpu = sum(s.get("cpu_seconds", 0.0) for s in servers)
    return {"processes": processes, "rate": rate, **load, "checker": checker.figures(),
            "changes_applied_per_server": [s.get("changes", 0) for s in servers],
            "answered_per_server": answered,
            "apply_ms": [s.get("apply_ms", {}) for s in servers],
            "cpu_us_per_answer": round(cpu * 1e6 / sum(answered), 2) if sum(answered) else None}


def _wait_ready(number: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    query = dns.message.make_query(enum_name(number), "NAPTR")
    while time.monotonic() < deadline:
        try:
            dns.query.udp(query, DNS_SERVER[0], port=DNS_SERVER[1], timeout=0.5,
                          source=CHECKER)
            return
        except (dns.exception.DNSException, OSError):
            time.sleep(0.1)
    raise HarnessError(f"the ENUM server on {DNS_SERVER[0]}:{DNS_SERVER[1]} did not answer")

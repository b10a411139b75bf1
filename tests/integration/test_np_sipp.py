"""The load test's short version: SIPp against `cutover serve`, every answer checked.

The server runs as a real process on 127.0.5.31:5075 (clear of 127.0.0.1:5060) with the
uk_gnp_weekend routing state after the cutover, following a FIFO feed of port activations and
rollbacks while two SIPp instances query, their clock made precise (fineclock.c). The queried
numbers are not the churned ones, so each 302's Contact is checked by SIPp against the routing
core's answer: a wrong rn fails the call. Correctness only, not speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from cutover.cli.options import parse_instant
from sim.model import simulate
from sim.scenario import load_scenario
from sip_harness.npserver.sipp_load import (
    fine_clock_library,
    options_ping,
    run_queries,
    write_injection,
)

ROOT = Path(__file__).resolve().parents[2]
UK = ROOT / "scenarios" / "uk_gnp_weekend.yaml"
AT = "2026-11-28T06:00Z"
SERVER = ("127.0.5.31", 5075)
CLIENT = ("127.0.5.32", 5091)


def expected_rows() -> list[tuple[str, str]]:
    """Ported and unported numbers of every range, with the rn the routing core gives."""
    scenario = load_scenario(UK)
    routing = simulate(scenario, until=parse_instant(AT)).routing
    rn = {c.id: c.routing_number for c in scenario.carriers}
    numbers = [f"+44163296{i:04d}" for i in range(0, 10000, 97)]
    numbers += [f"+44163297{i:04d}" for i in range(0, 10000, 331)]
    numbers += [f"+447700900{i:03d}" for i in range(0, 900, 37)]  # 900-949: churned
    numbers += ["+441632960001", "+441632960002", "+441632960003"] * 10
    rows = []
    for n in numbers:
        route = routing.route(n)
        rows.append((n, rn[route.carrier] if route.ported else ""))
    assert sum(1 for _, r in rows if r == "+44D002") >= 30  # the ported ones are in
    return rows


def test_sipp_checks_every_answer_while_ports_change(sipp: str, tmp_path: Path) -> None:
    rows = expected_rows()
    clock = fine_clock_library(tmp_path / "clock")
    assert clock is not None, "no C compiler (cc) to build benchmarks/sipp/fineclock.c"
    inf = tmp_path / "queries.csv"
    write_injection(inf, rows)
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    churn = [json.dumps({"number": f"+4477009009{i:02d}", "carrier": c})
             for i in range(50) for c in ("callagenix", "vodafone")]
    server = subprocess.Popen(
        [sys.executable, "-m", "cutover", "serve", str(UK), "--sip", f"{SERVER[0]}:{SERVER[1]}",
         "--at", AT, "--follow", str(fifo), "--duration", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        options_ping(SERVER, source=CLIENT[0], timeout=20)

        def feed() -> None:
            with fifo.open("w") as out:
                for line in churn:
                    out.write(line + "\n")
                    out.flush()
                    threading.Event().wait(0.01)

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        run = run_queries(SERVER, inf, workdir=tmp_path / "sipp", rate=500, calls=1000,
                          local=CLIENT, sipp=sipp, instances=2, preload=clock,
                          timer_resol_ms=1)
        writer.join(10)
        after = options_ping(SERVER, source=CLIENT[0])
    finally:
        server.terminate()
        out, err = server.communicate(timeout=15)
    assert run.calls == 1000 and run.failed == 0, (run.failures, run.errors_tail)
    assert run.successful == 1000 and run.instances == 2
    # SIPp's response times come from the precise clock: not whole 4 ms ticks of the coarse one
    assert run.rtt_ms["samples"] == 1000 and run.rtt_ms["p50"] % 4 != 0
    report = json.loads(out)
    assert report["answered"]["302"] >= 1000 and report["crashed"] == 0
    assert report["changes"] == len(churn) == report["applies"]
    assert int(after["x-cutover-version"]) == 1 + len(churn)

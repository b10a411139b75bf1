"""The Asterisk baseline of the query load test: AstDB lookup in the dialplan, 302 via Transfer.

What it measures: the same query (INVITE for a number; 302 whose Contact carries the number,
``rn`` when ported, and ``npdi``), checked by the same SIPp scenario, with the same kind of
churn (port activations and rollbacks), answered by Asterisk 22 after one AstDB lookup in its
dialplan. A separate Asterisk (the rootfs backend, its own state directory) answers on
127.0.4.1:5060 with AMI on 127.0.0.1:5039, away from the Asterisk of the live tests
(127.0.0.1:5060/5038). Its dialplan does ``DB_EXISTS(np/NUMBER)`` (sets ``DB_RESULT`` without
logging a miss) and ``Transfer(PJSIP/sip:...)``: on a call not yet answered chan_pjsip sends
``302 Moved Temporarily`` with the target as Contact (``<sip:NUMBER;npdi;rn=RN@127.0.4.1>``,
RFC 4694's parameters in the user part). Each query is a whole PJSIP session (channel,
dialplan, 100 Trying, 302, ACK): what a dialplan lookup costs in Asterisk. (A ``tel:`` target
crashed Asterisk 22.10.1 here: chan_pjsip's redirect takes the target for a SIP URI.)

Media is bound to 127.0.4.1 and ICE is off: with RTP on 0.0.0.0 each new channel resolved the
host name and A.ROOT-SERVERS.NET (Asterisk's ``ast_find_ourip``) through the resolver, which is
not on loopback here; those lookups blocked Asterisk's threads and stalled calls at 10/s.

Rate: a short ramp (``RAMP`` queries/s, ``step_seconds`` each; during every step the churn goes
to AstDB over AMI at the cutover run's change rate, DBPut for an activation, DBDel for a
rollback) stops at the first step with a failed, wrong or missing answer, a SIPp p99 above
``SATURATED_P99_MS`` (Asterisk falls behind: its queue grows and the next seconds would fail),
or after which Asterisk no longer answers OPTIONS. The baseline's rate is the highest step
that passed.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sim.errors import HarnessError
from sip_harness.ami.client import AMIError
from sip_harness.asterisk.backends import RootfsBackend
from sip_harness.npserver.sipp_load import (
    LatencyProbe,
    QueryRow,
    options_ping,
    run_queries,
    write_injection,
)

SIP = ("127.0.4.1", 5060)
CLIENT = ("127.0.4.2", 5090)
PROBE = "127.0.4.3"
AMI_PORT = 5039
FAMILY = "np"
RAMP = (250, 500, 750, 1000, 1250, 1500, 2000, 3000, 4000, 6000, 8000)
#: A step whose SIPp p99 exceeds this is saturated (its queue grows) even if nothing failed yet.
SATURATED_P99_MS = 100.0

CONFIG = {
    "pjsip.conf": f"""\
[transport-np]
type = transport
protocol = udp
bind = {SIP[0]}:{SIP[1]}

[np-query]
type = endpoint
context = np
disallow = all
allow = ulaw
; RTP on the SIP address: on 0.0.0.0 every channel did blocking DNS lookups (see above)
media_address = {SIP[0]}
bind_rtp_to_media_address = yes

[np-query]
type = identify
endpoint = np-query
match = {CLIENT[0]},{PROBE}
""",
    "rtp.conf": "[general]\nrtpstart = 20000\nrtpend = 30000\nicesupport = no\n",
    "extensions.conf": r"""
[globals]
RN_HOST = 127.0.4.1

[np]
; OPTIONS sip:np@... is answered 200 when "np" is an extension here (the readiness ping)
exten => np,1,Hangup()
exten => _+X.,1,GotoIf(${DB_EXISTS(np/${EXTEN})}?ported)
 same => n,Transfer(PJSIP/sip:${EXTEN}\;npdi@${RN_HOST})
 same => n,Hangup()
 same => n(ported),Transfer(PJSIP/sip:${EXTEN}\;npdi\;rn=${DB_RESULT}@${RN_HOST})
 same => n,Hangup()
""",
    # Quiet: cutover's server logs nothing per query either.
    "logger.conf": "[general]\n[logfiles]\nconsole => error\nmessages => error\n",
    "voicemail.conf": "[general]\n",
}
HOW = ("dialplan: GotoIf(DB_EXISTS(np/NUMBER)) then Transfer(PJSIP/sip:NUMBER;npdi;rn=RN@host)"
       " -> chan_pjsip 302 (a full PJSIP session per query: channel, dialplan, 100, 302, ACK); "
       "same SIPp scenario and checks as cutover; churn to AstDB via AMI DBPut/DBDel at "
       "cutover's change rate during every ramp step; rate = highest ramp step with no failed, "
       f"wrong or missing answer and SIPp p99 <= {SATURATED_P99_MS:g} ms")


def _config() -> dict[str, str]:
    """CONFIG plus the base modules.conf with app_transfer (Transfer) added to its list."""
    from sip_harness.asterisk.running import base_config_dir

    modules = (base_config_dir() / "modules.conf").read_text()
    return {**CONFIG, "modules.conf": modules + "\nload => app_transfer.so\n"}


def _sip_port_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(SIP)
        except OSError as exc:
            raise HarnessError(f"{SIP[0]}:{SIP[1]}/udp is in use ({exc.strerror})") from exc


def asterisk_baseline(rows: list[QueryRow], churn: list[str], *, work: Path,
                      routing_numbers: dict[str, str], churn_per_s: float,
                      rates: tuple[int, ...] = RAMP, step_seconds: float = 3.0,
                      sipp_preload: Path | None = None) -> dict[str, Any]:
    """Ramp the same queries and churn against Asterisk; its figures (or why it failed).

    The Asterisk started here is stopped before returning, also on failure.
    """
    work.mkdir(parents=True, exist_ok=True)
    inf = work / "queries.csv"
    write_injection(inf, rows)
    try:
        _sip_port_free()
    except HarnessError as exc:
        return {"error": str(exc), "queries_per_s": None}
    state = Path(tempfile.mkdtemp(prefix="np-asterisk-", dir=work))
    backend = RootfsBackend(state_dir=state, host="127.0.0.1", sip_port=5061,
                            ami_port=AMI_PORT)
    started = time.perf_counter()
    running = backend.start(_config())
    doc: dict[str, Any] = {"asterisk": running.extra.get("asterisk", ""), "how": HOW,
                           "step_seconds": step_seconds,
                           "churn_per_s_offered": round(churn_per_s, 1)}
    try:
        t = time.perf_counter()
        with running.ami(timeout=10) as ami:
            for number, rn in rows:
                if rn:
                    ami.db_put(FAMILY, number, rn)
        doc["astdb_entries_loaded"] = sum(1 for _, rn in rows if rn)
        doc["astdb_load_s"] = round(time.perf_counter() - t, 2)
        options_ping(SIP, source=CLIENT[0], timeout=10)
        ramp: list[dict[str, Any]] = []
        best: dict[str, Any] | None = None
        cursor = 0
        for i, rate in enumerate(rates):
            step, cursor = _step(running, rows, churn, cursor, inf, work / f"sipp-{i}", rate,
                                 step_seconds, churn_per_s, routing_numbers, sipp_preload)
            ramp.append(step)
            if not step["ok"]:
                break
            best = step
        doc["ramp"] = ramp
        doc["max_rate_without_failures"] = best["offered_rate"] if best else None
        doc["queries_per_s"] = best["queries_per_s"] if best else None
        doc["failed_or_wrong"] = 0 if best else (ramp[0]["failed_or_wrong"] if ramp else None)
        if best:
            doc.update({k: best[k] for k in ("calls", "latency_ms", "probe_latency_ms",
                                              "changes_applied", "churn_per_s")})
        alive = backend.status(running).running
        doc["asterisk_alive_after"] = alive
        if not alive:
            doc["asterisk_output_tail"] = running.output_tail(8)
        return doc
    finally:
        stop = backend.stop(running)
        doc["asterisk_stopped"] = stop.how
        doc["total_s"] = round(time.perf_counter() - started, 1)


def _step(running: Any, rows: list[QueryRow], churn: list[str], cursor: int, inf: Path,
          workdir: Path, rate: int, seconds: float, churn_per_s: float,
          routing_numbers: dict[str, str], preload: Path | None
          ) -> tuple[dict[str, Any], int]:
    """One ramp step: ``rate`` queries/s for ``seconds`` with the churn; its figures."""
    count = int(churn_per_s * seconds)
    lines = [churn[(cursor + j) % len(churn)] for j in range(count)] if churn else []
    done: list[int] = [0, 0]  # applied, refused (a rollback of a port not in AstDB)
    writer = threading.Thread(target=_churn, args=(running, lines, routing_numbers,
                                                   seconds * 0.9, done), daemon=True)
    calls = int(rate * seconds)
    writer.start()
    # The probe waits as long for an answer as SIPp does (-recv_timeout 2000).
    with LatencyProbe(SIP, rows, source=PROBE, interval=0.02, timeout=2.0) as probe:
        sipp = run_queries(SIP, inf, workdir=workdir, rate=rate, calls=calls, local=CLIENT,
                           preload=preload)
    writer.join(timeout=30)
    try:
        options_ping(SIP, source=CLIENT[0], timeout=5)
        responsive = True
    except HarnessError:
        responsive = False
    figures = probe.figures()
    ok = (sipp.failed == 0 and sipp.calls == calls and responsive
          and not figures.get("wrong") and not figures.get("lost")
          and sipp.rtt_ms.get("p99", 1e9) <= SATURATED_P99_MS)
    # no readable elapsed time from SIPp (0): the step's planned length
    elapsed = sipp.elapsed_s if sipp.elapsed_s > 0 else seconds
    return ({"offered_rate": rate, "ok": ok, "queries_per_s": sipp.rate_per_s,
             "calls": sipp.calls, "failed_or_wrong": sipp.failed, "failures": sipp.failures,
             "retransmissions": sipp.retransmissions, "latency_ms": sipp.rtt_ms,
             "probe_latency_ms": figures, "changes_applied": done[0],
             "changes_refused": done[1], "churn_per_s": round(done[0] / elapsed, 1),
             "responsive_after": responsive}, cursor + count)


def _churn(running: Any, lines: list[str], routing_numbers: dict[str, str], seconds: float,
           done: list[int]) -> None:
    """Apply the feed's changes to AstDB over AMI, evenly over ``seconds``."""
    if not lines:
        return
    with running.ami(timeout=10) as ami:
        start = time.monotonic()
        for i, line in enumerate(lines):
            pause = start + seconds * i / len(lines) - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            change = json.loads(line)
            number, carrier = change["number"], change["carrier"]
            try:
                if change.get("note") == "activation":
                    ami.db_put(FAMILY, number, routing_numbers[carrier])
                else:  # back to the range holder: not ported any more
                    ami.db_del(FAMILY, number)
                done[0] += 1
            except AMIError:
                done[1] += 1

"""The Asterisk baseline of the query load test: AstDB lookup in the dialplan, 302 via Transfer.

A separate Asterisk 22 (the rootfs backend, its own state directory) answers on 127.0.4.1:5060
with AMI on 127.0.0.1:5039, away from the Asterisk of the live tests (127.0.0.1:5060/5038).
Its dialplan does one AstDB lookup per INVITE (``DB_EXISTS(np/NUMBER)``, which sets
``DB_RESULT`` without logging a miss) and answers with ``Transfer(PJSIP/sip:...)``: on a call
not yet answered chan_pjsip sends ``302 Moved Temporarily`` with the target as Contact, so
SIPp checks the same number and rn (``<sip:NUMBER;rn=RN;npdi@127.0.4.1>``, RFC 4694's
parameters in the user part) as against cutover. (A ``tel:`` target crashed Asterisk 22.10.1
here: chan_pjsip's redirect takes the target for a SIP URI.)
AstDB holds the ported numbers among the queried ones; the churn goes in over AMI (DBPut for
an activation, DBDel for a rollback to the range holder) while the queries run.
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
from sip_harness.backends import RootfsBackend
from sip_harness.sipp_load import (
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

[np-query]
type = identify
endpoint = np-query
match = {CLIENT[0]},{PROBE}
""",
    "extensions.conf": r"""
[globals]
RN_HOST = 127.0.4.1

[np]
; OPTIONS sip:np@... is answered 200 when "np" is an extension here (the readiness ping)
exten => np,1,Hangup()
exten => _+X.,1,GotoIf(${DB_EXISTS(np/${EXTEN})}?ported)
 same => n,Transfer(PJSIP/sip:${EXTEN}\;npdi@${RN_HOST})
 same => n,Hangup()
 same => n(ported),Transfer(PJSIP/sip:${EXTEN}\;rn=${DB_RESULT}\;npdi@${RN_HOST})
 same => n,Hangup()
""",
    # Quiet: cutover's server logs nothing per query either.
    "logger.conf": "[general]\n[logfiles]\nconsole => error\nmessages => error\n",
    "voicemail.conf": "[general]\n",
}


def _config() -> dict[str, str]:
    """CONFIG plus the base modules.conf with app_transfer (Transfer) added to its list."""
    from sip_harness.instance import base_config_dir

    modules = (base_config_dir() / "modules.conf").read_text()
    return {**CONFIG, "modules.conf": modules + "\nload => app_transfer.so\n"}


def _sip_port_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(SIP)
        except OSError as exc:
            raise HarnessError(f"{SIP[0]}:{SIP[1]}/udp is in use ({exc.strerror})") from exc


def asterisk_baseline(rows: list[QueryRow], churn: list[str], *, work: Path, rate: float,
                      seconds: float, routing_numbers: dict[str, str]) -> dict[str, Any]:
    """Run the same queries and churn against Asterisk; its figures (or the reason it failed)."""
    work.mkdir(parents=True, exist_ok=True)
    inf = work / "queries.csv"
    write_injection(inf, rows)
    try:
        _sip_port_free()
    except HarnessError as exc:
        return {"error": str(exc)}
    state = Path(tempfile.mkdtemp(prefix="np-asterisk-", dir=work))
    backend = RootfsBackend(state_dir=state, host="127.0.0.1", sip_port=5061,
                            ami_port=AMI_PORT)
    running = backend.start(_config())
    try:
        t = time.perf_counter()
        with running.ami(timeout=10) as ami:
            for number, rn in rows:
                if rn:
                    ami.db_put(FAMILY, number, rn)
        load_s = time.perf_counter() - t
        options_ping(SIP, source=CLIENT[0], timeout=10)
        done: list[float] = []
        writer = threading.Thread(target=_churn, args=(running, churn, routing_numbers,
                                                       seconds * 0.8, 0.1 * seconds, done),
                                  daemon=True)
        writer.start()
        with LatencyProbe(SIP, rows, source=PROBE, interval=0.1) as probe:
            sipp = run_queries(SIP, inf, workdir=work / "sipp", rate=rate,
                               calls=int(rate * seconds), local=CLIENT)
        writer.join(timeout=60)
        alive = backend.status(running).running
        return {"asterisk_alive_after": alive,
                "asterisk_output_tail": "" if alive else running.output_tail(8),
                "queries_per_s": sipp.rate_per_s, "calls": sipp.calls,
                "failed_or_wrong": sipp.failed, "failures": sipp.failures,
                "retransmissions": sipp.retransmissions, "latency_ms": sipp.rtt_ms,
                "probe_latency_ms": probe.figures(),
                "offered_rate": rate, "astdb_entries_loaded": sum(1 for _, rn in rows if rn),
                "astdb_load_s": round(load_s, 2), "changes_applied": int(sum(done)),
                "asterisk": running.extra.get("asterisk", ""),
                "how": "dialplan: GotoIf(DB_EXISTS(np/NUMBER)) then Transfer(PJSIP/sip:NUMBER"
                       ";rn=RN;npdi@host) -> chan_pjsip 302; churn via AMI DBPut/DBDel"}
    finally:
        backend.stop(running)


def _churn(running: Any, lines: list[str], routing_numbers: dict[str, str], seconds: float,
           delay: float, done: list[float]) -> None:
    """Apply the feed's changes to AstDB over AMI, evenly over ``seconds``."""
    time.sleep(delay)
    with running.ami(timeout=10) as ami:
        holder_of: dict[str, str] = {}
        start = time.monotonic()
        for i, line in enumerate(lines):
            due = start + seconds * i / len(lines)
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            change = json.loads(line)
            number, carrier = change["number"], change["carrier"]
            if change.get("note") == "activation":
                holder_of[number] = carrier
                ami.db_put(FAMILY, number, routing_numbers[carrier])
            else:  # back to the range holder: not ported any more
                ami.db_del(FAMILY, number)
            done.append(1.0)

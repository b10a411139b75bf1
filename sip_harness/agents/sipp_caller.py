"""SIPp as the bulk caller: thousands of signalling-only calls, each one's final answer logged.

SIPp (Debian's ``sip-tester``) places one call per row of an injection file (tag; called
number; calling number) from one source address: an INVITE to ``sip:CALLED@asterisk`` with
``From: <sip:CALLING@...>`` and an ``X-Cutover-Call: TAG`` header, which the dialplan copies onto
the INVITE it delivers (:data:`~sip_harness.config.dialplan.CALL_TAG`), so the place the call
arrived at can be paired with the call. It logs, per call, the SIPp clock when the INVITE left
and when the final answer came, and the answer's status; :func:`place_calls` reads that log as
SIPp writes it (:class:`CallLog`) into one :class:`CallOutcome` per row, handing each call on as
its final answer is logged. What arrived is recorded by
:class:`~sip_harness.agents.recorder.TrunkRecorder`; this module knows nothing about checks.

The scenario is generated (:func:`scenario_xml`): every final status SIPp may get is an
optional receive that logs it (a status not listed ends the call as "unexpected" and the call
has no outcome status); a 2xx is acknowledged and hung up, any other final acknowledged in its
own transaction.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import HarnessError
from sip_harness.config.dialplan import CALL_TAG
from sip_harness.npserver.sipp_load import shared_fine_clock
from sip_harness.patience import MAX_FACTOR, patience

__all__ = ["CallRow", "CallOutcome", "SippCalls", "CallLog", "place_calls", "scenario_xml",
           "FINALS", "STALL_GRACE"]

#: (tag, called number, calling number): one call.
CallRow = tuple[str, str, str]
#: Final statuses the scenario expects and logs; 200 is acknowledged and hung up.
FINALS = (486, 404, 403, 480, 503, 603, 408, 487, 488, 500, 502, 504, 400, 410, 484, 600, 604,
          200)
_PROVISIONAL = (100, 180, 181, 182, 183)
#: Seconds SIPp may log nothing beyond a call's answer timeout before the run is stopped.
STALL_GRACE = 10.0
_POLL = 0.2


@dataclass
class CallOutcome:
    """One call: its tag, the final status (None: none SIPp expects came), and setup time."""

    tag: str
    status: int | None = None
    setup_ms: float | None = None
    started_ms: float | None = None


@dataclass
class SippCalls:
    """What one SIPp run did: an outcome per row, and the figures of the run."""

    outcomes: dict[str, CallOutcome]
    elapsed_s: float
    cpu_s: float
    max_in_flight: int
    command: list[str] = field(default_factory=list)
    errors_tail: str = ""
    stopped: bool = False           # stopped before every call was placed (see place_calls)

    def figures(self) -> dict[str, Any]:
        return {"calls": len(self.outcomes), "elapsed_s": round(self.elapsed_s, 3),
                "cpu_s": round(self.cpu_s, 3), "max_in_flight": self.max_in_flight}


def scenario_xml() -> str:
    """The SIPp scenario: INVITE with the tag header, the final status logged, ACK (and BYE)."""
    header = CALL_TAG[0]
    steps: list[str] = [
        '<nop><action><log message="S;[field0];[clock_tick]"/></action></nop>',
        f"""<send retrans="500"><![CDATA[
INVITE sip:[field1]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field2]@[local_ip]:[local_port]>;tag=[pid]cutover[call_number]
To: <sip:[field1]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field2]@[local_ip]:[local_port]>
Max-Forwards: 70
{header}: [field0]
User-Agent: cutover-bulk (SIPp)
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- [call_number] 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>""",
    ]
    steps += [f'<recv response="{code}" optional="true"/>' for code in _PROVISIONAL]
    for code in FINALS:
        last = code == FINALS[-1]
        jump = "" if last else ' next="nonok"'
        optional = "" if last else ' optional="true"'
        steps.append(f'<recv response="{code}"{optional}{jump}><action>'
                     f'<log message="F;[field0];{code};[clock_tick]"/></action></recv>')
    invite_index = 1
    # 2xx: ACK in a new transaction, then BYE
    steps += [
        _in_dialog("ACK", 1, "[branch]"),
        _in_dialog("BYE", 2, "[branch]", retrans=True),
        '<recv response="200"/>',
        '<nop next="done"/>',
        '<label id="nonok"/>',
    ]
    # any other final: ACK in the INVITE's own transaction (its branch)
    ack_index = len([s for s in steps if not s.startswith("<label")])
    steps += [_in_dialog("ACK", 1, f"[branch-{ack_index - invite_index}]"),
              '<label id="done"/>']
    body = "\n".join(steps)
    return ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
            '<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
            f'<scenario name="cutover bulk call">\n{body}\n</scenario>\n')


def _in_dialog(method: str, cseq: int, branch: str, *, retrans: bool = False) -> str:
    """A SIPp ``send`` of an ACK or BYE in the call's dialog (``branch``: SIPp's keyword)."""
    again = ' retrans="500"' if retrans else ""
    return f"""<send{again}><![CDATA[
{method} sip:[field1]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch={branch}
From: <sip:[field2]@[local_ip]:[local_port]>;tag=[pid]cutover[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: {cseq} {method}
Max-Forwards: 70
Content-Length: 0

]]></send>"""


def place_calls(rows: Sequence[CallRow], *, source: str, target: tuple[str, int],
                rate: float, limit: int, workdir: Path | None = None,
                sipp: str | None = None, answer_timeout_s: float = 40.0,
                on_final: Callable[[CallOutcome], None] | None = None,
                stop: threading.Event | None = None) -> SippCalls:
    """Place one call per row with SIPp from ``source`` (any free port) to ``target``.

    ``rate`` calls per second, at most ``limit`` in flight. Returns every row's outcome
    (status None when SIPp logged no final answer for it). SIPp's log is read as it grows:
    ``on_final`` (if given) gets each call's outcome as soon as its final answer is logged, in
    the calling thread. A call's wait for its answer is ``answer_timeout_s`` stretched by the
    machine's load (:func:`~sip_harness.patience.patience`); the run is stopped (the calls
    not done keep status None) when SIPp logs nothing for that long plus :data:`STALL_GRACE`,
    or at once when ``stop`` is set (``SippCalls.stopped``).

    Raises HarnessError when SIPp is missing or cannot start.
    """
    binary = sipp or shutil.which("sipp")
    if binary is None:
        raise HarnessError("sipp is not installed (apt-get install sip-tester)")
    if not rows:
        return SippCalls({}, 0.0, 0.0, 0)
    for row in rows:
        if any(";" in part or "\n" in part for part in row):
            raise ValueError(f"a ';' or newline in a SIPp injection row: {row!r}")
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="cutover-sipp-")) if workdir is None else workdir
    try:
        return _run(binary, rows, work, source, target, rate, limit,
                    patience(answer_timeout_s), on_final or (lambda o: None), stop)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def _run(binary: str, rows: Sequence[CallRow], work: Path, source: str,
         target: tuple[str, int], rate: float, limit: int, answer_timeout_s: float,
         on_final: Callable[[CallOutcome], None], stop: threading.Event | None) -> SippCalls:
    work.mkdir(parents=True, exist_ok=True)
    (work / "calls.xml").write_text(scenario_xml(), encoding="ascii")
    with (work / "rows.csv").open("w", encoding="ascii") as out:
        out.write("SEQUENTIAL\n")
        out.writelines(f"{tag};{called};{calling};\n" for tag, called, calling in rows)
    # SIPp's own limit only ends a SIPp left behind by a process that died: this one stops
    # it when it stalls (below)
    bound = (len(rows) / rate + answer_timeout_s) * MAX_FACTOR + 60.0
    log_path = work / "calls.log"
    command = [binary, f"{target[0]}:{target[1]}", "-sf", str(work / "calls.xml"),
               "-inf", str(work / "rows.csv"), "-i", source, "-m", str(len(rows)),
               "-r", f"{rate:g}", "-rp", "1000", "-l", str(limit), "-nostdin",
               "-timer_resol", "1", "-recv_timeout", str(int(answer_timeout_s * 1000)),
               "-timeout", f"{int(bound)}s", "-buff_size", str(4 << 20),
               "-trace_logs", "-log_file", str(log_path), "-trace_err",
               "-error_file", str(work / "errors.log")]
    env = dict(os.environ)
    clock = shared_fine_clock()
    if clock is not None:  # SIPp's clock exact to the microsecond, not 4 ms steps
        env["LD_PRELOAD"] = str(clock)
    cpu = _children_cpu()
    started = time.monotonic()
    outcomes = {tag: CallOutcome(tag) for tag, _, _ in rows}
    log, tail = CallLog(outcomes), _Tail(log_path)
    stopped = ""
    with (work / "stderr.txt").open("wb") as err:
        try:
            proc = subprocess.Popen(command, cwd=work, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, env=env)
        except OSError as exc:
            raise HarnessError(f"cannot start sipp: {exc}") from exc
        try:
            stopped = _follow(proc, log, tail, on_final, stop, answer_timeout_s + STALL_GRACE)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    for outcome in log.feed(tail.read(final=True)):
        on_final(outcome)
    elapsed = time.monotonic() - started
    if not log_path.exists() and not stopped:
        said = " ".join((work / "stderr.txt").read_text(errors="replace").strip()
                        .splitlines()[-3:])
        raise HarnessError(f"sipp placed no calls (exit {proc.returncode}): "
                           f"{said or ' '.join(command)}")
    errors = work / "errors.log"
    tail_text = ("\n".join(errors.read_text(errors="replace").splitlines()[-5:])
                 if errors.exists() else "")
    return SippCalls(outcomes, elapsed, _children_cpu() - cpu, log.most_in_flight(), command,
                     "\n".join(t for t in (stopped, tail_text) if t), stopped=bool(stopped))


def _follow(proc: subprocess.Popen[bytes], log: CallLog, tail: _Tail,
            on_final: Callable[[CallOutcome], None], stop: threading.Event | None,
            stall_s: float) -> str:
    """Read SIPp's log as it grows until SIPp ends; '' then, else why it was stopped."""
    progress = time.monotonic()
    while True:
        try:
            proc.wait(timeout=_POLL)
            return ""
        except subprocess.TimeoutExpired:
            pass
        text = tail.read()
        if text:
            progress = time.monotonic()
            for outcome in log.feed(text):
                on_final(outcome)
        if stop is not None and stop.is_set():
            return "stopped: the run was interrupted"
        if time.monotonic() - progress > stall_s:
            return f"stopped: SIPp logged nothing for {stall_s:.1f} s"


class _Tail:
    """The complete lines added to a file since the last read (none while it is missing)."""

    def __init__(self, path: Path) -> None:
        self.path, self._offset, self._rest = path, 0, b""

    def read(self, *, final: bool = False) -> str:
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return ""
        self._offset += len(data)
        data = self._rest + data
        cut = len(data) if final else data.rfind(b"\n") + 1
        self._rest = data[cut:]
        return data[:cut].decode("ascii", errors="replace")


class CallLog:
    """SIPp's log lines (``S;tag;tick`` and ``F;tag;status;tick``) read into ``outcomes``,
    as many lines at a time as have been written."""

    def __init__(self, outcomes: dict[str, CallOutcome]) -> None:
        self.outcomes = outcomes
        self._events: list[tuple[float, int]] = []

    def feed(self, text: str) -> list[CallOutcome]:
        """Read ``text``'s lines; return the calls whose final answer they logged."""
        finals = []
        for line in text.splitlines():
            parts = line.strip().split(";")
            if len(parts) < 3 or parts[1] not in self.outcomes:
                continue
            outcome = self.outcomes[parts[1]]
            try:
                if parts[0] == "S":
                    outcome.started_ms = float(parts[2])
                    self._events.append((outcome.started_ms, 1))
                elif parts[0] == "F" and len(parts) >= 4:
                    outcome.status = int(parts[2])
                    tick = float(parts[3])
                    self._events.append((tick, -1))
                    if outcome.started_ms is not None:
                        outcome.setup_ms = tick - outcome.started_ms
                    finals.append(outcome)
            except ValueError:
                continue
        return finals

    def most_in_flight(self) -> int:
        """The most calls in flight at once (started, no final answer yet)."""
        now = most = 0
        for _, step in sorted(self._events, key=lambda e: (e[0], e[1])):
            now += step
            most = max(most, now)
        return most


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

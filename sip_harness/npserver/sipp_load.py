"""Number-portability queries under load with SIPp: injection files, runs, figures.

SIPp (Debian's ``sip-tester``) plays ``benchmarks/sipp/np_query.xml``: one INVITE per row of
an injection file (``-inf``: number; expected routing number or empty), the 302's Contact
checked against the row, so a wrong answer is a failed call. Figures come from SIPp's own
statistics file (``-trace_stat``) and response-time file (``-trace_rtt``). Debian's SIPp reads a
coarse clock (one kernel tick, 4 ms here); preloading :func:`fine_clock_library` makes its
response times exact to the microsecond.
"""

from __future__ import annotations

__all__ = ["NP_QUERY_XML", "QueryRow", "SippRun", "LatencyProbe", "write_injection",
           "run_queries", "rtt_every", "options_ping", "fine_clock_library", "FINE_CLOCK_C",
           "shared_fine_clock",
           "cpu_latency_hold"]

import contextlib
import csv
import functools
import hashlib
import os
import re
import resource
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import HarnessError, HarnessTimeout
from sip_harness import REPOSITORY, cache_root
from sip_harness.sip_message import read_message

_SIPP_DIR = REPOSITORY / "benchmarks" / "sipp"
NP_QUERY_XML = _SIPP_DIR / "np_query.xml"
FINE_CLOCK_C = _SIPP_DIR / "fineclock.c"
#: (number as '+digits', expected routing number or '' when the number is not ported)
QueryRow = tuple[str, str]
# The Contact of a query's 302: tel:NUMBER;npdi;rn=RN or sip:NUMBER;npdi;rn=RN@host.
_CONTACT = re.compile(rb"Contact: *<(?:tel|sip):([^;>@]*);npdi(;rn=([^;>@]*))?[^>]*>")
_FAILURES = ("FailedStrcmpDoesntMatch", "FailedRegexpDoesntMatch", "FailedRegexpHdrNotFound",
             "FailedUnexpectedMessage", "FailedTimeoutOnRecv", "FailedMaxUDPRetrans",
             "FailedCannotSendMessage", "FailedCallRejected", "FailedOutboundCongestion")


@dataclass
class SippRun:
    """What one SIPp run measured."""

    calls: int
    successful: int
    failed: int
    failures: dict[str, int]
    retransmissions: int
    unexpected_messages: int
    elapsed_s: float
    rate_per_s: float
    rtt_ms: dict[str, float] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    errors_tail: str = ""
    instances: int = 1
    cpu_seconds: float = 0.0  # user + system time of the SIPp processes

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def write_injection(path: Path, rows: Iterable[QueryRow]) -> int:
    """Write a SIPp injection file (``SEQUENTIAL``; ``number;rn;``); return the row count."""
    count = 0
    with path.open("w", encoding="ascii") as out:
        out.write("SEQUENTIAL\n")
        for number, rn in rows:
            if ";" in rn or ";" in number:
                raise ValueError(f"a ';' in an injection row: {number!r} {rn!r}")
            out.write(f"{number};{rn};\n")
            count += 1
    return count


@functools.cache
def shared_fine_clock() -> Path | None:
    """:func:`fine_clock_library` built once per machine (in :func:`sip_harness.cache_root`,
    named by the source's hash, moved into place whole) and found again by every later run;
    None without a C compiler or where the cache cannot be written."""
    if not FINE_CLOCK_C.exists():
        return None
    digest = hashlib.sha256(FINE_CLOCK_C.read_bytes()).hexdigest()[:12]
    library = cache_root() / f"fineclock-{digest}.so"
    if library.exists():
        return library
    try:
        library.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=library.parent) as work:
            built = fine_clock_library(Path(work))
            if built is None:
                return None
            os.replace(built, library)
    except OSError:
        return None
    return library


def fine_clock_library(workdir: Path, *, cc: str | None = None) -> Path | None:
    """Build ``benchmarks/sipp/fineclock.c`` into ``workdir``; None without a C compiler.

    Preloaded into SIPp it makes SIPp's clock precise (see the source file): Debian's SIPp
    reads CLOCK_MONOTONIC_COARSE, 4 ms steps with this kernel's HZ=250.
    """
    compiler = cc or shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not FINE_CLOCK_C.exists():
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    library = workdir / "fineclock.so"
    try:
        done = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library),
                               str(FINE_CLOCK_C), "-ldl"], capture_output=True, check=False,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return library if done.returncode == 0 and library.exists() else None


def run_queries(target: tuple[str, int], injection: Path, *, workdir: Path, rate: float,
                calls: int, local: tuple[str, int], scenario: Path = NP_QUERY_XML,
                sipp: str | None = None, recv_timeout_ms: int = 2000, instances: int = 1,
                preload: Path | None = None, timer_resol_ms: int | None = None) -> SippRun:
    """Run SIPp: ``calls`` queries at ``rate`` per second from ``local`` to ``target``.

    ``instances`` SIPp processes share the load (rate, calls and the injection file's rows
    split evenly; instance i sends from port ``local[1] + i``): SIPp is single-threaded and
    opens the calls due in batches once per pass of its event loop, so one instance at a high
    rate measures mostly its own batches. ``preload`` is a library preloaded into SIPp (see
    :func:`fine_clock_library`); ``timer_resol_ms`` is SIPp's ``-timer_resol`` (its default,
    10 ms, lets the calls due pile up for that long before they are opened).

    Bounded: SIPp stops after its calls or ``calls / rate`` + 15 s, whichever first.

    Raises
    ------
    HarnessError
        SIPp is not installed, or it wrote no statistics (it could not start).
    HarnessTimeout
        SIPp did not exit in time.
    """
    binary = sipp or shutil.which("sipp")
    if binary is None:
        raise HarnessError("sipp is not installed (apt-get install sip-tester)")
    if instances < 1 or calls < instances:
        raise ValueError(f"{calls} calls cannot be split over {instances} SIPp instances")
    workdir.mkdir(parents=True, exist_ok=True)
    limit = calls / rate + 15.0
    env = dict(os.environ)
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    rows = _split_injection(injection, instances, workdir) if instances > 1 else [injection]
    commands, workdirs = [], []
    for i in range(instances):
        part_calls = calls // instances + (1 if i < calls % instances else 0)
        part = workdir / f"sipp{i}" if instances > 1 else workdir
        part.mkdir(parents=True, exist_ok=True)
        command = [binary, f"{target[0]}:{target[1]}", "-sf", str(scenario), "-inf",
                   str(rows[i]), "-i", local[0], "-p", str(local[1] + i), "-m", str(part_calls),
                   "-r", f"{rate / instances:g}", "-rp", "1000", "-nostdin",
                   "-recv_timeout", str(recv_timeout_ms), "-timeout", f"{int(limit)}s",
                   "-buff_size", str(4 << 20), "-trace_stat", "-stf", str(part / "stat.csv"),
                   "-fd", "1", "-trace_rtt", "-rtt_freq", str(rtt_every(part_calls)),
                   "-trace_err"]
        if timer_resol_ms is not None:
            command += ["-timer_resol", str(timer_resol_ms)]
        commands.append(command)
        workdirs.append(part)
    started = time.monotonic()
    cpu = _children_cpu()
    procs = [subprocess.Popen(c, cwd=w, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
             for c, w in zip(commands, workdirs, strict=True)]
    try:
        for proc in procs:
            proc.wait(timeout=max(1.0, started + limit + 15 - time.monotonic()))
    except subprocess.TimeoutExpired as exc:
        raise HarnessTimeout(f"sipp ran longer than {limit + 15:.0f} s") from exc
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    wall = time.monotonic() - started
    for part, command in zip(workdirs, commands, strict=True):
        if not (part / "stat.csv").exists():
            raise HarnessError(f"sipp wrote no statistics: {' '.join(command)}")
    run = _figures(workdirs, commands, wall)
    run.cpu_seconds = round(_children_cpu() - cpu, 3)
    return run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rtt_every(calls: int) -> int:
    """SIPp's ``-rtt_freq`` for ``calls`` calls: it writes response times in batches of this
    many and drops a last, partial batch, so a divisor of ``calls`` keeps every one. The
    largest divisor up to 1000 (or ``calls // 20``, for short runs); 1000 when no divisor
    above 50 exists (a short tail then goes unrecorded: the figures count their samples)."""
    cap = max(1, min(1000, calls // 20))
    every = next(d for d in range(cap, 0, -1) if calls % d == 0)
    return every if every > 50 or every == cap else cap


def _split_injection(injection: Path, parts: int, workdir: Path) -> list[Path]:
    """Deal the rows of a SEQUENTIAL injection file into ``parts`` files, round robin."""
    header, *rows = injection.read_text(encoding="ascii").splitlines(keepends=True)
    if len(rows) < parts:
        raise ValueError(f"{len(rows)} injection rows cannot feed {parts} SIPp instances")
    paths = []
    for i in range(parts):
        path = workdir / f"{injection.stem}.{i}{injection.suffix}"
        path.write_text(header + "".join(rows[i::parts]), encoding="ascii")
        paths.append(path)
    return paths


def _figures(workdirs: list[Path], commands: list[list[str]], wall: float) -> SippRun:
    totals: Counter[str] = Counter()
    elapsed = 0.0
    for part in workdirs:
        with (part / "stat.csv").open(newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
        head, last = rows[0], rows[-1]
        for name in ("SuccessfulCall", "FailedCall", "Retransmissions", "OutOfCallMsgs",
                     "DeadCallMsgs", *_FAILURES):
            totals[name] += int(last[head.index(f"{name}(C)")])
        elapsed = max(elapsed, _seconds(last[head.index("ElapsedTime(C)")]))
    if elapsed <= 0:  # no readable ElapsedTime in stat.csv (_seconds gives 0): our own clock
        elapsed = wall
    successful, failed = totals["SuccessfulCall"], totals["FailedCall"]
    rtts = [np.loadtxt(p, delimiter=";", skiprows=1, usecols=1, ndmin=1)
            for part in workdirs for p in part.glob("*_rtt.csv")]
    rtt = np.concatenate(rtts) if rtts else np.empty(0)
    errors = "".join(p.read_text(errors="replace")[-600:]
                     for part in workdirs for p in part.glob("*_errors.log"))
    figures = {}
    if rtt.size:
        figures = {"p50": round(float(np.percentile(rtt, 50)), 3),
                   "p99": round(float(np.percentile(rtt, 99)), 3),
                   "p999": round(float(np.percentile(rtt, 99.9)), 3),
                   "max": round(float(rtt.max()), 3),
                   "mean": round(float(rtt.mean()), 4), "samples": int(rtt.size)}
    return SippRun(calls=successful + failed, successful=successful, failed=failed,
                   failures={n: totals[n] for n in _FAILURES if totals[n]},
                   retransmissions=totals["Retransmissions"],
                   unexpected_messages=totals["OutOfCallMsgs"] + totals["DeadCallMsgs"],
                   elapsed_s=round(elapsed, 3),
                   rate_per_s=round((successful + failed) / elapsed, 1) if elapsed else 0.0,
                   rtt_ms=figures, command=commands[0], errors_tail=errors[-600:],
                   instances=len(workdirs))


def _seconds(text: str) -> float:
    """SIPp's ``HH:MM:SS:uuuuuu`` (or ``HH:MM:SS``) as seconds."""
    parts = text.split(":")
    try:
        h, m, s = (int(p) for p in parts[:3])
        micro = int(parts[3]) if len(parts) > 3 else 0
    except ValueError:
        return 0.0
    return h * 3600 + m * 60 + s + micro / 1e6


@contextlib.contextmanager
def cpu_latency_hold(microseconds: int = 0,
                     device: str = "/dev/cpu_dma_latency") -> Iterator[int | None]:
    """Hold the kernel's CPU wake-up latency limit (PM QoS) while the block runs.

    Idle CPUs then only enter idle states that wake within ``microseconds``; 0 keeps them
    polling, as cyclictest and tuned's latency-performance profile do for latency
    measurements. It matters on a virtual machine whose idle vCPUs halt (cpuidle haltpoll
    with halt polling off): a halted vCPU waits for the host to run it again, and every
    query and answer wakes one. The limit is the kernel's for as long as the device stays
    open, so it ends with the block. Yields the limit held, or None where it cannot be set
    (no such device, not root): then nothing changed.
    """
    try:
        fd = os.open(device, os.O_WRONLY)
    except OSError:
        yield None
        return
    try:
        os.write(fd, struct.pack("=i", microseconds))
        yield microseconds
    finally:
        os.close(fd)


def options_ping(target: tuple[str, int], *, source: str = "127.0.0.1",
                 timeout: float = 5.0) -> dict[str, str]:
    """Send OPTIONS until a 200 comes back (or ``timeout``); return its headers (long lower-case
    names, the first value of each).

    Raises HarnessTimeout when nothing answers in time.
    """
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        port = sock.getsockname()[1]
        call_id = uuid.uuid4().hex
        message = (f"OPTIONS sip:np@{target[0]}:{target[1]} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK{call_id[:10]}\r\n"
                   f"From: <sip:ping@{source}>;tag=p1\r\nTo: <sip:np@{target[0]}>\r\n"
                   f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n").encode()
        while time.monotonic() < deadline:
            sock.sendto(message, target)
            sock.settimeout(0.2)
            try:
                reply = sock.recv(65535).decode(errors="replace")
            except (TimeoutError, ConnectionRefusedError):
                continue
            answer = read_message(reply)
            if answer.start_line.startswith("SIP/2.0 200"):
                return {name: values[0] for name, values in answer.headers.items()}
    raise HarnessTimeout(f"no 200 to OPTIONS from {target[0]}:{target[1]} in {timeout} s")


class LatencyProbe:
    """Queries at a low, steady rate alongside a load and times each answer to the microsecond.

    A second opinion beside SIPp's own response times, independent of SIPp's event loop: the
    probe's requests queue behind the load's in the server, so their response times are the
    server's under that load. Each answer's Contact is checked against the expected one too.
    """

    def __init__(self, target: tuple[str, int], rows: list[QueryRow], *, source: str,
                 interval: float = 0.005, timeout: float = 1.0) -> None:
        self.target, self.rows, self.source = target, rows, source
        self.interval, self.timeout = interval, timeout
        self.rtt_us: list[float] = []
        self.lost = 0
        self.wrong = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="latency probe", daemon=True)

    def __enter__(self) -> LatencyProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((self.source, 0))
            sock.settimeout(self.timeout)
            port = sock.getsockname()[1]
            # Call-IDs unique across probes: a stateful server (Asterisk) takes a reused
            # Call-ID and From tag for a request it has already seen and never answers it.
            run = uuid.uuid4().hex[:8]
            i = 0
            while not self._stop.wait(self.interval):
                number, rn = self.rows[i % len(self.rows)]
                i += 1
                call = f"probe-{run}-{i}-"
                message = (f"INVITE sip:{number}@{self.target[0]} SIP/2.0\r\n"
                           f"Via: SIP/2.0/UDP {self.source}:{port};branch=z9hG4bK{call}\r\n"
                           f"From: <sip:probe@{self.source}>;tag=p{i}\r\nTo: <sip:{number}@"
                           f"{self.target[0]}>\r\nCall-ID: {call}\r\nCSeq: 1 INVITE\r\n"
                           f"Contact: <sip:probe@{self.source}:{port}>\r\n"
                           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
                started = time.perf_counter_ns()
                sock.sendto(message, self.target)
                while True:
                    try:
                        reply = sock.recv(65535)
                    except TimeoutError:
                        self.lost += 1
                        break
                    if call.encode() not in reply or reply.startswith(b"SIP/2.0 100"):
                        continue  # a late answer to an earlier probe, or a 100 Trying
                    self.rtt_us.append((time.perf_counter_ns() - started) / 1000)
                    got = _CONTACT.search(reply)
                    if got is None or (got.group(1), got.group(3) or b"") != (
                            number.encode(), rn.encode()):
                        self.wrong += 1
                    ack = message.replace(b"INVITE sip:", b"ACK sip:", 1).replace(
                        b"CSeq: 1 INVITE", b"CSeq: 1 ACK")
                    sock.sendto(ack, self.target)
                    break

    def figures(self) -> dict[str, float]:
        """p50/p99/p999/max in milliseconds, samples, lost and wrong answers."""
        rtt = np.array(self.rtt_us) / 1000
        out: dict[str, float] = {"samples": int(rtt.size), "lost": self.lost,
                                 "wrong": self.wrong}
        if rtt.size:
            out.update({"p50": round(float(np.percentile(rtt, 50)), 3),
                        "p99": round(float(np.percentile(rtt, 99)), 3),
                        "p999": round(float(np.percentile(rtt, 99.9)), 3),
                        "max": round(float(rtt.max()), 3)})
        return out

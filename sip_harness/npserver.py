"""The number-portability query server: SIP over UDP, answered from the routing core.

An INVITE for a number (all-call query, RFC 3482) gets ``302 Moved Temporarily`` whose Contact
is ``<tel:+NUMBER;rn=RN;npdi>`` (RFC 4694; ``rn`` is the routing number of the serving carrier
and is left out when the number is not ported, ``npdi`` is always there), ``404`` when no range
holds the number, ``400`` when the request is malformed. OPTIONS gets 200 (health). Every answer
carries ``X-Cutover-Version``, the version of the one snapshot it was computed from, and a
``Warning`` with the routing core's explanation. The server keeps no state per call.

Changes (a feed or the simulation itself, :mod:`sip_harness.npfeed`) are applied on the same
event loop between datagrams; each apply publishes a whole new snapshot by one reference swap,
so a query sees the routing before or after a change, never half of it.

The routing part of each answer (status, Contact, Warning) is cached per queried number for
the snapshot version it was computed at: an apply announced through :meth:`QueryService.forget`
evicts the numbers it changed and moves the cache to the new version; any other version change
(the simulation followed, a change made elsewhere) empties it. A cached answer is therefore
always the one the current snapshot gives.
"""

from __future__ import annotations

__all__ = ["QueryService", "QueryServer", "ServeReport", "serve", "serve_scenario",
           "parse_address", "VERSION_HEADER"]

import asyncio
import contextlib
import ctypes
import gc
import itertools
import secrets
import signal
import socket
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sim.errors import BadInputError, HarnessError, NumberFormatError, UnknownNumberError
from sim.lookup import to_int
from sim.routing import PortChange, RoutingCore, RoutingSnapshot
from sim.scenario import Scenario
from sip_harness.npfeed import FeedInterpreter, FeedLine, ModelFollower, read_lines
from sip_harness.sipmsg import (
    Everyday,
    MalformedRequest,
    echo_headers,
    error_response,
    parse_everyday,
    parse_request,
    request_number,
    response,
)

VERSION_HEADER = "X-Cutover-Version"
_ALLOW = "Allow: INVITE, ACK, CANCEL, OPTIONS"
_SCHEMES = ("sip", "sips", "tel")
_BURST = 512  # datagrams handled per wake-up before the loop may run a feed step
_RCVBUF = 8 << 20
_CACHE_MAX = 1 << 18  # cached answers (numbers) before the cache starts afresh


def parse_address(text: str) -> tuple[str, int]:
    """``'127.0.0.1:5070'`` -> ``('127.0.0.1', 5070)``. Raises BadInputError."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadInputError(f"--sip {text!r} is not HOST:PORT (e.g. 127.0.0.1:5070)")
    return host, int(port)


class _Routed(NamedTuple):
    """The routing part of an INVITE's answer, also as wire bytes (status line; header lines)."""

    status: int
    reason: str
    lines: tuple[str, ...]
    status_line: bytes
    wire: bytes


class QueryService:
    """Answers one datagram at a time from the routing core's current snapshot."""

    def __init__(self, core: RoutingCore, routing_numbers: Mapping[str, str], *,
                 agent: str = "cutover") -> None:
        missing = sorted(set(core.carrier_ids) - set(routing_numbers))
        if missing:
            raise BadInputError(f"no routing number for carrier(s) {', '.join(missing)}")
        self.core = core
        self._rn = {c: f";rn={rn}" for c, rn in routing_numbers.items()}
        self._agent = agent
        self.answered: Counter[int] = Counter()
        self.dropped = 0
        self.crashed = 0  # answers that raised: never expected, counted, never fatal
        self._tag = secrets.token_hex(4)
        self._serial = itertools.count(1)
        # '+digits' (or a URI naming no number) -> its answer at version
        # self._cached_version; see the module docstring.
        self._cache: dict[str, _Routed] = {}
        self._cached_version = core.version
        # Request-URI as received -> its cache key (a fact of the URI, not of a version).
        self._keys: dict[bytes, str] = {}
        self._version_line = b""
        self._version_of_line = -1

    def forget(self, changes: Sequence[PortChange], version: int) -> None:
        """Snapshot ``version`` was published by applying ``changes`` to the one before it."""
        if version != self._cached_version + 1:
            self._cache.clear()
        else:
            pop = self._cache.pop
            for change in changes:
                try:
                    pop(f"+{to_int(change.number)}", None)
                except NumberFormatError:  # the apply refused it; nothing to evict
                    pass
        self._cached_version = version

    def _to_tag(self) -> str:
        return f"{self._tag}{next(self._serial):x}"

    def answer(self, data: bytes, source: tuple[str, int] | None = None) -> bytes | None:
        """The response to datagram ``data`` from ``source``, or None to drop it.

        Never raises: an unexpected failure is counted in ``crashed`` and the datagram dropped.
        """
        try:
            return self._answer(data, source)
        except Exception:  # noqa: BLE001 - one bad datagram must never stop the server
            self.crashed += 1
            return None

    def _answer(self, data: bytes, source: tuple[str, int] | None) -> bytes | None:
        if data[:4] == b"ACK " or data[:8] == b"SIP/2.0 ":
            self.dropped += 1  # ACK of our final response; a stray response
            return None
        everyday = parse_everyday(data)
        if everyday is not None and everyday.method == b"INVITE":
            return self._answer_everyday(everyday)
        try:
            req = parse_request(data)
        except MalformedRequest as exc:
            reply = error_response(exc, to_tag=self._to_tag(), source=source)
            if reply is None:
                self.dropped += 1
            else:
                self.answered[400] += 1
            return reply
        snap = self.core.snapshot  # the one read of the current snapshot: all below uses it
        version = f"{VERSION_HEADER}: {snap.version}"
        method = req.method
        if method == "INVITE":
            if snap.version != self._cached_version:  # published without forget(): start over
                self._cache.clear()
                self._cached_version = snap.version
            status, reason, lines, _, _ = self._cached_query(snap, req.uri)
            extra = [*lines, version]
        elif method == "OPTIONS":
            status, reason, extra = 200, "OK", [_ALLOW, version]
        elif method == "CANCEL":  # every INVITE was answered at once: nothing left to cancel
            status, reason, extra = 200, "OK", [version]
        else:
            status, reason, extra = 405, "Method Not Allowed", [_ALLOW, version]
        self.answered[status] += 1
        return response(req, status, reason, to_tag=self._to_tag(), extra=extra, source=source)

    def _answer_everyday(self, request: Everyday) -> bytes:
        """:meth:`_answer` for an INVITE :func:`parse_everyday` read: the same bytes, built
        from the raw header values and the cached answer's wire form."""
        snap = self.core.snapshot
        version = snap.version
        if version != self._cached_version:
            self._cache.clear()
            self._cached_version = version
        if version != self._version_of_line:
            self._version_line = f"{VERSION_HEADER}: {version}\r\n".encode()
            self._version_of_line = version
        key = self._keys.get(request.uri)
        if key is None:
            if len(self._keys) >= _CACHE_MAX:
                self._keys.clear()
            uri = request.uri.decode("ascii")
            key = self._keys[request.uri] = request_number(uri) or uri
        routed = self._cache.get(key)
        if routed is None:
            routed = self._cached_query(snap, request.uri.decode("ascii"))
        self.answered[routed.status] += 1
        return b"".join((routed.status_line, echo_headers(request, self._to_tag().encode()),
                         routed.wire, self._version_line, b"Content-Length: 0\r\n\r\n"))

    def _cached_query(self, snap: RoutingSnapshot, uri: str) -> _Routed:
        number = request_number(uri)
        key = uri if number is None else number
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            status, reason, lines = self._query(snap, uri, number)
            cached = self._cache[key] = _Routed(
                status, reason, tuple(lines), f"SIP/2.0 {status} {reason}\r\n".encode(),
                "".join(f"{line}\r\n" for line in lines).encode())
        return cached

    def _query(self, snap: RoutingSnapshot, uri: str, number: str | None
               ) -> tuple[int, str, list[str]]:
        if number is None:
            if uri.partition(":")[0].lower() not in _SCHEMES:
                return 416, "Unsupported URI Scheme", [self._warning("only sip, sips and tel")]
            return 404, "Not Found", [self._warning(f"{uri[:60]} names no global number")]
        try:
            route = snap.route(number)
        except (UnknownNumberError, NumberFormatError) as exc:
            return 404, "Not Found", [self._warning(str(exc))]
        rn = self._rn[route.carrier] if route.ported else ""
        text = route.reason.partition("; originates on")[0]
        return 302, "Moved Temporarily", [f"Contact: <tel:{route.number}{rn};npdi>",
                                          self._warning(text)]

    def _warning(self, text: str) -> str:
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'Warning: 399 {self._agent} "{quoted}"'


@dataclass
class ServeReport:
    """What a serving run did: answers by status, drops, applies and how long they took."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    answered: dict[int, int] = field(default_factory=dict)
    dropped: int = 0
    crashed: int = 0
    first_version: int = 0
    last_version: int = 0
    applies: int = 0
    changes: int = 0
    apply_seconds: list[float] = field(default_factory=list)
    feed_rejected: int = 0
    last_rejection: str = ""

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (apply durations summarised, in milliseconds)."""
        ms = sorted(s * 1000 for s in self.apply_seconds)
        answers = sum(self.answered.values())
        return {
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "cpu_us_per_answer": round(self.cpu_seconds * 1e6 / answers, 2) if answers else None,
            "answered": {str(k): v for k, v in sorted(self.answered.items())},
            "dropped": self.dropped, "crashed": self.crashed,
            "first_version": self.first_version, "last_version": self.last_version,
            "applies": self.applies, "changes": self.changes,
            "apply_ms": {"mean": round(sum(ms) / len(ms), 3) if ms else 0.0,
                         "p99": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3) if ms
                         else 0.0,
                         "max": round(ms[-1], 3) if ms else 0.0},
            "feed_rejected": self.feed_rejected, "last_rejection": self.last_rejection,
        }


# A classic BPF socket filter (SO_ATTACH_FILTER) run by the kernel on each datagram before it
# is queued: the packet starts with the 8-byte UDP header, so the payload's first word is at
# offset 8. "ACK " -> drop; a payload under 4 bytes (no request) -> drop; else keep whole.
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_RET_K = 0x20, 0x15, 0x06
_ACK_FILTER = ((_BPF_LD_W_ABS, 0, 0, 8),
               (_BPF_JEQ_K, 0, 1, int.from_bytes(b"ACK ", "big")),
               (_BPF_RET_K, 0, 0, 0),
               (_BPF_RET_K, 0, 0, 0xFFFFFFFF))
_SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)


def _drop_acks_in_kernel(sock: socket.socket) -> bool:
    """Have the kernel discard ACKs before they reach the socket; False where it cannot.

    Every answer is final and sent once, so the ACK of a 302 (RFC 3261 17.2.1: it belongs to
    the INVITE's transaction) has nothing to acknowledge for a stateless server: without the
    filter it is read and dropped in Python, half the datagrams of a query load.
    """
    if not sys.platform.startswith("linux"):
        return False
    program = b"".join(struct.pack("=HBBI", *op) for op in _ACK_FILTER)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("=HxxxxxxQ" if struct.calcsize("P") == 8 else "=HxxI",
                        len(_ACK_FILTER), ctypes.addressof(buffer))
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)  # the kernel copies it
    except OSError:
        return False
    return True


class QueryServer:
    """A non-blocking UDP socket drained in bursts by an event loop reader."""

    def __init__(self, service: QueryService, host: str, port: int) -> None:
        self.service = service
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            # A deep receive queue rides out a stall (an apply, another process on the CPU)
            # without dropping queries. Beyond net.core.rmem_max only with CAP_NET_ADMIN.
            for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
                if option is not None:
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, option, _RCVBUF)
                        break
                    except OSError:
                        continue
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise HarnessError(f"cannot serve SIP on {host}:{port}/udp "
                               f"({exc.strerror or exc})") from exc
        sock.setblocking(False)
        self.acks_filtered = _drop_acks_in_kernel(sock)
        self.sock = sock
        self.address: tuple[str, int] = sock.getsockname()[:2]
        self.send_failures = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event | None = None) -> None:
        self._loop, self._stop = loop, stop
        loop.add_reader(self.sock.fileno(), self._readable)

    def stop(self) -> None:
        """Ask the serving loop to end (from any thread)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(stop.set)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        self.sock.close()

    def _readable(self) -> None:
        # The hot path: everything it touches is a local.
        recv, send, answer = self.sock.recvfrom, self.sock.sendto, self.service.answer
        for _ in range(_BURST):
            try:
                data, source = recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error reported on the socket; the next read goes on
            reply = answer(data, source)
            if reply is not None:
                try:
                    send(reply, source)
                except OSError:
                    self.send_failures += 1  # full buffer: UDP, the client retransmits


class _Publisher:
    """Applies feed changes to the core, one snapshot per feed line, timing each apply."""

    def __init__(self, core: RoutingCore, report: ServeReport,
                 service: QueryService | None = None) -> None:
        self.core, self.report, self.service = core, report, service
        self.interpreter = FeedInterpreter(core)
        self.queue: asyncio.Queue[FeedLine] = asyncio.Queue()

    def publish(self, changes: Sequence[PortChange]) -> None:
        started = time.perf_counter()
        snapshot = self.core.apply(changes)
        if self.service is not None:
            self.service.forget(changes, snapshot.version)
        self.report.apply_seconds.append(time.perf_counter() - started)
        self.report.applies += 1
        self.report.changes += len(changes)

    async def drain(self) -> None:
        """Apply each line as it arrives until the feed ends.

        One snapshot per pass of the event loop: the queries that arrived meanwhile are
        answered between two applies, so a burst of feed lines never holds them up for
        longer than one apply.
        """
        queue, interpret = self.queue, self.interpreter.changes
        while True:
            line = await queue.get()
            while line is not None:
                changes = interpret(line)
                if changes:
                    self.publish(changes)
                    await asyncio.sleep(0)
                try:
                    line = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
            if line is None:
                return


def serve(core: RoutingCore, routing_numbers: Mapping[str, str], *, host: str, port: int,
          feed: str | None = None, follower: ModelFollower | None = None,
          duration: float | None = None,
          ready: Callable[[QueryServer], None] | None = None) -> ServeReport:
    """Answer queries on ``host:port`` until ``duration`` seconds pass, or SIGINT/SIGTERM.

    ``feed`` (a path of JSON lines, '-' for stdin) and ``follower`` (a model played on in
    time) publish changes while serving. ``ready`` is called once the socket is bound.

    Raises
    ------
    HarnessError
        The address cannot be bound (in use, not local).
    OSError
        The feed cannot be opened.
    """
    service = QueryService(core, routing_numbers)
    report = ServeReport(first_version=core.version)
    server = QueryServer(service, host, port)
    # What exists now (the routing core, the scenario: maybe millions of objects) lives as
    # long as the server: keep the collector's full passes from walking it during applies.
    gc.collect()
    gc.freeze()
    cpu = time.process_time()
    try:
        asyncio.run(_serve(server, report, feed, follower, duration, ready))
    finally:
        report.cpu_seconds = time.process_time() - cpu
        gc.unfreeze()
        server.close()
    report.answered = dict(service.answered)
    report.dropped, report.crashed = service.dropped, service.crashed
    report.last_version = core.version
    return report


async def _serve(server: QueryServer, report: ServeReport, feed: str | None,
                 follower: ModelFollower | None, duration: float | None,
                 ready: Callable[[QueryServer], None] | None) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (RuntimeError, ValueError):  # not the main thread: the caller stops us
            pass
    started = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    publisher = _Publisher(server.service.core, report, server.service)
    try:
        if feed is not None:
            read_lines(feed, loop, publisher.queue.put_nowait)
            tasks.append(loop.create_task(publisher.drain()))
        if follower is not None:
            tasks.append(loop.create_task(follower.run()))
        server.start(loop, stop)
        if ready is not None:
            ready(server)
        try:
            await asyncio.wait_for(stop.wait(), duration)
        except TimeoutError:
            pass
    finally:
        for task in tasks:
            task.cancel()
        for sig in handled:
            loop.remove_signal_handler(sig)
        report.seconds = time.monotonic() - started
        report.feed_rejected = publisher.interpreter.rejected
        report.last_rejection = publisher.interpreter.last_rejection


def serve_scenario(scenario: Scenario, *, host: str, port: int, at: datetime | None = None,
                   seed: int | None = None, follow: str | None = None, speed: float = 3600.0,
                   duration: float | None = None,
                   ready: Callable[[QueryServer, RoutingCore], None] | None = None
                   ) -> ServeReport:
    """Serve ``scenario``'s routing state at ``at`` (default: its start).

    ``follow='scenario'`` plays the simulation on from ``at`` at ``speed`` simulated seconds
    per second; any other ``follow`` is a feed path (see :func:`serve`).
    """
    from sim.model import CutoverModel

    model = CutoverModel(scenario, seed=seed)
    model.run(until=at or scenario.start)
    core = model.routing
    follower = ModelFollower(model, speed=speed) if follow == "scenario" else None
    feed = None if follow in (None, "scenario") else follow
    rns = {c.id: c.routing_number for c in scenario.carriers}
    on_ready = None if ready is None else (lambda server: ready(server, core))
    return serve(core, rns, host=host, port=port, feed=feed, follower=follower,
                 duration=duration, ready=on_ready)

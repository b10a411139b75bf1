"""The number-portability query server: SIP and ENUM over UDP, answered from the routing core.

The answers are those of :mod:`sip_harness.npserver.answers` and
:mod:`sip_harness.npserver.enum_answers` (one routing cache for both); this module serves them
on UDP sockets from one asyncio event loop. Changes (a feed or the simulation itself,
:mod:`sip_harness.npserver.feed`)
are applied on the same loop between datagrams; each apply publishes a whole new snapshot by one
reference swap, so a query sees the routing before or after a change, never half of it.
"""

from __future__ import annotations

__all__ = ["QueryServer", "ServeReport", "serve", "serve_scenario", "parse_address"]

import asyncio
import contextlib
import ctypes
import gc
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sim.errors import BadInputError, HarnessError
from sim.routing import PortChange, RoutingCore
from sim.scenario import Scenario
from sip_harness.npserver.answers import QueryService
from sip_harness.npserver.enum_answers import EnumService
from sip_harness.npserver.feed import FeedInterpreter, FeedLine, ModelFollower, read_lines

_BURST = 512  # datagrams handled per wake-up before the loop may run a feed step
_RCVBUF = 8 << 20


def parse_address(text: str, option: str = "--sip") -> tuple[str, int]:
    """``'127.0.0.1:5070'`` -> ``('127.0.0.1', 5070)``. Raises BadInputError."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadInputError(f"{option} {text!r} is not HOST:PORT (e.g. 127.0.0.1:5070)")
    return host, int(port)


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
    enum_answered: dict[str, int] = field(default_factory=dict)  # by rcode name

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
            "enum_answered": dict(sorted(self.enum_answered.items())),
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
# Python's socket module does not name it; Linux's value (asm-generic/socket.h).
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE",
                          33 if sys.platform.startswith("linux") else None)


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
    """A non-blocking UDP socket drained in bursts by an event loop reader.

    ``service`` answers each datagram (SIP or DNS); with ``reuse_port`` several processes
    bind the same address and the kernel spreads the senders over them (SO_REUSEPORT).
    """

    def __init__(self, service: QueryService | EnumService, host: str, port: int, *,
                 protocol: str = "SIP", reuse_port: bool = False) -> None:
        self.service = service
        self.protocol = protocol
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            # A deep receive queue rides out a stall (an apply, another process on the CPU)
            # without dropping queries. Beyond net.core.rmem_max only with CAP_NET_ADMIN.
            for option in (_SO_RCVBUFFORCE, socket.SO_RCVBUF):
                if option is not None:
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, option, _RCVBUF)
                        break
                    except OSError:
                        continue
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise HarnessError(f"cannot serve {protocol} on {host}:{port}/udp "
                               f"({exc.strerror or exc})") from exc
        sock.setblocking(False)
        self.acks_filtered = protocol == "SIP" and _drop_acks_in_kernel(sock)
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
                 service: QueryService | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.core, self.report, self.service = core, report, service  # one cache for both
        self.interpreter = FeedInterpreter(core, clock=clock)
        self.queue: asyncio.Queue[FeedLine] = asyncio.Queue()
        self.last_heard = time.monotonic()  # when the feed last said anything

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
                self.last_heard = time.monotonic()
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


def serve(core: RoutingCore, routing_numbers: Mapping[str, str], *, host: str | None = None,
          port: int = 0, dns: tuple[str, int] | None = None,
          feed: str | None = None, follower: ModelFollower | None = None,
          duration: float | None = None,
          ready: Callable[[QueryServer], None] | None = None,
          clock: Callable[[], float] = time.time, reuse_port: bool = False,
          tag_key: bytes | None = None, max_staleness: float | None = None) -> ServeReport:
    """Answer SIP queries on ``host:port`` and ENUM queries on ``dns`` (either or both) until
    ``duration`` seconds pass, or SIGINT/SIGTERM.

    ``feed`` (a path of JSON lines, '-' for stdin) and ``follower`` (a model played on in
    time) publish changes while serving; ``clock`` is the instant a feed's change is said to
    be applied at. ``ready`` is called once per bound socket (SIP first). ``reuse_port`` and
    ``tag_key`` let several processes share the addresses (and give the same To tags).
    ``max_staleness``: with a feed, refuse to answer numbers (SIP 503, DNS SERVFAIL) while
    the feed has said nothing, not even a heartbeat, for that many seconds.

    Raises
    ------
    HarnessError
        The address cannot be bound (in use, not local).
    OSError
        The feed cannot be opened.
    """
    if host is None and dns is None:
        raise BadInputError("nothing to serve: give a SIP address, a DNS address or both")
    service = QueryService(core, routing_numbers, tag_key=tag_key)
    enum = EnumService(service)
    report = ServeReport(first_version=core.version)
    servers: list[QueryServer] = []
    try:
        if host is not None:
            servers.append(QueryServer(service, host, port, reuse_port=reuse_port))
        if dns is not None:
            servers.append(QueryServer(enum, dns[0], dns[1], protocol="DNS",
                                       reuse_port=reuse_port))
    except HarnessError:
        for bound in servers:
            bound.close()
        raise
    # What exists now (the routing core, the scenario: maybe millions of objects) lives as
    # long as the server: keep the collector's full passes from walking it during applies.
    gc.collect()
    gc.freeze()
    cpu = time.process_time()
    try:
        asyncio.run(_serve(servers, service, report, feed, follower, duration, ready, clock,
                           max_staleness))
    finally:
        report.cpu_seconds = time.process_time() - cpu
        gc.unfreeze()
        for bound in servers:
            bound.close()
    report.answered = dict(service.answered)
    report.dropped = service.dropped + enum.dropped
    report.crashed = service.crashed + enum.crashed
    names = {0: "NOERROR", 1: "FORMERR", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
             16: "BADVERS"}
    report.enum_answered = {names.get(k, str(k)): v for k, v in enum.answered.items()}
    report.last_version = core.version
    return report


async def _serve(servers: list[QueryServer], service: QueryService, report: ServeReport,
                 feed: str | None,
                 follower: ModelFollower | None, duration: float | None,
                 ready: Callable[[QueryServer], None] | None,
                 clock: Callable[[], float], max_staleness: float | None) -> None:
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
    publisher = _Publisher(service.core, report, service, clock)
    try:
        if feed is not None:
            read_lines(feed, loop, publisher.queue.put_nowait)
            tasks.append(loop.create_task(publisher.drain()))
            if max_staleness is not None:
                tasks.append(loop.create_task(_watch_staleness(publisher, service,
                                                               max_staleness)))
        if follower is not None:
            tasks.append(loop.create_task(follower.run()))
        for server in servers:
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


async def _watch_staleness(publisher: _Publisher, service: QueryService, bound: float) -> None:
    """Mark the service stale while the feed is silent past ``bound`` seconds (checked ten
    times per bound, at most every 50 ms: the hot path reads one flag)."""
    while True:
        service.stale = time.monotonic() - publisher.last_heard > bound
        await asyncio.sleep(min(0.05, bound / 10))


def serve_scenario(scenario: Scenario, *, host: str | None = None, port: int = 0,
                   dns: tuple[str, int] | None = None, at: datetime | None = None,
                   seed: int | None = None, follow: str | None = None, speed: float = 3600.0,
                   duration: float | None = None,
                   ready: Callable[[QueryServer, RoutingCore], None] | None = None,
                   max_staleness: float | None = None) -> ServeReport:
    """Serve ``scenario``'s routing state at ``at`` (default: its start).

    ``follow='scenario'`` plays the simulation on from ``at`` at ``speed`` simulated seconds
    per second; any other ``follow`` is a feed path (see :func:`serve`).
    """
    from sim.model import CutoverModel

    model = CutoverModel(scenario, seed=seed)
    instant = at or scenario.start
    model.run(until=instant)
    core = model.routing
    follower = ModelFollower(model, speed=speed) if follow == "scenario" else None
    feed = None if follow in (None, "scenario") else follow
    rns = {c.id: c.routing_number for c in scenario.carriers}
    on_ready = None if ready is None else (lambda server: ready(server, core))
    # A feed's change happens at the simulated instant served (the wall clock is another day).
    served = instant.timestamp()
    return serve(core, rns, host=host, port=port, dns=dns, feed=feed, follower=follower,
                 duration=duration, ready=on_ready, clock=lambda: served,
                 max_staleness=max_staleness)

"""Many SIP agents, one per process: the carrier trunks and the customers' phones of a scenario.

The pjsua2 wheel holds at most :data:`~sip_harness.agents.agent.MAX_CALLS` calls and
:data:`~sip_harness.agents.agent.MAX_UAS` transports per process, so a fleet spreads the UAs over
worker processes, each running one :class:`~sip_harness.agents.agent.SIPAgent` (one Endpoint) served
by a ``multiprocessing`` manager:

- trunk workers: every carrier's trunk (``127.0.1.N:5060``), up to MAX_UAS per worker; a
  trunk records each call and rejects it at once (486), so it never holds a call slot;
- phone workers: customer phones (``127.0.2.N:5060``) and one caller UA bound to the
  external callers' carrier address on a free port (Asterisk identifies a carrier by source
  address, any port), so the calls a phone's checks place and receive stay within
  MAX_CALLS of one worker. The phones of a worker take turns: a check's call holds its
  worker's line (:meth:`Fleet.line`) while it is up, so at most one check's two legs, and
  the two of the one before that are still ending, hold the worker's slots
  (:data:`SLOTS_PER_CALL`). Without the turns, two phones' checks at once took every slot;
  an INVITE that finds every slot taken is answered 486 by pjsua itself, before the phone
  sees it, and Asterisk then sends the call to voicemail: a spurious "arrived nowhere
  (caller got 200 OK)".

Workers are forked from a forkserver that has pjsua2 loaded; their stderr (pjlib's banner) goes
to a log file in the fleet's directory. ``close`` stops every agent (all pjsua2 objects freed
before ``libDestroy``) and every process; nothing is left.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

from sim.errors import HarnessError, HarnessTimeout
from sip_harness.agents.agent import MAX_UAS, SIPAgent, write_tone_wav
from sip_harness.agents.audio import CALLEE_TONE, CALLER_TONE
from sip_harness.agents.recorder import TrunkRecorder
from sip_harness.patience import patience
from sip_harness.topology import PhoneAddress, TrunkAddress

__all__ = ["Fleet", "CALLER", "PHONES_PER_WORKER", "SLOTS_PER_CALL", "LINE_WAIT"]

#: The name of each phone worker's caller UA (an external carrier's caller).
CALLER = "caller"
#: Call slots a check's call may need in its worker: the leg it places from the worker's caller
#: UA and the leg it lands on at the phone (2), plus the two legs of the call before, still
#: ending: Asterisk hangs up the phone's leg a moment after the caller's, and pjsua frees an
#: ended call's slot a moment after it reports it ended (a call placed then gets PJ_ETOOMANY and
#: is placed again; an INVITE arriving then gets 486 from pjsua itself). One call at a time
#: per worker (:meth:`Fleet.line`) fits MAX_CALLS.
SLOTS_PER_CALL = 4
#: Phones per worker. Their calls take turns on the worker's line, so this is not about slots:
#: two keep 50 workers' lines busy for 100 phones, while each worker costs about 1% of a core
#: even idle (its null sound device clocks the media bridge every 20 ms).
PHONES_PER_WORKER = 2
#: Seconds (stretched by the machine's load) a call waits for its turn on a worker's line;
#: longer than any check's call (a voicemail deposit is about 10 s).
LINE_WAIT = 60.0
#: Seconds between calls that may end at a carrier trunk (see ``Fleet.pace``).
TRUNK_GAP = 0.03
_RTP_BASE = 10000
_RTP_SPAN = 200


class _AgentManager(BaseManager):
    pass


_AgentManager.register("SIPAgent", SIPAgent)


def _quiet_worker(log: str) -> None:
    """Worker start: stdout and stderr (pjlib's banner, before its log level applies) to
    ``log``."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pjsua2", "sip_harness.agents.agent"])
    return ctx


class _Worker:
    def __init__(self, index: int, log: str) -> None:
        self.index = index
        self.manager = _AgentManager(ctx=_context())
        self.manager.start(_quiet_worker, (log,))
        port = _RTP_BASE + (index * _RTP_SPAN) % 10000  # below Asterisk's (rtp.conf)
        self.agent: Any = self.manager.SIPAgent(rtp_port=port)  # type: ignore[attr-defined]

    def stop(self) -> None:
        with suppress(Exception):
            self.agent.close()
        with suppress(Exception):
            self.manager.shutdown()


class Fleet:
    """The scenario's trunks and phones, spread over worker processes. Use as a context manager.

    ``carriers``: carrier id -> trunk address; ``phones``: number -> phone address;
    ``caller_host``: the address external calls are sent from (an origin carrier's).
    ``trunks``: a :class:`~sip_harness.agents.recorder.TrunkRecorder` already bound at every
    carrier's trunk address; the carriers then get no pjsua2 workers and calls need no pacing.
    Raises HarnessError when a worker cannot start or an address cannot be bound.
    """

    def __init__(self, carriers: Mapping[str, TrunkAddress], phones: Mapping[str, PhoneAddress],
                 caller_host: str, *, phones_per_worker: int = PHONES_PER_WORKER,
                 trunks: TrunkRecorder | None = None) -> None:
        if phones_per_worker < 1:
            raise ValueError(f"phones_per_worker must be at least 1, got {phones_per_worker}")
        self.dir = Path(tempfile.mkdtemp(prefix="cutover-agents-"))
        self.log = str(self.dir / "pjsua2.log")
        self.wav = str(write_tone_wav(self.dir / "message.wav", seconds=3.0))
        # what each side of an answered call plays (two-way audio), longer than it listens
        self.caller_tone = str(write_tone_wav(self.dir / "caller-tone.wav", seconds=10.0,
                                              tones=CALLER_TONE))
        self.callee_tone = str(write_tone_wav(self.dir / "callee-tone.wav", seconds=10.0,
                                              tones=CALLEE_TONE))
        self._lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self._next_trunk_call = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls = 0
        self._gap = TRUNK_GAP if trunks is None else 0.0
        trunk_groups = _chunks(list(carriers), MAX_UAS) if trunks is None else []
        phone_groups = _chunks(list(phones), min(phones_per_worker, MAX_UAS - 1))
        self._workers: list[_Worker] = []
        self._trunks: list[Any] = [] if trunks is None else [trunks]
        self._phone_agent: dict[str, Any] = {}
        self._lines: dict[int, threading.Lock] = {}  # id(worker's agent) -> its line
        try:
            count = len(trunk_groups) + len(phone_groups)
            with ThreadPoolExecutor(max_workers=min(8, max(count, 1))) as pool:
                starts = [pool.submit(_Worker, i, self.log) for i in range(count)]
            # every start has ended: keep the workers that came up (close() stops them), then
            # raise the first failure
            self._workers = [s.result() for s in starts if s.exception() is None]
            failure = next((s.exception() for s in starts if s.exception() is not None), None)
            if failure is not None:
                raise failure
            jobs: list[tuple[Any, str, str, int, str | None, bool]] = []
            for worker, group in zip(self._workers, trunk_groups, strict=False):
                self._trunks.append(worker.agent)
                jobs += [(worker.agent, c, carriers[c].host, carriers[c].port, None, True)
                         for c in group]
            for worker, group in zip(self._workers[len(trunk_groups):], phone_groups,
                                     strict=True):
                self._lines[id(worker.agent)] = threading.Lock()
                jobs.append((worker.agent, CALLER, caller_host, 0, None, False))
                for number in group:
                    phone = phones[number]
                    self._phone_agent[number] = worker.agent
                    jobs.append((worker.agent, number, phone.host, phone.port, phone.extension,
                                 False))
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda j: j[0].add_ua(j[1], j[2], j[3], user=j[4], trunk=j[5]),
                              jobs))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def processes(self) -> int:
        return len(self._workers)

    def phone(self, number: str) -> Any:
        """The agent (proxy) holding ``number``'s phone and a caller UA (``CALLER``)."""
        try:
            return self._phone_agent[number]
        except KeyError:
            raise HarnessError(f"no phone for {number} in this fleet") from None

    def any_caller(self) -> Any:
        """An agent with a caller UA, for calls that concern no phone (an unallocated number)."""
        if not self._phone_agent:
            raise HarnessError("this fleet has no phone workers, so no caller")
        return next(iter(self._phone_agent.values()))

    def trunk_arrivals(self, **match: str) -> list[dict[str, Any]]:
        """Arrivals at any carrier trunk whose fields equal ``match``."""
        found: list[dict[str, Any]] = []
        for agent in self._trunks:
            found += agent.arrivals(**match)
        return found

    def pace(self) -> None:
        """Space out calls that may end at a carrier trunk: each one takes two media sockets
        that pjlib recycles only after half a second, and a worker has 64; at most one call
        per :data:`TRUNK_GAP` keeps the trunk worker well inside that. No wait when the trunks
        are a recorder (no media sockets)."""
        with self._pace_lock:
            now = time.monotonic()
            wait = self._next_trunk_call - now
            self._next_trunk_call = max(now, self._next_trunk_call) + self._gap
        if wait > 0:
            time.sleep(wait)

    @contextmanager
    def line(self, agent: Any) -> Iterator[None]:
        """Hold the line of ``agent``'s worker (a phone worker's, from :meth:`phone` or
        :meth:`any_caller`) while the block places a call and waits for it to end: the calls
        of the phones sharing a worker take turns, so they never need more than the worker's
        call slots (:data:`SLOTS_PER_CALL` <= MAX_CALLS). Raises HarnessTimeout when the turn
        does not come within :data:`LINE_WAIT` (stretched by the machine's load)."""
        line = self._lines.get(id(agent))
        if line is None:
            raise HarnessError("that agent is not one of this fleet's phone workers")
        if not line.acquire(timeout=patience(LINE_WAIT)):
            raise HarnessTimeout(f"no turn on a phone worker's line within {LINE_WAIT:.0f} s "
                                 "(its other phone's call did not end)")
        try:
            yield
        finally:
            line.release()

    @contextmanager
    def in_flight_call(self) -> Iterator[None]:
        """Count a call placed by a check as in flight while the block runs."""
        with self._lock:
            self.in_flight += 1
            self.calls += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def interrupt(self, reason: str) -> None:
        """Make every wait in every agent raise HarnessError(reason) and hang up every call."""
        for worker in self._workers:
            with suppress(Exception):
                worker.agent.interrupt(reason)

    def resume(self) -> None:
        for worker in self._workers:
            worker.agent.resume()

    def forget(self) -> int:
        """Every agent forgets its ended calls and arrivals (``CallBoard.forget``), between
        rounds of calls of a long run; returns the calls forgotten."""
        return sum(int(worker.agent.forget()) for worker in self._workers)

    def live_calls(self) -> int:
        """Calls up in any agent right now (0 once every call has been torn down)."""
        return sum(int(worker.agent.stats()["live"]) for worker in self._workers)

    def close(self) -> None:
        """Stop every agent and worker process; the fleet's directory is removed. Idempotent."""
        workers, self._workers = self._workers, []
        if workers:  # each stop waits about a second for pjsua to shut down: all at once
            with ThreadPoolExecutor(max_workers=min(len(workers), 64)) as pool:
                list(pool.map(lambda w: w.stop(), workers))
        if os.environ.get("CUTOVER_KEEP_AGENT_LOG"):
            return
        for path in sorted(self.dir.glob("*")):
            path.unlink(missing_ok=True)
        with suppress(OSError):
            self.dir.rmdir()


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]

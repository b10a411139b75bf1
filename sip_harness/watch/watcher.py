"""The watch loop: rounds of probes of every number whose window is open, bounded in rate.

Each round reads the clock (:class:`~sip_harness.watch.clock.WatchClock`: a replay's simulated
instant, or the wall's), asks the board which numbers are due (their window is open), and
probes each (inbound, then outbound caller ID) with at most ``max_in_flight`` calls at once and
at most ``rate`` calls started per second: DDI numbers first, in one batch the prober runs
with that rate and limit (SIPp), then the numbers with phones a call at a time. Every
observation goes to the board at once and its records to ``emit`` as they come. Between
rounds the prober forgets what its calls left behind. Rounds start every ``every`` seconds
(at once if a round took longer). The watch ends when the board says so (``until`` passed,
or no window open now or later), when the followed replay ends, or on ``stop`` / Ctrl-C,
after the calls in flight have been torn down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sip_harness.watch.clock import WatchClock
from sip_harness.watch.probe import Prober
from sip_harness.watch.tracker import Observation, WatchBoard

__all__ = ["WatchSettings", "WatchOutcome", "Pacer", "watch"]

Emit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class WatchSettings:
    """How hard a watch probes: a round every ``every`` s, at most ``rate`` calls started per
    second and ``max_in_flight`` at once; outbound caller ID too unless ``outbound`` is off."""

    every: float = 10.0
    rate: float = 4.0
    max_in_flight: int = 4
    outbound: bool = True
    poll: float = 0.25   # seconds between clock readings while nothing is due

    def __post_init__(self) -> None:
        if self.every < 0 or self.rate <= 0 or self.max_in_flight < 1 or self.poll <= 0:
            raise ValueError(f"watch settings out of range: {self}")


@dataclass
class WatchOutcome:
    """How a watch ended and what it cost."""

    reason: str
    end: datetime | None          # the clock's instant at the end (None: it never ran)
    rounds: int = 0
    calls: int = 0
    probes: int = 0
    max_in_flight: int = 0
    seconds: float = 0.0
    overruns: int = 0             # rounds that took longer than ``every``
    round_max: float = 0.0        # seconds, the longest round
    round_total: float = 0.0      # seconds, all rounds

    @property
    def round_mean(self) -> float:
        return self.round_total / self.rounds if self.rounds else 0.0

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0


class Pacer:
    """Spaces call starts at most ``rate`` per second, across threads."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.gap = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.gap
        if start > now:
            self._sleep(start - now)


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = self.calls = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def watch(board: WatchBoard, prober: Prober, clock: WatchClock,
          read_clock: Callable[[], str | None], settings: WatchSettings, *, emit: Emit,
          on_round: Callable[[datetime | None, WatchOutcome], None] | None = None,
          stop: threading.Event | None = None, wall: Callable[[], float] = time.time,
          sleep: Callable[[float], None] = time.sleep) -> WatchOutcome:
    """Watch until the end (see the module docstring); return how it ended."""
    stop = stop or threading.Event()
    pacer = Pacer(settings.rate)
    calls = _Counter()
    lock = threading.Lock()
    outcome = WatchOutcome(reason="", end=None)
    began = time.monotonic()

    def probe(number: str) -> None:
        if stop.is_set():
            return
        pacer.wait()
        t = clock.now(wall())
        if t is None:
            return
        with calls:
            landed, status = prober.inbound(number)
        presented = None
        if settings.outbound:
            pacer.wait()
            with calls:
                presented, _ = prober.outbound(number)
        obs = Observation(t, number, landed, status, presented, settings.outbound)
        with lock:
            outcome.probes += 1
            for record in board.observe(obs):
                emit(record)

    batch_calls, batch_peak = 0, 0

    def in_batch(numbers: list[str]) -> None:
        nonlocal batch_calls, batch_peak
        launched = wall()
        probed, peak = prober.batch(numbers, outbound=settings.outbound, rate=settings.rate,
                                    limit=settings.max_in_flight)
        batch_calls += len(numbers) * (2 if settings.outbound else 1)
        batch_peak = max(batch_peak, peak)
        with lock:
            for p in probed:
                t = clock.now(launched + p.offset)
                if t is None:
                    continue
                outcome.probes += 1
                obs = Observation(t, p.number, p.landed, p.status, p.presented,
                                  settings.outbound)
                for record in board.observe(obs):
                    emit(record)

    def tick(now: datetime | None) -> None:
        outcome.calls = calls.calls + batch_calls
        outcome.max_in_flight = max(calls.peak, batch_peak)
        outcome.seconds = time.monotonic() - began
        if on_round is not None:
            on_round(now, outcome)

    now: datetime | None = None
    with ThreadPoolExecutor(max_workers=settings.max_in_flight,
                            thread_name_prefix="probe") as pool:
        try:
            while True:
                if stop.is_set():
                    outcome.reason = "stopped"
                    break
                w = wall()
                clock.update(read_clock(), w)
                current = clock.now(w)
                now = current or now
                if clock.ended:
                    outcome.reason = f"the replay ended at {now.isoformat() if now else '?'}"
                    break
                if current is not None and board.finished(current):
                    outcome.reason = ("reached --until" if board.until is not None
                                      and current >= board.until else "every window has closed")
                    break
                due = board.due(current) if current is not None else []
                if not due:
                    tick(now)
                    sleep(settings.poll)
                    continue
                started = time.monotonic()
                batched = [n for n in due if prober.batched(n)]
                if batched:
                    in_batch(batched)
                for future in [pool.submit(probe, n) for n in due if not prober.batched(n)]:
                    future.result()
                prober.forget()
                took = time.monotonic() - started
                outcome.rounds += 1
                outcome.round_max = max(outcome.round_max, took)
                outcome.round_total += took
                outcome.overruns += took > settings.every
                tick(now)
                rest = settings.every - took
                while rest > 0 and not stop.is_set():
                    sleep(min(rest, settings.poll))
                    rest -= settings.poll
                    tick(clock.now(wall()) or now)
        except KeyboardInterrupt:
            # the probes not yet started return at once; the pool's exit waits for the ones
            # in flight, whose calls are torn down within their timeouts
            stop.set()
            outcome.reason = "interrupted"
    outcome.end = now
    tick(now)
    return outcome

"""Traffic: Poisson calls to the customers' numbers, each routed through the routing core.

A call is decided by the network that looks the number up: under onward routing the range
holder, under all-call query (direct) the originating carrier. That network holds a copy of
the porting database which lags the central one by its ``copy_lag_minutes``, so right after a
port (or a rollback) a lagging copy sends calls to a carrier that no longer serves the number.

The routing state is piecewise constant: it changes only when the central database publishes,
when a lagging copy catches up, when a number's status changes or a carrier goes down or comes
back. :class:`Switchboard` is told before every such change (``settle``) and plays the interval
since the last one at once: every call to a number in it has the same outcome, so it counts the
calls of the interval and records one by one only those that fail, misroute or are lost, with
their instants and origins (the class says how the draws stay the same however the run is cut
into intervals). :class:`CallByCall` places each call as a SimPy event instead; it is the
reference the interval switchboard is tested against
(tests/unit/sim/model/test_traffic_equivalence.py) and measured against (bench_model.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Collection, Generator, Mapping
from enum import StrEnum
from typing import Any

import numpy as np
import simpy

from sim.model.ledger import Ledger
from sim.model.lifecycle import EventKind, NumberStatus
from sim.routing import Route, RoutingCore, RoutingSnapshot, e164_to_int
from sim.scenario import PortOrder, Scenario

__all__ = ["Switchboard", "CallByCall", "CallOutcome", "OUTCOMES"]


class CallOutcome(StrEnum):
    """What became of one call (the keys of the summary's ``calls``)."""

    COMPLETED = "completed"
    FAILED = "failed"
    MISROUTED = "misrouted"
    LOST = "lost"


OUTCOMES = tuple(CallOutcome)
#: The event that records a call with each outcome but completed (completed calls are counted only).
_EVENT_OF = {CallOutcome.FAILED: EventKind.CALL_FAILED,
             CallOutcome.MISROUTED: EventKind.CALL_MISROUTED, CallOutcome.LOST: EventKind.CALL_LOST}
_COMPLETED, _FAILED, _MISROUTED, _LOST = OUTCOMES
_UNREACHABLE = (NumberStatus.LOST, NumberStatus.QUARANTINE, NumberStatus.SUSPENDED)
#: A call's outcome, and the record of it if it did not complete.
Verdict = tuple[CallOutcome, dict[str, Any] | None]
#: Calls per block of the interval switchboard's realisation (its blocks' length follows).
BLOCK_CALLS = 16_384
#: Tells the traffic's generators apart from any other stream derived from the run's seed.
_TRAFFIC_STREAM = 12


class _Board:
    """What both switchboards share: the lagging copies and the verdict on one call."""

    def __init__(self, scenario: Scenario, *, env: simpy.Environment, rng: np.random.Generator,
                 routing: RoutingCore, holder_of: Mapping[str, str],
                 status: Mapping[str, NumberStatus], down: Collection[str], ledger: Ledger):
        self.env = env
        self.rng = rng
        self.routing = routing
        self.holder_of = holder_of
        self.status = status
        self.down = down
        self.ledger = ledger
        self.onward = scenario.routing == "onward"
        self.lag = {c.id: c.copy_lag_minutes * 60.0 for c in scenario.carriers}
        self.numbers = [n for c in scenario.customers for n in c.numbers]
        self.origins = list(scenario.traffic.origins or scenario.carrier_ids)
        self.per_number = scenario.traffic.calls_per_number_per_hour / 3600.0
        self.rate = self.per_number * len(self.numbers)
        self.outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
        self._times: list[float] = [0.0]
        self._snapshots: list[RoutingSnapshot] = [routing.snapshot]

    def copy_lag(self, order: PortOrder) -> float:
        """Minutes until every copy that decides calls to ``order``'s numbers has the change."""
        if self.onward:
            holder = self.holder_of[order.numbers[0]]
            return self.lag[holder] / 60.0
        return max((self.lag[o] for o in self.origins), default=0.0) / 60.0

    def _record_snapshot(self, t: float, snapshot: RoutingSnapshot) -> None:
        if any(self.lag.values()):
            self._times.append(t)
            self._snapshots.append(snapshot)

    def _copy(self, carrier: str, t: float) -> RoutingSnapshot:
        # before the first change a copy would have seen, it holds the run's first snapshot
        return self._snapshots[max(0, bisect_right(self._times, t - self.lag[carrier]) - 1)]

    def verdict(self, truth: Route, route: Route, decider: str, status: NumberStatus | None,
                down: Collection[str], origin: str) -> Verdict:
        """The outcome of a call routed ``route`` (``truth`` is where it should go), and the
        record of it unless it completed."""
        stopped = [c for c in route.path if c in down] if down else ()
        if status in _UNREACHABLE:
            outcome, why = _LOST, f"number {status}"
        elif stopped:
            outcome, why = _FAILED, f"carrier {stopped[0]} is down"
        elif status == NumberStatus.INTERRUPTED:
            outcome, why = _FAILED, "service interrupted in the cutover window"
        elif route.carrier != truth.carrier:
            outcome, why = _MISROUTED, f"{decider}'s routing copy is behind"
        else:
            return _COMPLETED, None
        return outcome, {"origin": origin, "reached": route.carrier, "expected": truth.carrier,
                         "reason": why}


class CallByCall(_Board):
    """The reference switchboard: every call one SimPy event, routed at its instant."""

    def start(self) -> None:
        if self.rate > 0 and self.numbers:
            self.env.process(self._calls())

    def published(self, t: float, snapshot: RoutingSnapshot,
                  numbers: Collection[int] = ()) -> None:
        """The central database changed at ``t``; lagging copies catch up later."""
        self._record_snapshot(t, snapshot)

    def settle(self) -> None:
        """Nothing to play: every call was placed at its instant."""

    def _calls(self) -> Generator[simpy.Event, Any, None]:
        env, rng = self.env, self.rng
        numbers, origins = self.numbers, self.origins
        mean_gap = 1.0 / self.rate
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            number = numbers[int(rng.integers(len(numbers)))]
            origin = origins[int(rng.integers(len(origins)))]
            self.place(number, origin)

    def place(self, number: str, origin: str) -> CallOutcome:
        """Route one call at the current instant and record its outcome."""
        now = self.env.now
        truth = self.routing.snapshot.route(number, origin)
        decider = truth.range_holder if self.onward else origin
        route = truth if self.lag.get(decider, 0.0) == 0.0 else self._copy(decider, now).route(
            number, origin)
        outcome, record = self.verdict(truth, route, decider, self.status.get(number), self.down,
                                       origin)
        self.outcomes[outcome] += 1
        if record is not None:
            self.ledger.add(now, _EVENT_OF[outcome], None, (number,), None, record)
        return outcome


class Switchboard(_Board):
    """Plays the calls interval by interval of constant routing state (see the module's text).

    ``settle()`` must be called before anything it reads changes (the model's status map and
    set of carriers down call it; a publish calls it through ``published``) and once more at
    the instant the run stops.

    The calls themselves are one fixed realisation of the Poisson process, whatever the
    intervals: time is cut into blocks of about BLOCK_CALLS calls, and each block's calls
    (how many; each one's instant and (number, origin) pair) come from the block's own
    generator, seeded by the run's seed and the block's index. A block only is counted when an
    interval covers it whole and nothing in it can fail; otherwise its calls are drawn and
    those of the failing pairs recorded. So a run stopped at an instant (a progress bar's
    steps, ``Replay``, ``simulate(until=...)``) has exactly the calls a run through it has.
    """

    def __init__(self, scenario: Scenario, *, seed: int = 0, **parts: Any):
        super().__init__(scenario, **parts)
        self.seed = seed
        self._index = {n: i for i, n in enumerate(self.numbers)}
        self._ints = np.array([e164_to_int(n) for n in self.numbers], dtype=np.int64)
        self._int_index = {int(v): i for i, v in enumerate(self._ints.tolist())}
        self._holders = [self.holder_of[n] for n in self.numbers]
        self._truth: RoutingSnapshot = self.routing.snapshot
        self._last = 0.0
        self._max_lag = max(self.lag.values(), default=0.0)
        self._lags = sorted({v for v in self.lag.values() if v > 0})
        #: (publish instant, indices of the numbers it changed), while a copy may lack it
        self._recent: deque[tuple[float, list[int]]] = deque()
        self._started = False
        self._pairs = len(self.numbers) * len(self.origins)
        self._block = min(max(BLOCK_CALLS / self.rate, 1.0), 1e8) if self.rate > 0 else 0.0
        self._drawn: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def start(self) -> None:
        self._started = self.rate > 0 and bool(self.numbers)
        if self._started:
            self._check_routes(range(len(self.numbers)))

    def _check_routes(self, indices: Collection[int]) -> None:
        """Route one call per (range holder, serving carrier, origin) among these numbers:
        a pair the interconnects do not join raises NoRouteError now, as the first call
        there would under the call-by-call switchboard (completed calls are not routed)."""
        truth, seen = self._truth, set()
        serving = truth.lookup_batch(self._ints[list(indices)]).tolist()
        for i, s in zip(indices, serving, strict=True):
            if (self._holders[i], s) not in seen:
                seen.add((self._holders[i], s))
                for origin in self.origins:
                    truth.route(self.numbers[i], origin)

    def published(self, t: float, snapshot: RoutingSnapshot,
                  numbers: Collection[int] = ()) -> None:
        """The central database published ``snapshot`` at ``t``, changing ``numbers`` (ints)."""
        self.settle()
        self._truth = snapshot
        if self._started:
            index = self._int_index
            self._check_routes(sorted({index[n] for n in numbers if n in index}))
        self._record_snapshot(t, snapshot)
        if self._max_lag > 0:
            index = self._int_index
            self._recent.append((t, sorted({index[n] for n in numbers if n in index})))

    def settle(self) -> None:
        """Play the calls from the last settle to now, in the routing state that held."""
        now = self.env.now
        start = self._last
        if now <= start:
            return
        self._last = now
        if not self._started:
            return
        # lagging copies catch up inside the interval: each publish + each lag splits it
        cuts = sorted({t + lag for t, _ in self._recent for lag in self._lags
                       if start < t + lag < now}) if self._recent else []
        for s, e in zip([start, *cuts], [*cuts, now], strict=True):
            self._play(s, e)

    # -- the fixed realisation of the calls, block by block --------------------------------
    def _generator(self, block: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, _TRAFFIC_STREAM, block])

    def _count(self, block: int) -> int:
        """How many calls block ``block`` has (the first draw of its generator)."""
        return int(self._generator(block).poisson(self.rate * self._block))

    def _calls(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        """The block's calls: sorted instants, and each one's pair (number * origins + origin)."""
        drawn = self._drawn.get(block)
        if drawn is None:
            rng = self._generator(block)
            count = int(rng.poisson(self.rate * self._block))
            instants = np.sort(block * self._block + self._block * rng.random(count))
            pairs = rng.integers(self._pairs, size=count)
            drawn = (instants, pairs)
            if len(self._drawn) > 2:  # blocks are visited in time order: keep the latest few
                self._drawn.pop(min(self._drawn))
            self._drawn[block] = drawn
        return drawn

    def _play(self, s: float, e: float) -> None:
        candidates = self._candidates(s)
        failing = self._failing(candidates, s) if candidates else {}
        size = self._block
        first, last = int(s // size), int(e // size)
        for block in range(first, last + 1):
            lo, hi = block * size, (block + 1) * size
            if hi <= s or lo >= e:
                continue
            if not failing and s <= lo and hi <= e:
                self.outcomes[_COMPLETED] += self._count(block)
                continue
            instants, pairs = self._calls(block)
            i, j = np.searchsorted(instants, (s, e)).tolist()
            if not failing:
                self.outcomes[_COMPLETED] += j - i
                continue
            self._record(instants[i:j], pairs[i:j], failing)

    def _record(self, instants: np.ndarray, pairs: np.ndarray,
                failing: dict[int, tuple[CallOutcome, dict[str, Any]]]) -> None:
        hit = np.isin(pairs, np.fromiter(failing, dtype=np.int64, count=len(failing)))
        self.outcomes[_COMPLETED] += int(len(pairs) - hit.sum())
        numbers, add, outcomes, width = self.numbers, self.ledger.add, self.outcomes, \
            len(self.origins)
        for t, pair in zip(instants[hit].tolist(), pairs[hit].tolist(), strict=True):
            outcome, record = failing[pair]
            outcomes[outcome] += 1
            # the ledger never changes a record's fields: the pair's one dict serves its calls
            add(t, _EVENT_OF[outcome], None, (numbers[pair // width],), None, record)

    # -- which pairs fail in an interval --------------------------------------------------
    def _candidates(self, s: float) -> list[int]:
        """Indices of the numbers whose calls may not complete in an interval from ``s``."""
        if self.down:
            return list(range(len(self.numbers)))
        recent = self._recent
        while recent and recent[0][0] + self._max_lag <= s:
            recent.popleft()
        index = self._index
        found = {index[n] for n in self.status if n in index}
        for _, changed in recent:
            found.update(changed)
        return sorted(found)

    def _failing(self, candidates: list[int], s: float
                 ) -> dict[int, tuple[CallOutcome, dict[str, Any]]]:
        """Pair (number index * origins + origin index) -> verdict, for every pair whose calls
        do not complete in an interval from ``s``."""
        truth, numbers, status, down = self._truth, self.numbers, self.status, self.down
        serving = truth.lookup_batch(self._ints[candidates]).tolist()
        copies: dict[str, list[int]] = {}
        out: dict[int, tuple[CallOutcome, dict[str, Any]]] = {}
        verdicts: dict[tuple[Any, ...], Verdict] = {}
        width = len(self.origins)
        for j, i in enumerate(candidates):
            number, holder = numbers[i], self._holders[i]
            state = status.get(number)
            for k, origin in enumerate(self.origins):
                decider = holder if self.onward else origin
                lagging = self.lag.get(decider, 0.0) > 0.0
                if lagging:
                    if decider not in copies:
                        copy = self._copy(decider, s)
                        copies[decider] = copy.lookup_batch(self._ints[candidates]).tolist()
                    seen = copies[decider][j]
                else:
                    seen = serving[j]
                key = (origin, holder, serving[j], seen, state, lagging)
                verdict = verdicts.get(key)
                if verdict is None:
                    route = right = truth.route(number, origin)
                    if lagging and seen != serving[j]:
                        route = self._copy(decider, s).route(number, origin)
                    verdict = verdicts[key] = self.verdict(right, route, decider, state, down,
                                                           origin)
                outcome, record = verdict
                if record is not None:
                    out[i * width + k] = (outcome, record)
        return out

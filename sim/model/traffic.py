"""Traffic: Poisson calls to the customers' numbers, each routed through the routing core.

A call is decided by the network that looks the number up: under onward routing the range
holder, under all-call query (direct) the originating carrier. That network holds a copy of
the porting database which lags the central one by its ``copy_lag_minutes``, so right after a
port (or a rollback) a lagging copy sends calls to a carrier that no longer serves the number.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Generator, Mapping
from enum import StrEnum
from typing import Any

import numpy as np
import simpy

from sim.model.ledger import Ledger
from sim.model.lifecycle import EventKind, NumberStatus
from sim.routing import RoutingCore, RoutingSnapshot
from sim.scenario import PortOrder, Scenario

__all__ = ["Switchboard", "CallOutcome", "OUTCOMES"]


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


class Switchboard:
    """Places the scenario's calls and counts their outcomes.

    It reads what it needs narrowly: the clock (``env``), the run's random generator, the
    routing core, each number's status and the set of carriers down (both changed in place
    by the model), and the ledger it records failed calls in.
    """

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
        self.rate = scenario.traffic.calls_per_number_per_hour * len(self.numbers) / 3600.0
        self.outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
        self._times: list[float] = [0.0]
        self._snapshots: list[RoutingSnapshot] = [routing.snapshot]

    def start(self) -> None:
        if self.rate > 0 and self.numbers:
            self.env.process(self._calls())

    def published(self, t: float, snapshot: RoutingSnapshot) -> None:
        """The central database changed at ``t``; lagging copies catch up later."""
        if any(self.lag.values()):
            self._times.append(t)
            self._snapshots.append(snapshot)

    def copy_lag(self, order: PortOrder) -> float:
        """Minutes until every copy that decides calls to ``order``'s numbers has the change."""
        if self.onward:
            holder = self.holder_of[order.numbers[0]]
            return self.lag[holder] / 60.0
        return max((self.lag[o] for o in self.origins), default=0.0) / 60.0

    def _copy(self, carrier: str, t: float) -> RoutingSnapshot:
        lag = self.lag.get(carrier, 0.0)
        if lag == 0.0:
            return self.routing.snapshot
        # before the first change a copy would have seen, it holds the run's first snapshot
        return self._snapshots[max(0, bisect_right(self._times, t - lag) - 1)]

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
        status = self.status.get(number)
        down = [c for c in route.path if c in self.down]
        if status in _UNREACHABLE:
            outcome, why = _LOST, f"number {status}"
        elif down:
            outcome, why = _FAILED, f"carrier {down[0]} is down"
        elif status == NumberStatus.INTERRUPTED:
            outcome, why = _FAILED, "service interrupted in the cutover window"
        elif route.carrier != truth.carrier:
            outcome, why = _MISROUTED, f"{decider}'s routing copy is behind"
        else:
            outcome, why = _COMPLETED, ""
        self.outcomes[outcome] += 1
        if outcome is not _COMPLETED:
            self.ledger.add(now, _EVENT_OF[outcome], None, (number,), None, {
                "origin": origin, "reached": route.carrier, "expected": truth.carrier,
                "reason": why})
        return outcome

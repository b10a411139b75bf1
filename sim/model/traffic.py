"""Traffic: Poisson calls to the customers' numbers, each routed through the routing core.

A call is decided by the network that looks the number up: under onward routing the range
holder, under all-call query (direct) the originating carrier. That network holds a copy of
the porting database which lags the central one by its ``copy_lag_minutes``, so right after a
port (or a rollback) a lagging copy sends calls to a carrier that no longer serves the number.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.routing import RoutingSnapshot
from sim.scenario import PortOrder

if TYPE_CHECKING:
    from sim.model.simulation import CutoverModel

__all__ = ["Switchboard", "OUTCOMES"]

OUTCOMES = ("completed", "failed", "misrouted", "lost")


class Switchboard:
    """Places the scenario's calls and counts their outcomes."""

    def __init__(self, model: CutoverModel):
        self.model = model
        scenario = model.scenario
        self.lag = {c.id: c.copy_lag_minutes * 60.0 for c in scenario.carriers}
        self.numbers = [n for c in scenario.customers for n in c.numbers]
        self.origins = list(scenario.traffic.origins or scenario.carrier_ids)
        self.rate = scenario.traffic.calls_per_number_per_hour * len(self.numbers) / 3600.0
        self.outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
        self._times: list[float] = [0.0]
        self._snapshots: list[RoutingSnapshot] = [model.routing.snapshot]

    def start(self) -> None:
        if self.rate > 0 and self.numbers:
            self.model.env.process(self._calls())

    def published(self, t: float, snapshot: RoutingSnapshot) -> None:
        """The central database changed at ``t``; lagging copies catch up later."""
        if any(self.lag.values()):
            self._times.append(t)
            self._snapshots.append(snapshot)

    def copy_lag(self, order: PortOrder) -> float:
        """Minutes until every copy that decides calls to ``order``'s numbers has the change."""
        if self.model.scenario.routing == "onward":
            holder = self.model.holder_of[order.numbers[0]]
            return self.lag[holder] / 60.0
        return max((self.lag[o] for o in self.origins), default=0.0) / 60.0

    def _copy(self, carrier: str, t: float) -> RoutingSnapshot:
        lag = self.lag.get(carrier, 0.0)
        if lag == 0.0:
            return self.model.routing.snapshot
        return self._snapshots[bisect_right(self._times, t - lag) - 1]

    def _calls(self) -> Generator[simpy.Event, Any, None]:
        env, rng = self.model.env, self.model.rng
        numbers, origins = self.numbers, self.origins
        mean_gap = 1.0 / self.rate
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            number = numbers[int(rng.integers(len(numbers)))]
            origin = origins[int(rng.integers(len(origins)))]
            self.place(number, origin)

    def place(self, number: str, origin: str) -> str:
        """Route one call at the current instant and record its outcome."""
        model = self.model
        now = model.env.now
        truth = model.routing.snapshot.route(number, origin)
        decider = truth.range_holder if model.scenario.routing == "onward" else origin
        route = truth if self.lag.get(decider, 0.0) == 0.0 else self._copy(decider, now).route(
            number, origin)
        status = model.status.get(number)
        down = [c for c in route.path if c in model.down]
        if status in ("lost", "quarantine"):
            outcome, why = "lost", f"number {status}"
        elif down:
            outcome, why = "failed", f"carrier {down[0]} is down"
        elif status == "interrupted":
            outcome, why = "failed", "service interrupted in the cutover window"
        elif route.carrier != truth.carrier:
            outcome, why = "misrouted", f"{decider}'s routing copy is behind"
        else:
            outcome, why = "completed", ""
        self.outcomes[outcome] += 1
        if outcome != "completed":
            model.ledger.add(now, f"call_{outcome}", None, (number,), None, {
                "origin": origin, "reached": route.carrier, "expected": truth.carrier,
                "reason": why})
        return outcome

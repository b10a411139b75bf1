"""One run of a scenario, kept: the routing state at every instant it has reached.

A command that needs several instants (``verify`` at three checkpoints, ``asterisk apply``
after ``up``) runs the model forward once, through them in order, instead of simulating from
the start for each. Every snapshot the run publishes is kept (they are immutable), so the
routing state at any instant up to the furthest one reached is a look-up, not a re-run.

>>> from sim.scenario import load_scenario
>>> replay = Replay(load_scenario("scenarios/uk_gnp_weekend.yaml"))
>>> replay.at(datetime(2026, 11, 28, 6, tzinfo=UTC)).serving_carrier("+441632960001")
'callagenix'
>>> replay.at(datetime(2026, 11, 27, 12, tzinfo=UTC)).serving_carrier("+441632960001")
'bt'
>>> replay.model_runs
1
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sim.model.simulation import CutoverModel
from sim.routing import RoutingSnapshot
from sim.scenario import Scenario

__all__ = ["Replay"]


class Replay:
    """A scenario's model run forward on demand; snapshots kept by the instant they appeared.

    The routing state *at* an instant is the one a run stopped there sees: every change
    published strictly before it (as ``simulate(until=instant)``).
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None):
        self.scenario = scenario
        self._model = CutoverModel(scenario, seed=seed)
        self.seed = self._model.seed
        self._times: list[float] = [float("-inf")]
        self._snapshots: list[RoutingSnapshot] = [self._model.routing.snapshot]
        self._model.on_publish.append(self._published)
        self.model_runs = 1

    def _published(self, t: float, snapshot: RoutingSnapshot) -> None:
        self._times.append(t)
        self._snapshots.append(snapshot)

    @property
    def reached(self) -> datetime:
        """The furthest instant the run has reached."""
        return self._model.wall(self._model.env.now)

    @property
    def publishes(self) -> list[datetime]:
        """When the run published a change of the routing state, in order, so far."""
        return [self._model.wall(t) for t in self._times[1:]]

    def run_to(self, instant: datetime) -> None:
        """Run the model on to ``instant`` (nothing to do if it is already there)."""
        self._model.run(instant)

    def at(self, instant: datetime) -> RoutingSnapshot:
        """The routing snapshot at ``instant``, running the model on to it if need be."""
        self.run_to(instant)
        t = self._model.sim_time(instant)
        return self._snapshots[bisect_left(self._times, t) - 1]

    def events(self, until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """The event records so far, those before ``until`` only if it is given."""
        if until is None:
            return self._model.ledger.records()
        end = self._model.sim_time(until.astimezone(UTC))
        return self._model.ledger.records(lambda row: row[0] < end)

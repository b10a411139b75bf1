"""The mutable state of one run: each order's progress, the numbers' status, the desks' figures.

The model's processes change it; the port checks, the switchboard and the summary read it.
None of them needs the model itself, only the part of this state it names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.lifecycle import NumberStatus, PortState
from sim.scenario import PortOrder

__all__ = ["PortRun", "DeskStats", "RunState", "StatusMap", "CarrierSet"]


@dataclass
class PortRun:
    """The mutable progress of one port order inside a run."""

    order: PortOrder
    state: PortState = PortState.REQUESTED
    attempt: int = 0
    accepted_at: float | None = None
    port_at: float | None = None
    no_return_at: float | None = None
    deadline_at: float | None = None
    active_at: float | None = None
    process: simpy.Process | None = None
    interruptions: list[float] = field(default_factory=list)
    #: A port without the subscriber's consent: when it was undone (None: not yet).
    remedied_at: float | None = None


@dataclass
class DeskStats:
    """How a carrier's porting desk coped: orders handled, time waited in its queue."""

    orders: int = 0
    waited: int = 0
    wait_seconds: float = 0.0
    max_wait_seconds: float = 0.0
    max_queue: int = 0

    def record(self, queue: int, wait: float) -> None:
        self.orders += 1
        if wait > 0:
            self.waited += 1
            self.wait_seconds += wait
            self.max_wait_seconds = max(self.max_wait_seconds, wait)
        self.max_queue = max(self.max_queue, queue)

    def summary(self) -> dict[str, float]:
        return {"orders": self.orders, "queued": self.waited, "max_queue": self.max_queue,
                "max_wait_hours": round(self.max_wait_seconds / 3600, 2),
                "mean_wait_hours": round(self.wait_seconds / 3600 / max(1, self.orders), 3)}


def _nothing() -> None:
    pass


class StatusMap(dict[str, NumberStatus]):
    """Number -> status; ``before_change()`` is called before every change (the switchboard
    plays the calls up to that instant in the status that held)."""

    before_change: Callable[[], None] = staticmethod(_nothing)

    def __setitem__(self, key: str, value: NumberStatus) -> None:
        self.before_change()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.before_change()
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
        self.before_change()
        return super().pop(key, *default)

    def update(self, *args: Any, **kwargs: NumberStatus) -> None:
        self.before_change()
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self.before_change()
        super().clear()


class CarrierSet(set[str]):
    """Carriers down; ``before_change()`` is called before every change, as for StatusMap."""

    before_change: Callable[[], None] = staticmethod(_nothing)

    def add(self, item: str) -> None:
        self.before_change()
        super().add(item)

    def discard(self, item: object) -> None:
        self.before_change()
        super().discard(item)

    def remove(self, item: str) -> None:
        self.before_change()
        super().remove(item)

    def update(self, *others: Iterable[str]) -> None:
        self.before_change()
        super().update(*others)

    def clear(self) -> None:
        self.before_change()
        super().clear()


class RunState:
    """Everything a run changes as it goes, apart from the routing core and the ledger.

    Plain containers, changed in place (the processes bind them locally on their hot paths):

    - ``runs``: port order id -> its :class:`PortRun`, in the scenario's order;
    - ``desk_stats``: carrier id -> its desk's :class:`DeskStats`;
    - ``status``: number -> why it does not answer (absent while it is in service);
    - ``in_flight``: number -> how many submitted orders on it are not finished;
    - ``quarantined``: numbers held in quarantine;
    - ``down``: carriers in an outage;
    - ``left``: customers who have ported away from their losing carrier's account (its
      minimum term is settled once).

    ``status`` and ``down`` tell their ``before_change`` before they change (the switchboard).
    """

    __slots__ = ("runs", "desk_stats", "status", "in_flight", "quarantined", "down", "left")

    def __init__(self, orders: Iterable[PortOrder], carriers: Iterable[str]):
        self.runs: dict[str, PortRun] = {o.id: PortRun(o) for o in orders}
        self.desk_stats: dict[str, DeskStats] = {c: DeskStats() for c in carriers}
        self.status: StatusMap = StatusMap()
        self.in_flight: Counter[str] = Counter()
        self.quarantined: set[str] = set()
        self.down: CarrierSet = CarrierSet()
        self.left: set[str] = set()

"""After a port's contract ends: quarantine, then the numbers go back to the range holder.

DOMAIN.md's ``ACTIVE --contract ends--> QUARANTINE --> RETURNED``. What it needs from its run
is the :class:`Quarantine` protocol (a clock, the regime, the ledger, the routing changes, the
numbers' status and range holders), which the model provides.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any, Protocol

import simpy

from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.regimes.base import Regime

__all__ = ["Quarantine", "contract_ends"]


class Quarantine(Protocol):
    """What the end of a contract reads and changes in its run (the model is one)."""

    state: RunState
    regime: Regime
    holder_of: dict[str, str]  # number -> its range holder

    def until(self, s: float) -> simpy.Timeout:
        """A timeout that ends at simulated second ``s``."""

    def sim_time(self, t: datetime) -> float:
        """Simulated seconds since the scenario's start for an aware datetime."""

    def emit(self, event: EventKind, run: PortRun | None, state: PortState | None = None,
             numbers: tuple[str, ...] | None = None, **extra: Any) -> None:
        """Record an event of ``run`` (moving it to ``state``, if given) in the ledger."""

    def publish(self, numbers: tuple[str, ...], carrier: str, note: str) -> simpy.Event:
        """Queue a change of serving carrier; the event fires once it is published."""


def contract_ends(window: Quarantine, run: PortRun, ended: datetime
                  ) -> Generator[simpy.Event, Any, None]:
    """At ``ended`` the order's numbers go into quarantine; when it is over they go back to
    their range holders (nobody answers them). A part of the order's SimPy process."""
    order = run.order
    yield window.until(window.sim_time(ended))
    window.emit(EventKind.QUARANTINE, run, PortState.QUARANTINE)
    quarantined, status = window.state.quarantined, window.state.status
    quarantined.update(order.numbers)
    for n in order.numbers:
        status[n] = NumberStatus.QUARANTINE
    yield window.until(window.sim_time(window.regime.quarantine_ends(ended)))
    by_holder: dict[str, list[str]] = {}
    for n in order.numbers:
        by_holder.setdefault(window.holder_of[n], []).append(n)
    for holder, numbers in by_holder.items():
        yield window.publish(tuple(numbers), holder, "return")
    quarantined.difference_update(order.numbers)
    for n in order.numbers:
        status[n] = NumberStatus.LOST  # back in the range holder's pool: nobody answers it
    window.emit(EventKind.RETURNED, run, PortState.RETURNED)

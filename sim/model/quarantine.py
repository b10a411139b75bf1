"""After a port's contract ends: quarantine, then the numbers go back to the range holder;
within the quarantine the former subscriber may reactivate them.

DOMAIN.md's ``ACTIVE --contract ends--> QUARANTINE --> RETURNED``; ANACOM: for 3 months after
the contract ends the former subscriber may reactivate the old number, back with the original
operator or by switching to another provider, and not once it is over (the regime's
``quarantine_ends``). Who may ask, and which numbers, the scenario reader holds
(:mod:`sim.scenario.reactivation`). What it needs from its run
is the :class:`Quarantine` protocol (a clock, the regime, the ledger, the routing changes, the
numbers' status and range holders), which the model provides.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any, Protocol

import simpy

from sim.model.ledger import Instant
from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.regimes.base import REJECTION_TEXT, Regime
from sim.scenario import PortOrder

__all__ = ["Quarantine", "contract_ends", "reactivate", "hold_for_port", "take_back"]


class Quarantine(Protocol):
    """What the end of a contract reads and changes in its run (the model is one)."""

    env: simpy.Environment
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
    left = tuple(n for n in order.numbers if n in quarantined)  # not reactivated meanwhile
    if not left:
        return  # the former subscriber took every number back: nothing goes back
    by_holder: dict[str, list[str]] = {}
    for n in left:
        by_holder.setdefault(window.holder_of[n], []).append(n)
    for holder, numbers in by_holder.items():
        yield window.publish(tuple(numbers), holder, "return")
    quarantined.difference_update(left)
    for n in left:
        status[n] = NumberStatus.LOST  # back in the range holder's pool: nobody answers it
    window.emit(EventKind.RETURNED, run, PortState.RETURNED, left)


def reactivate(window: Quarantine, run: PortRun, former: PortOrder
               ) -> Generator[simpy.Event, Any, bool]:
    """The former subscriber's reactivation ``run`` of ``former``'s numbers, at submission.

    Refused (REJECTED) once the quarantine is over, or when the numbers are not in it. Back
    with the operator that held them (losing == gaining): in service at once (REACTIVATED,
    ACTIVE), then the order's own contract end, if any. Returns whether the order goes on as
    a port to another provider (the model's ordinary process, the quarantine check aside).
    """
    order = run.order
    assert former.contract_end is not None  # the reader holds it
    over = window.regime.quarantine_ends(former.contract_end)
    reason = ("quarantine_over" if window.env.now >= window.sim_time(over)
              else None if all(n in window.state.quarantined for n in order.numbers)
              else "not_in_quarantine")
    if reason is not None:
        window.emit(EventKind.REJECTED, run, PortState.REJECTED, reason=reason,
                    detail=REJECTION_TEXT[reason], reasons=[reason],
                    quarantine_ends=Instant(over.timestamp()))
        return False
    if order.gaining != order.losing:
        return True
    take_back(window.state, order.numbers)
    run.active_at = window.env.now
    window.emit(EventKind.REACTIVATED, run, PortState.REACTIVATED, operator=order.gaining,
                quarantine_ends=Instant(over.timestamp()))
    if order.contract_end is not None:
        yield from contract_ends(window, run, order.contract_end)
    return False


def hold_for_port(window: Quarantine, run: PortRun) -> None:
    """A reactivation by switching to another provider, once validated: the numbers leave the
    quarantine (REACTIVATED) and stay silent until the port's switch-over."""
    take_back(window.state, run.order.numbers, in_service=False)
    window.emit(EventKind.REACTIVATED, run, None, operator=run.order.gaining,
                by_port_from=run.order.losing)


def take_back(state: RunState, numbers: tuple[str, ...], *, in_service: bool = True) -> None:
    """The numbers leave quarantine (they are not returned when it ends); ``in_service``: and
    answer again (a port to another provider keeps them silent until its switch-over)."""
    state.quarantined.difference_update(numbers)
    if in_service:
        for n in numbers:
            if state.status.get(n) is NumberStatus.QUARANTINE:
                del state.status[n]

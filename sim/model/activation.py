"""Activation of a port order in its cutover window: switch-over, failure, rollback, re-attempt.

From the committed port date the order is ACTIVATING and its numbers are out of service. Either
the switch-over is published and the gaining carrier takes the calls (ACTIVE, once the routing
copies that decide them have caught up), or it fails: the failure is detected, the change is
rolled back to the losing carrier (ROLLED_BACK) and the port is re-attempted on a later date.

What the activation needs from its run is the :class:`CutoverWindow` protocol (a clock, the
draws, the ledger, the routing changes, the numbers' status), which the model provides.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any, Protocol

import simpy

from sim.model.ledger import Instant
from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.model.traffic import CallByCall, Switchboard
from sim.regimes.timeline import Timeline
from sim.scenario import Fault

__all__ = ["activate", "commit_port_date", "remedy", "CutoverWindow", "SWITCH_MINUTES",
           "DETECT_MINUTES"]

#: Minutes the switch-over takes inside the window when no fault says otherwise.
SWITCH_MINUTES = (2.0, 15.0)
#: Minutes before a failed activation is detected and rolled back, when the fault is silent.
DETECT_MINUTES = 30.0
# Every activation names these members. Read off its enum class, a member costs about five
# global look-ups (Python 3.11), so the hot path's are bound here once: _E_ an event, _S_ a state.
_E_ACTIVATING, _E_ACTIVE, _E_INTERRUPTION = (EventKind.ACTIVATING, EventKind.ACTIVE,
                                             EventKind.INTERRUPTION)
_S_ACTIVATING, _S_ACTIVE = PortState.ACTIVATING, PortState.ACTIVE
_INTERRUPTED = NumberStatus.INTERRUPTED


class CutoverWindow(Protocol):
    """What an activation reads and changes in its run (the model is one)."""

    env: simpy.Environment
    epoch: float  # POSIX seconds at simulated second 0
    timeline: Timeline
    state: RunState
    switchboard: Switchboard | CallByCall

    def until(self, s: float) -> simpy.Timeout:
        """A timeout that ends at simulated second ``s``."""

    def uniform(self, low: float, high: float) -> float:
        """A draw from the run's generator, uniform in [low, high)."""

    def happens(self, fault: Fault) -> bool:
        """Whether a fault happens (a probable one drawn from the run's generator)."""

    def emit(self, event: EventKind, run: PortRun | None, state: PortState | None = None,
             numbers: tuple[str, ...] | None = None, **extra: Any) -> None:
        """Record an event of ``run`` (moving it to ``state``, if given) in the ledger."""

    def publish(self, numbers: tuple[str, ...], carrier: str, note: str) -> simpy.Event:
        """Queue a change of serving carrier; the event fires once it is published."""


def activate(window: CutoverWindow, run: PortRun) -> Generator[simpy.Event, Any, None]:
    """Activate an accepted order at ``run.port_at``, rolling back and re-attempting on failure.

    A part of the order's SimPy process (the model's ``yield from activate(self, run)``) that
    returns once the order is ACTIVE; an order whose every attempt fails never returns.
    """
    status = window.state.status
    order = run.order
    env = window.env
    while True:
        run.attempt += 1
        port_at = run.port_at
        if port_at is None:
            raise ValueError(f"port order {order.id!r} is activated before it has a port date")
        yield window.until(port_at)
        window_start = env.now
        window.emit(_E_ACTIVATING, run, _S_ACTIVATING, attempt=run.attempt)
        _interrupt(status, order.numbers, True)
        switch = failure = None
        if order.faults:  # most orders have none: skip the searches
            switch = next((f.minutes for f in order.faults_of("interruption")
                           if f.attempt == run.attempt and window.happens(f)), None)
            failure = next((f for f in order.faults_of("activation_failure")
                            if f.attempt == run.attempt and window.happens(f)), None)
        if switch is None:
            switch = window.uniform(*SWITCH_MINUTES)
        if failure is None:
            yield env.timeout(switch * 60.0)
            yield window.publish(order.numbers, order.gaining, "activation")
            _interrupt(status, order.numbers, False)
            _interruption(window, run, window_start, "cutover")
            lag = window.switchboard.copy_lag(order)
            if lag:
                yield env.timeout(lag * 60.0)
            run.active_at = env.now
            deadline = run.deadline_at  # None: no deadline, never late (not late since epoch 0)
            late = 0 if deadline is None else _days_late(window.epoch, deadline, env.now)
            window.emit(_E_ACTIVE, run, _S_ACTIVE, attempt=run.attempt, days_late=late)
            return
        # the routing copies are updated, but the gaining side does not take the calls
        yield env.timeout(switch * 60.0)
        yield window.publish(order.numbers, order.gaining, "activation")
        detect = DETECT_MINUTES if failure.minutes is None else failure.minutes  # 0 is 0
        yield env.timeout(detect * 60.0)
        window.emit(EventKind.ACTIVATION_FAILED, run, PortState.ACTIVATING, attempt=run.attempt,
                    fault=failure.reason or "gaining carrier did not terminate calls")
        yield window.publish(order.numbers, order.losing, "rollback")
        _interrupt(status, order.numbers, False)
        _interruption(window, run, window_start, "failed activation")
        window.emit(EventKind.ROLLED_BACK, run, PortState.ROLLED_BACK, attempt=run.attempt)
        # the first slot once the re-attempt delay is over, never one already gone (0 days:
        # the next slot after the rollback)
        again = max(env.now, window_start + order.reattempt_days * 86400.0)
        retry = window.timeline.schedule_port(round(window.epoch + again))
        run.port_at = retry - window.epoch
        window.emit(EventKind.REATTEMPT_SCHEDULED, run, PortState.ACCEPTED,
                    port_date=Instant(retry))


def remedy(window: CutoverWindow, run: PortRun, fault: Fault
           ) -> Generator[simpy.Event, Any, None]:
    """A port without the subscriber's consent (ANACOM FAQ 14): from the activation the
    fault's numbers (default: the order's) are unduly ported; at the fault's ``at`` (at once
    if that is past; never without one) they are ported back to the losing carrier.

    Call it once the order is ACTIVE; ``run.remedied_at`` is set when it is undone.
    """
    order = run.order
    numbers = (fault.number,) if fault.number else order.numbers
    window.emit(EventKind.PORTED_WITHOUT_CONSENT, run, None, numbers,
                losing=order.losing, gaining=order.gaining)
    if fault.at is None:
        return
    yield window.until(fault.at.timestamp() - window.epoch)
    yield window.publish(numbers, order.losing, "remedy")
    run.remedied_at = window.env.now
    whole = numbers == order.numbers
    minutes = (window.env.now - (run.active_at or window.env.now)) / 60.0
    window.emit(EventKind.REMEDIED, run, PortState.REMEDIED if whole else None, numbers,
                carrier=order.losing, minutes_unduly_ported=round(minutes, 3))


def commit_port_date(window: CutoverWindow, run: PortRun, accepted: float, deadline: float,
                     requested: datetime | None, *, lead: int) -> float:
    """The committed port date (POSIX) of an order accepted at ``accepted`` whose earliest port
    date is ``deadline`` (``lead`` working days on): :meth:`Timeline.port_date`, and an event
    saying why when a requested date before the earliest port date is moved (UK)."""
    port, moved = window.timeline.port_date(accepted, deadline, requested)
    if moved:
        window.emit(EventKind.PORT_DATE_MOVED, run, None, requested_date=requested,
                    earliest_port_date=Instant(deadline), port_date=Instant(port),
                    lead_time_working_days=lead,
                    reason=(f"the requested date is before the earliest port date: the minimum "
                            f"lead time is {lead} working days from the order, and a port "
                            f"cannot be expedited"))
    return port


def _days_late(epoch: float, deadline: float, done: float) -> int:
    # regime.days_late on the two instants as written (whole seconds), without datetimes
    late = round(epoch + done) - round(epoch + deadline)
    return max(0, late // 86400)


def _interrupt(status: dict[str, NumberStatus], numbers: tuple[str, ...], on: bool) -> None:
    for n in numbers:
        if on:
            status[n] = _INTERRUPTED
        elif status.get(n) is _INTERRUPTED:
            del status[n]


def _interruption(window: CutoverWindow, run: PortRun, start: float, cause: str) -> None:
    now = window.env.now
    minutes = (now - start) / 60.0
    run.interruptions.append(minutes)
    epoch = window.epoch
    window.emit(_E_INTERRUPTION, run, None, start=Instant(round(epoch + start)),
               end=Instant(round(epoch + now)), minutes=round(minutes, 3), cause=cause)

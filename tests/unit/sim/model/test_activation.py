"""sim.model.activation: ``activate`` driven through a minimal cutover window, no model.

The window below is the :class:`CutoverWindow` protocol and nothing more: a SimPy clock, a
switch-over that always draws the middle of ``SWITCH_MINUTES``, routing changes published at
once, and an ``emit`` that logs ``(event, state)`` as SimPy's tests log theirs. Under the UK
regime the order ports at Saturday 2026-11-28 00:00 UTC; a re-attempt is a week later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import simpy

from sim.model.activation import DETECT_MINUTES, SWITCH_MINUTES, activate, remedy
from sim.model.ledger import Instant
from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.regimes import get_regime
from sim.regimes.timeline import Timeline
from sim.scenario import Fault, PortOrder, Request

START = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
EPOCH = START.timestamp()
MINUTE, DAY = 60.0, 86400.0
PORT_AT = 5 * DAY  # Saturday 2026-11-28 00:00
NUMBERS = ("+441632960001", "+441632960002")
SWITCH = sum(SWITCH_MINUTES) / 2  # the window's draw: 8.5 minutes


class Window:
    """The least a run can be and still activate an order."""

    def __init__(self, *orders: PortOrder, copy_lag: float = 0.0):
        self.env = simpy.Environment()
        self.epoch = EPOCH
        self.timeline = Timeline(get_regime("uk"))
        self.state = RunState(orders, ("bt", "callagenix"))
        self.switchboard = self  # copy_lag is all the activation asks of it
        self.lag = copy_lag
        self.log: list[tuple[str, str | None]] = []
        self.extra: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.published: list[tuple[float, str, str, dict[str, NumberStatus]]] = []
        self.draws: list[str] = []

    def copy_lag(self, order: PortOrder) -> float:
        return self.lag

    def until(self, s: float) -> simpy.Timeout:
        return self.env.timeout(max(0.0, s - self.env.now))

    def uniform(self, low: float, high: float) -> float:
        return (low + high) / 2

    def happens(self, fault: Fault) -> bool:
        # a probable fault happens when its probability is at least a half: a fixed "draw"
        self.draws.append(fault.kind)
        return fault.probability is None or fault.probability >= 0.5

    def emit(self, event: EventKind, run: PortRun | None, state: PortState | None = None,
             numbers: tuple[str, ...] | None = None, **extra: Any) -> None:
        if run is not None and state is not None:
            run.state = state
        self.log.append((event, state))
        self.extra.append(extra)
        self.times.append(self.env.now)

    def publish(self, numbers: tuple[str, ...], carrier: str, note: str) -> simpy.Event:
        # what the numbers' status was while the change went out
        self.published.append((self.env.now, carrier, note, dict(self.state.status)))
        return self.env.timeout(0)

    def start(self, order: PortOrder, *, deadline_at: float | None = None) -> PortRun:
        run = self.state.runs[order.id]
        run.state, run.port_at, run.deadline_at = PortState.ACCEPTED, PORT_AT, deadline_at
        self.env.process(activate(self, run))
        return run

    def event(self, kind: EventKind) -> dict[str, Any]:
        """The extra fields of the one ``kind`` event in the log."""
        (extra,) = [x for (e, _), x in zip(self.log, self.extra, strict=True) if e == kind]
        return extra


def order(*faults: Fault) -> PortOrder:
    return PortOrder(id="p", customer="acme", numbers=NUMBERS, losing="bt", gaining="callagenix",
                     submitted=START, request=Request(account="A", name="Acme", address="X"),
                     faults=faults)


def at(t: float) -> Instant:
    return Instant(EPOCH + t)


INTERRUPTED = {n: NumberStatus.INTERRUPTED for n in NUMBERS}


def test_a_clean_activation() -> None:
    window = Window(order())
    run = window.start(order(), deadline_at=PORT_AT + DAY)
    window.env.run()
    assert window.log == [
        (EventKind.ACTIVATING, PortState.ACTIVATING),
        (EventKind.INTERRUPTION, None),
        (EventKind.ACTIVE, PortState.ACTIVE),
    ]
    end = PORT_AT + SWITCH * MINUTE
    assert window.times == [PORT_AT, end, end]
    assert window.published == [(end, "callagenix", "activation", INTERRUPTED)]
    assert window.event(EventKind.INTERRUPTION) == {
        "start": at(PORT_AT), "end": at(end), "minutes": SWITCH, "cause": "cutover"}
    assert window.event(EventKind.ACTIVE) == {"attempt": 1, "days_late": 0}
    assert (run.state, run.attempt, run.active_at, run.interruptions) == (
        PortState.ACTIVE, 1, end, [SWITCH])
    assert window.state.status == {}


def test_active_waits_for_the_deciding_copies_and_counts_days_late() -> None:
    window = Window(order(), copy_lag=10.0)
    # the deadline was a day (less the switch-over) before the port
    run = window.start(order(), deadline_at=PORT_AT - DAY + 60.0)
    window.env.run()
    switched = PORT_AT + SWITCH * MINUTE
    # out of service only until the switch-over; ACTIVE once the copies have it
    assert window.times == [PORT_AT, switched, switched + 10 * MINUTE]
    assert window.event(EventKind.INTERRUPTION)["minutes"] == SWITCH
    assert run.active_at == switched + 10 * MINUTE
    assert window.event(EventKind.ACTIVE) == {"attempt": 1, "days_late": 1}


def test_an_activation_failure_rolls_back_and_is_re_attempted_a_week_later() -> None:
    failing = order(Fault("activation_failure", attempt=1, minutes=45.0,
                          reason="gaining switch rejected the numbers"))
    window = Window(failing)
    run = window.start(failing)
    window.env.run()
    assert window.log == [
        (EventKind.ACTIVATING, PortState.ACTIVATING),
        (EventKind.ACTIVATION_FAILED, PortState.ACTIVATING),
        (EventKind.INTERRUPTION, None),
        (EventKind.ROLLED_BACK, PortState.ROLLED_BACK),
        (EventKind.REATTEMPT_SCHEDULED, PortState.ACCEPTED),
        # the second attempt succeeds
        (EventKind.ACTIVATING, PortState.ACTIVATING),
        (EventKind.INTERRUPTION, None),
        (EventKind.ACTIVE, PortState.ACTIVE),
    ]
    switched, detected = PORT_AT + SWITCH * MINUTE, PORT_AT + (SWITCH + 45.0) * MINUTE
    retry = PORT_AT + 7 * DAY  # Saturday 2026-12-05 00:00, the next Saturday slot
    assert window.times == [PORT_AT, detected, detected, detected, detected,
                            retry, retry + SWITCH * MINUTE, retry + SWITCH * MINUTE]
    # the change goes out to the gaining carrier, then back to the losing one
    assert [(t, c, note) for t, c, note, _ in window.published] == [
        (switched, "callagenix", "activation"), (detected, "bt", "rollback"),
        (retry + SWITCH * MINUTE, "callagenix", "activation")]
    assert window.event(EventKind.ACTIVATION_FAILED) == {
        "attempt": 1, "fault": "gaining switch rejected the numbers"}
    assert window.event(EventKind.REATTEMPT_SCHEDULED) == {"port_date": at(retry)}
    assert window.extra[2] == {"start": at(PORT_AT), "end": at(detected),
                               "minutes": SWITCH + 45.0, "cause": "failed activation"}
    assert (run.attempt, run.port_at, run.interruptions) == (2, retry, [SWITCH + 45.0, SWITCH])
    assert window.state.status == {}


def test_a_silent_activation_failure_is_detected_after_the_default_minutes() -> None:
    failing = order(Fault("activation_failure", attempt=1))
    window = Window(failing)
    window.start(failing)
    window.env.run(until=PORT_AT + DAY)
    assert window.log[1] == (EventKind.ACTIVATION_FAILED, PortState.ACTIVATING)
    assert window.times[1] == PORT_AT + (SWITCH + DETECT_MINUTES) * MINUTE
    assert window.extra[1]["fault"] == "gaining carrier did not terminate calls"


def test_an_order_whose_every_attempt_fails_keeps_rolling_back() -> None:
    failing = order(*[Fault("activation_failure", attempt=n) for n in (1, 2, 3)])
    window = Window(failing)
    run = window.start(failing)
    window.env.run(until=PORT_AT + 15 * DAY)  # three Saturdays
    assert window.log.count((EventKind.ROLLED_BACK, PortState.ROLLED_BACK)) == 3
    assert EventKind.ACTIVE not in [e for e, _ in window.log]
    # the count moves on as soon as a re-attempt is scheduled, before its window opens
    assert (run.state, run.attempt, run.port_at) == (PortState.ACCEPTED, 4, PORT_AT + 21 * DAY)


@pytest.mark.parametrize(("faults", "minutes"), [
    # an interruption fault on this attempt sets the switch-over's length
    ((Fault("interruption", attempt=1, minutes=200.0),), 200.0),
    # one on another attempt does not
    ((Fault("interruption", attempt=2, minutes=200.0),), SWITCH),
    # no faults: the draw
    ((), SWITCH),
])
def test_the_interruption_lasts_the_faults_minutes(faults: tuple[Fault, ...],
                                                   minutes: float) -> None:
    window = Window(order(*faults))
    run = window.start(order(*faults))
    window.env.run()
    assert window.log == [(EventKind.ACTIVATING, PortState.ACTIVATING),
                          (EventKind.INTERRUPTION, None), (EventKind.ACTIVE, PortState.ACTIVE)]
    assert window.event(EventKind.INTERRUPTION)["minutes"] == minutes
    assert run.interruptions == [minutes]
    assert run.active_at == PORT_AT + minutes * MINUTE


def test_the_numbers_are_interrupted_inside_the_window_only() -> None:
    faulty = order(Fault("interruption", attempt=1, minutes=200.0))
    window = Window(faulty)
    window.state.status["+441632960099"] = NumberStatus.LOST  # another number: left alone
    window.start(faulty)
    window.env.run(until=PORT_AT - 1)
    assert window.state.status == {"+441632960099": NumberStatus.LOST}
    window.env.run(until=PORT_AT + 100 * MINUTE)
    assert window.state.status == {**INTERRUPTED, "+441632960099": NumberStatus.LOST}
    window.env.run()
    assert window.state.status == {"+441632960099": NumberStatus.LOST}


def test_a_failure_detected_after_zero_minutes_is_detected_at_once() -> None:
    # minutes: 0 is 0, not the default DETECT_MINUTES (an `x or default` made it 30)
    failing = order(Fault("activation_failure", attempt=1, minutes=0.0))
    window = Window(failing)
    window.start(failing)
    window.env.run(until=PORT_AT + DAY)
    assert window.log[1] == (EventKind.ACTIVATION_FAILED, PortState.ACTIVATING)
    assert window.times[1] == PORT_AT + SWITCH * MINUTE


def test_zero_reattempt_days_take_the_next_slot_after_the_rollback() -> None:
    # reattempt_days: 0 is the first slot after the rollback (the next Saturday 00:00 in the
    # UK), not the default 7 days, and never the slot of the window that just failed
    failing = replace(order(Fault("activation_failure", attempt=1, minutes=45.0)),
                      reattempt_days=0)
    window = Window(failing)
    window.start(failing)
    window.env.run(until=PORT_AT + DAY)
    assert window.event(EventKind.REATTEMPT_SCHEDULED) == {"port_date": at(PORT_AT + 7 * DAY)}


def test_a_port_without_consent_is_remedied_back_to_the_losing_carrier() -> None:
    # ANACOM FAQ 14: the order ported NUMBERS[1], which nobody asked for; undone a week later
    fault = Fault(kind="no_consent", number=NUMBERS[1], at=START.replace(day=30))
    o = order(fault)
    window = Window(o)
    run = window.state.runs[o.id]
    run.state, run.active_at = PortState.ACTIVE, PORT_AT
    window.env.run(until=PORT_AT)
    window.env.process(remedy(window, run, fault))
    window.env.run()
    assert window.log == [(EventKind.PORTED_WITHOUT_CONSENT, None), (EventKind.REMEDIED, None)]
    # only that number goes back, to the losing carrier, at the remedy's instant
    assert [(t, carrier, note) for t, carrier, note, _ in window.published] == [
        (7 * DAY, "bt", "remedy")]
    assert run.remedied_at == 7 * DAY and run.state == PortState.ACTIVE
    assert window.event(EventKind.REMEDIED)["minutes_unduly_ported"] == 2 * 1440.0


def test_a_port_without_consent_of_the_whole_order_and_no_remedy_yet() -> None:
    fault = Fault(kind="no_consent")
    o = order(fault)
    window = Window(o)
    run = window.state.runs[o.id]
    run.state, run.active_at = PortState.ACTIVE, PORT_AT
    window.env.process(remedy(window, run, fault))
    window.env.run()
    # no remedy given: still unduly ported at the horizon (compensation runs on)
    assert window.log == [(EventKind.PORTED_WITHOUT_CONSENT, None)]
    assert window.published == [] and run.remedied_at is None


def test_a_remedy_of_the_whole_order_leaves_it_remedied() -> None:
    fault = Fault(kind="no_consent", at=START.replace(day=29))
    o = order(fault)
    window = Window(o)
    run = window.state.runs[o.id]
    run.state, run.active_at = PortState.ACTIVE, PORT_AT
    window.env.run(until=PORT_AT)
    window.env.process(remedy(window, run, fault))
    window.env.run()
    assert window.log[-1] == (EventKind.REMEDIED, PortState.REMEDIED)

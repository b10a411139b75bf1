"""sim.model.quarantine: the contract's end, the return, and the former subscriber's
reactivation, driven through a minimal window (no model, no traffic), under the PT regime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import simpy

from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.quarantine import contract_ends, hold_for_port, reactivate
from sim.model.run_state import PortRun, RunState
from sim.regimes import get_regime
from sim.scenario import PortOrder, Request

START = datetime(2026, 11, 2, tzinfo=UTC)
ENDED = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)  # quarantine until 2027-02-28 23:59
N = "+351912345678"


class Window:
    def __init__(self, *orders: PortOrder):
        self.env = simpy.Environment()
        self.state = RunState(orders, ("meo", "nos", "vodafone_pt"))
        self.regime = get_regime("pt")
        self.holder_of = {N: "vodafone_pt"}
        self.log: list[tuple[str, Any, str | None, dict[str, Any]]] = []
        self.published: list[tuple[tuple[str, ...], str]] = []

    def until(self, s: float) -> simpy.Timeout:
        return self.env.timeout(max(0.0, s - self.env.now))

    def sim_time(self, t: datetime) -> float:
        return t.timestamp() - START.timestamp()

    def emit(self, event: EventKind, run: PortRun | None, state: PortState | None = None,
             numbers: tuple[str, ...] | None = None, **extra: Any) -> None:
        if run is not None and state is not None:
            run.state = state
        self.log.append((event, state, run.order.id if run else None, extra))

    def publish(self, numbers: tuple[str, ...], carrier: str, note: str) -> simpy.Event:
        self.published.append((numbers, carrier))
        return self.env.timeout(0)


def order(oid: str, losing: str, gaining: str, submitted: datetime, **more: Any) -> PortOrder:
    return PortOrder(id=oid, customer="ana", numbers=(N,), losing=losing, gaining=gaining,
                     submitted=submitted, request=Request(account="", name="Ana", address=""),
                     **more)


FORMER = order("ana-to-nos", "vodafone_pt", "nos", START, contract_end=ENDED)


def run_to(window: Window, at: datetime, *reactivations: PortOrder) -> list[bool]:
    """Play the former order's contract end and each reactivation at its submission."""
    outcomes: list[bool] = []

    def ask(o: PortOrder):  # type: ignore[no-untyped-def]
        yield window.until(window.sim_time(o.submitted))
        outcomes.append((yield from reactivate(window, window.state.runs[o.id], FORMER)))

    window.env.process(contract_ends(window, window.state.runs[FORMER.id], ENDED))
    for o in reactivations:
        window.env.process(ask(o))
    window.env.run(until=window.sim_time(at))
    return outcomes


def test_without_a_reactivation_the_number_goes_back_when_the_quarantine_ends() -> None:
    w = Window(FORMER)
    run_to(w, datetime(2027, 3, 1, tzinfo=UTC))
    assert [(e, s) for e, s, _, _ in w.log] == [(EventKind.QUARANTINE, PortState.QUARANTINE),
                                                (EventKind.RETURNED, PortState.RETURNED)]
    assert w.published == [((N,), "vodafone_pt")] and w.state.status == {N: NumberStatus.LOST}


def test_back_with_the_original_operator_inside_the_quarantine() -> None:
    back = order("back", "nos", "nos", datetime(2027, 1, 15, 10, tzinfo=UTC), reactivates=FORMER.id)
    w = Window(FORMER, back)
    assert run_to(w, datetime(2027, 3, 1, tzinfo=UTC), back) == [False]  # done, no port
    assert [(e, s, o) for e, s, o, _ in w.log] == [
        (EventKind.QUARANTINE, PortState.QUARANTINE, "ana-to-nos"),
        (EventKind.REACTIVATED, PortState.REACTIVATED, "back")]  # and never returned
    assert w.published == [] and w.state.status == {} and not w.state.quarantined


def test_by_switching_provider_the_order_goes_on_as_a_port() -> None:
    switch = order("switch", "nos", "meo", datetime(2027, 1, 20, 10, tzinfo=UTC),
                   reactivates=FORMER.id)
    w = Window(FORMER, switch)
    assert run_to(w, datetime(2027, 1, 21, tzinfo=UTC), switch) == [True]
    hold_for_port(w, w.state.runs["switch"])  # once validated: out of quarantine, still silent
    assert not w.state.quarantined and w.state.status == {N: NumberStatus.QUARANTINE}
    w.env.run(until=w.sim_time(datetime(2027, 3, 1, tzinfo=UTC)))
    assert w.published == []  # not returned to the range holder


def test_the_former_subscriber_is_refused_once_the_quarantine_is_over() -> None:
    late = order("late", "nos", "nos", datetime(2027, 3, 5, 10, tzinfo=UTC), reactivates=FORMER.id)
    w = Window(FORMER, late)
    assert run_to(w, datetime(2027, 3, 6, tzinfo=UTC), late) == [False]
    event, state, oid, extra = w.log[-1]
    assert (event, state, oid, extra["reason"]) == (EventKind.REJECTED, PortState.REJECTED,
                                                    "late", "quarantine_over")
    assert extra["quarantine_ends"] == datetime(2027, 2, 28, 23, 59, tzinfo=UTC).timestamp()

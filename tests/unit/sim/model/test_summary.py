"""sim.model.summary: ``summarise`` of a hand-built run state and ledger, no simulation.

Orders, their progress and the ledger are set by hand, so each figure of the summary can be
worked out from what the test says (the PT regime: a 3-hour window, 2.5 EUR per number per full
day late, 20 EUR per number per started day of an interruption past the window).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sim.model.ledger import Ledger
from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.run_state import RunState
from sim.model.summary import summarise
from sim.regimes import get_regime
from sim.regimes.costs import COST_KINDS
from sim.scenario import Carrier, Fault, PortOrder, Request, Scenario

START = datetime(2026, 12, 1, tzinfo=UTC)  # a Tuesday
EPOCH = START.timestamp()
HOUR, DAY = 3600.0, 86400.0
PT = get_regime("pt")
CARRIERS = ("meo", "nos", "vodafone")


def order(id: str, *numbers: str, submitted: float = 0.0) -> PortOrder:
    """An order from nos to meo submitted ``submitted`` seconds after the start."""
    return PortOrder(id=id, customer="c", numbers=numbers, losing="nos", gaining="meo",
                     submitted=START + timedelta(seconds=submitted),
                     request=Request(account="A", name="N", address="X"))


def scenario(*orders: PortOrder) -> Scenario:
    return Scenario(name="hand-built", regime="pt", country="PT", seed=7, start=START,
                    horizon=START + timedelta(days=30), routing="direct",
                    carriers=tuple(Carrier(id=c, name=c, routing_number="") for c in CARRIERS),
                    interconnects=(), ranges=(), customers=(), port_orders=orders)


def state_of(*runs: tuple[PortOrder, dict[str, Any]]) -> RunState:
    """A run state whose orders' progress is set from each (order, fields of its PortRun)."""
    state = RunState([o for o, _ in runs], CARRIERS)
    for o, fields in runs:
        for name, value in fields.items():
            setattr(state.runs[o.id], name, value)
    return state


def summary(state: RunState, ledger: Ledger | None = None, *, now: float,
            calls: dict[str, int] | None = None) -> dict[str, Any]:
    orders = tuple(r.order for r in state.runs.values())
    return summarise(state, ledger or Ledger(EPOCH), scenario=scenario(*orders), seed=7,
                     regime=PT, now=now, calls=calls or {}, routing_version=4)


def test_a_whole_summary() -> None:
    late = order("late", "+351210000001", "+351210000002")
    long_cut = order("long-cut", "+351210000003")
    waiting = order("waiting", "+351210000004")
    refused = order("refused", "+351210000005")
    future = order("future", "+351210000006", submitted=10 * DAY)
    state = state_of(
        # ported 2 full days (and an hour) after its deadline, cut over twice
        (late, {"state": PortState.ACTIVE, "deadline_at": DAY, "active_at": 3 * DAY + HOUR,
                "interruptions": [10.0, 5.5]}),
        # ported in time, but its 200-minute interruption ran 20 minutes past the window
        (long_cut, {"state": PortState.QUARANTINE, "deadline_at": DAY, "active_at": HOUR,
                    "interruptions": [200.0]}),
        # still waiting at now, a day and a half after its deadline
        (waiting, {"state": PortState.ACCEPTED, "deadline_at": 2 * DAY}),
        # rejected: its deadline no longer counts
        (refused, {"state": PortState.REJECTED, "deadline_at": DAY}),
        # not submitted yet at now
        (future, {}),
    )
    state.status["+351210000009"] = NumberStatus.LOST
    state.status["+351210000004"] = NumberStatus.INTERRUPTED
    state.desk_stats["nos"].record(queue=2, wait=1800.0)
    ledger = Ledger(EPOCH)
    ledger.add(0.0, EventKind.ACCEPTED, "late", (), PortState.ACCEPTED, {"late_answer": True})
    ledger.add(0.0, EventKind.ACCEPTED, "waiting", (), PortState.ACCEPTED, {"late_answer": False})
    ledger.add(0.0, EventKind.REJECTED, "refused", (), PortState.REJECTED, {"reason": "pvc"})
    ledger.add(0.0, EventKind.ROLLED_BACK, "late", (), PortState.ROLLED_BACK)
    now = 3.5 * DAY
    assert summary(state, ledger, now=now, calls={"completed": 5, "failed": 2}) == {
        "scenario": "hand-built",
        "regime": "pt",
        "routing": "direct",
        "seed": 7,
        "until": "2026-12-04T12:00:00+00:00",
        "ports": {"accepted": 1, "active": 1, "not_submitted": 1, "quarantine": 1,
                  "rejected": 1},
        "numbers_ported": 3,
        "numbers_migrated": 0,
        "numbers_lost": 1,
        "downtime_minutes": {"total": 231.0, "per_number": {
            "+351210000001": 15.5, "+351210000002": 15.5, "+351210000003": 200.0}},
        "calls": {"offered": 7, "completed": 5, "failed": 2},
        "rollbacks": 1,
        "rejections": {"pvc": 1},
        "deadline_breaches": 2,
        "late_answers": 1,
        # late: 2 numbers x 2 days x 2.5; long-cut: 1 number x 1 started day x 20;
        # waiting: 1 number x 1 full day so far x 2.5
        "compensation_eur": 32.5,
        "compensation_by_port": {"late": 10.0, "long-cut": 20.0, "waiting": 2.5},
        # the same compensation by kind, in the regime's currency; nothing in the others
        "costs": {
            "EUR": {"porting_fees": 0.0, "reconnection": 0.0, "early_termination": 0.0,
                    "compensation_delay": 12.5, "compensation_interruption": 20.0,
                    "compensation_no_consent": 0.0, "total": 32.5},
            "GBP": {**dict.fromkeys(COST_KINDS, 0.0), "total": 0.0},
            "USD": {**dict.fromkeys(COST_KINDS, 0.0), "total": 0.0},
        },
        "temporary_numbers": {"released": {}, "kept": []},
        "dsl_lost": [],
        "routing_version": 4,
        "desks": {"nos": {"orders": 1, "queued": 1, "max_queue": 2, "max_wait_hours": 0.5,
                          "mean_wait_hours": 0.5}},
    }


@pytest.mark.parametrize(("submitted", "now", "counted_as"), [
    # submitted at the very instant: counted in its state
    (HOUR, HOUR, "requested"),
    # a second before it is submitted
    (HOUR, HOUR - 1, "not_submitted"),
    # long submitted
    (0.0, DAY, "requested"),
])
def test_an_order_counts_once_it_is_submitted(submitted: float, now: float,
                                              counted_as: str) -> None:
    state = state_of((order("p", "+351210000001", submitted=submitted), {}))
    assert summary(state, now=now)["ports"] == {counted_as: 1}


def test_orders_are_counted_per_state() -> None:
    states = [PortState.ACTIVE, PortState.ACTIVE, PortState.DENIED, PortState.ROLLED_BACK,
              PortState.RETURNED, PortState.LOST]
    state = state_of(*[(order(f"p{i}", f"+35121000000{i}"), {"state": s})
                       for i, s in enumerate(states)])
    result = summary(state, now=DAY)
    assert result["ports"] == {"active": 2, "denied": 1, "lost": 1, "returned": 1,
                               "rolled_back": 1}
    # active and returned orders ported their numbers; the others did not
    assert result["numbers_ported"] == 3


@pytest.mark.parametrize(("fields", "now", "breached", "days_late"), [
    # done exactly at the deadline: on time
    ({"state": PortState.ACTIVE, "deadline_at": DAY, "active_at": DAY}, 5 * DAY, False, 0),
    # a second late: a breach, but not a full day late
    ({"state": PortState.ACTIVE, "deadline_at": DAY, "active_at": DAY + 1}, 5 * DAY, True, 0),
    # three full days late
    ({"state": PortState.ACTIVE, "deadline_at": DAY, "active_at": 4 * DAY}, 5 * DAY, True, 3),
    # not done, the deadline still ahead
    ({"state": PortState.ACCEPTED, "deadline_at": 2 * DAY}, DAY, False, 0),
    # not done, the deadline passed: late until now
    ({"state": PortState.ACCEPTED, "deadline_at": DAY}, 3 * DAY, True, 2),
    # a denied order is settled: no breach, nothing owed
    ({"state": PortState.DENIED, "deadline_at": DAY}, 5 * DAY, False, 0),
    # a lost one too
    ({"state": PortState.LOST, "deadline_at": DAY}, 5 * DAY, False, 0),
    # no deadline yet (not answered)
    ({"state": PortState.REQUESTED}, 5 * DAY, False, 0),
])
def test_deadline_breaches_and_compensation_for_delay(
        fields: dict[str, Any], now: float, breached: bool, days_late: int) -> None:
    state = state_of((order("p", "+351210000001", "+351210000002"), fields))
    result = summary(state, now=now)
    assert result["deadline_breaches"] == breached
    owed = 2 * days_late * 2.5  # 2 numbers
    assert result["compensation_eur"] == owed
    assert result["compensation_by_port"] == ({"p": owed} if owed else {})


@pytest.mark.parametrize(("interruptions", "owed"), [
    # within the 180-minute window: nothing owed
    ([180.0], 0.0),
    # a minute past it: one started day for the whole interruption, per number
    ([181.0], 2 * 20.0),
    # each interruption is held against the window on its own
    ([120.0, 120.0], 0.0),
    # past the window and past a day: two started days
    ([1500.0], 2 * 2 * 20.0),
])
def test_compensation_for_an_interruption_past_the_window(interruptions: list[float],
                                                          owed: float) -> None:
    state = state_of((order("p", "+351210000001", "+351210000002"),
                      {"state": PortState.ACTIVE, "interruptions": interruptions}))
    result = summary(state, now=DAY)
    assert result["compensation_eur"] == owed
    assert result["downtime_minutes"]["total"] == 2 * sum(interruptions)


def test_downtime_adds_up_per_number_across_orders() -> None:
    first = order("first", "+351210000001")
    again = order("again", "+351210000001", "+351210000002")
    state = state_of((first, {"state": PortState.ROLLED_BACK, "interruptions": [30.0]}),
                     (again, {"state": PortState.ACTIVE, "interruptions": [1.25, 0.125]}))
    assert summary(state, now=DAY)["downtime_minutes"] == {
        "total": 32.75, "per_number": {"+351210000001": 31.375, "+351210000002": 1.375}}


def test_rejections_are_counted_by_reason_and_other_events_ignored() -> None:
    ledger = Ledger(EPOCH)
    for reason in ["pvc", "not_portable", "pvc"]:
        ledger.add(0.0, EventKind.REJECTED, "p", (), PortState.REJECTED, {"reason": reason})
    ledger.add(0.0, EventKind.DENIED, "p", (), PortState.DENIED, {"reason": "fraud"})
    result = summary(state_of(), ledger, now=DAY)
    assert result["rejections"] == {"not_portable": 1, "pvc": 2}
    assert result["rollbacks"] == 0
    assert result["late_answers"] == 0


def test_numbers_lost_counts_only_lost_numbers() -> None:
    state = state_of()
    state.status.update({"+351210000001": NumberStatus.LOST,
                         "+351210000002": NumberStatus.QUARANTINE,
                         "+351210000003": NumberStatus.INTERRUPTED,
                         "+351210000004": NumberStatus.LOST})
    assert summary(state, now=DAY)["numbers_lost"] == 2


def test_charges_in_the_ledger_are_costs_by_currency_and_kind() -> None:
    ledger = Ledger(EPOCH)
    for kind, amount, currency in [("porting_fees", 150.0, "GBP"), ("reconnection", 20.0, "GBP"),
                                   ("porting_fees", 0.006, "GBP"), ("early_termination", 99.9,
                                                                   "EUR")]:
        ledger.add(0.0, EventKind.CHARGE, "p", (), None,
                   {"kind": kind, "amount": amount, "currency": currency})
    costs = summary(state_of(), ledger, now=DAY)["costs"]
    # amounts to the cent; the total is the sum of the rounded amounts
    assert costs["GBP"] == {**dict.fromkeys(COST_KINDS, 0.0), "porting_fees": 150.01,
                            "reconnection": 20.0, "total": 170.01}
    assert costs["EUR"]["early_termination"] == costs["EUR"]["total"] == 99.9
    assert costs["USD"]["total"] == 0.0
    # charges are not statutory compensation
    assert summary(state_of(), ledger, now=DAY)["compensation_eur"] == 0.0


def test_migrated_numbers_are_told_apart_from_ported_ones() -> None:
    state = state_of((order("ported", "+351210000001"), {"state": PortState.ACTIVE}),
                     (order("migrated", "+351210000002", "+351210000003"),
                      {"state": PortState.MIGRATED}))
    result = summary(state, now=DAY)
    assert result["ports"] == {"active": 1, "migrated": 1}
    assert (result["numbers_ported"], result["numbers_migrated"]) == (1, 2)


@pytest.mark.parametrize(("fault", "remedied_at", "now", "owed"), [
    # one number unduly ported for 2 days and a minute, then remedied: 3 started days
    (Fault("no_consent", number="+351210000002"), 2 * DAY + 60, 10 * DAY, 60.0),
    # the whole order (2 numbers), not remedied yet: counted until now (1.5 days: 2 days)
    (Fault("no_consent"), None, 1.5 * DAY, 2 * 2 * 20.0),
])
def test_compensation_for_a_port_without_consent(fault: Fault, remedied_at: float | None,
                                                 now: float, owed: float) -> None:
    o = replace(order("p", "+351210000001", "+351210000002"), faults=(fault,))
    state = state_of((o, {"state": PortState.ACTIVE, "active_at": 0.0,
                          "remedied_at": remedied_at}))
    result = summary(state, now=now)
    assert result["costs"]["EUR"]["compensation_no_consent"] == owed
    assert result["compensation_eur"] == result["costs"]["EUR"]["total"] == owed


def test_a_port_without_consent_is_capped_at_5000_eur_per_request() -> None:
    numbers = [f"+3512100{i:05d}" for i in range(50)]
    o = replace(order("p", *numbers), faults=(Fault("no_consent"),))
    state = state_of((o, {"state": PortState.ACTIVE, "active_at": 0.0}))
    assert summary(state, now=10 * DAY)["costs"]["EUR"]["compensation_no_consent"] == 5000.0


def test_temporary_numbers_back_to_the_pool_or_kept_and_dsl_lost() -> None:
    ledger = Ledger(EPOCH)
    ledger.add(DAY, EventKind.TEMPORARY_NUMBER_RELEASED, "p", (), None, {"temporary": "+1646"})
    ledger.add(DAY, EventKind.TEMPORARY_NUMBER_KEPT, "q", (), None, {"temporary": "+1647"})
    ledger.add(DAY, EventKind.DSL_LOST, "q", ("+1212",), None, {"reason": "r"})
    result = summary(state_of(), ledger, now=2 * DAY)
    assert result["temporary_numbers"] == {"released": {"+1646": "2026-12-02T00:00:00+00:00"},
                                           "kept": ["+1647"]}
    assert result["dsl_lost"] == ["+1212"]

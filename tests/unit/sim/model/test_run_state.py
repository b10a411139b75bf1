"""sim.model.run_state: a run's state built from the scenario, and the desks' figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.lifecycle import NumberStatus, PortState
from sim.model.run_state import DeskStats, PortRun, RunState
from sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def pt() -> Scenario:
    """Six port orders over three carriers."""
    return load_scenario(ROOT / "scenarios" / "pt_mobile_pvc.yaml")


# --- RunState ----------------------------------------------------------------------------------

def test_runs_follow_the_order_given_each_a_fresh_port_run(pt: Scenario) -> None:
    state = RunState(pt.port_orders, pt.carrier_ids)
    assert list(state.runs) == ["ana-after-17h", "padaria-ddi", "rui-pvc-mismatch",
                                "marta-withdrawn", "clinica-delayed", "hotel-interrupted"]
    for order in pt.port_orders:
        run = state.runs[order.id]
        assert run.order is order
        assert (run.state, run.attempt, run.interruptions) == (PortState.REQUESTED, 0, [])


def test_runs_keep_the_given_order_not_a_sorted_one(pt: Scenario) -> None:
    backwards = tuple(reversed(pt.port_orders))
    assert list(RunState(backwards, pt.carrier_ids).runs) == [o.id for o in backwards]


def test_one_desk_per_carrier_and_nothing_else_changed_yet(pt: Scenario) -> None:
    state = RunState(pt.port_orders, pt.carrier_ids)
    assert list(state.desk_stats) == ["meo", "nos", "vodafone_pt"]
    assert all(desk == DeskStats() for desk in state.desk_stats.values())
    assert len({id(desk) for desk in state.desk_stats.values()}) == 3  # not one shared desk
    assert (state.status, dict(state.in_flight), state.quarantined, state.down) == (
        {}, {}, set(), set())


def test_two_states_share_no_containers(pt: Scenario) -> None:
    one, two = RunState(pt.port_orders, pt.carrier_ids), RunState(pt.port_orders, pt.carrier_ids)
    one.status["+351912345678"] = NumberStatus.INTERRUPTED
    one.in_flight["+351912345678"] += 1
    one.quarantined.add("+351912345678")
    one.down.add("meo")
    one.desk_stats["meo"].record(1, 60)
    one.runs["padaria-ddi"].interruptions.append(1.0)
    assert (two.status, dict(two.in_flight), two.quarantined, two.down) == ({}, {}, set(), set())
    assert two.desk_stats["meo"] == DeskStats()
    assert two.runs["padaria-ddi"].interruptions == []


def test_an_empty_scenario_part_gives_empty_containers() -> None:
    state = RunState([], [])
    assert (state.runs, state.desk_stats) == ({}, {})


def test_orders_and_carriers_may_be_one_shot_iterables(pt: Scenario) -> None:
    state = RunState(iter(pt.port_orders), (c for c in pt.carrier_ids))
    assert len(state.runs) == 6 and len(state.desk_stats) == 3


def test_run_state_has_only_its_six_slots(pt: Scenario) -> None:
    state = RunState(pt.port_orders, pt.carrier_ids)
    with pytest.raises(AttributeError):
        state.extra = 1  # type: ignore[attr-defined]


# --- PortRun -----------------------------------------------------------------------------------

def test_port_run_defaults(pt: Scenario) -> None:
    order = pt.port_orders[0]
    run = PortRun(order)
    assert (run.order, run.state, run.attempt) == (order, PortState.REQUESTED, 0)
    assert (run.accepted_at, run.port_at, run.no_return_at, run.deadline_at, run.active_at,
            run.process) == (None, None, None, None, None, None)
    assert run.interruptions == []
    assert PortRun(order).interruptions is not run.interruptions  # a list each


# --- DeskStats ---------------------------------------------------------------------------------

def test_a_new_desk_has_handled_nothing() -> None:
    assert DeskStats().summary() == {"orders": 0, "queued": 0, "max_queue": 0,
                                     "max_wait_hours": 0.0, "mean_wait_hours": 0.0}


@pytest.mark.parametrize(("records", "fields"), [
    # served at once: counted as an order, not as queued
    ([(0, 0.0)], (1, 0, 0.0, 0.0, 0)),
    # a queue of 3 seen, yet nobody waited
    ([(3, 0.0), (1, 0.0)], (2, 0, 0.0, 0.0, 3)),
    # only the waits over zero count as queued; the longest wait and longest queue are kept
    ([(0, 0.0), (2, 1800.0), (5, 600.0), (1, 0.0)], (4, 2, 2400.0, 1800.0, 5)),
    # a negative wait (clock noise) is not a wait
    ([(1, -5.0)], (1, 0, 0.0, 0.0, 1)),
])
def test_record_counts_orders_waits_and_the_longest_queue(
        records: list[tuple[int, float]], fields: tuple[int, int, float, float, int]) -> None:
    desk = DeskStats()
    for queue, wait in records:
        desk.record(queue, wait)
    assert (desk.orders, desk.waited, desk.wait_seconds, desk.max_wait_seconds,
            desk.max_queue) == fields


@pytest.mark.parametrize(("records", "summary"), [
    # one order that waited half an hour
    ([(2, 1800.0)], {"orders": 1, "queued": 1, "max_queue": 2, "max_wait_hours": 0.5,
                     "mean_wait_hours": 0.5}),
    # the mean is over every order handled, those served at once included: 1 h over 3 orders
    ([(0, 0.0), (1, 3600.0), (0, 0.0)], {"orders": 3, "queued": 1, "max_queue": 1,
                                         "max_wait_hours": 1.0, "mean_wait_hours": 0.333}),
    # max to 2 places, mean to 3: 1000 s is 0.2777... h
    ([(4, 1000.0)], {"orders": 1, "queued": 1, "max_queue": 4, "max_wait_hours": 0.28,
                     "mean_wait_hours": 0.278}),
    # 20 h and 10 h over two orders
    ([(1, 72000.0), (3, 36000.0)], {"orders": 2, "queued": 2, "max_queue": 3,
                                    "max_wait_hours": 20.0, "mean_wait_hours": 15.0}),
])
def test_summary_figures_in_hours(records: list[tuple[int, float]],
                                  summary: dict[str, float]) -> None:
    desk = DeskStats()
    for queue, wait in records:
        desk.record(queue, wait)
    assert desk.summary() == summary

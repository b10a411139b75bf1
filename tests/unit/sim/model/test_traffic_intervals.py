"""sim.model.traffic.Switchboard: calls drawn per interval of constant routing state.

The same three carriers as test_traffic.py (bt holds the range, numbers port to callagenix,
calls come from vodafone); the number's status and the carriers down are the model's watched
containers, which settle the switchboard before they change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import simpy

from sim.model.ledger import Ledger
from sim.model.lifecycle import NumberStatus
from sim.model.run_state import CarrierSet, StatusMap
from sim.model.traffic import CallOutcome, Switchboard
from sim.routing import PortChange, RoutingCore, e164_to_int
from sim.scenario import Carrier, Customer, NumberRange, Scenario, Traffic

START = datetime(2026, 11, 23, tzinfo=UTC)
CARRIERS = ("bt", "callagenix", "vodafone")
INTERCONNECTS = (("vodafone", "bt"), ("bt", "callagenix"), ("vodafone", "callagenix"))
PORTED, HOME = "+441632960001", "+441632960002"
MINUTE, HOUR = 60.0, 3600.0


class Board:
    """An interval switchboard over a SimPy clock; the tests change its state in place."""

    def __init__(self, *, rate: float = 60.0, lags: dict[str, float] | None = None,
                 origins: tuple[str, ...] = ("vodafone",), seed: int = 0):
        lags = lags or {}
        scenario = Scenario(
            name="t", regime="uk", country="GB", seed=1, start=START,
            horizon=START + timedelta(days=1), routing="onward",
            carriers=tuple(Carrier(id=c, name=c, routing_number="",
                                   copy_lag_minutes=lags.get(c, 0.0)) for c in CARRIERS),
            interconnects=INTERCONNECTS, ranges=(NumberRange("+44163296", "bt"),),
            customers=(Customer(id="acme", name="Acme", account="A", address="X", carrier="bt",
                                numbers=(PORTED, HOME)),),
            port_orders=(), traffic=Traffic(rate, origins))
        self.env = simpy.Environment()
        self.routing = RoutingCore(CARRIERS, INTERCONNECTS, [("+44163296", "bt")])
        self.status = StatusMap()
        self.down = CarrierSet()
        self.ledger = Ledger(START.timestamp())
        self.rng = np.random.default_rng(seed)
        self.board = Switchboard(
            scenario, seed=seed, env=self.env, rng=self.rng, routing=self.routing,
            holder_of={PORTED: "bt", HOME: "bt"}, status=self.status, down=self.down,
            ledger=self.ledger)
        self.status.before_change = self.down.before_change = self.board.settle
        self.board.start()

    def at(self, seconds: float) -> None:
        self.env.run(until=seconds)

    def port(self, number: str, to: str) -> None:
        snapshot = self.routing.apply([PortChange(e164_to_int(number), to)])
        self.board.published(self.env.now, snapshot, [e164_to_int(number)])

    def calls(self, event: str) -> list[tuple[float, str, str]]:
        """(seconds, number, reason) of each recorded call of ``event``."""
        epoch = START.timestamp()
        return [(datetime.fromisoformat(r["t"]).timestamp() - epoch, r["numbers"][0],
                 r["reason"]) for r in self.ledger.records_of(event)]


def test_an_interruption_fails_the_calls_inside_it_and_only_those() -> None:
    b = Board(rate=120.0)
    b.at(HOUR)
    b.status[PORTED] = NumberStatus.INTERRUPTED
    b.at(HOUR + 30 * MINUTE)
    del b.status[PORTED]
    b.at(3 * HOUR)
    b.board.settle()
    failed = b.calls("call_failed")
    # 120 calls an hour to the number for half an hour: about 60, every one inside the window
    assert 30 < len(failed) < 100
    assert all(HOUR <= t <= HOUR + 30 * MINUTE and n == PORTED for t, n, _ in failed)
    assert {why for _, _, why in failed} == {"service interrupted in the cutover window"}
    assert [t for t, _, _ in failed] == sorted(t for t, _, _ in failed)
    outcomes = b.board.outcomes
    assert outcomes[CallOutcome.FAILED] == len(failed)
    # two numbers for three hours at 120 an hour, about 720 offered in all
    assert 600 < sum(outcomes.values()) < 850


def test_a_carrier_down_fails_every_call_through_it_while_it_is_down() -> None:
    b = Board(rate=60.0)
    b.port(PORTED, "callagenix")
    b.at(HOUR)
    b.down.add("bt")
    b.at(2 * HOUR)
    b.down.discard("bt")
    b.at(4 * HOUR)
    b.board.settle()
    failed = b.calls("call_failed")
    # onward: both numbers go through bt, the ported one and the one at home
    assert {n for _, n, _ in failed} == {PORTED, HOME}
    assert all(HOUR <= t <= 2 * HOUR for t, _, _ in failed)
    assert {why for _, _, why in failed} == {"carrier bt is down"}
    assert 80 < len(failed) < 170  # about 120


def test_a_lagging_copy_misroutes_calls_to_the_ported_number_until_it_catches_up() -> None:
    b = Board(rate=240.0, lags={"bt": 10.0})
    b.at(HOUR)
    b.port(PORTED, "callagenix")
    b.at(3 * HOUR)
    b.board.settle()
    misrouted = b.calls("call_misrouted")
    assert 15 < len(misrouted) < 70  # 240 an hour for 10 minutes: about 40
    assert all(HOUR <= t <= HOUR + 10 * MINUTE and n == PORTED for t, n, _ in misrouted)
    assert {why for _, _, why in misrouted} == {"bt's routing copy is behind"}
    (record, *_) = b.ledger.records_of("call_misrouted")
    assert (record["origin"], record["reached"], record["expected"]) == (
        "vodafone", "bt", "callagenix")


def story(b: Board, stops: list[float]) -> tuple[list[tuple[float, str, str]], int]:
    """A fixed story (an interruption, an outage, a number lost), settled also at ``stops``:
    the failed and lost calls, and the calls offered."""
    changes = [(HOUR, lambda: b.status.__setitem__(PORTED, NumberStatus.INTERRUPTED)),
               (2 * HOUR, lambda: b.status.__delitem__(PORTED)),
               (5 * HOUR, lambda: b.down.add("vodafone")),
               (6 * HOUR, lambda: b.down.discard("vodafone")),
               (8 * HOUR, lambda: b.status.__setitem__(HOME, NumberStatus.LOST))]
    for t, change in sorted([*changes, *[(t, b.board.settle) for t in stops]],
                            key=lambda c: c[0]):
        b.at(t)
        change()
    b.at(30 * HOUR)
    b.board.settle()
    calls = b.calls("call_failed") + b.calls("call_lost")
    return calls, sum(b.board.outcomes.values())


@pytest.mark.parametrize("stops", [
    [],  # straight through
    [30 * MINUTE, 90 * MINUTE, 5.5 * HOUR, 20 * HOUR],  # stopped inside every interval
    [k * 0.37 * HOUR for k in range(1, 80)],  # a progress bar's many steps
])
def test_a_run_stopped_anywhere_has_exactly_the_calls_of_one_run_through(stops) -> None:
    through = story(Board(rate=900.0, seed=11), [])
    assert story(Board(rate=900.0, seed=11), stops) == through
    assert len(through[0]) > 100  # the story fails calls in every part


def test_the_calls_do_not_draw_from_the_runs_generator() -> None:
    # the lifecycle's draws (desk times, switch-over minutes, probable faults) are the same
    # whatever the traffic
    b = Board(rate=600.0)
    state = b.rng.bit_generator.state
    b.status[PORTED] = NumberStatus.INTERRUPTED
    b.at(HOUR)
    b.board.settle()
    assert b.rng.bit_generator.state == state
    assert b.board.outcomes[CallOutcome.FAILED] > 0


def test_settling_twice_at_one_instant_plays_nothing_more() -> None:
    b = Board()
    b.status[PORTED] = NumberStatus.LOST
    b.at(HOUR)
    b.board.settle()
    seen = dict(b.board.outcomes), len(b.ledger)
    b.board.settle()
    assert (dict(b.board.outcomes), len(b.ledger)) == seen


def test_the_same_seed_gives_the_same_calls_another_seed_other_ones() -> None:
    assert story(Board(rate=300.0, seed=3), []) == story(Board(rate=300.0, seed=3), [])
    assert story(Board(rate=300.0, seed=3), []) != story(Board(rate=300.0, seed=4), [])


@pytest.mark.parametrize("origins", [("vodafone",), ("vodafone", "callagenix", "bt")])
def test_calls_come_from_the_origins_evenly(origins: tuple[str, ...]) -> None:
    b = Board(rate=600.0, origins=origins)
    b.status[HOME] = NumberStatus.QUARANTINE
    b.at(HOUR)
    b.board.settle()
    seen = [r["origin"] for r in b.ledger.records_of("call_lost")]
    assert set(seen) == set(origins)
    for origin in origins:  # about 600 / len(origins) each
        assert abs(seen.count(origin) - 600 / len(origins)) < 5 * (600 / len(origins)) ** 0.5


def test_a_progress_bar_does_not_move_a_call() -> None:
    # run() with a progress callback stops 50 times on the way (and settles each time)
    from pathlib import Path

    from sim.model import simulate
    from sim.scenario import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[4] / "scenarios/pt_mobile_pvc.yaml")
    steps: list[float] = []
    with_bar = simulate(scenario, progress=steps.append)
    assert len(steps) == 50
    assert with_bar.events == simulate(scenario).events

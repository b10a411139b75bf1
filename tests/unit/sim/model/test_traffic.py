"""sim.model.traffic: the switchboard on a small SimPy clock and a three-carrier routing core.

bt holds the range; callagenix is where numbers port to; calls come from vodafone. Each of
vodafone-bt, bt-callagenix and vodafone-callagenix is an interconnect, so an onward-routed call
to a ported number goes vodafone -> bt -> callagenix and a direct one vodafone -> callagenix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import simpy

from sim.model.ledger import Ledger
from sim.model.lifecycle import NumberStatus
from sim.model.traffic import OUTCOMES, CallByCall, CallOutcome
from sim.routing import PortChange, RoutingCore, e164_to_int
from sim.scenario import Carrier, Customer, NumberRange, PortOrder, Request, Scenario, Traffic

START = datetime(2026, 11, 23, tzinfo=UTC)
CARRIERS = ("bt", "callagenix", "vodafone")
INTERCONNECTS = (("vodafone", "bt"), ("bt", "callagenix"), ("vodafone", "callagenix"))
PORTED, HOME = "+441632960001", "+441632960002"
MINUTE, HOUR = 60.0, 3600.0


NO_TRAFFIC = Traffic()


def scenario(routing: str = "onward", lags: dict[str, float] | None = None,
             traffic: Traffic = NO_TRAFFIC) -> Scenario:
    """The three carriers (``lags``: carrier -> copy_lag_minutes), one customer of bt's."""
    lags = lags or {}
    return Scenario(
        name="t", regime="uk", country="GB", seed=1, start=START,
        horizon=START + timedelta(days=1), routing=routing,
        carriers=tuple(Carrier(id=c, name=c, routing_number="", copy_lag_minutes=lags.get(c, 0.0))
                       for c in CARRIERS),
        interconnects=INTERCONNECTS, ranges=(NumberRange("+44163296", "bt"),),
        customers=(Customer(id="acme", name="Acme", account="A", address="X", carrier="bt",
                            numbers=(PORTED, HOME)),),
        port_orders=(), traffic=traffic)


class Board:
    """A switchboard and the parts of a run it reads, changed in place by the tests."""

    def __init__(self, scenario: Scenario, seed: int = 0):
        self.env = simpy.Environment()
        self.routing = RoutingCore(CARRIERS, INTERCONNECTS, [("+44163296", "bt")],
                                   scheme=scenario.routing)
        self.status: dict[str, NumberStatus] = {}
        self.down: set[str] = set()
        self.ledger = Ledger(START.timestamp())
        self.switchboard = CallByCall(
            scenario, env=self.env, rng=np.random.default_rng(seed), routing=self.routing,
            holder_of={PORTED: "bt", HOME: "bt"}, status=self.status, down=self.down,
            ledger=self.ledger)

    def port(self, number: str, to: str) -> None:
        """Publish a change of ``number``'s serving carrier now, as the model does."""
        snapshot = self.routing.apply([PortChange(e164_to_int(number), to)])
        self.switchboard.published(self.env.now, snapshot)

    def at(self, seconds: float) -> None:
        """Advance the clock to ``seconds`` (staying put if it is there already)."""
        if seconds > self.env.now:
            self.env.run(until=seconds)


@pytest.fixture
def make() -> Callable[..., Board]:
    return lambda routing="onward", lags=None, traffic=NO_TRAFFIC, seed=0: Board(
        scenario(routing, lags, traffic), seed)


def ported_board(routing: str = "onward") -> Board:
    board = Board(scenario(routing))
    board.port(PORTED, "callagenix")
    return board


@pytest.mark.parametrize(("routing", "number", "status", "down", "outcome", "reason"), [
    # a number at home, nothing wrong
    ("onward", HOME, None, set(), CallOutcome.COMPLETED, ""),
    # a ported number, onward via the range holder
    ("onward", PORTED, None, set(), CallOutcome.COMPLETED, ""),
    # a ported number, direct
    ("direct", PORTED, None, set(), CallOutcome.COMPLETED, ""),
    # the range holder is on the onward path to the ported number, and it is down
    ("onward", PORTED, None, {"bt"}, CallOutcome.FAILED, "carrier bt is down"),
    # a direct call does not pass the range holder: its outage does not matter
    ("direct", PORTED, None, {"bt"}, CallOutcome.COMPLETED, ""),
    # the originating carrier is down
    ("direct", PORTED, None, {"vodafone"}, CallOutcome.FAILED, "carrier vodafone is down"),
    # the first carrier down on the path is named
    ("onward", PORTED, None, {"callagenix", "vodafone"}, CallOutcome.FAILED,
     "carrier vodafone is down"),
    # the number is out of service in its cutover window
    ("onward", PORTED, NumberStatus.INTERRUPTED, set(), CallOutcome.FAILED,
     "service interrupted in the cutover window"),
    # a carrier down is reported before the interruption
    ("onward", PORTED, NumberStatus.INTERRUPTED, {"bt"}, CallOutcome.FAILED,
     "carrier bt is down"),
    # a released number is lost, whatever else is wrong
    ("onward", PORTED, NumberStatus.LOST, {"bt"}, CallOutcome.LOST, "number lost"),
    # so is one held in quarantine
    ("direct", HOME, NumberStatus.QUARANTINE, set(), CallOutcome.LOST, "number quarantine"),
])
def test_place_outcome(routing: str, number: str, status: NumberStatus | None, down: set[str],
                       outcome: CallOutcome, reason: str) -> None:
    board = ported_board(routing)
    if status is not None:
        board.status[number] = status
    board.down.update(down)
    assert board.switchboard.place(number, "vodafone") is outcome
    records = list(board.ledger.records())
    if outcome is CallOutcome.COMPLETED:
        assert records == []  # completed calls are only counted
    else:
        assert [r["reason"] for r in records] == [reason]


def test_a_lagging_range_holder_misroutes_onward_calls_until_its_copy_catches_up(make) -> None:
    board = make("onward", {"bt": 10.0})
    board.at(HOUR)
    board.port(PORTED, "callagenix")
    # Each (seconds after the port, outcome): bt's copy still has the number at home for
    # 10 minutes, so it keeps the call; from the 10th minute on it forwards it.
    seen = []
    for after in (0.0, 5 * MINUTE, 10 * MINUTE - 1, 10 * MINUTE, 30 * MINUTE):
        board.at(HOUR + after)
        seen.append((after, board.switchboard.place(PORTED, "vodafone")))
    assert seen == [(0.0, CallOutcome.MISROUTED), (300.0, CallOutcome.MISROUTED),
                    (599.0, CallOutcome.MISROUTED), (600.0, CallOutcome.COMPLETED),
                    (1800.0, CallOutcome.COMPLETED)]
    # the number that did not move is unaffected by the lag
    assert board.switchboard.place(HOME, "vodafone") is CallOutcome.COMPLETED


def test_the_record_of_a_misrouted_call(make) -> None:
    board = make("onward", {"bt": 10.0})
    board.at(HOUR + 90.0)
    board.port(PORTED, "callagenix")
    board.at(HOUR + 150.0)
    board.switchboard.place(PORTED, "vodafone")
    assert list(board.ledger.records()) == [{
        "t": "2026-11-23T01:02:30+00:00", "event": "call_misrouted", "port": None,
        "numbers": [PORTED], "state": None, "origin": "vodafone", "reached": "bt",
        "expected": "callagenix", "reason": "bt's routing copy is behind"}]


def test_a_lagging_copy_after_a_rollback_still_sends_calls_to_the_gaining_carrier(make) -> None:
    board = make("onward", {"bt": 10.0})
    board.port(PORTED, "callagenix")
    board.at(20 * MINUTE)
    board.port(PORTED, "bt")  # the range holder's id: back home
    board.at(25 * MINUTE)
    assert board.switchboard.place(PORTED, "vodafone") is CallOutcome.MISROUTED
    (record,) = board.ledger.records()
    assert (record["reached"], record["expected"]) == ("callagenix", "bt")


@pytest.mark.parametrize(("routing", "lags", "outcome"), [
    # onward: the range holder decides, and its copy lags
    ("onward", {"bt": 10.0}, CallOutcome.MISROUTED),
    # onward: only the origin's copy lags, and the origin does not decide
    ("onward", {"vodafone": 10.0}, CallOutcome.COMPLETED),
    # direct: the origin decides, and its copy lags
    ("direct", {"vodafone": 10.0}, CallOutcome.MISROUTED),
    # direct: the range holder's lag does not matter
    ("direct", {"bt": 10.0}, CallOutcome.COMPLETED),
])
def test_the_deciding_networks_copy_is_the_one_that_counts(
        make, routing: str, lags: dict[str, float], outcome: CallOutcome) -> None:
    board = make(routing, lags)
    board.at(HOUR)
    board.port(PORTED, "callagenix")
    board.at(HOUR + 5 * MINUTE)
    assert board.switchboard.place(PORTED, "vodafone") is outcome


def test_a_port_in_the_first_minutes_of_the_run_lags_as_any_other(make) -> None:
    # bt's copy is 10 minutes behind: at minute 5 it has not seen a port made at minute 2,
    # though there is no earlier published change for its copy to hold
    board = make("onward", {"bt": 10.0})
    board.at(2 * MINUTE)
    board.port(PORTED, "callagenix")
    board.at(5 * MINUTE)
    assert board.switchboard.place(PORTED, "vodafone") is CallOutcome.MISROUTED


def test_outcomes_are_counted_from_zero(make) -> None:
    board = make()
    assert board.switchboard.outcomes == {o: 0 for o in OUTCOMES}
    board.status[HOME] = NumberStatus.LOST
    board.down.add("bt")
    for number in (PORTED, PORTED, HOME):
        board.switchboard.place(number, "vodafone")
    board.down.clear()
    board.switchboard.place(PORTED, "vodafone")
    assert board.switchboard.outcomes == {"completed": 1, "failed": 2, "misrouted": 0,
                                          "lost": 1}
    assert board.ledger.count("call_failed") == 2
    assert board.ledger.count("call_lost") == 1


def order(*numbers: str) -> PortOrder:
    return PortOrder(id="p", customer="acme", numbers=numbers, losing="bt", gaining="callagenix",
                     submitted=START, request=Request(account="A", name="Acme", address="X"))


@pytest.mark.parametrize(("routing", "lags", "origins", "minutes"), [
    # onward: the range holder's lag
    ("onward", {"bt": 7.0, "vodafone": 30.0}, (), 7.0),
    # onward with a holder that does not lag: none, however much the others lag
    ("onward", {"vodafone": 30.0}, (), 0.0),
    # direct: the slowest of the carriers calls come from (every carrier, by default)
    ("direct", {"bt": 7.0, "vodafone": 30.0}, (), 30.0),
    # direct with the origins given: the slowest of those only
    ("direct", {"bt": 7.0, "vodafone": 30.0}, ("bt", "callagenix"), 7.0),
    # nobody lags
    ("direct", {}, (), 0.0),
])
def test_copy_lag(make, routing: str, lags: dict[str, float], origins: tuple[str, ...],
                  minutes: float) -> None:
    board = make(routing, lags, Traffic(origins=origins))
    assert board.switchboard.copy_lag(order(PORTED, HOME)) == minutes


def test_start_places_poisson_calls_from_the_runs_generator(make) -> None:
    board = make(traffic=Traffic(calls_per_number_per_hour=30.0), seed=42)
    board.down.add("vodafone")  # every call from vodafone fails: its placing is recorded
    board.switchboard.start()
    board.at(3600.0)
    # the same draws, in the same order, from a generator seeded alike: 60 calls an hour
    rng, t, expected = np.random.default_rng(42), 0.0, []
    while (t := t + rng.exponential(60.0)) <= 3600.0:
        number = (PORTED, HOME)[int(rng.integers(2))]
        origin = CARRIERS[int(rng.integers(3))]
        expected.append((number, origin))
    placed = sum(board.switchboard.outcomes.values())
    assert placed == len(expected) > 30
    failed = [(r["numbers"][0], r["origin"]) for r in board.ledger.records_of("call_failed")]
    assert failed == [c for c in expected if c[1] == "vodafone"]


def test_start_places_no_calls_without_traffic(make) -> None:
    board = make()
    board.switchboard.start()
    assert board.env.peek() == float("inf")  # no process was started
    board.at(3600.0)
    assert sum(board.switchboard.outcomes.values()) == 0

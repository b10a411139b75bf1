"""Probable faults: each kind happens with its probability, drawn from the run's generator.

A certain fault (no probability, or 1) draws nothing, so a scenario without probable faults
runs exactly as before (tests/golden/events_sha256_call_by_call.json holds that too).
"""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.model import CutoverModel, simulate
from sim.report import write_events
from sim.scenario import Scenario, scenario_from_text

SEEDS = range(1, 161)

STORY = """
name: probable
regime: uk
start: 2026-11-23T00:00:00Z
horizon: 2026-12-20T00:00:00Z
carriers:
  - id: bt
    outages: [{start: 2026-12-10T12:00:00Z, minutes: 60 %(outage)s}]
  - {id: callagenix}
  - {id: vodafone}
interconnects: [[vodafone, bt], [bt, callagenix], [vodafone, callagenix]]
ranges: [{prefix: "+44 1632 96", holder: bt}]
customers: [{id: acme, name: Acme, numbers: ["01632 960001"]}]
port_orders:
  - id: p
    customer: acme
    gaining: callagenix
    submitted: 2026-11-23T10:00:00
    requested_date: 2026-11-28T00:00:00
    faults: [%(faults)s]
traffic: {calls_per_number_per_hour: 1, origins: [vodafone]}
"""


def story(faults: str = "", outage: str = "") -> Scenario:
    return scenario_from_text(STORY % {"faults": faults, "outage": outage}, name="probable")


def events(scenario: Scenario, seed: int) -> list[str]:
    return [e["event"] for e in simulate(scenario, seed=seed).events
            if not e["event"].startswith("call_")]


def share(scenario: Scenario, event: str, seeds: range = SEEDS) -> float:
    """The share of ``seeds`` whose run has ``event``."""
    return sum(event in events(scenario, s) for s in seeds) / len(seeds)


KINDS = pytest.mark.parametrize(("faults", "outage", "event"), [
    # per attempt: the first cutover fails and rolls back
    ("{kind: activation_failure, minutes: 20, probability: %s}", "", "rolled_back"),
    # per order: the losing carrier denies the validated order
    ("{kind: deny, reason: contract_restriction, probability: %s}", "", "denied"),
    # per order: the customer withdraws before the point of no return
    ("{kind: withdraw, at: 2026-11-24T12:00:00Z, probability: %s}", "", "withdrawn"),
    # per order: the old service is cancelled before the port: the number is lost
    ("{kind: cancel_old_service, at: 2026-11-25T12:00:00Z, probability: %s}", "",
     "number_lost"),
    # per carrier outage, drawn at its start
    ("", ", probability: %s", "carrier_outage"),
])


def with_probability(faults: str, outage: str, p: str) -> Scenario:
    return story(faults.replace("%s", p), outage.replace("%s", p))


@pytest.mark.slow
@KINDS
def test_a_probable_fault_happens_in_about_its_share_of_seeds(faults: str, outage: str,
                                                              event: str) -> None:
    p = 0.3
    seen = share(with_probability(faults, outage, str(p)), event)
    sigma = (p * (1 - p) / len(SEEDS)) ** 0.5
    assert abs(seen - p) < 4.5 * sigma, seen


@KINDS
def test_probability_zero_is_never_and_one_always(faults: str, outage: str, event: str) -> None:
    seeds = range(1, 6)
    assert share(with_probability(faults, outage, "0"), event, seeds) == 0.0
    assert share(with_probability(faults, outage, "1"), event, seeds) == 1.0


def test_a_probable_delay_and_interruption_move_the_port() -> None:
    plain = story()
    delayed = story("{kind: delay, days: 3, probability: 0.5}")
    late = [simulate(delayed, seed=s).summary["late_answers"] for s in range(1, 41)]
    assert 0 < sum(late) < 40
    assert simulate(plain, seed=1).summary["late_answers"] == 0
    long_cut = story("{kind: interruption, minutes: 300, probability: 0.5}")
    downtime = [simulate(long_cut, seed=s).summary["downtime_minutes"]["total"]
                for s in range(1, 41)]
    assert any(d >= 300 for d in downtime) and any(d < 300 for d in downtime)


def test_a_certain_fault_is_the_same_with_probability_one_byte_for_byte(tmp_path) -> None:
    fault = "{kind: activation_failure, minutes: 20%s}"
    for seed in (1, 2):
        a, b = tmp_path / f"a{seed}", tmp_path / f"b{seed}"
        write_events(simulate(story(fault % ""), seed=seed).events, a)
        write_events(simulate(story(fault % ", probability: 1"), seed=seed).events, b)
        assert a.read_bytes() == b.read_bytes()


def test_the_draw_comes_from_the_runs_generator_so_a_seed_repeats_it() -> None:
    s = story("{kind: activation_failure, minutes: 20, probability: 0.5}")
    runs = [CutoverModel(s, seed=9) for _ in range(2)]
    for m in runs:
        m.run()
    assert list(runs[0].ledger.records()) == list(runs[1].ledger.records())


@pytest.mark.parametrize(("fault", "message"), [
    ("{kind: deny, reason: x, probability: 1.5}", "expected a probability from 0 to 1, got 1.5"),
    ("{kind: deny, reason: x, probability: high}", "expected a probability from 0 to 1"),
    ("{kind: misconfigure, probability: 0.5}", "a misconfigure fault is always certain"),
])
def test_a_bad_probability_is_named_with_its_path(fault: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        story(fault)
    (line,) = [x for x in caught.value.lines() if "probability" in x]
    assert "port_orders[0].faults[0].probability" in line and message in line

"""Replay: one run kept gives, at every instant, exactly the state a run stopped there has."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import Replay, simulate
from sim.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[4] / "scenarios"
STORIES = ["uk_gnp_weekend", "uk_ngn_reseller_rollback", "pt_mobile_pvc",
           "us_foc_temporary_number"]


def loaded(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.yaml")


@pytest.mark.slow
@pytest.mark.parametrize("name", STORIES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fractions=st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_snapshot_at_any_instant_in_any_order_is_simulate_until(
        name: str, fractions: list[float]) -> None:
    s = loaded(name)
    span = (s.horizon - s.start).total_seconds()
    replay = Replay(s)
    for f in fractions:
        instant = s.start + timedelta(seconds=round(f * span))
        expected = simulate(s, until=instant).routing.snapshot
        got = replay.at(instant)
        assert (got.version, got.content_hash) == (expected.version, expected.content_hash)
        assert list(replay.events(until=instant)) == simulate(s, until=instant).events
    assert replay.model_runs == 1


def test_an_instant_exactly_on_a_publish_sees_the_state_before_it() -> None:
    # simulate(until=t) stops before what happens at t; so does the replay, also once it has
    # run past t
    s = loaded("uk_gnp_weekend")
    replay = Replay(s)
    replay.run_to(s.horizon)
    assert replay.publishes
    for instant in replay.publishes:
        assert replay.at(instant).version == simulate(s, until=instant).routing.snapshot.version

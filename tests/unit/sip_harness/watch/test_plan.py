"""sip_harness.watch.plan: each number's planned landings, changes and windows from one replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.verify.expectations import Where
from sip_harness.watch.plan import AFTER_PUBLISH, watch_plan

ROOT = Path(__file__).resolve().parents[4]
NGN = ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml"
MISCONFIGURED = ROOT / "scenarios" / "uk_gnp_misconfigured.yaml"
N = "+448081570123"
CW, PHONE = Where("cw", False), Where("callagenix", True)


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def ngn() -> Replay:
    return Replay(load_scenario(NGN))


def test_the_failed_attempt_and_the_reattempt_are_three_planned_changes(ngn: Replay) -> None:
    plan = watch_plan(ngn, "vodafone")[N]
    assert [(c.at, c.before, c.after, c.kind) for c in plan.changes] == [
        (t(5, 0, 14), CW, PHONE, "flip"),
        (t(5, 0, 39), PHONE, CW, "flip_back"),
        (t(12, 0, 13), CW, PHONE, "flip"),
    ]
    assert (plan.old, plan.new, plan.losing, plan.gaining) == (CW, PHONE, "cw", "callagenix")


def test_the_plan_at_an_instant_is_the_routing_state_published_strictly_before_it(
        ngn: Replay) -> None:
    plan = watch_plan(ngn, "vodafone")[N]
    assert plan.at(t(5, 0, 14)).where == CW               # published at 00:14: not yet
    assert plan.at(t(5, 0, 14) + AFTER_PUBLISH).where == PHONE
    assert plan.at(t(1, 0)).where == CW and plan.at(t(1, 0)).presented == N
    assert plan.at(t(19, 0)).where == PHONE
    assert "ported" in plan.at(t(19, 0)).reason


def test_windows_are_each_attempt_and_the_regimes_six_hours(ngn: Replay) -> None:
    plan = watch_plan(ngn, "vodafone")[N]
    assert [(w.attempt, w.start, w.end) for w in plan.windows] == [
        (1, t(5, 0), t(5, 6)), (2, t(12, 0), t(12, 6))]
    assert plan.window_at(t(5, 5, 59)).attempt == 1        # type: ignore[union-attr]
    assert plan.window_at(t(5, 6)) is None                  # the end is not in the window
    assert plan.window_at(t(8, 0)) is None


def test_until_bounds_the_plan(ngn: Replay) -> None:
    plan = watch_plan(ngn, "vodafone", until=t(6, 0))[N]
    assert [c.kind for c in plan.changes] == ["flip", "flip_back"]
    assert len(plan.windows) == 1


def test_the_misconfigured_number_is_planned_like_the_others() -> None:
    # the fault is in the Asterisk config, not the plan: the plan says every number flips
    plans = watch_plan(Replay(load_scenario(MISCONFIGURED)), "vodafone")
    assert list(plans) == ["+441632960001", "+441632960002", "+441632960003"]
    for number, plan in plans.items():  # +441632960001 has a mailbox, so a phone; the
        at_pbx = number != "+441632960001"  # others are DDI numbers on the customer's PBX
        assert [(c.at, c.after) for c in plan.changes] == [
            (datetime(2026, 11, 28, 0, 15, tzinfo=UTC), Where("callagenix", True, at_pbx))]
        assert plan.windows[0].end - plan.windows[0].start == timedelta(hours=6)
        assert (plan.old, plan.new) == (Where("bt", False), Where("callagenix", True, at_pbx))

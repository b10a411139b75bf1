"""Expectations without Asterisk: typed, from one replay of the scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import UnknownNumberError
from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.verify.expectations import PrePort, expectations, plan

ROOT = Path(__file__).resolve().parents[4]


def scenario(name: str):  # type: ignore[no-untyped-def]
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


@pytest.mark.parametrize(("name", "checkpoint", "carrier", "phone", "pre_port"), [
    ("uk_gnp_weekend", "before", "bt", False, None),                  # not yet ported
    ("uk_gnp_weekend", "after_cutover", "callagenix", True, None),    # the customer's phone
    ("uk_ngn_reseller_rollback", "after_rollback", "cw", False,       # back to the pre-port state
     PrePort("cw", False, "+448081570123")),
    ("uk_gnp_misconfigured", "after_cutover", "callagenix", True, None),  # the core is right
])
def test_expectations_follow_the_routing_core(name: str, checkpoint: str, carrier: str,
                                              phone: bool, pre_port: object) -> None:
    s = scenario(name)
    exp = expectations(Replay(s), checkpoint, s.checkpoint(checkpoint).at, "vodafone")[0]
    assert (exp.carrier, exp.phone, exp.pre_port) == (carrier, phone, pre_port)
    assert exp.presented == exp.number  # no temporary numbers in these scenarios


def test_plan_picks_an_origin_and_a_truly_unallocated_number() -> None:
    s = scenario("uk_gnp_weekend")
    replay = Replay(s)
    p = plan(replay)
    assert (p.origin, p.external_prefix) == ("vodafone", "+447700900")
    with pytest.raises(UnknownNumberError):
        replay.at(s.start).route(p.unallocated)


def test_one_replay_serves_every_checkpoint_in_any_order() -> None:
    # the expectations of each checkpoint are the same whether the replay reached it first or
    # was already further on: the snapshots are kept, nothing is simulated twice
    s = scenario("uk_ngn_reseller_rollback")
    points = [(c.name, c.at) for c in s.checkpoints]
    shared = Replay(s)
    late_first = {name: expectations(shared, name, at, "vodafone")
                  for name, at in reversed(points)}
    assert shared.model_runs == 1
    for name, at in points:
        assert expectations(Replay(s), name, at, "vodafone") == late_first[name]


def test_each_ddi_number_is_expected_on_its_sites_pbx_trunk() -> None:
    s = scenario("uk_ddi_two_sites")
    exps = {e.number: e for e in expectations(Replay(s), "after_cutover",
                                              s.checkpoint("after_cutover").at, "vodafone")}
    assert exps["+441632963000"].pbx is None  # reception: a phone with voicemail
    trunks = {n: e.pbx for n, e in exps.items() if e.pbx is not None}
    assert trunks == {**{f"+4416329{n}": "pbx-harbour-callagenix" for n in range(63100, 63250)},
                      **{f"+4416329{n}": "pbx-harbour-warehouse-callagenix"
                         for n in range(63250, 63350)}}
    assert all(e.carrier == "callagenix" and e.where.pbx for n, e in exps.items() if n in trunks)

"""The interval switchboard and the call-by-call reference give the same outcome distributions.

One scenario with every cause of a call not completing (an interruption and a failed cutover
with its rollback, a range holder outage, a lagging routing copy, a number lost in quarantine),
run at many seeds under each switchboard. For every (outcome, reason) and for the calls
offered, the mean count per run must agree within sampling error (|z| < 4.5 on the difference
of the two means). The same comparison must tell a switchboard whose rate is 15% off.
"""

from __future__ import annotations

from collections import Counter
from statistics import fmean, variance

import pytest

from sim.model import CutoverModel
from sim.scenario import Scenario, scenario_from_text

SEEDS = range(1, 121)
Z_LIMIT = 4.5

STORY = """
name: causes
regime: uk
start: 2026-11-23T00:00:00Z
horizon: 2026-12-01T00:00:00Z
carriers:
  - id: bt
    desk: {capacity: 2, answer_hours: 4}
    copy_lag_minutes: 20
    outages: [{start: 2026-11-29T12:00:00Z, minutes: 45}]
  - {id: callagenix}
  - {id: vodafone}
  - {id: ee}
interconnects: [[vodafone, bt], [bt, callagenix], [vodafone, callagenix], [ee, bt], [ee, vodafone]]
ranges:
  - {prefix: "+44 1632 96", holder: bt}
  - {prefix: "+44 1632 97", holder: callagenix}
customers:
  - {id: acme, name: Acme, numbers: ["01632 960001", "01632 960002"]}
  - {id: bravo, name: Bravo, numbers: ["01632 960011"]}
port_orders:
  - id: acme-gnp
    customer: acme
    gaining: callagenix
    submitted: 2026-11-23T10:00:00
    requested_date: 2026-11-26T00:00:00
    reattempt_days: 2
    faults:
      - {kind: activation_failure, attempt: 1, minutes: 40}
      - {kind: interruption, attempt: 2, minutes: 200}
  - id: bravo-gnp
    customer: bravo
    gaining: callagenix
    submitted: 2026-11-23T10:00:00
    requested_date: 2026-11-26T00:00:00
    contract_end: 2026-11-28T00:00:00
traffic: {calls_per_number_per_hour: %s, origins: [vodafone, ee]}
"""


def story(rate: float) -> Scenario:
    return scenario_from_text(STORY % rate, name="causes")


def counts(scenario: Scenario, seed: int, *, call_by_call: bool) -> Counter[str]:
    model = CutoverModel(scenario, seed=seed, call_by_call=call_by_call)
    model.run()
    out: Counter[str] = Counter()
    for record in model.ledger.records():
        if record["event"].startswith("call_"):
            out[f"{record['event']}: {record['reason']}"] += 1
    out["offered"] = sum(model.switchboard.outcomes.values())
    return out


def z_scores(a: list[Counter[str]], b: list[Counter[str]]) -> dict[str, float]:
    """Key -> z of the difference of the mean counts per run (two samples, unequal variance)."""
    out = {}
    for key in sorted(set().union(*a, *b)):
        x, y = [c[key] for c in a], [c[key] for c in b]
        spread = (variance(x) / len(x) + variance(y) / len(y)) ** 0.5
        out[key] = (fmean(x) - fmean(y)) / spread if spread else float(fmean(x) != fmean(y))
    return out


@pytest.fixture(scope="module")
def reference() -> list[Counter[str]]:
    return [counts(story(6.0), s, call_by_call=True) for s in SEEDS]


@pytest.mark.slow
def test_intervals_and_call_by_call_agree_on_every_outcome_and_cause(reference) -> None:
    intervals = [counts(story(6.0), s, call_by_call=False) for s in SEEDS]
    z = z_scores(intervals, reference)
    # every cause shows up (the story exercises them all)
    assert sorted(z) == ["call_failed: carrier bt is down",
                         "call_failed: service interrupted in the cutover window",
                         "call_lost: number quarantine",
                         "call_misrouted: bt's routing copy is behind", "offered"]
    assert all(abs(v) < Z_LIMIT for v in z.values()), z


@pytest.mark.slow
def test_the_comparison_tells_a_rate_fifteen_percent_off(reference) -> None:
    off = [counts(story(6.9), s, call_by_call=False) for s in SEEDS]
    z = z_scores(off, reference)
    assert abs(z["offered"]) > Z_LIMIT, z

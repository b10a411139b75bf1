"""sim.model.lifecycle: each name once, and written exactly as the strings it replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.model import EventKind, NumberStatus, PortState, simulate
from sim.model.lifecycle import PORTED, SETTLED, AccountState
from sim.report.outputs import STATE_COLOURS
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[4] / "scenarios"


@pytest.mark.parametrize("kind", [PortState, NumberStatus, AccountState, EventKind],
                         ids=lambda k: k.__name__)
def test_members_are_their_strings_in_json_and_as_keys(kind: type) -> None:
    for member in kind:
        assert member == member.value and hash(member) == hash(member.value)
        # the bytes of events.jsonl and summary.json (keys included) do not change
        assert json.dumps({member: [member]}, separators=(",", ":")) == (
            f'{{"{member.value}":["{member.value}"]}}')
        assert f"{member}" == member.value and {member.value: 1}[member] == 1


def test_every_port_and_account_state_has_a_colour_in_the_timeline() -> None:
    assert set(STATE_COLOURS) == set(PortState) | set(AccountState)


def test_settled_and_ported_states_do_not_overlap() -> None:
    assert not SETTLED & PORTED


def test_a_run_writes_only_the_lifecycle_names() -> None:
    result = simulate(load_scenario(SCENARIOS / "us_foc_temporary_number.yaml"))
    assert {e["event"] for e in result.events} <= set(EventKind)
    assert {e["state"] for e in result.events} - {None} <= set(PortState)

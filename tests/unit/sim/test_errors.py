"""sim.errors: the exception tree's parents, issue and error texts."""

from __future__ import annotations

import pytest

from sim import errors
from sim.errors import (
    AMIError,
    BadInputError,
    ConflictingUpdateError,
    CutoverError,
    HarnessError,
    HarnessTimeout,
    NoRouteError,
    NumberFormatError,
    RoutingError,
    ScenarioError,
    ScenarioIssue,
    SIPCallError,
    UnknownNumberError,
)


@pytest.mark.parametrize(("kind", "parents"), [
    (ScenarioError, (CutoverError, ValueError)),  # bad YAML is also a bad value
    (RoutingError, (CutoverError,)),
    (UnknownNumberError, (RoutingError, KeyError)),  # a lookup that misses
    (NoRouteError, (RoutingError,)),
    (ConflictingUpdateError, (RoutingError,)),
    (NumberFormatError, (CutoverError, ValueError)),
    (BadInputError, (CutoverError, ValueError)),
    (HarnessError, (CutoverError,)),
    (AMIError, (HarnessError,)),
    (SIPCallError, (HarnessError,)),
    (HarnessTimeout, (HarnessError, TimeoutError)),  # callers may catch the builtin
])
def test_every_error_has_its_documented_parents(kind: type[Exception],
                                                parents: tuple[type[Exception], ...]) -> None:
    assert all(issubclass(kind, parent) for parent in parents)


def test_the_tree_has_one_root() -> None:
    exported = [getattr(errors, name) for name in errors.__all__]
    kinds = [k for k in exported if isinstance(k, type) and issubclass(k, Exception)]
    assert len(kinds) == len(exported) - 1  # all but ScenarioIssue
    assert all(issubclass(k, CutoverError) for k in kinds)
    assert not issubclass(ValueError, CutoverError)


@pytest.mark.parametrize(("issue", "text"), [
    (ScenarioIssue("port_orders[0].gaining", "unknown carrier 'ee'", line=12),
     "port_orders[0].gaining (line 12): unknown carrier 'ee'"),
    (ScenarioIssue("regime", "missing"), "regime: missing"),  # no line known
])
def test_scenario_issue_text(issue: ScenarioIssue, text: str) -> None:
    assert str(issue) == text


def test_scenario_error_lines_one_per_issue_with_the_source() -> None:
    error = ScenarioError([ScenarioIssue("seed", "expected an integer", line=3),
                           ScenarioIssue("regime", "missing")], source="uk.yaml")
    assert error.lines() == ["uk.yaml: seed (line 3): expected an integer",
                             "uk.yaml: regime: missing"]
    assert str(error) == "\n".join(error.lines())
    assert ScenarioError(ScenarioIssue("x", "y")).issues == [ScenarioIssue("x", "y")]


def test_unknown_number_and_sip_call_error_carry_their_data() -> None:
    missing = UnknownNumberError("+442079460000")
    assert missing.number == "+442079460000"
    assert str(missing) == "+442079460000: number is not in any allocated range"
    busy = SIPCallError("call 1", status=486, reason="Busy Here")
    assert (str(busy), busy.status, busy.reason) == ("call 1", 486, "Busy Here")
    assert SIPCallError("x").status is None

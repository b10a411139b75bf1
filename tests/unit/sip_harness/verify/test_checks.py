"""The checks' verdicts without SIP: derived_checks on observations, and the call checks against a
fake fleet whose agents replay the arrivals a real call would have produced."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sim.errors import HarnessError, HarnessTimeout
from sip_harness.agents.fleet import CALLER
from sip_harness.agents.invite import Arrival
from sip_harness.verify.checks import (
    CHECKS,
    CheckResult,
    derived_checks,
    inbound,
    outbound_callerid,
    unallocated,
)
from sip_harness.verify.expectations import Expected, PrePort, Where

NUMBER = "+441632960001"
TEMPORARY = "+441632970555"
CALLER_ID = "+447700900123"
DESTINATION = "+447700900999"
OK = {"status": 200, "reason": "OK"}

EXP = Expected(checkpoint="after_cutover", number=NUMBER, origin="vodafone",
               carrier="callagenix", phone=True, reason="ported to callagenix (onward via bt)",
               presented=NUMBER, mailbox="960001", losing="bt", gaining="callagenix",
               ported=True)
BEFORE = dataclasses.replace(EXP, checkpoint="before", carrier="bt", phone=False,
                             reason="not ported: range holder bt", ported=False)


def arrival(ua: str, user: str, from_user: str, pai_user: str | None = None) -> dict[str, Any]:
    headers = {"from": f"<sip:{from_user}@127.0.0.1>", "to": f"<sip:{user}@127.0.0.1:5070>",
               "x-cutover-serving": ua}
    return Arrival(ua=ua, uri=f"sip:{user}@127.0.0.1:5070", user=user, from_user=from_user,
                   pai_user=pai_user, source="127.0.0.1:5060", headers=headers).as_dict()


#: The tag (X-Cutover-Call) of the last call placed: an arrival set up without a tag of its own
#: is that call's, as if the dialplan had copied the tag onto it.
LAST_TAG: list[str | None] = [None]


class FakeAgent:
    """The few agent methods the checks call; ``final`` is what the caller's call ends with."""

    def __init__(self, final: dict[str, Any] | Exception = OK) -> None:
        self.final = final
        self.seen: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []   # INVITEs its process answered itself
        self.calls: list[tuple[str, str, str | None]] = []
        self.log: list[str] = []

    def call(self, ua: str, uri: str, caller: str | None = None, tag: str | None = None) -> int:
        self.calls.append((ua, uri, caller))
        self.log.append("call")
        LAST_TAG[0] = tag
        return len(self.calls)

    def wait_call(self, cid: int, until: str, timeout: float) -> dict[str, Any]:
        self.log.append(f"wait {until}")
        if until == "disconnected":
            return {"status": 200, "reason": "OK", "state": "disconnected"}
        if isinstance(self.final, Exception):
            raise self.final
        return self.final

    def hangup(self, cid: int) -> None:
        self.log.append("hangup")

    def arrivals(self, **match: str) -> list[dict[str, Any]]:
        return [{**a, "headers": {"x-cutover-call": LAST_TAG[0], **a["headers"]}}
                for a in self.seen if all(a[k] == v for k, v in match.items())]


    def refusals(self, **match: str) -> list[dict[str, Any]]:
        return [{**a, "headers": {"x-cutover-call": LAST_TAG[0], **a["headers"]}}
                for a in self.refused if all(a[k] == v for k, v in match.items())]


class FakeFleet:
    """phone(), any_caller(), pace(), in_flight_call() and trunk_arrivals(), as Fleet has."""

    def __init__(self, agent: FakeAgent, trunk: FakeAgent | None = None) -> None:
        self.agent, self.trunk = agent, trunk or FakeAgent()
        self.paced = self.calls = self.in_flight = 0
        self.lines: list[Any] = []   # the agent of each call's line, in order

    def phone(self, number: str) -> FakeAgent:
        if number != NUMBER:
            raise HarnessError(f"no phone for {number} in this fleet")
        return self.agent

    def any_caller(self) -> FakeAgent:
        return self.agent

    def pace(self) -> None:
        self.paced += 1

    @contextmanager
    def line(self, agent: Any) -> Iterator[None]:
        self.lines.append(agent)
        yield

    @contextmanager
    def in_flight_call(self) -> Iterator[None]:
        self.in_flight += 1
        self.calls += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def trunk_arrivals(self, **match: str) -> list[dict[str, Any]]:
        return self.trunk.arrivals(**match)


# --- inbound -----------------------------------------------------------------------------------

def test_inbound_passes_at_the_customers_phone_with_the_callers_number() -> None:
    agent = FakeAgent()
    agent.seen.append(arrival(NUMBER, NUMBER, CALLER_ID))
    fleet = FakeFleet(agent)
    result, where = inbound(fleet, EXP, CALLER_ID)
    assert where == Where("callagenix", True)
    assert (result.check, result.expected, result.observed, result.passed) == (
        "inbound", "callagenix (customer's phone)", "callagenix (customer's phone)", True)
    assert result.reason == f"arrived at callagenix (customer's phone); caller ID {CALLER_ID} seen"
    assert result.evidence["arrived_at"] == NUMBER and result.evidence["status"] == 200
    assert result.evidence["serving"] == NUMBER
    # placed from the caller UA to the number at Asterisk, as the external caller
    assert agent.calls == [(CALLER, f"sip:{NUMBER}@127.0.0.1:5060", CALLER_ID)]
    assert agent.log == ["call", "wait final", "hangup", "wait disconnected"]
    assert (fleet.paced, fleet.calls, fleet.in_flight) == (1, 1, 0)
    assert fleet.lines == [agent]   # the call held its worker's line


def test_inbound_before_the_port_passes_at_the_losing_carriers_trunk() -> None:
    trunk = FakeAgent()
    trunk.seen.append(arrival("bt", NUMBER, CALLER_ID))
    result, where = inbound(FakeFleet(FakeAgent(), trunk), BEFORE, CALLER_ID)
    assert where == Where("bt", False)
    assert (result.expected, result.observed, result.passed) == ("bt", "bt", True)


def test_inbound_at_the_wrong_carrier_fails_naming_both() -> None:
    trunk = FakeAgent()
    trunk.seen.append(arrival("bt", NUMBER, CALLER_ID))
    result, where = inbound(FakeFleet(FakeAgent(), trunk), EXP, CALLER_ID)
    assert where == Where("bt", False)
    assert (result.observed, result.passed) == ("bt", False)
    assert result.reason == (f"{NUMBER} at after_cutover: expected callagenix (customer's phone) "
                             f"(ported to callagenix (onward via bt)); the call arrived at bt")


def test_inbound_at_the_gaining_trunk_is_not_at_the_phone() -> None:
    trunk = FakeAgent()
    trunk.seen.append(arrival("callagenix", NUMBER, CALLER_ID))
    result, where = inbound(FakeFleet(FakeAgent(), trunk), EXP, CALLER_ID)
    assert where == Where("callagenix", False)
    assert result.passed is False and result.observed == "callagenix"


def test_inbound_that_arrives_nowhere_says_what_the_caller_got() -> None:
    agent = FakeAgent({"status": 480, "reason": "Temporarily Unavailable"})
    other = arrival(NUMBER, NUMBER, CALLER_ID)  # another call's arrival: its own tag
    other["headers"]["x-cutover-call"] = "in-0-earlier"
    agent.seen.append(other)
    result, where = inbound(FakeFleet(agent), EXP, CALLER_ID)
    assert where is None
    assert (result.observed, result.passed, result.evidence) == ("nowhere", False,
                                                                 {"status": 480})
    assert result.reason.endswith("the call arrived nowhere (caller got 480 Temporarily "
                                  "Unavailable)")
    assert result.reason.startswith(f"{NUMBER} at after_cutover: expected callagenix")


def test_inbound_refused_by_the_phones_own_process_is_a_harness_error_not_arrived_nowhere(
        ) -> None:
    # pjsua answered 486 itself (the worker's call slots were full) and Asterisk took the call
    # to voicemail: the caller got 200, the phone saw nothing. That is the harness's fault, so
    # the check raises (the runner places it again) instead of failing the number.
    agent = FakeAgent()
    refused = arrival(NUMBER, "441632960001", CALLER_ID)
    refused["answered"] = 486
    agent.refused.append(refused)
    with pytest.raises(HarnessError, match=r"refused by its phone's own pjsua2 process \(486: "
                       r"all its call slots were taken\)"):
        inbound(FakeFleet(agent), EXP, CALLER_ID)
    # a refusal of another call (another tag) changes nothing: arrived nowhere, as it did
    refused["headers"]["x-cutover-call"] = "in-0-earlier"
    result, where = inbound(FakeFleet(agent), EXP, CALLER_ID)
    assert where is None and result.passed is False and result.observed == "nowhere"


def test_inbound_with_the_wrong_caller_id_says_so_not_that_it_arrived_nowhere() -> None:
    # the arrival is found by the call's own tag, whatever caller ID it shows
    agent = FakeAgent()
    agent.seen.append(arrival(NUMBER, NUMBER, "+447700900777"))
    result, where = inbound(FakeFleet(agent), EXP, CALLER_ID)
    assert where == Where("callagenix", True)
    assert (result.observed, result.passed) == ("callagenix (customer's phone)", False)
    assert result.reason == (f"{NUMBER} at after_cutover: the callee saw caller ID "
                             f"'+447700900777', not {CALLER_ID}")
    # and the call carried its tag
    assert LAST_TAG[0] is not None and LAST_TAG[0].endswith(NUMBER.lstrip("+"))


def test_inbound_hangs_up_even_when_the_call_times_out() -> None:
    agent = FakeAgent(HarnessTimeout("no final response"))
    fleet = FakeFleet(agent)
    with pytest.raises(HarnessTimeout):
        inbound(fleet, EXP, CALLER_ID)
    assert agent.log == ["call", "wait final", "hangup", "wait disconnected"]
    assert fleet.in_flight == 0


def test_inbound_for_a_number_without_a_phone_is_a_harness_error() -> None:
    other = dataclasses.replace(EXP, number="+441632960009")
    with pytest.raises(HarnessError, match="no phone for"):
        inbound(FakeFleet(FakeAgent()), other, CALLER_ID)


# --- outbound caller ID ------------------------------------------------------------------------

def test_outbound_passes_when_from_and_pai_present_the_expected_number() -> None:
    agent, trunk = FakeAgent(), FakeAgent()
    trunk.seen.append(arrival("vodafone", DESTINATION, NUMBER, NUMBER))
    result, seen = outbound_callerid(FakeFleet(agent, trunk), EXP, DESTINATION,
                                     "vodafone")
    assert seen == NUMBER
    assert (result.check, result.expected, result.observed, result.passed) == (
        "outbound_callerid", NUMBER, NUMBER, True)
    assert result.reason == f"From and PAI present {NUMBER}"
    assert agent.calls == [(NUMBER, f"sip:{DESTINATION}@127.0.0.1:5060", None)]


@pytest.mark.parametrize(("exp", "seen_from", "seen_pai", "at", "observed", "problems"), [
    # the temporary number expected (port not active), the ported number presented in both
    (dataclasses.replace(EXP, presented=TEMPORARY), NUMBER, NUMBER, "vodafone", NUMBER,
     f"expected {TEMPORARY} (the temporary number: the port is not active); "
     f"From presents '{NUMBER}'; P-Asserted-Identity presents '{NUMBER}'"),
    # PAI alone is wrong: observed names both headers
    (EXP, NUMBER, TEMPORARY, "vodafone", f"From {NUMBER}, PAI {TEMPORARY}",
     f"expected {NUMBER} (the ported number: the port is active); "
     f"P-Asserted-Identity presents '{TEMPORARY}'"),
    # no PAI at all
    (EXP, NUMBER, None, "vodafone", f"From {NUMBER}, PAI None",
     "P-Asserted-Identity presents None"),
    # right caller ID, delivered to the wrong carrier
    (EXP, NUMBER, NUMBER, "bt", NUMBER, "arrived at bt, not vodafone"),
])
def test_outbound_fails_on_each_wrong_header_or_carrier(
        exp: Expected, seen_from: str, seen_pai: str | None, at: str, observed: str,
        problems: str) -> None:
    trunk = FakeAgent()
    trunk.seen.append(arrival(at, DESTINATION, seen_from, seen_pai))
    result, seen = outbound_callerid(FakeFleet(FakeAgent(), trunk), exp, DESTINATION,
                                     "vodafone")
    assert seen == seen_from
    assert (result.observed, result.passed) == (observed, False)
    assert result.reason.startswith(f"{NUMBER} at after_cutover: expected ")
    assert problems in result.reason


def test_outbound_that_arrives_nowhere() -> None:
    trunk = FakeAgent()
    trunk.seen.append(arrival("vodafone", "+447700900000", NUMBER, NUMBER))  # another number
    agent = FakeAgent({"status": 403, "reason": "Forbidden"})
    result, seen = outbound_callerid(FakeFleet(agent, trunk), EXP, DESTINATION,
                                     "vodafone")
    assert seen is None
    assert (result.observed, result.passed, result.evidence) == ("nothing arrived", False,
                                                                 {"status": 403})
    assert result.reason == (f"{NUMBER} at after_cutover: a call from its phone to "
                             f"{DESTINATION} arrived nowhere (got 403 Forbidden)")


# --- unallocated -------------------------------------------------------------------------------

UNALLOCATED = "+440001000000"


@pytest.mark.parametrize(("final", "arrives", "passed", "observed"), [
    ({"status": 404, "reason": "Not Found"}, False, True, "404 Not Found"),   # as it should
    ({"status": 404, "reason": "Not Found"}, True, False,                    # 404, yet delivered
     "404 Not Found and arrived"),
    ({"status": 200, "reason": "OK"}, True, False, "200 OK and arrived"),     # routed somewhere
    ({"status": 503, "reason": "Service Unavailable"}, False, False,          # another refusal
     "503 Service Unavailable"),
])
def test_unallocated_wants_404_and_no_arrival(final: dict[str, Any], arrives: bool,
                                              passed: bool, observed: str) -> None:
    agent, trunk = FakeAgent(final), FakeAgent()
    if arrives:
        trunk.seen.append(arrival("bt", UNALLOCATED, CALLER_ID))
    result = unallocated(FakeFleet(agent, trunk), "before", UNALLOCATED, CALLER_ID)
    assert (result.check, result.expected, result.observed, result.passed) == (
        "unallocated", "404", observed, passed)
    assert result.reason == ("404: no range holds it" if passed else
                             f"{UNALLOCATED} at before: unallocated, expected 404; got {observed}")
    assert result.evidence["status"] == final["status"]
    assert agent.calls == [(CALLER, f"sip:{UNALLOCATED}@127.0.0.1:5060", CALLER_ID)]


# --- derived checks ----------------------------------------------------------------------------

def test_a_ported_number_without_a_rollback_has_no_derived_checks() -> None:
    assert derived_checks(EXP, Where("callagenix", True), NUMBER, {}) == []


@pytest.mark.parametrize(("arrived", "passed", "observed"), [
    (Where("bt", False), True, "bt"),                               # the losing carrier's trunk
    (Where("bt", True), False, "bt (customer's phone)"),            # a phone at bt: not its trunk
    (Where("callagenix", True), False, "callagenix (customer's phone)"),  # ported too early
    (None, False, "nowhere"),                                       # the call went nowhere
])
def test_not_ported_wants_the_losing_carrier(arrived: Where | None, passed: bool,
                                             observed: str) -> None:
    evidence = {"status": 200}
    [result] = derived_checks(BEFORE, arrived, NUMBER, evidence)
    assert (result.checkpoint, result.number, result.check, result.expected) == (
        "before", NUMBER, "not_ported", "bt")
    assert (result.observed, result.passed, result.evidence) == (observed, passed, evidence)
    assert result.reason == ("not yet ported: reaches the losing carrier bt" if passed else
                             f"{NUMBER} at before: not ported (not ported: range holder bt), "
                             f"expected the losing carrier bt; the call arrived at {observed}")


ROLLED_BACK = dataclasses.replace(BEFORE, checkpoint="after_rollback",
                                  pre_port=PrePort("bt", False, TEMPORARY))


@pytest.mark.parametrize(("arrived", "presented", "passed"), [
    (Where("bt", False), TEMPORARY, True),      # back where it was, presenting as before
    (Where("bt", False), NUMBER, False),        # routing restored, caller ID not
    (Where("callagenix", True), TEMPORARY, False),  # caller ID restored, routing not
    (None, None, False),                        # nothing arrived anywhere
])
def test_rollback_wants_the_pre_port_routing_and_caller_id(
        arrived: Where | None, presented: str | None, passed: bool) -> None:
    results = derived_checks(ROLLED_BACK, arrived, presented, {})
    assert [r.check for r in results] == ["not_ported", "rollback"]
    rollback = results[1]
    assert rollback.expected == f"bt, presents {TEMPORARY}"
    got = f"{arrived if arrived else 'nowhere'}, presents {presented}"
    assert (rollback.observed, rollback.passed) == (got, passed)
    assert rollback.reason == ("rolled back: matches the pre-port state" if passed else
                               f"{NUMBER} at after_rollback: after the rollback expected the "
                               f"pre-port state (bt, presents {TEMPORARY}); observed {got}")


def test_a_rollback_to_a_phone_compares_the_phone_too() -> None:
    exp = dataclasses.replace(EXP, pre_port=PrePort("callagenix", True, NUMBER))
    [ok] = derived_checks(exp, Where("callagenix", True), NUMBER, {})
    [bad] = derived_checks(exp, Where("callagenix", False), NUMBER, {})
    assert (ok.check, ok.passed, bad.passed) == ("rollback", True, False)
    assert ok.expected == f"callagenix (customer's phone), presents {NUMBER}"


def test_results_are_flat_records() -> None:
    [result] = derived_checks(BEFORE, Where("bt", False), None, {"k": 1})
    assert isinstance(result, CheckResult)
    assert result.as_dict() == {"checkpoint": "before", "number": NUMBER, "check": "not_ported",
                                "expected": "bt", "observed": "bt", "passed": True,
                                "reason": "not yet ported: reaches the losing carrier bt",
                                "evidence": {"k": 1}, "retried": False}
    assert set(CHECKS) >= {r.check for r in derived_checks(ROLLED_BACK, None, None, {})}

"""sip_harness.verify.judge: the comparison both engines share, on hand-made arrivals."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sip_harness.agents.invite import Arrival
from sip_harness.verify.expectations import Expected, Where
from sip_harness.verify.judge import inbound_verdict, outbound_verdict

DDI = "+441632960002"
CALLER = "+447700900123"
PBX = "pbx-acme-callagenix"
EXP = Expected(checkpoint="after_cutover", number=DDI, origin="vodafone", carrier="callagenix",
               phone=True, reason="ported to callagenix", presented=DDI, mailbox=None,
               losing="bt", gaining="callagenix", ported=True, pbx=PBX)


def arrival(ua: str, r_uri: str, to: str, from_user: str, pai: str | None = None
            ) -> dict[str, Any]:
    headers = {"from": f"<sip:{from_user}@127.0.0.1>", "to": f"<sip:{to}@127.1.0.1>"}
    return Arrival(ua=ua, uri=f"sip:{r_uri}@127.1.0.1:5060", user=r_uri, from_user=from_user,
                   pai_user=pai, source="127.0.0.1:5060", headers=headers).as_dict()


@pytest.mark.parametrize(("got", "passed", "words"), [
    # at the customer's PBX, number in Request-URI and To, caller seen
    (arrival(PBX, DDI, DDI, CALLER), True, "arrived at callagenix (customer's PBX)"),
    # left on the old trunk (a misconfigured number)
    (arrival("bt", DDI, DDI, CALLER), False, "the call arrived at bt"),
    # the PBX got another number in the Request-URI (national form, no plus)
    (arrival(PBX, "01632960002", DDI, CALLER), False, "Request-URI carries '01632960002'"),
    # To rewritten
    (arrival(PBX, DDI, "+441632960003", CALLER), False, "To carries '+441632960003'"),
    # the caller ID was lost on the way
    (arrival(PBX, DDI, DDI, "anonymous"), False, "saw caller ID 'anonymous'"),
])
def test_inbound_at_a_pbx_checks_place_request_uri_to_and_caller(
        got: dict[str, Any], passed: bool, words: str) -> None:
    verdict, where = inbound_verdict(EXP, CALLER, got, "486 Busy Here")
    assert verdict.passed is passed and words in verdict.reason
    assert verdict.expected == "callagenix (customer's PBX)"
    assert where == (Where("callagenix", True, True) if got["ua"] == PBX else Where("bt", False))


def test_a_ddi_delivered_to_another_sites_pbx_trunk_fails_naming_both() -> None:
    got = arrival("pbx-acme-depot-callagenix", DDI, DDI, CALLER)
    verdict, where = inbound_verdict(EXP, CALLER, got, "486 Busy Here")
    assert not verdict.passed and where == Where("pbx-acme-depot-callagenix", False)
    assert (f"expected callagenix (customer's PBX) on {PBX} (ported to callagenix); the call "
            "arrived at pbx-acme-depot-callagenix") in verdict.reason


def test_inbound_nowhere_says_what_the_caller_got() -> None:
    verdict, where = inbound_verdict(EXP, CALLER, None, "404")
    assert where is None and not verdict.passed
    assert verdict.reason.endswith("the call arrived nowhere (caller got 404)")


def test_a_phone_is_reached_by_its_extension_so_its_request_uri_is_not_the_number() -> None:
    exp = dataclasses.replace(EXP, pbx=None)
    verdict, where = inbound_verdict(exp, CALLER, arrival(DDI, "441632960002", "441632960002",
                                                          CALLER), "200")
    assert verdict.passed and where == Where("callagenix", True)


@pytest.mark.parametrize(("got", "passed", "words"), [
    (arrival("vodafone", "+447700900999", "+447700900999", DDI, DDI), True, "From and PAI"),
    (arrival("vodafone", "+447700900999", "+447700900999", DDI, None), False,
     "P-Asserted-Identity presents None"),
    (arrival("vodafone", "+447700900998", "+447700900999", DDI, DDI), False,
     "Request-URI carries '+447700900998'"),
    (arrival("bt", "+447700900999", "+447700900999", DDI, DDI), False, "arrived at bt"),
])
def test_outbound_checks_from_pai_place_and_request_uri(got: dict[str, Any], passed: bool,
                                                        words: str) -> None:
    verdict = outbound_verdict(EXP, "+447700900999", "vodafone", got, "486", source="PBX")
    assert verdict.passed is passed and words in verdict.reason


def test_outbound_nowhere_names_the_source() -> None:
    verdict = outbound_verdict(EXP, "+447700900999", "vodafone", None, "403", source="PBX")
    assert "a call from its PBX to +447700900999 arrived nowhere (got 403)" in verdict.reason

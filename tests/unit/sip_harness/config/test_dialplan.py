"""The dialplan: longest-prefix range holders as Asterisk orders patterns, delivery to hosted
phones or trunks, the path of carriers per routing scheme, caller ID read from AstDB."""

from __future__ import annotations

import re

import pytest

from sim.model import simulate
from sip_harness.config import render, routing_view
from sip_harness.config.dialplan import RING_SECONDS
from sip_harness.topology import carrier_addresses

from .configs import (
    AFTER,
    BEFORE,
    NESTED_RANGES,
    UK,
    UK_RANGES,
    dialplan,
    scenario,
    two_sites,
    uk_with,
    view,
    view_of,
)


def _weight(pattern: str) -> list[tuple[int, str]]:
    """Asterisk's ext_cmp order of a pattern (without '_'): per position, how many characters
    it matches, then the lowest one; '.' matches "one or more of anything" and sorts last."""
    key, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            j = pattern.index("]", i)
            chars = _class(pattern[i + 1:j])
            key.append((len(chars), min(chars)))
            i = j + 1
            continue
        key.append({"X": (10, "0"), "Z": (9, "1"), "N": (8, "2"), ".": (0x3FE, "")}.get(
            c, (1, c)))
        i += 1
    return key


def _class(body: str) -> set[str]:
    chars, i = set(), 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars |= {chr(k) for k in range(ord(body[i]), ord(body[i + 2]) + 1)}
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return chars


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            j = pattern.index("]", i)
            out += "[" + re.escape("".join(sorted(_class(pattern[i + 1:j])))) + "]"
            i = j + 1
            continue
        out += {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+"}.get(c, re.escape(c))
        i += 1
    return re.compile(out)


def asterisk_match(context: list[tuple[str, str]], number: str) -> str:
    """The first priority's 'App(args)' Asterisk runs for ``number`` in this context."""
    firsts = [(e, rest.split(",", 1)[1]) for e, rest in context if rest.startswith("1,")]
    literal = [app for e, app in firsts if e == number]
    if literal:  # literal extensions come before patterns
        return literal[0]
    patterns = sorted((_weight(e[1:]), e, app) for e, app in firsts if e.startswith("_"))
    for _, e, app in patterns:
        if _regex(e[1:]).fullmatch(number):
            return app
    raise LookupError(number)


def test_holder_context_lists_longest_prefix_first() -> None:
    s = uk_with(UK_RANGES, NESTED_RANGES)
    holder = dialplan(render(view_of(s, BEFORE), s)["extensions.conf"])["cutover-holder"]
    assert [e for e, _ in holder] == [
        "_+447700900.", "_+44163296.", "_+44163297.", "_+441632.", "_+4416.", "_[+0-9]."]


@pytest.mark.parametrize("number, holder", [
    ("+441632960001", "bt"),          # +44 1632 96 beats +44 1632 and +44 16
    ("+441632970001", "callagenix"),  # +44 1632 97
    ("+441632550001", "callagenix"),  # +44 1632 beats +44 16
    ("+441619990000", "vodafone"),    # only +44 16
    ("+447700900123", "vodafone"),    # a range of its own
    ("+441700000000", None),          # no range: the catch-all, unallocated (404)
    ("+12125550141", None),           # another country entirely
])
def test_asterisk_pattern_order_picks_the_longest_prefix(number: str, holder: str | None) -> None:
    s = uk_with(UK_RANGES, NESTED_RANGES)
    routing = simulate(s, until=BEFORE).routing
    conf = render(routing_view(s, routing.snapshot), s)["extensions.conf"]
    holder_ctx = dialplan(conf)["cutover-holder"]
    assert asterisk_match(holder_ctx, number) == f"Return({holder or ''})"
    if holder is not None:  # the routing core agrees
        assert routing.range_holder(number) == holder


@pytest.mark.parametrize("number, carrier", [
    ("+441632960001", None),          # hosted on callagenix: rings the phone, then voicemail
    ("+441632970055", "callagenix"),  # any other callagenix number: down its trunk
])
def test_delivery_prefers_the_hosted_phone(number: str, carrier: str | None) -> None:
    plan = dialplan(render(view(UK, "after_cutover"), scenario(UK))["extensions.conf"])
    app = asterisk_match(plan["cutover-deliver-callagenix"], number)
    if carrier is None:
        assert app.startswith(f"Dial(PJSIP/{number[1:]},{RING_SECONDS},b(cutover-headers^s^1))")
        steps = [rest for e, rest in plan["cutover-deliver-callagenix"] if e == number]
        assert steps[1] == "n,VoiceMail(960001@cutover,su)"
    else:
        host = carrier_addresses(scenario(UK).carrier_ids)[carrier].deliver_to
        assert app == f"Dial(PJSIP/{carrier}/sip:${{EXTEN}}@{host},30,b(cutover-headers^s^1))"


HOLDER_STEP = "Set(__CUTOVER_PATH=${CUTOVER_PATH}${IF("


@pytest.mark.parametrize("name, scheme, path_steps", [
    (UK, "onward", 2),                       # origin, then the range holder, then serving
    ("pt_mobile_pvc", "direct", 1),          # origin, then serving: no holder
    ("us_foc_temporary_number", "direct", 1),
])
def test_path_header_follows_the_scheme(name: str, scheme: str, path_steps: int) -> None:
    v = view(name, "after_cutover")
    route = dialplan(render(v, scenario(name))["extensions.conf"])["cutover-route"]
    steps = [rest for _, rest in route if HOLDER_STEP in rest]
    assert v.scheme == scheme
    assert len(steps) == path_steps
    assert ("?,${CUTOVER_HOLDER})" in steps[0]) == (scheme == "onward")
    assert steps[-1].endswith("?,${CUTOVER_SERVING})})")


def test_phone_context_reads_caller_id_from_astdb_with_its_number_as_fallback() -> None:
    plan = dialplan(render(view("us_foc_temporary_number", "before"),
                           scenario("us_foc_temporary_number"))["extensions.conf"])
    steps = [rest for _, rest in plan["from-phone-12125550141"]]
    assert "n,Set(CUTOVER_CALLERID=${DB(cutover-callerid/+12125550141)})" in steps
    assert ('n,Set(CALLERID(num)=${IF($["${CUTOVER_CALLERID}" = ""]?+12125550141'
            ':${CUTOVER_CALLERID})})') in steps
    assert steps[0] == "1,Set(__CUTOVER_ORIGIN=ooma)"
    assert "1,VoiceMailMain(0141@cutover)" in steps


def test_ddi_numbers_go_down_the_pbx_trunk_and_the_pbx_may_present_only_its_own() -> None:
    s = scenario(UK)
    plan = dialplan(render(view(UK, "after_cutover"), s)["extensions.conf"])
    pbx = "pbx-acme-callagenix"
    deliver: dict[str, str] = {}
    for exten, step in plan["cutover-deliver-callagenix"]:
        deliver.setdefault(exten, step)  # each extension's first priority
    assert deliver["+441632960002"].startswith(
        f"1,Dial(PJSIP/{pbx}/sip:${{EXTEN}}@127.1.0.1:5060,")
    assert "+441632960001" in deliver  # the mailbox's number: a phone, rung by its extension
    assert "PJSIP/441632960001," in deliver["+441632960001"]
    steps = [step for _, step in plan[f"from-{pbx}"]]
    assert any(f"Gosub(ddi-{pbx},${{CUTOVER_DDI}},1)" in step for step in steps)
    assert steps[-1] == "n,Hangup(21)"  # refused: 403
    own = [(exten, step) for exten, step in plan[f"ddi-{pbx}"]]
    assert own == [("+441632960002", "1,Return(yes)"), ("+441632960003", "1,Return(yes)"),
                   ("_[+0-9].", "1,Return()")]


def test_each_ddi_goes_down_its_sites_pbx_trunk_and_each_pbx_presents_only_its_own() -> None:
    s = two_sites('      - {id: depot, numbers: ["01632 960003"]}\n'
                  '      - {id: yard, numbers: ["01632 960002"]}\n')
    plan = dialplan(render(view_of(s, AFTER), s)["extensions.conf"])
    # addresses in the order the numbers come: +441632960002's trunk first
    deliver = dict(reversed(plan["cutover-deliver-callagenix"]))  # each one's first step
    assert deliver["+441632960002"].startswith(
        "1,Dial(PJSIP/pbx-acme-yard-callagenix/sip:${EXTEN}@127.1.0.1:5060,")
    assert deliver["+441632960003"].startswith(
        "1,Dial(PJSIP/pbx-acme-depot-callagenix/sip:${EXTEN}@127.1.0.2:5060,")
    assert "PJSIP/441632960001," in deliver["+441632960001"]  # the mailbox's: a phone
    for pbx, own in (("pbx-acme-depot-callagenix", "+441632960003"),
                     ("pbx-acme-yard-callagenix", "+441632960002")):
        assert plan[f"ddi-{pbx}"] == [(own, "1,Return(yes)"), ("_[+0-9].", "1,Return()")]
        steps = [step for _, step in plan[f"from-{pbx}"]]
        assert f"n,Gosub(ddi-{pbx},${{CUTOVER_DDI}},1)" in steps
    assert "from-pbx-acme-callagenix" not in plan  # every DDI is on a site: no main trunk

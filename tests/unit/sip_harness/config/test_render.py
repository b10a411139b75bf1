"""Config generation: routing state at an instant -> pjsip.conf, extensions.conf, voicemail.conf.

Golden files hold the generated config of uk_gnp_weekend before and after its cutover.
Regenerate after an intended change with
``CUTOVER_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_confgen.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from sim.errors import HarnessError
from sim.model import simulate
from sim.routing import RoutingCore
from sim.scenario import Scenario, load_scenario, scenario_from_text
from sip_harness.config.dialplan import RING_SECONDS
from sip_harness.config.render import (
    CONFIG_FILES,
    RoutingView,
    astdb_diff,
    astdb_entries,
    hosted_phones,
    mailbox_pin,
    needs_reload,
    render,
    routing_view,
)
from sip_harness.topology import carrier_addresses

ROOT = Path(__file__).resolve().parents[4]
GOLDEN = ROOT / "tests" / "golden" / "asterisk"
UK = "uk_gnp_weekend"
BEFORE = datetime(2026, 11, 27, 12, tzinfo=UTC)
AFTER = datetime(2026, 11, 28, 6, tzinfo=UTC)


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


@cache
def view(name: str, checkpoint: str) -> RoutingView:
    s = scenario(name)
    at = s.checkpoint(checkpoint).at
    return routing_view(s, simulate(s, until=at).routing, at=at)


def view_of(s: Scenario, at: datetime) -> RoutingView:
    return routing_view(s, simulate(s, until=at).routing, at=at)


def uk_with(replace: str = "", by: str = "", port_order_extra: str = "") -> Scenario:
    """uk_gnp_weekend with a piece of YAML replaced, and lines added to its port order."""
    text = (ROOT / "scenarios" / f"{UK}.yaml").read_text()
    if replace:
        assert replace in text
        text = text.replace(replace, by)
    anchor = ("    requested_date: 2026-11-28T00:00:00"
              "   # Saturday midnight, the usual weekend slot\n")
    assert anchor in text
    text = text.replace(anchor, anchor + port_order_extra)
    return scenario_from_text(text, name=UK)


# --- reading the generated text back -------------------------------------------------------

def sections(conf: str) -> list[tuple[str, dict[str, str]]]:
    """pjsip.conf / voicemail.conf as (section, options) in order; names may repeat."""
    out: list[tuple[str, dict[str, str]]] = []
    for raw in conf.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            out.append((line[1:-1], {}))
        elif line:
            sep = "=>" if "=>" in line else "="
            key, value = line.split(sep, 1)
            out[-1][1][key.strip()] = value.strip()
    return out


def dialplan(conf: str) -> dict[str, list[tuple[str, str]]]:
    """extensions.conf as context -> [(extension, 'priority,App(args)')], 'same' lines kept."""
    contexts: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in conf.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            current = line[1:-1]
            contexts[current] = []
        elif line.startswith("exten =>"):
            exten, rest = line[len("exten =>"):].strip().split(",", 1)
            contexts[current].append((exten, rest))
        elif line.startswith("same =>"):
            contexts[current].append((contexts[current][-1][0], line[len("same =>"):].strip()))
    return contexts


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


# --- golden files ----------------------------------------------------------------------------

@pytest.mark.parametrize("checkpoint", ["before", "after_cutover"])
@pytest.mark.parametrize("name", [UK])
def test_config_matches_golden(name: str, checkpoint: str) -> None:
    files = render(view(name, checkpoint), scenario(name))
    assert tuple(files) == CONFIG_FILES
    where = GOLDEN / name / checkpoint
    if os.environ.get("CUTOVER_UPDATE_GOLDEN") == "1":
        where.mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            (where / file).write_text(text)
    for file, text in files.items():
        golden = where / file
        assert golden.exists(), f"no golden file {golden}: run with CUTOVER_UPDATE_GOLDEN=1"
        assert text == golden.read_text(), f"{golden} differs"


def test_uk_checkpoints_are_the_instants_of_the_issue() -> None:
    assert scenario(UK).checkpoint("before").at == BEFORE
    assert scenario(UK).checkpoint("after_cutover").at == AFTER


def test_uk_astdb_before_and_after_cutover() -> None:
    numbers = ("+441632960001", "+441632960002", "+441632960003")
    own = {("cutover-callerid", n): n for n in numbers}
    assert astdb_entries(view(UK, "before")) == own  # nothing ported
    assert astdb_entries(view(UK, "after_cutover")) == {
        **{("cutover-ported", n): "callagenix" for n in numbers}, **own}


def test_cutover_is_live_only_and_rollback_is_its_inverse() -> None:
    before, after = view(UK, "before"), view(UK, "after_cutover")
    a, b = render(before, scenario(UK)), render(after, scenario(UK))
    for file in CONFIG_FILES:  # only the header's instant differs: no reload needed
        assert a[file].splitlines()[1:] == b[file].splitlines()[1:]
    assert not needs_reload(before, after)
    puts, deletes = astdb_diff(before, after)
    assert puts == {("cutover-ported", f"+44163296000{i}"): "callagenix" for i in (1, 2, 3)}
    assert deletes == ()
    puts, deletes = astdb_diff(after, before)
    assert puts == {}
    assert deletes == tuple(("cutover-ported", f"+44163296000{i}") for i in (1, 2, 3))
    assert astdb_diff(None, after) == (astdb_entries(after), ())


# --- the number plan in the dialplan -----------------------------------------------------------

NESTED_RANGES = """\
ranges:
  - {prefix: "+44 16", holder: vodafone}
  - {prefix: "+44 1632 96", holder: bt}
  - {prefix: "+44 1632", holder: callagenix}
  - {prefix: "+44 1632 97", holder: callagenix}
  - {prefix: "+44 7700 900", holder: vodafone}
"""
UK_RANGES = """\
ranges:
  - {prefix: "+44 1632 96", holder: bt}
  - {prefix: "+44 1632 97", holder: callagenix}
  - {prefix: "+44 7700 900", holder: vodafone}
"""


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
    holder_ctx = dialplan(render(routing_view(s, routing), s)["extensions.conf"])["cutover-holder"]
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


# --- routing schemes ---------------------------------------------------------------------------

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


def test_direct_scenario_ports_straight_to_the_serving_carrier() -> None:
    v = view("pt_mobile_pvc", "after_cutover")
    assert v.ported == {
        "+351912345678": "nos",
        **{f"+3512100001{i:02d}": "nos" for i in range(10)},
        "+351210000200": "vodafone_pt", "+351210000201": "vodafone_pt",
        "+351210000300": "nos",
    }
    assert v.voicemail == {"+351210000300": "2100300"}


# --- caller ID --------------------------------------------------------------------------------

@pytest.mark.parametrize("checkpoint, number, presented", [
    ("before", "+12125550141", "+16465550190"),         # before the port: the temporary number
    ("before", "+12125550143", "+16465550190"),
    ("after_cutover", "+12125550141", "+12125550141"),  # port active: the ported number
    ("after_cutover", "+12125550143", "+12125550143"),
    ("before", "+12125550150", "+12125550150"),         # no temporary number: its own
    ("after_cutover", "+12125550150", "+12125550150"),  # lost to early cancellation: its own
])
def test_us_caller_id_is_temporary_then_ported(checkpoint: str, number: str,
                                               presented: str) -> None:
    v = view("us_foc_temporary_number", checkpoint)
    assert v.callerid[number] == presented
    assert astdb_entries(v)[("cutover-callerid", number)] == presented


def test_phone_context_reads_caller_id_from_astdb_with_its_number_as_fallback() -> None:
    plan = dialplan(render(view("us_foc_temporary_number", "before"),
                           scenario("us_foc_temporary_number"))["extensions.conf"])
    steps = [rest for _, rest in plan["from-phone-12125550141"]]
    assert "n,Set(CUTOVER_CALLERID=${DB(cutover-callerid/+12125550141)})" in steps
    assert ('n,Set(CALLERID(num)=${IF($["${CUTOVER_CALLERID}" = ""]?+12125550141'
            ':${CUTOVER_CALLERID})})') in steps
    assert steps[0] == "1,Set(__CUTOVER_ORIGIN=ooma)"
    assert "1,VoiceMailMain(0141@cutover)" in steps


# --- pjsip.conf ---------------------------------------------------------------------------------

NAMES = ["uk_gnp_weekend", "uk_ngn_reseller_rollback", "pt_mobile_pvc", "us_foc_temporary_number"]


@pytest.mark.parametrize("name", NAMES)
def test_every_carrier_has_endpoint_aor_and_identify(name: str) -> None:
    s = scenario(name)
    conf = sections(render(view(name, "before"), s)["pjsip.conf"])
    for carrier, trunk in carrier_addresses(s.carrier_ids).items():
        kinds = {opts["type"]: opts for sec, opts in conf if sec == carrier}
        assert set(kinds) == {"endpoint", "aor", "identify"}
        assert kinds["endpoint"]["context"] == f"from-carrier-{carrier}"
        assert kinds["endpoint"]["send_pai"] == "yes"
        assert kinds["aor"]["contact"] == f"sip:{trunk.host}:5060"
        assert kinds["identify"] == {"type": "identify", "endpoint": carrier, "match": trunk.host}
    for number, phone in hosted_phones(s).items():
        kinds = {opts["type"]: opts for sec, opts in conf if sec == phone.extension}
        assert set(kinds) == {"endpoint", "aor", "identify"}
        assert kinds["aor"]["contact"] == phone.contact
        assert kinds["identify"]["match"] == phone.host
        box = view(name, "before").voicemail.get(number)
        assert kinds["endpoint"].get("mailboxes") == (box and f"{box}@cutover")
    transports = [opts for _, opts in conf if opts["type"] == "transport"]
    assert transports == [{"type": "transport", "protocol": "udp", "bind": "127.0.0.1:5060"}]


@pytest.mark.parametrize("name", NAMES)
def test_every_context_the_config_names_exists(name: str) -> None:
    files = render(view(name, "before"), scenario(name))
    plan = dialplan(files["extensions.conf"])
    endpoints = {sec: o for sec, o in sections(files["pjsip.conf"]) if o["type"] == "endpoint"}
    for o in endpoints.values():
        assert o["context"] in plan
    for carrier in scenario(name).carrier_ids:
        assert f"cutover-deliver-{carrier}" in plan
    for ctx in plan.values():
        for _, step in ctx:
            for target in re.findall(r"Dial\(PJSIP/([^/,]+)", step):
                assert target in endpoints
    boxes = dict(sections(files["voicemail.conf"]))["cutover"]
    owner = {n: c.name for c in scenario(name).customers for n in c.numbers}
    assert boxes == {box: f"{mailbox_pin(box)},{owner[n]} {n}"
                     for n, box in view(name, "before").voicemail.items()}
    assert boxes  # every bundled scenario has a mailbox on a ported number


# --- determinism ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_rendering_is_deterministic(name: str) -> None:
    s = scenario(name)
    at = s.checkpoint("after_cutover").at
    core = simulate(s, until=at).routing
    again = routing_view(s, simulate(s, until=at).routing, at=at)
    assert routing_view(s, core, at=at) == routing_view(s, core.snapshot, at=at) == again
    assert render(again, s) == render(view(name, "after_cutover"), s)


# --- the misconfigure fault ----------------------------------------------------------------------

@pytest.mark.parametrize("fault, at, number, expected", [
    # after the port: the faulty number stays on the old trunk (bt, the range holder: unported)
    ('{kind: misconfigure, number: "01632 960002"}', AFTER, "+441632960002", None),
    # the other numbers of the order are right
    ('{kind: misconfigure, number: "01632 960002"}', AFTER, "+441632960001", "callagenix"),
    # before the port nothing is wrong yet
    ('{kind: misconfigure, number: "01632 960002"}', BEFORE, "+441632960002", None),
    # without a number: the order's first number
    ("{kind: misconfigure}", AFTER, "+441632960001", None),
])
def test_misconfigure_fault_leaves_the_number_on_the_losing_carrier(
        fault: str, at: datetime, number: str, expected: str | None) -> None:
    s = uk_with(port_order_extra=f"    faults:\n      - {fault}\n")
    v = view_of(s, at)
    assert astdb_entries(v).get(("cutover-ported", number)) == expected
    assert v.callerid[number] == number  # only the inbound routing is wrong
    if at == AFTER and expected is None:
        assert v.misconfigured == {number: "bt"}
        # the routing core, which the checks' expectations come from, says callagenix
        assert simulate(s, until=at).routing.serving_carrier(number) == "callagenix"


def test_misconfigure_to_a_losing_carrier_that_is_not_the_range_holder() -> None:
    s = uk_with("    authorised_signers: [Jane Holt]\n",
                "    authorised_signers: [Jane Holt]\n    carrier: vodafone\n",
                '    faults:\n      - {kind: misconfigure, number: "01632 960003"}\n')
    core = simulate(s, until=AFTER).routing
    assert core.serving_carrier("+441632960003") == "callagenix"  # ported from vodafone
    v = routing_view(s, core, at=AFTER)
    assert v.ported["+441632960003"] == "vodafone"
    assert v.ported["+441632960001"] == "callagenix"


# --- small pieces and errors ---------------------------------------------------------------------

@pytest.mark.parametrize("box, pin", [
    ("960001", "0001"),   # last four digits
    ("0141", "0141"),     # exactly four
    ("12", "0012"),       # zero-padded
])
def test_mailbox_pin(box: str, pin: str) -> None:
    assert mailbox_pin(box) == pin


def test_header_names_scenario_and_instant() -> None:
    files = render(view(UK, "before"), scenario(UK))
    for file, text in files.items():
        assert text.startswith(f"; {file}: generated by cutover from uk_gnp_weekend at "
                               "2026-11-27T12:00:00Z; do not edit.\n")
    s = scenario(UK)
    unspecified = routing_view(s, simulate(s, until=BEFORE).routing)
    assert "at an unspecified instant" in render(unspecified, s)["pjsip.conf"]


def test_view_of_other_carriers_is_refused() -> None:
    core = RoutingCore(["bt", "callagenix"], [("bt", "callagenix")], [("+44163296", "bt")])
    with pytest.raises(HarnessError, match="routing carriers"):
        routing_view(scenario(UK), core)


def test_render_with_another_scenario_is_refused() -> None:
    with pytest.raises(HarnessError, match="rendered with scenario"):
        render(view(UK, "before"), scenario("pt_mobile_pvc"))


def test_reload_needed_when_the_number_plan_changes() -> None:
    s = uk_with(UK_RANGES, NESTED_RANGES)
    assert needs_reload(view(UK, "before"), view_of(s, BEFORE))

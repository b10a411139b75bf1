"""The dialplan (extensions.conf) that makes Asterisk route calls as the routing state says.

Call flow::

    carrier trunk  -> [from-carrier-<id>]    CUTOVER_ORIGIN = the carrier
    customer phone -> [from-phone-<digits>]  CUTOVER_ORIGIN = its hosted carrier,
                                             caller ID = AstDB cutover-callerid/<number>
    customer PBX   -> [from-pbx-<customer>[-<site>]-<carrier>]  the same, <number> = the DDI
                                             the PBX presents in From (403 if it is not one
                                             of its site's DDIs)
        -> [cutover-route]  range holder from [cutover-holder] (none: Hangup(1), SIP 404);
                            serving carrier = AstDB cutover-ported/<number>, else the holder;
                            X-Cutover-* headers for the outbound leg
        -> [cutover-deliver-<serving>]  a hosted number rings its phone, then voicemail, or
                                        goes down the PBX trunk of its customer's site;
                                        any other number goes down the carrier's trunk

What changes at a cutover or a rollback (ported numbers, presented caller ID) is read from
AstDB at call time, so it is applied live with DBPut/DBDel and no reload. Ranges, trunks, phones
and mailboxes are in the text and change with ``dialplan reload``.

Asterisk 22 modules this needs (all in ``asterisk_conf/modules.conf``): pbx_config, app_dial,
app_stack (Gosub/Return), app_voicemail, func_db, func_logic (IF), func_callerid,
res_pjsip_header_funcs (PJSIP_HEADER), res_mutestream (MUTEAUDIO, for the
``one_way_audio`` fault). No ExecIf (app_exec) or DIALPLAN_EXISTS (func_dialplan).
"""

from __future__ import annotations

from collections.abc import Mapping

from sip_harness.config.astdb import CALLERID_FAMILY, PORTED_FAMILY
from sip_harness.config.view import RoutingView
from sip_harness.topology import PbxAddress, PbxSite, PhoneAddress, TrunkAddress

__all__ = [
    "VOICEMAIL_CONTEXT",
    "VOICEMAIL_MAIN",
    "RING_SECONDS",
    "TRUNK_SECONDS",
    "HEADERS",
    "CALL_TAG",
    "render_extensions",
    # Re-exported while sip_harness/asterisk/live.py imports them from here (they live in
    # sip_harness.config.astdb). Drop then.
]

#: The voicemail.conf context holding every mailbox.
VOICEMAIL_CONTEXT = "cutover"
#: What a customer phone dials to reach its own mailbox (VoiceMailMain asks for the PIN).
VOICEMAIL_MAIN = "*98"
#: Seconds a hosted phone rings before the call goes to its voicemail (or is hung up). Short,
#: because every voicemail check waits it out once: a phone on loopback that answers does so
#: within milliseconds (a fraction of a second with a hundred calls in flight on two cores), so
#: 5 s only ever expires for a phone that is meant not to answer.
RING_SECONDS = 5
#: Seconds Asterisk waits for a carrier trunk to answer; bounds a call to a silent trunk.
TRUNK_SECONDS = 30
#: Headers on every delivered INVITE: (header, channel variable). The path is the carriers the
#: call passes, origin first, comma-separated, as ``RoutingSnapshot.route`` gives it when
#: carriers interconnect directly (intermediate carriers of longer paths are not shown).
HEADERS = (
    ("X-Cutover-Path", "CUTOVER_PATH"),
    ("X-Cutover-Origin", "CUTOVER_ORIGIN"),
    ("X-Cutover-Holder", "CUTOVER_HOLDER"),
    ("X-Cutover-Serving", "CUTOVER_SERVING"),
)
#: A caller's correlation tag: copied from the arriving INVITE to the delivered one when the
#: caller sets it (the bulk engine does, to pair each arrival with its call).
CALL_TAG = ("X-Cutover-Call", "CUTOVER_CALL")

_ANY = "_[+0-9]."  # any dialled number: '+' and digits (E.164), at least two characters
_PREDIAL = "b(cutover-headers^s^1)"  # Dial's pre-dial handler, run on the outbound channel


def render_extensions(view: RoutingView, header: str, trunks: Mapping[str, TrunkAddress],
                      phones: Mapping[str, PhoneAddress],
                      pbxs: Mapping[PbxSite, PbxAddress], names: Mapping[str, str]
                      ) -> str:
    """extensions.conf for ``view``; ``header`` is the comment block that opens the file.

    ``names`` gives a customer name per hosted number (for comments only).
    """
    out = [header, _INTRO, "[general]", "static=yes", "writeprotect=yes", ""]
    for carrier in view.carriers:
        out += _from_carrier(carrier)
    for number in view.phones:
        out += _from_phone(number, view.hosted[number], phones[number],
                           view.voicemail.get(number), names.get(number, ""))
    ddis: dict[PbxSite, list[str]] = {}
    for number, key in view.pbx.items():
        ddis.setdefault(key, []).append(number)
    for key, pbx in pbxs.items():
        out += _from_pbx(pbx, ddis.get(key, []))
    out += _route(view.scheme)
    out += _holder(view.ranges)
    out += _HEADERS_CONTEXT
    for carrier in view.carriers:
        out += _deliver(view, carrier, trunks[carrier], phones, pbxs)
    return "\n".join(out).rstrip("\n") + "\n"


_INTRO = """\
; Call flow: [from-carrier-<id>] or [from-phone-<digits>] sets the origin, [cutover-route] finds
; the range holder and the serving carrier, [cutover-deliver-<carrier>] delivers the call.
; Live routing state is in AstDB, read at call time (cutover and rollback need no reload):
;   cutover-ported/<E.164 number>   = serving carrier of a ported number
;   cutover-callerid/<E.164 number> = number a customer phone presents on outbound calls
; Variables with a '__' prefix are inherited by the outbound channel, where the pre-dial
; handler [cutover-headers] turns them into X-Cutover-* headers.
"""


_TAG = f" same => n,Set(__{CALL_TAG[1]}=${{PJSIP_HEADER(read,{CALL_TAG[0]})}})"


def _from_carrier(carrier: str) -> list[str]:
    return [
        f"; Calls arriving on {carrier}'s trunk.",
        f"[from-carrier-{carrier}]",
        f"exten => {_ANY},1,Set(__CUTOVER_ORIGIN={carrier})",
        _TAG,
        " same => n,Goto(cutover-route,${EXTEN},1)",
        "",
    ]


def _from_pbx(pbx: PbxAddress, ddis: list[str]) -> list[str]:
    site = "" if pbx.site is None else f" at site {pbx.site}"
    return [
        f"; Calls from customer {pbx.customer}'s PBX{site} on {pbx.carrier}'s hosted service "
        f"({pbx.host}).",
        "; The PBX presents one of its DDI numbers in From; the call presents what AstDB gives",
        "; for it (as a phone's would). A number that is not one of this PBX's DDIs (its",
        f"; [ddi-{pbx.name}] list) is refused (403), as a provider refuses a spoofed caller ID.",
        f"[from-{pbx.name}]",
        f"exten => {_ANY},1,Set(__CUTOVER_ORIGIN={pbx.carrier})",
        _TAG,
        " same => n,Set(CUTOVER_DDI=${CALLERID(num)})",
        f" same => n,Gosub(ddi-{pbx.name},${{CUTOVER_DDI}},1)",
        ' same => n,GotoIf($["${GOSUB_RETVAL}" != "yes"]?refused)',
        f" same => n,Set(CUTOVER_CALLERID=${{DB({CALLERID_FAMILY}/${{CUTOVER_DDI}})}})",
        ' same => n,GotoIf($["${CUTOVER_CALLERID}" = ""]?refused)',
        " same => n,Set(CALLERID(num)=${CUTOVER_CALLERID})",
        " same => n,Goto(cutover-route,${EXTEN},1)",
        " same => n(refused),NoOp(cutover: ${CUTOVER_DDI} is no DDI of this PBX)",
        " same => n,Hangup(21)  ; cause 21, call rejected: chan_pjsip answers 403",
        "",
        f"; The DDI numbers of {pbx.name}: Gosub here, 'yes' in GOSUB_RETVAL for one of them.",
        f"[ddi-{pbx.name}]",
        *(f"exten => {n},1,Return(yes)" for n in ddis),
        f"exten => {_ANY},1,Return()  ; not one of them",
        "",
    ]


def _from_phone(number: str, carrier: str, phone: PhoneAddress, box: str | None,
                name: str) -> list[str]:
    whose = f"{name}'s phone" if name else "the customer's phone"
    lines = [
        f"; {number}: {whose} on {carrier}'s hosted service ({phone.host}).",
        "; Outbound calls present the number AstDB gives (the ported number once the port is",
        "; active, the temporary number before), in From and, with send_pai, in",
        "; P-Asserted-Identity; without an entry the phone presents its own number.",
        f"[from-phone-{phone.extension}]",
        f"exten => {_ANY},1,Set(__CUTOVER_ORIGIN={carrier})",
        _TAG,
        f" same => n,Set(CUTOVER_CALLERID=${{DB({CALLERID_FAMILY}/{number})}})",
        f' same => n,Set(CALLERID(num)=${{IF($["${{CUTOVER_CALLERID}}" = ""]'
        f"?{number}:${{CUTOVER_CALLERID}})}})",
        " same => n,Goto(cutover-route,${EXTEN},1)",
    ]
    if box is not None:
        lines += [
            f"exten => {VOICEMAIL_MAIN},1,VoiceMailMain({box}@{VOICEMAIL_CONTEXT})"
            "  ; asks for the PIN",
            " same => n,Hangup()",
        ]
    return lines + [""]


def _route(scheme: str) -> list[str]:
    # The path as RoutingSnapshot.route builds it: a call that starts on the serving carrier
    # stays there; onward routing of a ported number passes the range holder (unless the call
    # starts there); otherwise the call goes from its origin to the serving carrier.
    onward = (
        ' same => n,Set(__CUTOVER_PATH=${CUTOVER_PATH}${IF($["${CUTOVER_SERVING}" != '
        '"${CUTOVER_HOLDER}" & "${CUTOVER_HOLDER}" != "${CUTOVER_ORIGIN}" & '
        '"${CUTOVER_SERVING}" != "${CUTOVER_ORIGIN}"]?,${CUTOVER_HOLDER})})'
    )
    how = ("onward routing: a ported number's call passes its range holder (tromboning)"
           if scheme == "onward" else
           "direct routing (all-call query): straight to the serving carrier")
    lines = [
        "; Every call: range holder, serving carrier, path of carriers, delivery.",
        f"; Scheme: {how}.",
        "[cutover-route]",
        f"exten => {_ANY},1,Gosub(cutover-holder,${{EXTEN}},1)",
        ' same => n,GotoIf($["${GOSUB_RETVAL}" = ""]?unallocated)',
        " same => n,Set(__CUTOVER_HOLDER=${GOSUB_RETVAL})",
        f" same => n,Set(__CUTOVER_SERVING=${{DB({PORTED_FAMILY}/${{EXTEN}})}})",
        ' same => n,Set(__CUTOVER_SERVING=${IF($["${CUTOVER_SERVING}" = ""]'
        "?${CUTOVER_HOLDER}:${CUTOVER_SERVING})})",
        " same => n,Set(__CUTOVER_PATH=${CUTOVER_ORIGIN})",
    ]
    if scheme == "onward":
        lines.append(onward)
    lines += [
        ' same => n,Set(__CUTOVER_PATH=${CUTOVER_PATH}${IF($["${CUTOVER_SERVING}" != '
        '"${CUTOVER_ORIGIN}"]?,${CUTOVER_SERVING})})',
        " same => n,NoOp(cutover: ${EXTEN} from ${CUTOVER_ORIGIN}: holder ${CUTOVER_HOLDER},"
        " serving ${CUTOVER_SERVING}, path ${CUTOVER_PATH})",
        " same => n,Goto(cutover-deliver-${CUTOVER_SERVING},${EXTEN},1)",
        " same => n(unallocated),NoOp(cutover: no range holds ${EXTEN})",
        " same => n,Hangup(1)  ; cause 1, unallocated number: chan_pjsip answers 404",
        "",
    ]
    return lines


def _holder(ranges: Mapping[str, str]) -> list[str]:
    lines = [
        "; Range holder of a number: Gosub here; it comes back in GOSUB_RETVAL ('' when no range",
        "; holds the number). Longest prefix wins: Asterisk tries the most specific matching",
        "; pattern first, comparing patterns character by character, and at the first position",
        "; where two patterns differ a literal digit is more specific than '.' (one or more of",
        "; anything). Two prefixes of the same number agree up to the shorter one's end, where",
        "; the longer has a digit and the shorter '.', so the longer prefix wins whatever the",
        "; order of the lines (listed longest first for the reader). '+' is a literal in a",
        "; pattern; the catch-all's class [+0-9] is less specific than any literal '+'.",
        "[cutover-holder]",
    ]
    for prefix, holder in sorted(ranges.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        lines.append(f"exten => _{prefix}.,1,Return({holder})")
    lines += [f"exten => {_ANY},1,Return()  ; unallocated", ""]
    return lines


_HEADERS_CONTEXT = [
    "; Pre-dial handler: runs on the outbound channel before it is dialled, so the headers go",
    "; on the INVITE Asterisk sends (the variables come from the inbound channel via '__').",
    "[cutover-headers]",
    *(f"exten => s,1,Set(PJSIP_HEADER(add,{h})=${{{v}}})" if i == 0 else
      f" same => n,Set(PJSIP_HEADER(add,{h})=${{{v}}})" for i, (h, v) in enumerate(HEADERS)),
    f' same => n,GotoIf($["${{{CALL_TAG[1]}}}" = ""]?done)',
    f" same => n,Set(PJSIP_HEADER(add,{CALL_TAG[0]})=${{{CALL_TAG[1]}}})",
    " same => n(done),Return()",
    "",
]


def _deliver(view: RoutingView, carrier: str, trunk: TrunkAddress,
             phones: Mapping[str, PhoneAddress],
             pbxs: Mapping[PbxSite, PbxAddress]) -> list[str]:
    hosted = [n for n in view.phones if view.hosted[n] == carrier]
    ddis = [n for n, key in view.pbx.items() if key.carrier == carrier]
    lines = [f"; Calls {carrier} serves."]
    if hosted:
        lines += [f"; {carrier}'s hosted service: a customer's extension rings its phone for "
                  f"{RING_SECONDS} s,", "; then goes to its voicemail if it has a box."]
    if ddis:
        lines += ["; A customer's DDI number goes down the customer's PBX trunk, the number in "
                  "the", "; Request-URI and To with its '+'."]
        if any(view.pbx[n].site is not None for n in ddis):
            lines.append("; (the PBX trunk of the customer's site the number is on)")
    lines.append(f"[cutover-deliver-{carrier}]")
    for number in ddis:
        pbx = pbxs[view.pbx[number]]
        lines.append(f"exten => {number},1,Dial(PJSIP/{pbx.name}/sip:${{EXTEN}}@"
                     f"{pbx.deliver_to},{TRUNK_SECONDS},{_PREDIAL})")
        lines.append(" same => n,Hangup()")
    for number in hosted:
        dial = f"Dial(PJSIP/{phones[number].extension},{RING_SECONDS},{_PREDIAL})"
        if number in view.muted:  # the one_way_audio fault: silence towards the caller
            lines.append(f"exten => {number},1,Set(MUTEAUDIO(out)=on)  ; one_way_audio fault: "
                         "the caller hears nothing from the phone")
            lines.append(f" same => n,{dial}")
        else:
            lines.append(f"exten => {number},1,{dial}")
        box = view.voicemail.get(number)
        if box is not None:
            # u: the "unavailable" greeting; s: no instructions after it, the beep comes sooner
            lines.append(f" same => n,VoiceMail({box}@{VOICEMAIL_CONTEXT},su)")
        lines.append(" same => n,Hangup()")
    lines += [
        f"; Any other number: down {carrier}'s trunk, number in the Request-URI with its '+'.",
        f"exten => {_ANY},1,Dial(PJSIP/{carrier}/sip:${{EXTEN}}@{trunk.deliver_to},"
        f"{TRUNK_SECONDS},{_PREDIAL})",
        " same => n,Hangup()",
        "",
    ]
    return lines

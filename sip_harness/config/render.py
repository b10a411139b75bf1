"""Routing state at an instant -> Asterisk config text: pjsip, extensions and voicemail.conf.

Pure: text in memory, no files, no Asterisk. Two steps:

1. ``routing_view(scenario, routing, at=...)`` reads the routing core once into a
   ``RoutingView``: what the scenario's numbers look like at that instant (ported numbers and
   their serving carriers, which carrier hosts each customer's phone and mailbox, the caller ID
   each phone presents).
2. ``render(view, scenario)`` gives the three config files; ``astdb_entries(view)`` gives the
   live part of the state (AstDB family/key -> value) that the dialplan reads at call time.

Moving a running Asterisk from one instant to another is then a diff of two views: AstDB puts
and deletes (``astdb_diff``), plus a reload only when ``needs_reload`` says the text changed.

>>> from datetime import UTC, datetime
>>> from sim.model import simulate
>>> from sim.scenario import load_scenario
>>> s = load_scenario("scenarios/uk_gnp_weekend.yaml")
>>> at = datetime(2026, 11, 28, 6, tzinfo=UTC)
>>> view = routing_view(s, simulate(s, until=at).routing, at=at)
>>> astdb_entries(view)[("cutover-ported", "+441632960001")]
'callagenix'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sim.errors import HarnessError
from sim.routing import RoutingCore, RoutingSnapshot
from sim.scenario import PortOrder, Scenario
from sip_harness.config.dialplan import (
    CALLERID_FAMILY,
    PORTED_FAMILY,
    VOICEMAIL_CONTEXT,
    render_extensions,
)
from sip_harness.topology import (
    ASTERISK_HOST,
    SIP_PORT,
    PhoneAddress,
    TrunkAddress,
    carrier_addresses,
    phone_addresses,
)

__all__ = [
    "CONFIG_FILES",
    "CODECS",
    "PORTED_FAMILY",
    "CALLERID_FAMILY",
    "VOICEMAIL_CONTEXT",
    "RoutingView",
    "routing_view",
    "hosted_phones",
    "mailbox_pin",
    "render",
    "astdb_entries",
    "astdb_diff",
    "needs_reload",
]

#: The files ``render`` produces; the base config in ``asterisk_conf/`` has the others.
CONFIG_FILES = ("pjsip.conf", "extensions.conf", "voicemail.conf")
#: Codecs every endpoint offers; pjsua2 and SIPp both have them.
CODECS = ("ulaw", "alaw", "gsm")
TRANSPORT = "transport-udp"

# Carrier ids and mailboxes become section, context and mailbox names in the config.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_BOX = re.compile(r"[A-Za-z0-9_-]+\Z")


@dataclass(frozen=True)
class RoutingView:
    """The routing state of a scenario's numbers at one instant, as Asterisk needs it.

    Numbers are E.164 strings; carriers are scenario carrier ids. Dicts keep scenario order.
    """

    scenario: str
    at: datetime | None
    scheme: str  # 'onward' (via the range holder) or 'direct' (all-call query)
    carriers: tuple[str, ...]
    #: E.164 prefix -> range holder.
    ranges: dict[str, str]
    #: Customer (and temporary) numbers served by a carrier other than their range holder.
    ported: dict[str, str]
    #: Number -> the gaining carrier of the last port order containing it: its hosted service
    #: has the customer's phone (extension) and mailbox.
    hosted: dict[str, str]
    #: Hosted number -> the number its phone presents on outbound calls.
    callerid: dict[str, str]
    #: Hosted number -> its voicemail box (in the ``cutover`` voicemail context).
    voicemail: dict[str, str]
    #: Numbers a ``misconfigure`` fault left on the wrong carrier -> that carrier (already
    #: reflected in ``ported``); deliberately wrong config, for the harness to catch.
    misconfigured: dict[str, str]


def routing_view(scenario: Scenario, routing: RoutingCore | RoutingSnapshot, *,
                 at: datetime | None = None) -> RoutingView:
    """Read ``routing`` (one snapshot, so never half an update) into a RoutingView.

    - ``ported``: the scenario's customer numbers and temporary numbers whose serving carrier is
      not their range holder.
    - ``hosted``: each number of each port order -> the order's gaining carrier (the last order
      wins), whatever the order's state: the phone exists before and after the port.
    - ``callerid``: a hosted number once its port is active (serving carrier == hosting
      carrier); before that the customer's temporary number if it has one; else the number.
    - A ``misconfigure`` fault on a port order (``number``, default the order's first number)
      takes effect once that number's port is active: its ``ported`` entry is forced back to
      the losing carrier (removed if the losing carrier is the range holder), so calls reach
      the old trunk. The caller ID stays right: only the inbound routing is wrong.

    ``at`` is only written into the config headers.

    Raises
    ------
    HarnessError
        The routing core's carriers are not the scenario's; a carrier id or mailbox cannot be
        an Asterisk name; more hosted phones than loopback addresses.
    UnknownNumberError
        A scenario number is in no range of ``routing`` (a valid scenario never has one).
    """
    snap = routing.snapshot if isinstance(routing, RoutingCore) else routing
    if tuple(snap.carrier_ids) != scenario.carrier_ids:
        raise HarnessError(f"routing carriers {list(snap.carrier_ids)} are not scenario "
                           f"{scenario.name}'s {list(scenario.carrier_ids)}")
    for carrier in scenario.carrier_ids:
        if not _NAME.match(carrier):
            raise HarnessError(f"carrier id {carrier!r} cannot name an Asterisk endpoint "
                               "(letters, digits, '_', '.', '-')")
    serving, holder = snap.serving_carrier, snap.range_holder

    numbers = list(dict.fromkeys(
        n for c in scenario.customers
        for n in c.numbers + ((c.temporary_number,) if c.temporary_number else ())))
    serving_of = {n: serving(n) for n in numbers}
    holder_of = {n: holder(n) for n in numbers}

    hosted = _hosted(scenario.port_orders)
    for n in hosted:  # port orders' numbers are customers' numbers in a valid scenario
        if n not in serving_of:
            serving_of[n], holder_of[n] = serving(n), holder(n)
    _check_phones(hosted)

    misconfigured: dict[str, str] = {}
    for order in scenario.port_orders:
        for fault in order.faults_of("misconfigure"):
            n = fault.number or order.numbers[0]
            if order.losing != order.gaining and serving_of[n] == order.gaining:
                misconfigured[n] = order.losing

    def routed_to(n: str) -> str:
        return misconfigured.get(n, serving_of[n])

    ported = {n: routed_to(n) for n in serving_of if routed_to(n) != holder_of[n]}

    temporary = {n: c.temporary_number for c in scenario.customers if c.temporary_number
                 for n in c.numbers}
    callerid = {n: n if serving_of[n] == carrier else temporary.get(n, n)
                for n, carrier in hosted.items()}

    voicemail: dict[str, str] = {}
    for customer in scenario.customers:
        for mailbox in customer.voicemail:
            if mailbox.number in hosted:
                if not _BOX.match(mailbox.box):
                    raise HarnessError(f"voicemail box {mailbox.box!r} of {mailbox.number} "
                                       "cannot name an Asterisk mailbox")
                voicemail[mailbox.number] = mailbox.box
    voicemail = {n: voicemail[n] for n in hosted if n in voicemail}

    return RoutingView(
        scenario=scenario.name, at=at, scheme=str(snap.scheme),
        carriers=scenario.carrier_ids,
        ranges={r.prefix: r.holder for r in scenario.ranges},
        ported=ported, hosted=hosted, callerid=callerid, voicemail=voicemail,
        misconfigured=misconfigured,
    )


def _hosted(orders: tuple[PortOrder, ...]) -> dict[str, str]:
    hosted: dict[str, str] = {}
    for order in orders:
        for n in order.numbers:
            hosted[n] = order.gaining  # a later order replaces the carrier, keeps the place
    return hosted


def _check_phones(hosted: dict[str, str]) -> None:
    try:
        phone_addresses(hosted)
    except ValueError as exc:
        raise HarnessError(f"too many customer phones: {exc}") from exc


def hosted_phones(scenario: Scenario) -> dict[str, PhoneAddress]:
    """Each port-order number's phone (extension and loopback address), in scenario order.

    The same addresses ``render`` configures: agents playing the phones use this.

    Raises ValueError beyond 254 phones.
    """
    return phone_addresses(_hosted(scenario.port_orders))


def mailbox_pin(box: str) -> str:
    """The test PIN of a mailbox: the last four digits of the box, zero-padded on the left.

    These are fake mailboxes of a test harness on loopback, not secrets.

    >>> mailbox_pin("960001"), mailbox_pin("0141"), mailbox_pin("12")
    ('0001', '0141', '0012')
    """
    return "".join(ch for ch in box if ch.isdigit())[-4:].rjust(4, "0")


def render(view: RoutingView, scenario: Scenario) -> dict[str, str]:
    """The generated config files: file name -> text, exactly ``CONFIG_FILES``.

    Deterministic: the same view gives the same bytes. Only the header comment mentions the
    instant; ported numbers and caller IDs are not in the text (see ``astdb_entries``).

    Raises
    ------
    HarnessError
        ``view`` was made from another scenario.
    """
    if view.scenario != scenario.name or view.carriers != scenario.carrier_ids:
        raise HarnessError(f"routing view of {view.scenario!r} rendered with scenario "
                           f"{scenario.name!r}")
    trunks = carrier_addresses(view.carriers)
    phones = phone_addresses(view.hosted)
    names = {n: c.name for c in scenario.customers for n in c.numbers}
    return {
        "pjsip.conf": _pjsip(view, _header(view, "pjsip.conf", _PJSIP_ABOUT), trunks, phones,
                             names),
        "extensions.conf": render_extensions(
            view, _header(view, "extensions.conf", _EXTENSIONS_ABOUT), trunks, phones, names),
        "voicemail.conf": _voicemail(view, _header(view, "voicemail.conf", _VOICEMAIL_ABOUT),
                                     names),
    }


def astdb_entries(view: RoutingView) -> dict[tuple[str, str], str]:
    """The live routing state: (AstDB family, key) -> value, read by the dialplan per call.

    ``cutover-ported/<number>`` = serving carrier, for ported numbers only (including a
    ``misconfigure`` fault's wrong carrier); ``cutover-callerid/<number>`` = the number the
    hosted phone presents, for every hosted number.
    """
    entries = {(PORTED_FAMILY, n): c for n, c in view.ported.items()}
    entries.update({(CALLERID_FAMILY, n): p for n, p in view.callerid.items()})
    return entries


def astdb_diff(old: RoutingView | None, new: RoutingView
               ) -> tuple[dict[tuple[str, str], str], tuple[tuple[str, str], ...]]:
    """What moves AstDB from ``old``'s entries to ``new``'s: (puts, deletes).

    With ``old`` None every entry of ``new`` is put and nothing deleted; entries left by
    someone else are not known here (clear the two families first for a clean start).
    """
    before = astdb_entries(old) if old is not None else {}
    after = astdb_entries(new)
    puts = {k: v for k, v in after.items() if before.get(k) != v}
    deletes = tuple(k for k in before if k not in after)
    return puts, deletes


def needs_reload(old: RoutingView, new: RoutingView) -> bool:
    """Whether the config text differs (a reload is needed), beyond the AstDB entries.

    Cutover and rollback only change ``ported`` and ``callerid``: no reload.
    """
    def static(v: RoutingView) -> tuple[object, ...]:
        return (v.scenario, v.scheme, v.carriers, v.ranges, v.hosted, v.voicemail)

    return static(old) != static(new)


# --- the files -------------------------------------------------------------------------------

_PJSIP_ABOUT = """\
Asterisk plays the network. Each carrier is a trunk told apart by its own loopback address:
a call from that address is the carrier's, and Asterisk delivers the carrier's calls there.
Each customer number of a port order has a phone (an extension of the gaining carrier's
hosted service) with an address of its own. Contacts are static (nothing needs to register)
and nothing authenticates: everything is on loopback, identified by source address."""

_EXTENSIONS_ABOUT = """\
Routes every call as the routing state says: ranges to their range holders, ported numbers to
their serving carriers, hosted numbers to their phones and voicemail."""

_VOICEMAIL_ABOUT = """\
One mailbox per customer number with voicemail, in the 'cutover' context. PINs are fixed test
PINs (the last four digits of the box): fake mailboxes of a test harness, not secrets.
No mail is sent."""


def _header(view: RoutingView, name: str, about: str) -> str:
    when = ("an unspecified instant" if view.at is None
            else view.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    lines = [f"; {name}: generated by cutover from {view.scenario} at {when}; do not edit.",
             f"; Routing scheme: {view.scheme}.", ";"]
    lines += [f"; {line}" for line in about.splitlines()]
    return "\n".join(lines) + "\n"


def _section(name: str, options: list[tuple[str, str]], comment: str = "") -> list[str]:
    lines = [f"; {comment}"] if comment else []
    lines.append(f"[{name}]")
    lines += [f"{k}={v}" for k, v in options]
    return lines + [""]


def _endpoint(name: str, context: str, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        ("type", "endpoint"),
        ("transport", TRANSPORT),
        ("context", context),
        ("disallow", "all"),
        ("allow", ",".join(CODECS)),
        ("aors", name),
        # caller ID set in the dialplan goes in From and in P-Asserted-Identity
        ("send_pai", "yes"),
        ("trust_id_outbound", "yes"),
        # media flows through Asterisk (it records voicemail, plays prompts)
        ("direct_media", "no"),
        ("rtp_symmetric", "yes"),
        *extra,
    ]


def _pjsip(view: RoutingView, header: str, trunks: dict[str, TrunkAddress],
           phones: dict[str, PhoneAddress], names: dict[str, str]) -> str:
    out = [header]
    out += _section(TRANSPORT, [("type", "transport"), ("protocol", "udp"),
                                ("bind", f"{ASTERISK_HOST}:{SIP_PORT}")],
                    "One UDP transport on loopback for every trunk and phone.")
    for carrier in view.carriers:
        trunk = trunks[carrier]
        out += _section(carrier, _endpoint(carrier, f"from-carrier-{carrier}", []),
                        f"Carrier {carrier}: calls from {trunk.send_from}, delivered to "
                        f"{trunk.deliver_to}.")
        out += _section(carrier, [("type", "aor"),
                                  ("contact", f"sip:{trunk.host}:{trunk.port}")])
        out += _section(carrier, [("type", "identify"), ("endpoint", carrier),
                                  ("match", trunk.host)])
    for number, carrier in view.hosted.items():
        phone = phones[number]
        box = view.voicemail.get(number)
        extra = [("mailboxes", f"{box}@{VOICEMAIL_CONTEXT}")] if box is not None else []
        who = names.get(number)
        out += _section(phone.extension,
                        _endpoint(phone.extension, f"from-phone-{phone.extension}", extra),
                        f"{number}: {who + chr(39) + 's' if who else 'the customer'}"
                        f" phone on {carrier}'s hosted service, at {phone.host}.")
        out += _section(phone.extension, [("type", "aor"), ("contact", phone.contact)])
        out += _section(phone.extension, [("type", "identify"), ("endpoint", phone.extension),
                                          ("match", phone.host)])
    return "\n".join(out).rstrip("\n") + "\n"


def _voicemail(view: RoutingView, header: str, names: dict[str, str]) -> str:
    out = [header, "[general]",
           "format=wav49|gsm|wav     ; recordings in each format; playback takes the one",
           "                         ; cheapest for the call's codec: wav (the log names the",
           "                         ; channel's format, '.slin', not a file)",
           "serveremail=cutover@localhost",
           "attach=no",
           "mailcmd=/bin/true        ; never send mail (no box has an address either)",
           "maxmsg=100",
           "maxsecs=120",
           "minsecs=1                ; a message of a second or more is kept",
           "maxsilence=0             ; no silence detection: a recording ends when the caller",
           "                         ; hangs up, and a quiet test message is not trimmed away",
           "review=no",
           "operator=no",
           "sendvoicemail=no",
           "maxlogins=3",
           "",
           f"[{VOICEMAIL_CONTEXT}]",
           "; box => PIN,full name"]
    for number, box in view.voicemail.items():
        who = re.sub(r"[,|;\r\n]", " ", names.get(number, "")).strip()
        out.append(f"{box} => {mailbox_pin(box)},{(who + ' ' if who else '') + number}")
    return "\n".join(out).rstrip("\n") + "\n"

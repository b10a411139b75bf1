"""The routing state of a scenario's numbers at one instant, as Asterisk needs it (pure).

``routing_view(scenario, snapshot, at=...)`` reads a routing snapshot once into a
:class:`RoutingView`: ported numbers and their serving carriers, which carrier hosts each
customer's phone and mailbox, the caller ID each phone presents. ``render`` turns a view into
config text (:mod:`sip_harness.config.render`), ``astdb_entries`` into the live AstDB part
(:mod:`sip_harness.config.astdb`).

>>> from datetime import UTC, datetime
>>> from sim.model import Replay
>>> from sim.scenario import load_scenario
>>> replay = Replay(load_scenario("scenarios/uk_gnp_weekend.yaml"))
>>> at = datetime(2026, 11, 28, 6, tzinfo=UTC)
>>> view = routing_view(replay.scenario, replay.at(at), at=at)
>>> view.ported["+441632960001"]
'callagenix'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sim.errors import BadInputError, HarnessError
from sim.model.account import presented_caller_id
from sim.routing import RoutingCore, RoutingSnapshot
from sim.scenario import PortOrder, Scenario
from sip_harness.topology import (
    PbxAddress,
    PbxSite,
    PhoneAddress,
    pbx_addresses,
    pbx_endpoint,
    phone_addresses,
)

__all__ = ["RoutingView", "routing_view", "hosted_phones", "hosted_pbxs", "mailbox_pin"]

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
    #: Hosted numbers with a phone of their own (declared extensions and mailbox numbers).
    phones: tuple[str, ...]
    #: Every other hosted number -> its PBX trunk: the customer's site it is on (None: the main
    #: site) at the hosting carrier.
    pbx: dict[str, PbxSite]
    #: Numbers a ``misconfigure`` fault left on the wrong carrier -> that carrier (already
    #: reflected in ``ported``); deliberately wrong config, for the harness to catch.
    misconfigured: dict[str, str]
    #: Phones a ``one_way_audio`` fault mutes towards their callers (their delivery sets
    #: MUTEAUDIO(out)); deliberately wrong config, for the audio check to catch.
    muted: frozenset[str] = frozenset()


def routing_view(scenario: Scenario, routing: RoutingSnapshot | RoutingCore, *,
                 at: datetime | None = None) -> RoutingView:
    """The RoutingView of ``scenario``'s numbers in ``routing``, the routing snapshot at ``at``.

    ``routing`` is a :class:`~sim.routing.RoutingSnapshot` (one immutable version, so never
    half an update), e.g. one a replay kept for a checkpoint. A
    :class:`~sim.routing.RoutingCore` is also taken and read through its current snapshot.

    - ``ported``: the scenario's customer numbers and temporary numbers whose serving carrier is
      not their range holder.
    - ``hosted``: each number of each port order -> the order's gaining carrier (the last order
      wins), whatever the order's state: the phone exists before and after the port.
    - ``phones``: hosted numbers the customer declares as extensions or gives a mailbox; every
      other hosted number lands on the PBX trunk of its customer's site (the one it is on in
      the customer's ``sites``, else the main site) at the hosting carrier (``pbx``).
    - ``callerid``: a hosted number once its port is active (serving carrier == hosting
      carrier); before that the customer's temporary number if it has one; else the number.
    - A ``misconfigure`` fault on a port order (``number``, default the order's first number)
      takes effect once that number's port is active: its ``ported`` entry is forced back to
      the losing carrier (removed if the losing carrier is the range holder), so calls reach
      the old trunk. The caller ID stays right: only the inbound routing is wrong.
    - A ``one_way_audio`` fault puts its number's phone in ``muted``: calls delivered to it
      (once its port is active) carry no audio from the phone to the caller.

    ``at`` is only written into the config headers.

    Raises
    ------
    HarnessError
        The routing core's carriers are not the scenario's; a carrier, customer or site id or a
        mailbox cannot be an Asterisk name.
    BadInputError
        More phones or PBX trunks than loopback addresses (:data:`MAX_PHONES`); two PBX trunks
        with one name (customer ``a-b`` at ``c`` and customer ``a``'s site ``b`` at ``c``).
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
    phones, pbx = _premises(scenario, hosted)
    _check_addresses(scenario, phones, pbx)

    misconfigured: dict[str, str] = {}
    for order in scenario.port_orders:
        for fault in order.faults_of("misconfigure"):
            n = fault.number or order.numbers[0]
            if order.losing != order.gaining and serving_of[n] == order.gaining:
                misconfigured[n] = order.losing

    def routed_to(n: str) -> str:
        return misconfigured.get(n, serving_of[n])

    ported = {n: routed_to(n) for n in serving_of if routed_to(n) != holder_of[n]}

    customer_of = {n: c for c in scenario.customers for n in c.numbers}
    # the one caller-ID rule (sim.model.account); a number with no customer presents itself
    callerid = {n: presented_caller_id(n, customer_of.get(n), active=serving_of[n] == carrier)
                or n for n, carrier in hosted.items()}

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
        misconfigured=misconfigured, phones=phones, pbx=pbx,
        muted=frozenset(f.number for o in scenario.port_orders
                        for f in o.faults_of("one_way_audio") if f.number in phones),
    )


def _hosted(orders: tuple[PortOrder, ...]) -> dict[str, str]:
    hosted: dict[str, str] = {}
    for order in orders:
        for n in order.numbers:
            hosted[n] = order.gaining  # a later order replaces the carrier, keeps the place
    return hosted


def _premises(scenario: Scenario, hosted: dict[str, str]
              ) -> tuple[tuple[str, ...], dict[str, PbxSite]]:
    """Hosted numbers with a phone, and every other one -> its PBX trunk (the customer's site
    it is on, at its hosting carrier)."""
    customer_of = {n: o.customer for o in scenario.port_orders for n in o.numbers}
    with_phone = {n for c in scenario.customers for n in c.phones}
    site_of = {n: site for c in scenario.customers for n, site in c.site_of.items()}
    phones = tuple(n for n in hosted if n in with_phone)
    pbx = {n: PbxSite(customer_of[n], carrier, site_of.get(n))
           for n, carrier in hosted.items() if n not in with_phone}
    return phones, pbx


def _check_addresses(scenario: Scenario, phones: tuple[str, ...],
                     pbx: dict[str, PbxSite]) -> None:
    named: dict[str, PbxSite] = {}
    for key in dict.fromkeys(pbx.values()):
        for what, name in (("customer", key.customer), ("site", key.site)):
            if name is not None and not _NAME.match(name):
                raise HarnessError(f"{what} id {name!r} cannot name an Asterisk endpoint "
                                   "(letters, digits, '_', '.', '-')")
        endpoint = pbx_endpoint(*key)
        other = named.setdefault(endpoint, key)
        if other != key:
            raise BadInputError(f"{scenario.source}: PBX trunk {endpoint} would be both "
                                f"{_whose(other)} and {_whose(key)}: rename a customer or "
                                "site id")
    try:
        phone_addresses(phones)
        pbx_addresses(pbx.values())
    except ValueError as exc:
        raise BadInputError(f"{scenario.source}: too many customer phones or PBX trunks: "
                            f"{exc}") from exc


def _whose(key: PbxSite) -> str:
    site = "main site" if key.site is None else f"site {key.site!r}"
    return f"customer {key.customer!r}'s {site} at {key.carrier}"


def hosted_phones(scenario: Scenario) -> dict[str, PhoneAddress]:
    """Each phone (extension and loopback address) of a port-order number, in scenario order:
    the numbers a customer declares as extensions or gives a mailbox.

    The same addresses ``render`` configures: agents playing the phones use this.
    Raises BadInputError beyond :data:`~sip_harness.topology.MAX_PHONES` phones.
    """
    hosted = _hosted(scenario.port_orders)
    phones, pbx = _premises(scenario, hosted)
    _check_addresses(scenario, phones, pbx)
    return phone_addresses(phones)


def hosted_pbxs(scenario: Scenario) -> tuple[dict[PbxSite, PbxAddress], dict[str, str]]:
    """The PBX trunks of a scenario's port orders, one per customer site and hosting carrier
    (keyed by :class:`~sip_harness.topology.PbxSite`), and each DDI number delivered to one ->
    that trunk's endpoint name. Same as ``render``'s.

    Raises BadInputError beyond :data:`~sip_harness.topology.MAX_PBX_TRUNKS` trunks or for
    two trunks of one name.
    """
    hosted = _hosted(scenario.port_orders)
    phones, pbx = _premises(scenario, hosted)
    _check_addresses(scenario, phones, pbx)
    trunks = pbx_addresses(pbx.values())
    return trunks, {n: trunks[site].name for n, site in pbx.items()}


def mailbox_pin(box: str) -> str:
    """The test PIN of a mailbox: the last four digits of the box, zero-padded on the left.

    These are fake mailboxes of a test harness on loopback, not secrets.

    >>> mailbox_pin("960001"), mailbox_pin("0141"), mailbox_pin("12")
    ('0001', '0141', '0012')
    """
    return "".join(ch for ch in box if ch.isdigit())[-4:].rjust(4, "0")

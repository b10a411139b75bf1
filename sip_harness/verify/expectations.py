"""What the routing core expects of every number at a checkpoint: typed, from one replay.

Each :class:`Expected` says where an inbound call should end (the serving carrier, at the
customer's phone or not), which caller ID the customer's phone presents, the mailbox, and for
a port that was rolled back the :class:`PrePort` state the rollback must restore.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sim.errors import HarnessError, UnknownNumberError
from sim.model import EventKind, Replay
from sim.model.account import presented_caller_id
from sip_harness.config import routing_view
from sip_harness.topology import pbx_endpoint

__all__ = ["Where", "PrePort", "Expected", "Plan", "plan", "expectations"]


class Where(NamedTuple):
    """Where a call ended: a carrier's trunk, or the customer's premises at a carrier: its phone
    (an extension), or its PBX trunk (``pbx``) for a DDI number."""

    carrier: str
    phone: bool
    pbx: bool = False

    def __str__(self) -> str:
        if not self.phone:
            return self.carrier
        return f"{self.carrier} (customer's {'PBX' if self.pbx else 'phone'})"


class PrePort(NamedTuple):
    """The state before a rolled-back activation: where calls ended, what the phone presented."""

    carrier: str
    phone: bool
    presented: str
    pbx: bool = False

    @property
    def where(self) -> Where:
        return Where(self.carrier, self.phone, self.pbx)


@dataclass(frozen=True)
class Expected:
    """What the routing core says about one number at one checkpoint."""

    checkpoint: str
    number: str
    origin: str                 # the external caller's carrier
    carrier: str                # where an inbound call should end: the serving carrier
    phone: bool                 # ... at the customer's phone (the carrier hosts it)
    reason: str                 # the routing core's words
    presented: str              # the caller ID the customer's phone presents
    mailbox: str | None
    losing: str
    gaining: str
    ported: bool
    pre_port: PrePort | None = None  # the state before a rollback, if the port rolled back
    pbx: str | None = None      # the customer's PBX trunk (endpoint) if the number is a DDI

    @property
    def where(self) -> Where:
        """Where an inbound call should end."""
        return Where(self.carrier, self.phone, self.phone and self.pbx is not None)


@dataclass(frozen=True)
class Plan:
    """Who calls from where: the external callers' carrier and a range to draw numbers from."""

    origin: str
    external_prefix: str   # E.164 prefix (digits with '+') of a range the origin holds
    unallocated: str       # a number no range holds


def plan(replay: Replay) -> Plan:
    """The external callers' carrier (the scenario's first traffic origin, else a carrier that
    holds a range and loses or gains no number) and numbers to use. Raises HarnessError."""
    scenario = replay.scenario
    involved = {o.losing for o in scenario.port_orders} | {o.gaining for o in scenario.port_orders}
    holders = [r.holder for r in scenario.ranges]
    candidates = list(scenario.traffic.origins) + [c for c in holders if c not in involved]
    for origin in candidates:
        prefix = next((r.prefix for r in scenario.ranges if r.holder == origin), None)
        if prefix is not None:
            break
    else:
        raise HarnessError(f"{scenario.name}: no carrier to call from (a traffic origin, or a "
                           "range holder not in any port order)")
    snap = replay.at(scenario.start)
    digits = "".join(ch for ch in scenario.customers[0].numbers[0] if ch.isdigit())
    for i in range(1, 10000):
        candidate = f"+{digits[:2]}{i:04d}".ljust(len(digits) + 1, "0")
        try:
            snap.range_holder(candidate)
        except UnknownNumberError:
            return Plan(origin, prefix.replace(" ", ""), candidate)
    raise HarnessError(f"{scenario.name}: every number tried is allocated")


def expectations(replay: Replay, checkpoint: str, instant: datetime, origin: str
                 ) -> list[Expected]:
    """What each number of each port order should do at ``instant``, by the routing core.

    Everything comes from ``replay``'s snapshots: the one at ``instant`` (routes, the Asterisk
    view) and, for a port whose last activation was rolled back, the one just before that
    activation began (the pre-port state the rollback must restore).
    """
    scenario = replay.scenario
    routing = replay.at(instant)
    view = routing_view(scenario, routing, at=instant)
    customer_of = {n: c for c in scenario.customers for n in c.numbers}
    rolled_back = _rolled_back(replay.events(until=instant))
    pbx_name = {n: pbx_endpoint(*site) for n, site in view.pbx.items()}

    def presented(carrier: str, number: str) -> str:
        # the one caller-ID rule (sim.model.account): active once the hosting carrier serves it
        active = carrier == view.hosted[number]
        return presented_caller_id(number, customer_of.get(number), active=active) or number

    out: list[Expected] = []
    for order in scenario.port_orders:
        before = replay.at(rolled_back[order.id]) if order.id in rolled_back else None
        for number in order.numbers:
            route = routing.route(number, origin)
            hosting = view.hosted[number]
            pre_port = None
            if before is not None:
                was = before.route(number, origin).carrier
                pre_port = PrePort(was, was == hosting, presented(was, number),
                                   was == hosting and number in view.pbx)
            out.append(Expected(
                checkpoint=checkpoint, number=number, origin=origin, carrier=route.carrier,
                phone=route.carrier == hosting, reason=route.reason,
                presented=presented(route.carrier, number), mailbox=view.voicemail.get(number),
                losing=order.losing, gaining=order.gaining, ported=route.ported,
                pre_port=pre_port, pbx=pbx_name.get(number)))
    return out


def _rolled_back(events: Iterable[dict[str, Any]]) -> dict[str, datetime]:
    """Port orders whose last activation was rolled back -> an instant just before it began."""
    started: dict[str, datetime] = {}
    rolled: dict[str, datetime] = {}
    for event in events:
        port, kind = event.get("port"), event.get("event")
        if port is None:
            continue
        if kind == EventKind.ACTIVATING:
            started[port] = datetime.fromisoformat(event["t"]) - timedelta(seconds=1)
            rolled.pop(port, None)
        elif kind == EventKind.ROLLED_BACK and port in started:
            rolled[port] = started[port]
        elif kind == EventKind.ACTIVE:
            rolled.pop(port, None)
    return rolled

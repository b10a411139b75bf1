"""Reading a scenario in stages: shapes and types, defaults, cross-checks; every issue collected."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.numbering import default_routing_number
from sim.scenario.account import (
    METHODS,
    check_migration,
    check_order_against_account,
)
from sim.scenario.customers import read_customers
from sim.scenario.fields import REQUIRED, FieldReader, key_path
from sim.scenario.reactivation import check_reactivation, check_released, former_order
from sim.scenario.types import (
    FAULT_KINDS,
    PROBABLE_PER,
    Carrier,
    Checkpoint,
    Customer,
    Fault,
    NumberRange,
    Outage,
    PortOrder,
    Request,
    Scenario,
    Traffic,
)
from sim.scenario.yaml_source import YamlSource

if TYPE_CHECKING:
    from sim.regimes.base import Regime

__all__ = ["Reader"]

_PREFIX = re.compile(r"^\+[1-9]\d{0,14}$", re.ASCII)  # digits 0-9 only: letters are no digits
_SCHEMES = ("onward", "direct")
_SERVICE_TYPES = ("fixed", "mobile", "nomadic", "non_geographic")


class Reader(FieldReader):
    """Turns a YamlSource into a Scenario, or collects issues (``self.issues``) trying."""

    def __init__(self, source: YamlSource):
        super().__init__(source)
        self.ddi_blocks: dict[str, list[frozenset[str]]] = {}  # customer id -> its DDI blocks
        self.regime: Regime | None = None
        self.customer_paths: dict[str, str] = {}
        self.carrier_names: dict[str, str] = {}

    def scenario(self, name_default: str) -> Scenario | None:
        top = self.mapping(self.src.data, "", "")
        if top is None:
            return None
        regime = self.get(top, "regime", "", self.text)
        self._set_regime(regime)
        name = self.get(top, "name", "", self.text, name_default)
        seed = self.get(top, "seed", "", self.integer, 1)
        start = self.get(top, "start", "", self.time)
        horizon = self.get(top, "horizon", "", self.time)
        if start and horizon and horizon <= start:
            self.err("horizon", f"horizon {horizon.isoformat()} is not after start")
        routing = self.get(top, "routing", "", self.text, _default_scheme(regime))
        if routing is not None and routing not in _SCHEMES:
            self.err("routing", f"unknown routing scheme {routing!r} (onward or direct)")
        carriers = self._carriers(top.get("carriers"), start, horizon)
        self.carrier_names = {c.id: c.name for c in carriers}
        interconnects = self._interconnects(top.get("interconnects"))
        ranges = self._ranges(top.get("ranges"))
        book = read_customers(self, top.get("customers"), ranges, self.regime)
        self.ddi_blocks, self.customer_paths = book.ddi_blocks, book.paths
        customers = book.customers
        orders = self._orders(top.get("port_orders"), customers, start, horizon)
        traffic = self._traffic(top.get("traffic"))
        checkpoints = self._checkpoints(top.get("checkpoints"), start, horizon)
        if self.issues:
            return None
        return Scenario(
            name=name, regime=regime, country=self.country, seed=seed, start=start,
            horizon=horizon, routing=routing, carriers=carriers, interconnects=interconnects,
            ranges=ranges, customers=tuple(customers.values()), port_orders=orders,
            traffic=traffic, checkpoints=checkpoints,
            description=str(top.get("description") or ""), source=self.src.origin,
        )

    def _set_regime(self, regime: str | None) -> None:
        if regime is None:
            return
        from sim.regimes import get_regime

        try:
            r = get_regime(regime)
        except (KeyError, ValueError) as exc:
            self.err("regime", str(exc).strip("'\""))
            return
        self.country = r.country
        self.tz = r.tz
        self.regime = r

    def _within(self, t: datetime | None, p: str, start: datetime | None,
                horizon: datetime | None) -> None:
        if t and start and horizon and not start <= t <= horizon:
            self.err(p, f"{t.isoformat()} is outside the scenario's start..horizon")

    def _carriers(self, raw: Any, start: datetime | None,
                  horizon: datetime | None) -> tuple[Carrier, ...]:
        items = self.seq(raw, "carriers")
        if raw is None:
            self.err("carriers", "required key is missing")
        out: list[Carrier] = []
        rns: dict[str, str] = {}  # routing number -> the carrier's path
        for i, item in enumerate(items):
            p = f"carriers[{i}]"
            d = self.mapping(item, p, "carrier")
            if d is None:
                continue
            cid = self.get(d, "id", p, self.ident)
            if cid in self.carrier_ids:
                self.err(key_path(p, "id"), f"duplicate carrier id {cid!r}")
            elif cid:
                self.carrier_ids.add(cid)
            desk = self.mapping(d.get("desk") or {}, key_path(p, "desk"), "desk") or {}
            outages = []
            for j, o in enumerate(self.seq(d.get("outages"), key_path(p, "outages"))):
                op = f"{p}.outages[{j}]"
                od = self.mapping(o, op, "outage") or {}
                ostart = self.get(od, "start", op, self.time)
                self._within(ostart, key_path(op, "start"), start, horizon)
                minutes = self.get(od, "minutes", op, self.positive)
                chance = self.get(od, "probability", op, self.probability, None)
                if ostart and minutes:
                    outages.append(Outage(ostart, minutes, chance))
            rn = self.get(d, "routing_number", p, self.routing_number,
                          default_routing_number(self.country, i))
            if rn is not None and rn.upper() in rns:
                default = "" if d.get("routing_number") else " (the default)"
                self.err(key_path(p, "routing_number"),
                         f"routing number {rn}{default} is already {rns[rn.upper()]}'s")
            elif rn is not None:
                rns[rn.upper()] = p
            capacity = self.get(desk, "capacity", key_path(p, "desk"), self.positive_integer, 4)
            hours = self.get(desk, "answer_hours", key_path(p, "desk"), self.positive, 8.0)
            lag = self.get(d, "copy_lag_minutes", p, self.non_negative, 0.0)
            if cid and capacity is not None and hours is not None and lag is not None:
                out.append(Carrier(
                    id=cid,
                    name=self.get(d, "name", p, self.text, cid),
                    routing_number=rn or "",
                    desk_capacity=capacity, answer_hours=hours, outages=tuple(outages),
                    copy_lag_minutes=lag,
                ))
        return tuple(out)

    def _interconnects(self, raw: Any) -> tuple[tuple[str, str], ...]:
        out = []
        for i, pair in enumerate(self.seq(raw, "interconnects")):
            p = f"interconnects[{i}]"
            if not (isinstance(pair, list) and len(pair) == 2):
                self.err(p, "expected a pair of carrier ids, like [vodafone, bt]")
                continue
            a, b = self.carrier_ref(pair[0], p), self.carrier_ref(pair[1], p)
            if a and b:
                if a == b:
                    self.err(p, f"a carrier cannot interconnect with itself ({a!r})")
                out.append((a, b))
        return tuple(out)

    def _ranges(self, raw: Any) -> tuple[NumberRange, ...]:
        if raw is None:
            self.err("ranges", "required key is missing")
        seen: dict[str, str] = {}
        out = []
        for i, item in enumerate(self.seq(raw, "ranges")):
            p = f"ranges[{i}]"
            d = self.mapping(item, p, "range") or {}
            prefix = self.get(d, "prefix", p, self.text)
            holder = self.get(d, "holder", p, self.carrier_ref)
            if prefix is None:
                continue
            prefix = re.sub(r"[\s\-()]", "", prefix)
            if prefix.startswith("00"):
                prefix = "+" + prefix[2:]
            if not _PREFIX.match(prefix):
                self.err(key_path(p, "prefix"),
                         f"{prefix!r} is not an E.164 prefix like '+44163296'")
            elif prefix in seen:
                self.err(key_path(p, "prefix"), f"{prefix} is already allocated in {seen[prefix]}")
            elif holder:
                seen[prefix] = p
                out.append(NumberRange(prefix, holder))
        return tuple(out)

    def _orders(self, raw: Any, customers: dict[str, Customer], start: datetime | None,
                horizon: datetime | None) -> tuple[PortOrder, ...]:
        out: list[PortOrder] = []
        ids: set[str] = set()
        for i, item in enumerate(self.seq(raw, "port_orders")):
            p = f"port_orders[{i}]"
            d = self.mapping(item, p, "order")
            if d is None:
                continue
            oid = self.get(d, "id", p, self.ident)
            if oid in ids:
                self.err(key_path(p, "id"), f"duplicate port order id {oid!r}")
            ids.add(str(oid))
            cid = self.get(d, "customer", p, self.text)
            cust = customers.get(cid) if cid else None
            if cid and cust is None:
                known = ", ".join(customers) or "none"
                self.err(key_path(p, "customer"), f"unknown customer {cid!r} (known: {known})")
            former = former_order(self, d, p, out, cust)
            if "numbers" in d:
                numbers, ddi = self.numbers(d["numbers"], key_path(p, "numbers"))
            elif former is not None:  # a reactivation takes back the former order's numbers
                numbers, ddi = former.numbers, former.ddi
            elif d.get("reactivates") is not None:  # an issue already: no numbers to check
                numbers, ddi = (), False
            else:
                numbers, ddi = (cust.numbers if cust else ()), cid in self.ddi_blocks
            # UK complex DDI: some, not all, of the numbers of one of the customer's blocks
            of_order = set(numbers)
            part = any(b & of_order and not b <= of_order
                       for b in self.ddi_blocks.get(str(cid), ()))
            ddi = ddi or part
            if cust and former is None:
                own = set(cust.numbers)  # a set: an order of 100,000 numbers is not quadratic
                for n in numbers:
                    if n not in own:
                        self.err(key_path(p, "numbers"), f"{n} is not a number of customer {cid!r}")
            held = former.gaining if former else cust.carrier if cust else None
            losing = self.get(d, "losing", p, self.carrier_ref, held)
            gaining = self.get(d, "gaining", p, self.carrier_ref)
            asks = d.get("reactivates") is not None  # checked by check_reactivation
            if losing and gaining and losing == gaining and not asks:
                self.err(key_path(p, "gaining"), "gaining carrier is the losing carrier")
            if cust and losing and losing != cust.carrier and not asks:
                self.err(key_path(p, "losing"), f"customer {cid!r} is served by {cust.carrier!r}, "
                         f"not {losing!r}")
            submitted = self.get(d, "submitted", p, self.time)
            self._within(submitted, key_path(p, "submitted"), start, horizon)
            requested = self.get(d, "requested_date", p, self.time, None)
            if submitted and requested and requested < submitted:
                self.err(key_path(p, "requested_date"), "requested date is before submission")
            contract_end = self.get(d, "contract_end", p, self.time, None)
            if submitted and contract_end and contract_end <= submitted:
                self.err(key_path(p, "contract_end"), "contract end is not after submission")
            request = self._request(d.get("request"), key_path(p, "request"), cust)
            faults = self._faults(d.get("faults"), key_path(p, "faults"), submitted, horizon,
                                  numbers, cust.phones if cust else None)
            reattempt = self.get(d, "reattempt_days", p, self.non_negative_integer, 7)
            method = self.get(d, "method", p, self.text, "port")
            if method is not None and method not in METHODS:
                self.err(key_path(p, "method"), f"unknown method {method!r} "
                         f"({', '.join(METHODS)})")
            ignore_dsl = self.get(d, "ignore_dsl", p, self.boolean, False)
            if cust:
                check_order_against_account(self, p, numbers, submitted, cust,
                                            self.customer_paths[cust.id],
                                            ignore_dsl=bool(ignore_dsl))
                if method == "migration":
                    check_migration(self, key_path(p, "method"), numbers, cust,
                                    self.carrier_names.get(cust.carrier, cust.carrier),
                                    self.regime)
            rules = self._order_rules(d, p, submitted, horizon)
            if former is not None:
                check_reactivation(self, p, former, numbers, losing, submitted)
            if (oid and cust and losing and gaining and submitted and request and numbers
                    and reattempt is not None and rules is not None):
                out.append(PortOrder(
                    id=oid, customer=cust.id, numbers=numbers, losing=losing, gaining=gaining,
                    submitted=submitted, request=request, requested_date=requested, ddi=ddi,
                    faults=faults, contract_end=contract_end, reattempt_days=reattempt,
                    method=method or "port", ignore_dsl=bool(ignore_dsl),
                    part_of_ddi_range=part, reactivates=former.id if former else None, **rules,
                ))
        self._check_overlaps(out)
        return tuple(out)

    def _order_rules(self, d: dict[str, Any], p: str, submitted: datetime | None,
                     horizon: datetime | None) -> dict[str, Any] | None:
        """An order's keys for rules of some regimes only (PT's distance contracts and physical
        network work), or None after an issue; a key the regime has no rule for is one."""
        for key in ("distance_contract", "physical_work_done"):
            keys = self.regime.order_keys if self.regime else frozenset()
            if d.get(key) not in (None, False) and key not in keys:
                self.err(key_path(p, key), "the regime has no rule for this key (only pt has: "
                         "distance contracts, physical network work)")
        distance = self.get(d, "distance_contract", p, self.boolean, False)
        work = self.get(d, "physical_work_done", p, self.time, None)
        if work and submitted and horizon and not submitted <= work <= horizon:
            self.err(key_path(p, "physical_work_done"),
                     f"{work.isoformat()} is outside submission..horizon")
        if distance is None or (work is None and d.get("physical_work_done") is not None):
            return None
        return {"distance_contract": distance, "physical_work_done": work}

    def _check_overlaps(self, orders: list[PortOrder]) -> None:
        # Two orders may name one number only if the later one is submitted after the earlier
        # one's requested date (a resubmission) or contract end (a reactivation); otherwise the
        # ports of that number overlap.
        last: dict[str, PortOrder] = {}
        for order in sorted(orders, key=lambda o: o.submitted):
            for n in order.numbers:
                prev = last.get(n)
                done = prev and (prev.requested_date or prev.contract_end)
                # a reactivation after its former order's contract end is checked on its own
                if prev and order.reactivates != prev.id and not (
                        done and order.submitted > done):
                    index = orders.index(order)
                    self.err(f"port_orders[{index}].numbers",
                             f"{n} is also in port order {prev.id!r}: ports of one number overlap")
                    break
                if prev and check_released(self, f"port_orders[{orders.index(order)}]", order,
                                           prev, n, self.regime):
                    break
                last[n] = order

    def _request(self, raw: Any, p: str, cust: Customer | None) -> Request | None:
        d = self.mapping(raw if raw is not None else {}, p, "request")
        if d is None or cust is None:
            return None
        loa = self.mapping(d.get("loa") or {}, key_path(p, "loa"), "loa") or {}
        service = self.get(d, "service_type", p, self.text, None)
        if service is not None and service not in _SERVICE_TYPES:
            self.err(key_path(p, "service_type"), f"unknown service type {service!r} "
                     f"({', '.join(_SERVICE_TYPES)})")
        return Request(
            account=self.get(d, "account", p, self.text, cust.account),
            name=self.get(d, "name", p, self.text, cust.name),
            address=self.get(d, "address", p, self.text, cust.address),
            pin=self.get(d, "pin", p, self.text, cust.pin),
            pvc=self.get(d, "pvc", p, self.text, cust.pvc),
            loa_complete=self.get(loa, "complete", key_path(p, "loa"), self.boolean, True),
            loa_signed=self.get(loa, "signed", key_path(p, "loa"), self.boolean, True),
            signer=self.get(loa, "signer", key_path(p, "loa"), self.text,
                            cust.authorised_signers[0] if cust.authorised_signers else None),
            service_type=service,
            written_authorisation=self.get(d, "written_authorisation", p, self.boolean, True),
        )

    def _faults(self, raw: Any, p: str, submitted: datetime | None, horizon: datetime | None,
                numbers: tuple[str, ...], phones: frozenset[str] | None) -> tuple[Fault, ...]:
        out = []
        for i, item in enumerate(self.seq(raw, p)):
            fp = f"{p}[{i}]"
            d = self.mapping(item, fp, "fault")
            if d is None:
                continue
            kind = self.get(d, "kind", fp, self.text)
            if kind is not None and kind not in FAULT_KINDS:
                self.err(key_path(fp, "kind"), f"unknown fault {kind!r} "
                         f"(known: {', '.join(FAULT_KINDS)})")
                continue
            needs_at = kind in ("withdraw", "cancel_old_service")
            at = self.get(d, "at", fp, self.time, REQUIRED if needs_at else None)
            if at and submitted and horizon and not submitted <= at <= horizon:
                self.err(key_path(fp, "at"), f"{at.isoformat()} is outside submission..horizon")
            # absent minutes: an interruption must say them; a failure is detected after
            # the model's default (None), a given 0 included as 0
            minutes = self.get(d, "minutes", fp, self.non_negative,
                               REQUIRED if kind == "interruption" else None)
            days = self.get(d, "days", fp, self.non_negative_integer,
                            REQUIRED if kind == "delay" else 0)
            attempt = self.get(d, "attempt", fp, self.positive_integer, 1)
            reason = self.get(d, "reason", fp, self.text, REQUIRED if kind == "deny" else "")
            audio = kind == "one_way_audio"  # needs a number with a phone, to mute
            number = self.get(d, "number", fp, self.number, REQUIRED if audio else None)
            chance = self.get(d, "probability", fp, self.probability, None)
            if chance is not None and kind is not None and kind not in PROBABLE_PER:
                self.err(key_path(fp, "probability"), f"a {kind} fault is always certain "
                         "(the harness's, not drawn in a run)")
            if number and number not in numbers:
                self.err(key_path(fp, "number"), f"{number} is not in this port order")
            elif audio and number and phones is not None and number not in phones:
                self.err(key_path(fp, "number"), f"{number} has no phone (box or extension)")
            if kind and days is not None and attempt is not None and reason is not None:
                out.append(Fault(kind=kind, attempt=attempt, minutes=minutes, days=days, at=at,
                                 reason=reason, number=number, probability=chance))
        return tuple(out)

    def _traffic(self, raw: Any) -> Traffic:
        d = self.mapping(raw if raw is not None else {}, "traffic", "traffic") or {}
        rate = self.get(d, "calls_per_number_per_hour", "traffic", self.non_negative, 0.0)
        origins = tuple(
            o for i, x in enumerate(self.seq(d.get("origins"), "traffic.origins"))
            if (o := self.carrier_ref(x, f"traffic.origins[{i}]"))
        )
        return Traffic(0.0 if rate is None else rate, origins)  # None: an issue, reported

    def _checkpoints(self, raw: Any, start: datetime | None,
                     horizon: datetime | None) -> tuple[Checkpoint, ...]:
        out: list[Checkpoint] = []
        for i, item in enumerate(self.seq(raw, "checkpoints")):
            p = f"checkpoints[{i}]"
            d = self.mapping(item, p, "checkpoint") or {}
            name = self.get(d, "name", p, self.ident)
            at = self.get(d, "at", p, self.time)
            self._within(at, key_path(p, "at"), start, horizon)
            if name in {c.name for c in out}:
                self.err(key_path(p, "name"), f"duplicate checkpoint {name!r}")
            elif name and at:
                out.append(Checkpoint(name, at))
        return tuple(out)


def _default_scheme(regime: str | None) -> str:
    # UK fixed and non-geographic numbers are onward-routed; PT uses a central reference
    # entity (all-call query), and so does the US (NPAC / LRN dips).
    return "onward" if regime == "uk" else "direct"


"""The scenario's types: frozen dataclasses for carriers, ranges, customers, port orders, faults.

A scenario describes carriers and their interconnects, the number plan (ranges and their range
holders), customers as the losing carrier's records know them, port orders (what each request
states, when it is submitted, which faults to inject), traffic, the regime, a seed and the
simulated period. ``scenarios/reference.yaml`` documents every key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from sim.errors import BadInputError

__all__ = [
    "Carrier",
    "Outage",
    "NumberRange",
    "Mailbox",
    "Site",
    "GoldenNumber",
    "Contract",
    "Suspension",
    "Dsl",
    "Customer",
    "Request",
    "Fault",
    "PortOrder",
    "Traffic",
    "Checkpoint",
    "Scenario",
    "FAULT_KINDS",
    "PROBABLE_PER",
]

#: Faults a port order can carry, and what each does in the model.
FAULT_KINDS = {
    "activation_failure": "the cutover on attempt N fails: numbers roll back to the losing carrier",
    "interruption": "the cutover interrupts service for `minutes` (beyond the window costs)",
    "delay": "the losing carrier answers `days` later than its deadline",
    "deny": "the losing carrier denies the validated order with `reason`",
    "withdraw": "the customer withdraws the order at `at` (refused after the point of no return)",
    "cancel_old_service": "the customer cancels the old service at `at`; unported numbers are lost",
    "misconfigure": "the harness leaves one ported number on the old trunk (SIP checks fail)",
    "one_way_audio": "the harness mutes the audio from one number's phone to its callers "
                     "(its audio check fails)",
    "no_consent": "the port moves `number` (default: all) without the subscriber's consent; "
                  "remedied (ported back) at `at`, if given",
}
#: Fault kind -> what one draw of a probable fault decides (``misconfigure`` is the harness's
#: and always certain: the harness configures Asterisk from the scenario, not from a run).
PROBABLE_PER = {
    "activation_failure": "attempt (drawn when attempt N starts)",
    "interruption": "attempt (drawn when attempt N starts)",
    "delay": "order (drawn when the losing carrier has validated it)",
    "deny": "order (drawn when the losing carrier has validated it)",
    "withdraw": "order (drawn at `at`)",
    "cancel_old_service": "order (drawn at `at`)",
}


@dataclass(frozen=True)
class Outage:
    """A carrier's network is down from ``start`` for ``minutes``."""

    start: datetime
    minutes: float
    probability: float | None = None  # None: certain; else drawn once, at ``start``

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Carrier:
    """A network operator: range holder, losing or gaining carrier, or a caller's network."""

    id: str
    name: str
    routing_number: str
    desk_capacity: int = 4
    answer_hours: float = 8.0
    outages: tuple[Outage, ...] = ()
    copy_lag_minutes: float = 0.0


@dataclass(frozen=True)
class NumberRange:
    """A block of numbers by E.164 prefix, allocated to its range holder."""

    prefix: str
    holder: str


@dataclass(frozen=True)
class Mailbox:
    """A voicemail box on one of the customer's numbers."""

    box: str
    number: str


@dataclass(frozen=True)
class Site:
    """One of the customer's sites (head office, warehouse) with a PBX of its own, and the
    customer's numbers delivered to it. Numbers on no site are the customer's main site's."""

    id: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class GoldenNumber:
    """A discounted Gold/Silver/Bronze number (UK provider terms): bought for ``initial_fee``."""

    number: str
    grade: str
    purchased: datetime
    initial_fee: float


@dataclass(frozen=True)
class Contract:
    """The customer's minimum term (UK) or loyalty period (PT) with the losing carrier."""

    start: datetime
    months: int
    monthly_fee: float = 0.0
    early_termination_charge: float = 0.0


@dataclass(frozen=True)
class Suspension:
    """Numbers suspended for lack of funds at ``at`` (UK provider terms): suspended, then
    quarantined, then free for another user, unless the same user reconnects first."""

    at: datetime
    numbers: tuple[str, ...]
    reconnect: datetime | None = None


@dataclass(frozen=True)
class Dsl:
    """DSL internet on the customer's line (Ooma seed): on the same line as the phone
    service until ``separated`` (stand-alone / dry-loop DSL), if that ever comes."""

    same_line: bool = True
    separated: datetime | None = None


@dataclass(frozen=True)
class Customer:
    """The account as the losing carrier's records (the bill) show it."""

    id: str
    name: str
    account: str
    address: str
    carrier: str
    numbers: tuple[str, ...]
    pin: str | None = None
    pvc: str | None = None
    authorised_signers: tuple[str, ...] = ()
    reseller: str | None = None
    pending_order: bool = False
    contract_restriction: bool = False
    inactive_since: datetime | None = None
    temporary_number: str | None = None
    voicemail: tuple[Mailbox, ...] = ()
    golden_numbers: tuple[GoldenNumber, ...] = ()
    contract: Contract | None = None
    temporary_access: bool = False
    #: Numbers with a phone of their own (an extension) at the gaining carrier's hosted
    #: service, beside the numbers with a mailbox; every other ported number is delivered to
    #: the customer's PBX trunk.
    extensions: tuple[str, ...] = ()
    #: The customer's sites besides its main one, each with its own PBX (each number on at
    #: most one site; a number with a phone stays a phone wherever it is listed).
    sites: tuple[Site, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    dsl: Dsl | None = None
    #: Ooma seed: keep the temporary number as a paid virtual number after the port.
    keep_temporary_number: bool = False
    #: lines at the installation (UK: a single line from more than 10 has 14/17 days)
    installation_lines: int = 1

    @property
    def phones(self) -> frozenset[str]:
        """The numbers with a phone: the declared extensions and every mailbox's number."""
        return frozenset(self.extensions) | {m.number for m in self.voicemail}

    @cached_property
    def site_of(self) -> dict[str, str]:
        """Number -> the id of the site it is on; a number not in it is the main site's."""
        return {n: site.id for site in self.sites for n in site.numbers}


@dataclass(frozen=True)
class Request:
    """What the port request states; compared field by field with the losing carrier's records."""

    account: str
    name: str
    address: str
    pin: str | None = None
    pvc: str | None = None
    loa_complete: bool = True
    loa_signed: bool = True
    signer: str | None = None
    service_type: str | None = None
    written_authorisation: bool = True


@dataclass(frozen=True)
class Fault:
    """A fault injected into one port order (see FAULT_KINDS).

    Certain when ``probability`` is None; otherwise it happens with that probability, drawn
    from the run's generator where it would act (see PROBABLE_PER).
    """

    kind: str
    attempt: int = 1
    #: interruption: how long the switch-over takes; activation_failure: minutes until the
    #: failure is detected (None: the model's default). 0 is 0.
    minutes: float | None = None
    days: int = 0
    at: datetime | None = None
    reason: str = ""
    number: str | None = None
    probability: float | None = None


@dataclass(frozen=True)
class PortOrder:
    """One request to move numbers from the losing to the gaining carrier."""

    id: str
    customer: str
    numbers: tuple[str, ...]
    losing: str
    gaining: str
    submitted: datetime
    request: Request
    requested_date: datetime | None = None
    ddi: bool = False
    faults: tuple[Fault, ...] = ()
    contract_end: datetime | None = None
    reattempt_days: int = 7
    #: ``port`` (the serving network changes) or ``migration`` (UK NGN: the service moves to
    #: the gaining provider, the network stays).
    method: str = "port"
    #: Go ahead although the customer's DSL is on the same line, unseparated: it is lost.
    ignore_dsl: bool = False
    #: some, not all, numbers of a DDI range of the customer (UK complex DDI: 22/25 days)
    part_of_ddi_range: bool = False
    #: PT: sold at a distance or off premises (3 working days)
    distance_contract: bool = False
    #: PT: when physical network work the port needs is done (due 1 working day after)
    physical_work_done: datetime | None = None
    #: the id of the earlier order whose contract ended: its former subscriber reactivates
    #: the numbers in quarantine, with the operator that held them (losing == gaining) or by
    #: porting them to another provider
    reactivates: str | None = None

    def faults_of(self, kind: str) -> tuple[Fault, ...]:
        return tuple(f for f in self.faults if f.kind == kind)


@dataclass(frozen=True)
class Traffic:
    """Poisson calls to every number of every customer, from the origin carriers."""

    calls_per_number_per_hour: float = 0.0
    origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checkpoint:
    """A named instant at which the harness verifies routing with real calls."""

    name: str
    at: datetime


@dataclass(frozen=True)
class Scenario:
    """A whole scenario, validated and frozen. Times are timezone-aware (UTC)."""

    name: str
    regime: str
    country: str
    seed: int
    start: datetime
    horizon: datetime
    routing: str
    carriers: tuple[Carrier, ...]
    interconnects: tuple[tuple[str, str], ...]
    ranges: tuple[NumberRange, ...]
    customers: tuple[Customer, ...]
    port_orders: tuple[PortOrder, ...]
    traffic: Traffic = Traffic()
    checkpoints: tuple[Checkpoint, ...] = ()
    description: str = ""
    source: str = "<string>"

    @property
    def carrier_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.carriers)

    @cached_property
    def _carriers_by_id(self) -> dict[str, Carrier]:
        return {c.id: c for c in self.carriers}

    @cached_property
    def _customers_by_id(self) -> dict[str, Customer]:
        return {c.id: c for c in self.customers}

    def carrier(self, carrier_id: str) -> Carrier:
        """The carrier with this id (KeyError if none)."""
        return self._carriers_by_id[carrier_id]

    def customer(self, customer_id: str) -> Customer:
        """The customer with this id (KeyError if none)."""
        return self._customers_by_id[customer_id]

    def checkpoint(self, name: str) -> Checkpoint:
        """The checkpoint called ``name``. Raises BadInputError naming the known ones."""
        for c in self.checkpoints:
            if c.name == name:
                return c
        known = ", ".join(c.name for c in self.checkpoints) or "none"
        raise BadInputError(f"{self.source}: unknown checkpoint {name!r}; known: {known}")

    def instant(self, *, at: datetime | None = None, checkpoint: str | None = None,
                option: str = "--at") -> datetime:
        """The instant asked for: ``at``, a named checkpoint's, or the scenario's start.

        Raises BadInputError for both given, an unknown checkpoint, or an instant outside the
        scenario's start..horizon (``option`` names the argument in the message).
        """
        if at is not None and checkpoint is not None:
            raise BadInputError(f"give {option} or --checkpoint, not both")
        if checkpoint is not None:
            return self.checkpoint(checkpoint).at
        moment = self.start if at is None else at
        if not self.start <= moment <= self.horizon:
            raise BadInputError(f"{option} {moment.isoformat()} is outside the scenario "
                                f"({self.start.isoformat()} to {self.horizon.isoformat()})")
        return moment

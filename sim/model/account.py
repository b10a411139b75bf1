"""The customer's account with its carriers: what porting away costs under the losing carrier's
terms, suspension for lack of funds, and the caller ID the customer presents.

The charges and the caller ID are pure functions of the scenario's facts and an instant: the
model emits the charges as ``charge`` events, ``cutover route`` and the harness ask the caller
ID. :func:`suspend` is the SimPy process of one suspension (its phases are pure too:
:func:`sim.regimes.costs.suspension_phases`).
"""

from __future__ import annotations

__all__ = ["Charge", "port_away_charges", "presented_caller_id", "caller_id_in", "migrated_to",
           "suspend", "migrate", "after_port_away", "dsl_decision", "check_dsl", "AccountBook"]

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import simpy

from sim.model.ledger import Ledger
from sim.model.lifecycle import PORTED, AccountState, EventKind, NumberStatus, PortState
from sim.model.run_state import PortRun, RunState
from sim.regimes.base import Regime
from sim.regimes.business_calendar import Period
from sim.regimes.costs import (
    early_termination,
    golden_number_fee,
    golden_number_row,
    reconnection_fee,
    suspension_phases,
)
from sim.scenario import Customer, Dsl, PortOrder, Scenario, Suspension


@dataclass(frozen=True)
class Charge:
    """One amount owed: its kind (a :data:`sim.regimes.costs.COST_KINDS` member), in the
    regime's currency, to ``payee`` (a carrier id), for ``reason`` (words)."""

    kind: str
    amount: float
    currency: str
    payee: str
    reason: str
    #: The number it is for (None: the whole order).
    number: str | None = None

    def fields(self) -> dict[str, object]:
        """The charge as the fields of a ``charge`` event."""
        return {"kind": self.kind, "amount": self.amount, "currency": self.currency,
                "payee": self.payee, "reason": self.reason}


def port_away_charges(order: PortOrder, customer: Customer, regime: Regime, ported: datetime,
                      *, contract: bool = True) -> list[Charge]:
    """What the customer owes the losing carrier once ``order`` has ported at ``ported``.

    A Gold/Silver/Bronze number among the order's numbers: its porting fee (UK provider
    terms); with ``contract`` (the first port away from the account), the early termination
    of the customer's minimum term or loyalty period. Nothing owed is left out, and nothing
    at all for a port without the subscriber's consent (ANACOM FAQ 14: no fees or penalties).
    """
    if order.faults and order.faults_of("no_consent"):
        return []
    terms, currency, payee = regime.terms, regime.currency, order.losing
    out: list[Charge] = []
    for g in customer.golden_numbers:
        if g.number not in order.numbers:
            continue
        row = golden_number_row(purchased=g.purchased, ported=ported, terms=terms)
        fee = golden_number_fee(g.initial_fee, purchased=g.purchased, ported=ported,
                                terms=terms)
        if row is not None and fee:
            out.append(Charge("porting_fees", fee, currency, payee,
                              f"{g.grade} number ported away within {row[0]} months of its "
                              f"purchase ({g.purchased.date().isoformat()}): {row[1]:g}x "
                              f"its initial fee of {g.initial_fee:.2f}", g.number))
    c = customer.contract
    if contract and c is not None:
        owed = early_termination(start=c.start, months=c.months, monthly_fee=c.monthly_fee,
                                 charge=c.early_termination_charge, ported=ported, terms=terms)
        if owed:
            end = Period(months=c.months).after(c.start)
            out.append(Charge("early_termination", owed, currency, payee,
                              f"ported away inside the {c.months}-month minimum term "
                              f"(ends {end.date().isoformat()}): the rest of the term is owed"))
    return out


def caller_id_in(scenario: Scenario, state: RunState, number: str) -> str | None:
    """:func:`presented_caller_id` of ``number`` in a run's ``state``: active once a port
    order of it has ported (or migrated) it. None for a number that is no customer's."""
    customer = next((c for c in scenario.customers if number in c.numbers), None)
    active = any(run.state in PORTED or run.state == PortState.MIGRATED
                 for run in state.runs.values() if number in run.order.numbers)
    return presented_caller_id(number, customer, active=active)


def migrated_to(state: RunState, number: str) -> str | None:
    """The provider a run's migrated order moved ``number``'s service to, if any (UK NGN)."""
    return next((run.order.gaining for run in state.runs.values()
                 if run.state == PortState.MIGRATED and number in run.order.numbers), None)


def presented_caller_id(number: str, customer: Customer | None, *, active: bool) -> str | None:
    """The number the customer's phone on ``number`` presents on outbound calls.

    The number itself once its port (or migration) is active; before that the customer's
    temporary number if it has one (Ooma seed: the temporary number serves until the port),
    else the number. None for a number that is no customer's.
    """
    if customer is None:
        return None
    if active or customer.temporary_number is None:
        return number
    return customer.temporary_number


class AccountBook(Protocol):
    """What the account's processes read and change in their run (the model is one)."""

    env: simpy.Environment
    scenario: Scenario
    regime: Regime
    state: RunState
    ledger: Ledger

    def wall(self, s: float) -> datetime:
        """The aware UTC datetime of simulated second ``s``."""

    def until(self, s: float) -> simpy.Timeout:
        """A timeout that ends at simulated second ``s``."""

    def sim_time(self, t: datetime) -> float:
        """Simulated seconds since the start for an aware datetime."""

    def emit(self, event: EventKind, run: PortRun | None, state: PortState | None = None,
             numbers: tuple[str, ...] | None = None, **extra: Any) -> None:
        """Record an event of ``run`` (moving it to ``state``, if given) in the ledger."""


#: phase -> (its event, the numbers' status then (None: in service), the event's state)
_PHASES: dict[str, tuple[EventKind, NumberStatus | None, AccountState]] = {
    "suspended": (EventKind.SUSPENDED, NumberStatus.SUSPENDED, AccountState.SUSPENDED),
    "quarantined": (EventKind.QUARANTINED, NumberStatus.QUARANTINE, AccountState.QUARANTINE),
    "released": (EventKind.RELEASED, NumberStatus.LOST, AccountState.RELEASED),
    "reconnected": (EventKind.RECONNECTED, None, AccountState.IN_SERVICE),
    "reconnect_refused": (EventKind.RECONNECT_REFUSED, NumberStatus.LOST, AccountState.RELEASED),
}
#: phases in which the numbers are held: a port order of them is refused (``quarantined``)
_HELD = frozenset({"suspended", "quarantined"})


def suspend(book: AccountBook, customer: Customer, suspension: Suspension
            ) -> Generator[simpy.Event, Any, None]:
    """Play one suspension for lack of funds: each phase at its instant, as an event whose
    ``state`` is the numbers' (suspended, quarantine, released, in_service); a reconnection
    charges the terms' fee per number to the customer's carrier."""
    regime, numbers = book.regime, suspension.numbers
    at = regime.calendar.local(suspension.at)  # periods run in the regime's local time
    phases = suspension_phases(at, reconnect=suspension.reconnect,
                               suspension=regime.suspension, quarantine=regime.quarantine)
    status, held = book.state.status, book.state.quarantined
    quarantine_from = regime.suspension.after(at)
    released_from = regime.quarantine.after(quarantine_from)
    for when, phase in phases:
        yield book.until(book.sim_time(when))
        event, number_status, state = _PHASES[phase]
        for n in numbers:
            if number_status is None:
                status.pop(n, None)
            else:
                status[n] = number_status
        if phase in _HELD:
            held.update(numbers)
        else:
            held.difference_update(numbers)
        extra: dict[str, Any] = {"customer": customer.id, "carrier": customer.carrier}
        if phase == "suspended":
            extra.update(reason="insufficient funds", quarantine_from=quarantine_from,
                         released_from=released_from)
        elif phase == "quarantined":
            extra["released_from"] = released_from
        elif phase == "reconnect_refused":
            extra["reason"] = "the numbers were released after their quarantine"
        book.ledger.add(book.env.now, event, None, numbers, state, extra)
        if phase == "reconnected":
            fee = reconnection_fee(len(numbers), terms=regime.terms)
            charge = Charge("reconnection", fee, regime.currency, customer.carrier,
                            f"{len(numbers)} number(s) reconnected after a suspension for lack "
                            f"of funds")
            book.ledger.add(book.env.now, EventKind.CHARGE, None, numbers, None,
                            {"customer": customer.id, **charge.fields()})


def migrate(book: AccountBook, run: PortRun, customer: Customer
            ) -> Generator[simpy.Event, Any, bool]:
    """Migrate a submitted order's non-geographic numbers (UK provider page): the customer's
    written authorisation is all it needs (no LOA, no porting desk, no lead time), and the
    serving network does not change (nothing is published to the routing core).

    MIGRATED at the requested date, or at once; REJECTED without the written authorisation
    or while a number is suspended or quarantined. Returns whether it migrated.
    """
    order = run.order
    reasons = [reason for reason, refused in (
        ("no_written_authorisation", not order.request.written_authorisation),
        ("quarantined", any(n in book.state.quarantined for n in order.numbers))) if refused]
    if reasons:
        from sim.regimes.base import REJECTION_TEXT

        book.emit(EventKind.REJECTED, run, PortState.REJECTED, reason=reasons[0],
                  detail=REJECTION_TEXT[reasons[0]], reasons=reasons)
        return False
    book.emit(EventKind.VALIDATED, run, PortState.VALIDATED, method="migration")
    if order.requested_date is not None:
        yield book.until(book.sim_time(order.requested_date))
    run.active_at = book.env.now
    book.emit(EventKind.MIGRATED, run, PortState.MIGRATED, network=order.losing,
              reseller=customer.reseller, provider=order.gaining)
    return True


def after_port_away(book: AccountBook, run: PortRun) -> None:
    """Once ``run``'s port is active: the charges the losing carrier's terms put on it
    (:func:`port_away_charges`, the account's term once) and a DSL lost with the line."""
    order = run.order
    customer = book.scenario.customer(order.customer)
    if customer.dsl is None and not (customer.golden_numbers or customer.contract):
        return  # most customers: nothing to record (and no datetime to make, per order)
    now = book.wall(book.env.now)
    if customer.dsl is not None and dsl_decision(customer.dsl, ignore=order.ignore_dsl,
                                                 at=now)[0] == "lose":
        book.emit(EventKind.DSL_LOST, run, None, reason="the port went ahead with the DSL on "
                  "the same line, not separated: the DSL service is lost")
    if not (customer.golden_numbers or customer.contract):
        return  # most customers: nothing their terms charge
    first = order.customer not in book.state.left
    book.state.left.add(order.customer)
    for charge in port_away_charges(order, customer, book.regime, now, contract=first):
        book.emit(EventKind.CHARGE, run, None, (charge.number,) if charge.number else None,
                  **charge.fields())


def dsl_decision(dsl: Dsl, *, ignore: bool, at: datetime) -> tuple[str, datetime | None]:
    """What DSL on the phone line means for a port at ``at`` (Ooma seed): ``("proceed",
    None)`` when there is none on the same line or it is separated by then; ``("hold",
    separated)`` until it is separated, when that is to come; ``("reject", None)`` when it
    never is; ``("lose", None)`` when the order goes ahead anyway (``ignore``): the DSL
    "may be lost after the port completes".
    """
    if not dsl.same_line or (dsl.separated is not None and dsl.separated <= at):
        return "proceed", None
    if ignore:
        return "lose", None
    if dsl.separated is not None:
        return "hold", dsl.separated
    return "reject", None


def check_dsl(book: AccountBook, run: PortRun, customer: Customer
              ) -> Generator[simpy.Event, Any, bool]:
    """At validation: reject (``dsl_on_line``) or hold the order until the customer's DSL is
    separated from the line; returns whether the order goes on."""
    assert customer.dsl is not None
    action, until = dsl_decision(customer.dsl, ignore=run.order.ignore_dsl,
                                 at=book.wall(book.env.now))
    if action == "reject":
        from sim.regimes.base import REJECTION_TEXT

        book.emit(EventKind.REJECTED, run, PortState.REJECTED, reason="dsl_on_line",
                  detail=REJECTION_TEXT["dsl_on_line"], reasons=["dsl_on_line"])
        return False
    if action == "hold" and until is not None:
        book.emit(EventKind.HELD, run, PortState.HELD, reason="dsl_on_line", until=until)
        yield book.until(book.sim_time(until))
        book.emit(EventKind.DSL_SEPARATED, run, None)
    return True

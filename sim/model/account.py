"""The customer's account with its carriers: what porting away costs under the losing carrier's
terms, and the caller ID the customer presents.

Pure functions of the scenario's facts and an instant: the model emits what they return as
``charge`` events, ``cutover route`` and the harness ask the caller ID.
"""

from __future__ import annotations

__all__ = ["Charge", "port_away_charges", "presented_caller_id"]

from dataclasses import dataclass
from datetime import datetime

from sim.regimes.base import Regime
from sim.regimes.business_calendar import Period
from sim.regimes.costs import early_termination, golden_number_fee, golden_number_row
from sim.scenario import Customer, PortOrder


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
    of the customer's minimum term or loyalty period. Nothing owed is left out.
    """
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

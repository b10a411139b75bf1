"""Reading a customer's account terms: Gold/Silver/Bronze numbers, the minimum term or loyalty
period, temporary accesses; and the checks of a port order against them.

Each term is a rule of one regime's sources (sim.regimes.costs, the regime's checks); a
scenario that gives a term its regime does not have is told so, with the path.
"""

from __future__ import annotations

__all__ = ["GRADES", "METHODS", "read_account", "check_order_against_account", "check_migration"]

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.scenario.fields import FieldReader, key_path
from sim.scenario.types import Contract, Customer, Dsl, GoldenNumber, Suspension

if TYPE_CHECKING:
    from sim.regimes.base import Regime

#: The discounted number grades of the UK provider terms.
GRADES = ("gold", "silver", "bronze")
#: How a port order moves the numbers: ported (the network changes) or migrated (UK NGN).
METHODS = ("port", "migration")


def read_account(r: FieldReader, d: dict[str, Any], p: str, numbers: tuple[str, ...],
                 regime: Regime | None) -> dict[str, Any]:
    """The account fields of the customer mapping ``d`` at path ``p`` (Customer's keywords).

    Issues go to ``r``; ``numbers`` are the customer's (a golden number must be one of them).
    """
    golden = _golden_numbers(r, d.get("golden_numbers"), key_path(p, "golden_numbers"), numbers,
                             regime)
    contract = _contract(r, d.get("contract"), key_path(p, "contract"), regime)
    temporary = r.get(d, "temporary_access", p, r.boolean, False)
    if temporary and regime is not None and "temporary_access" not in regime.validation_checks:
        r.err(key_path(p, "temporary_access"), f"temporary accesses are a rule of the pt regime "
              f"(ANACOM), not of {regime.name}")
    suspensions = _suspensions(r, d.get("suspensions"), key_path(p, "suspensions"), numbers,
                               regime)
    return {"golden_numbers": golden, "contract": contract, "temporary_access": bool(temporary),
            "suspensions": suspensions, "dsl": _dsl(r, d.get("dsl"), key_path(p, "dsl")),
            "keep_temporary_number": _keep_temporary(r, d, p)}


def _keep_temporary(r: FieldReader, d: dict[str, Any], p: str) -> bool:
    keep = r.get(d, "keep_temporary_number", p, r.boolean, False)
    if keep and d.get("temporary_number") is None:
        r.err(key_path(p, "keep_temporary_number"), "there is no temporary_number to keep")
    return bool(keep)


def _dsl(r: FieldReader, raw: Any, p: str) -> Dsl | None:
    if raw is None:
        return None
    d = r.mapping(raw, p, "dsl")
    if d is None:
        return None
    same_line = r.get(d, "same_line", p, r.boolean, True)
    separated = r.get(d, "separated", p, r.time, None)
    if separated is not None and same_line is False:
        r.err(key_path(p, "separated"), "only DSL on the same line as the phone service is "
              "separated (same_line is false)")
    return Dsl(bool(same_line), separated) if same_line is not None else None


def _suspensions(r: FieldReader, raw: Any, p: str, numbers: tuple[str, ...],
                 regime: Regime | None) -> tuple[Suspension, ...]:
    items = r.seq(raw, p)
    if items and regime is not None and regime.terms.reconnection_per_number is None:
        r.err(p, f"suspension for lack of funds is a rule of the uk provider terms, "
              f"not of {regime.name}")
        return ()
    out: list[Suspension] = []
    for i, item in enumerate(items):
        sp = f"{p}[{i}]"
        s = r.mapping(item, sp, "suspension")
        if s is None:
            continue
        at = r.get(s, "at", sp, r.time)
        which = numbers
        if s.get("numbers") is not None:
            which = tuple(n for j, x in enumerate(r.seq(s["numbers"], key_path(sp, "numbers")))
                          if (n := r.number(x, f"{sp}.numbers[{j}]")))
            for n in which:
                if n not in numbers:
                    r.err(key_path(sp, "numbers"), f"{n} is not one of the customer's numbers")
            if not which:
                r.err(key_path(sp, "numbers"), "a suspension needs at least one number")
        reconnect = r.get(s, "reconnect", sp, r.time, None)
        if at and reconnect and reconnect <= at:
            r.err(key_path(sp, "reconnect"), f"reconnect {reconnect.isoformat()} is not after "
                  f"the suspension ({at.isoformat()})")
            reconnect = None
        if out and at and (out[-1].reconnect is None or at < out[-1].reconnect):
            r.err(key_path(sp, "at"), "suspensions of one customer come in time order, each "
                  "after the previous one is reconnected")
        if at and which:
            out.append(Suspension(at, which, reconnect))
    return tuple(out)


def _golden_numbers(r: FieldReader, raw: Any, p: str, numbers: tuple[str, ...],
                    regime: Regime | None) -> tuple[GoldenNumber, ...]:
    items = r.seq(raw, p)
    if items and regime is not None and not regime.terms.golden_multipliers:
        r.err(p, f"Gold/Silver/Bronze numbers are a rule of the uk provider terms, "
              f"not of {regime.name}")
        return ()
    out: list[GoldenNumber] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        gp = f"{p}[{i}]"
        g = r.mapping(item, gp, "golden_number")
        if g is None:
            continue
        number = r.get(g, "number", gp, r.number)
        if number is not None and number not in numbers:
            r.err(key_path(gp, "number"), f"{number} is not one of the customer's numbers")
            number = None
        elif number in seen:
            r.err(key_path(gp, "number"), f"{number} is listed twice")
            number = None
        grade = r.get(g, "grade", gp, r.text)
        if grade is not None and grade not in GRADES:
            r.err(key_path(gp, "grade"), f"unknown grade {grade!r} ({', '.join(GRADES)})")
            grade = None
        purchased = r.get(g, "purchased", gp, r.time)
        fee = r.get(g, "initial_fee", gp, r.non_negative)
        if number and grade and purchased and fee is not None:
            seen.add(number)
            out.append(GoldenNumber(number, grade, purchased, fee))
    return tuple(out)


def _contract(r: FieldReader, raw: Any, p: str, regime: Regime | None) -> Contract | None:
    if raw is None:
        return None
    c = r.mapping(raw, p, "contract")
    if c is None:
        return None
    if regime is not None and regime.terms.minimum_term_grace is None:
        r.err(p, f"minimum terms and loyalty periods are rules of the uk provider terms and "
              f"of pt (ANACOM), not of {regime.name}")
        return None
    start = r.get(c, "start", p, r.time)
    months = r.get(c, "months", p, r.integer)
    if months is not None and months < 1:
        r.err(key_path(p, "months"), f"a minimum term is at least 1 month, not {months}")
        months = None
    fee = r.get(c, "monthly_fee", p, r.non_negative, 0.0)
    charge = r.get(c, "early_termination_charge", p, r.non_negative, 0.0)
    if start is None or months is None or fee is None or charge is None:
        return None
    return Contract(start, months, fee, charge)


def check_order_against_account(r: FieldReader, p: str, numbers: tuple[str, ...],
                                submitted: datetime | None, customer: Customer,
                                customer_path: str, *, ignore_dsl: bool = False) -> None:
    """Issues for a port order (at ``p``) that an account term cannot precede: a golden number
    purchased, or a contract started, after the order is submitted; ``ignore_dsl`` without a
    DSL on the customer's line."""
    if ignore_dsl and (customer.dsl is None or not customer.dsl.same_line):
        r.err(key_path(p, "ignore_dsl"), f"customer {customer.id!r} has no DSL on the same line "
              f"to ignore")
    if submitted is None:
        return
    for i, g in enumerate(customer.golden_numbers):
        if g.number in numbers and g.purchased > submitted:
            r.err(f"{customer_path}.golden_numbers[{i}].purchased",
                  f"{g.number} is purchased {g.purchased.isoformat()}, after port order at "
                  f"{p} is submitted ({submitted.isoformat()})")
    if customer.contract is not None and customer.contract.start > submitted:
        r.err(f"{customer_path}.contract.start",
              f"the contract starts {customer.contract.start.isoformat()}, after port order at "
              f"{p} is submitted ({submitted.isoformat()})")


def check_migration(r: FieldReader, p: str, numbers: tuple[str, ...], customer: Customer,
                    carrier_name: str, regime: Regime | None) -> None:
    """Issues (at ``p``, the order's ``method``) for a migration the UK provider page does not
    allow: outside the uk regime, a geographic number, no reseller, or a network other than
    Energis, Cable & Wireless or Verizon."""
    from sim.numbering import NumberType, number_type
    from sim.regimes.uk import is_migration_network

    if regime is None:
        return
    if regime.name != "uk":
        r.err(p, f"a migration is a uk rule (non-geographic numbers), not of {regime.name}")
        return
    kinds = (NumberType.NON_GEOGRAPHIC, NumberType.TOLL_FREE)
    geographic = [n for n in numbers if number_type(n, "uk") not in kinds]
    if geographic:
        r.err(p, f"only non-geographic numbers can be migrated, not {geographic[0]}")
    elif customer.reseller is None:
        r.err(p, f"only numbers held through a reseller can be migrated; customer "
              f"{customer.id!r} has no reseller")
    elif not is_migration_network(customer.carrier, carrier_name):
        r.err(p, f"only numbers with an Energis, Cable & Wireless or Verizon reseller can be "
              f"migrated, not {carrier_name} ({customer.carrier})")

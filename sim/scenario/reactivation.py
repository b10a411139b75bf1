"""Reading a reactivation: the former subscriber takes back numbers in quarantine.

ANACOM: for 3 months after the contract ends the former subscriber may reactivate the old
number, back with the original operator or by switching to another provider. A port order
says ``reactivates: <earlier order id>``; only that order's customer may, only its numbers,
only after its ``contract_end`` and from the operator that held them. Whether the quarantine
is still running when it is asked is the model's to tell (refused once it is over).
"""

from __future__ import annotations

__all__ = ["former_order", "check_reactivation", "check_released"]

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sim.scenario.fields import FieldReader, key_path

if TYPE_CHECKING:
    from sim.regimes.base import Regime
from sim.scenario.types import Customer, PortOrder


def former_order(r: FieldReader, d: dict[str, Any], p: str, earlier: list[PortOrder],
                 cust: Customer | None) -> PortOrder | None:
    """The earlier order whose numbers the order mapping ``d`` at ``p`` reactivates, or None
    (no ``reactivates``, or an issue recorded at its path)."""
    if d.get("reactivates") is None:
        return None
    rp = key_path(p, "reactivates")
    oid = r.text(d["reactivates"], rp)
    if oid is None:
        return None
    former = next((o for o in earlier if o.id == oid), None)
    if former is None:
        known = ", ".join(o.id for o in earlier) or "none"
        r.err(rp, f"no earlier port order {oid!r} to reactivate from (earlier: {known})")
        return None
    if former.contract_end is None:
        r.err(rp, f"order {oid!r} has no contract_end: no quarantine to reactivate from")
        return None
    if cust is not None and cust.id != former.customer:
        r.err(key_path(p, "customer"), f"{cust.id!r} never held the numbers of order {oid!r}: "
              f"only the former subscriber ({former.customer!r}) may reactivate them")
        return None
    return former


def check_reactivation(r: FieldReader, p: str, former: PortOrder, numbers: tuple[str, ...],
                       losing: str | None, submitted: datetime | None) -> None:
    """Record an issue for numbers not of ``former``, another operator than the one holding
    them in quarantine, or a reactivation asked before the contract ended."""
    stray = [n for n in numbers if n not in former.numbers]
    if stray:
        r.err(key_path(p, "numbers"), f"{stray[0]} is not a number of order {former.id!r}: "
              "only its numbers can be reactivated")
    if losing is not None and losing != former.gaining:
        r.err(key_path(p, "losing"), f"the numbers are in quarantine at {former.gaining!r} "
              f"(order {former.id!r}), not {losing!r}")
    end = former.contract_end
    if end is not None and submitted is not None and submitted <= end:
        r.err(key_path(p, "submitted"), f"the contract of order {former.id!r} ends at "
              f"{end.isoformat()}: a reactivation comes after it")


def check_released(r: FieldReader, p: str, order: PortOrder, prev: PortOrder, number: str,
                   regime: Regime | None) -> bool:
    """Whether ``order`` (at ``p``), an ordinary port of ``number`` after ``prev``'s quarantine
    is over, is an issue (recorded): the number is back with its range holder, no longer the
    customer's to port; inside the quarantine it is the model's (rejected as quarantined)."""
    end = prev.contract_end
    if end is None or order.reactivates is not None or regime is None:
        return False
    over = regime.quarantine_ends(end)
    if order.submitted < over:
        return False
    r.err(key_path(p, "numbers"), f"{number} went back to its range holder when the quarantine "
          f"after order {prev.id!r}'s contract end was over ({over.isoformat()}): it is no "
          "longer the customer's to port")
    return True

"""Validation of a port request against the losing carrier's records, per regime."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.numbering import is_portable, service_type
from sim.scenario import Customer, PortOrder

if TYPE_CHECKING:
    from sim.model.simulation import CutoverModel, PortRun

__all__ = ["rejection_reasons", "CHECKS"]

Check = Callable[["CutoverModel", PortOrder, Customer], bool]


def _not_portable(model: CutoverModel, order: PortOrder, _c: Customer) -> bool:
    regime = model.scenario.regime
    for n in order.numbers:  # a loop, not all(): most orders have one number
        if not is_portable(n, regime):
            return True
    return False


def _service_switch(model: CutoverModel, order: PortOrder, _c: Customer) -> bool:
    wanted = order.request.service_type
    return wanted is not None and any(
        service_type(n, model.scenario.regime) != wanted for n in order.numbers)


def _inactive(model: CutoverModel, order: PortOrder, c: Customer) -> bool:
    limit = model.regime.inactivity_limit
    return (c.inactive_since is not None and limit is not None
            and limit.after(c.inactive_since) < order.submitted)


def _pending(model: CutoverModel, order: PortOrder, c: Customer) -> bool:
    if c.pending_order:
        return True
    for n in order.numbers:
        if model.in_flight[n] > 1:
            return True
    return False


def _quarantined(model: CutoverModel, order: PortOrder, _c: Customer) -> bool:
    quarantined = model.quarantined
    if quarantined:  # usually empty
        for n in order.numbers:
            if n in quarantined:
                return True
    return False


#: reason -> predicate that is true when the order must be rejected for it.
CHECKS: dict[str, Check] = {
    "account_number": lambda m, o, c: o.request.account != c.account,
    "pin": lambda m, o, c: c.pin is not None and o.request.pin != c.pin,
    "holder_name": lambda m, o, c: o.request.name != c.name,
    "service_address": lambda m, o, c: o.request.address != c.address,
    "pending_order": _pending,
    "contract_restriction": lambda m, o, c: c.contract_restriction,
    "loa_incomplete": lambda m, o, c: not o.request.loa_complete,
    "loa_unsigned": lambda m, o, c: not o.request.loa_signed,
    "unauthorised_signer": lambda m, o, c: o.request.signer not in c.authorised_signers,
    "pvc_mismatch": lambda m, o, c: c.pvc is not None and o.request.pvc != c.pvc,
    "not_portable": _not_portable,
    "service_type_switch": _service_switch,
    "inactive_number": _inactive,
    "quarantined": _quarantined,
}


def rejection_reasons(model: CutoverModel, run: PortRun) -> tuple[str, ...]:
    """Every reason, in the regime's order, why the losing carrier rejects this order now."""
    order = run.order
    customer = model.scenario.customer(order.customer)
    reasons = [reason for reason, check in _checks_of(model.regime.validation_checks)
               if check(model, order, customer)]
    return tuple(reasons) if reasons else ()  # most orders pass: no tuple to build


_CHECKS_OF: dict[int, tuple[tuple[str, ...], tuple[tuple[str, Check], ...]]] = {}


def _checks_of(reasons: tuple[str, ...]) -> tuple[tuple[str, Check], ...]:
    # (reason, check) pairs per regime, looked up once rather than per reason per order; keyed
    # by the tuple's identity (a regime keeps its own), as hashing ten strings costs more
    known = _CHECKS_OF.get(id(reasons))
    if known is None or known[0] is not reasons:
        known = _CHECKS_OF[id(reasons)] = (reasons, tuple((r, CHECKS[r]) for r in reasons))
    return known[1]

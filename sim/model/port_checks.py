"""Validation of a port request against the losing carrier's records, per regime.

A pure function of the order, the customer's record, the regime and the numbers that other
orders hold (in flight or in quarantine): no simulation is needed to ask it.

>>> from sim.regimes import get_regime
>>> from sim.scenario import load_scenario
>>> s = load_scenario("scenarios/uk_gnp_weekend.yaml")
>>> order = s.port_orders[0]
>>> rejection_reasons(order, s.customer(order.customer), regime=get_regime(s.regime),
...                   in_flight={}, quarantined=())
()
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from sim.numbering import is_portable, service_type
from sim.regimes.base import Regime
from sim.scenario import Customer, PortOrder

__all__ = ["rejection_reasons", "CHECKS", "Check"]

#: (order, customer, regime, in flight, quarantined) -> whether the order must be rejected.
#: ``in flight`` counts the orders on each number that are submitted and not finished,
#: the order being checked included.
Check = Callable[[PortOrder, Customer, Regime, Mapping[str, int], Collection[str]], bool]


def _not_portable(order: PortOrder, _c: Customer, regime: Regime, _f: Mapping[str, int],
                  _q: Collection[str]) -> bool:
    name = regime.name
    for n in order.numbers:  # a loop, not all(): most orders have one number
        if not is_portable(n, name):
            return True
    return False


def _service_switch(order: PortOrder, _c: Customer, regime: Regime, _f: Mapping[str, int],
                    _q: Collection[str]) -> bool:
    wanted = order.request.service_type
    return wanted is not None and any(
        service_type(n, regime.name) != wanted for n in order.numbers)


def _inactive(order: PortOrder, c: Customer, regime: Regime, _f: Mapping[str, int],
              _q: Collection[str]) -> bool:
    limit = regime.inactivity_limit
    return (c.inactive_since is not None and limit is not None
            and limit.after(c.inactive_since) < order.submitted)


def _pending(order: PortOrder, c: Customer, _r: Regime, in_flight: Mapping[str, int],
             _q: Collection[str]) -> bool:
    if c.pending_order:
        return True
    for n in order.numbers:
        if in_flight.get(n, 0) > 1:  # another order than this one
            return True
    return False


def _quarantined(order: PortOrder, _c: Customer, _r: Regime, _f: Mapping[str, int],
                 quarantined: Collection[str]) -> bool:
    if quarantined:  # usually empty
        for n in order.numbers:
            if n in quarantined:
                return True
    return False


#: reason -> predicate that is true when the order must be rejected for it.
CHECKS: dict[str, Check] = {
    "account_number": lambda o, c, r, f, q: o.request.account != c.account,
    "pin": lambda o, c, r, f, q: c.pin is not None and o.request.pin != c.pin,
    "holder_name": lambda o, c, r, f, q: o.request.name != c.name,
    "service_address": lambda o, c, r, f, q: o.request.address != c.address,
    "pending_order": _pending,
    "contract_restriction": lambda o, c, r, f, q: c.contract_restriction,
    "loa_incomplete": lambda o, c, r, f, q: not o.request.loa_complete,
    "loa_unsigned": lambda o, c, r, f, q: not o.request.loa_signed,
    "unauthorised_signer": lambda o, c, r, f, q: o.request.signer not in c.authorised_signers,
    "pvc_mismatch": lambda o, c, r, f, q: c.pvc is not None and o.request.pvc != c.pvc,
    "not_portable": _not_portable,
    "service_type_switch": _service_switch,
    "inactive_number": _inactive,
    "quarantined": _quarantined,
    "temporary_access": lambda o, c, r, f, q: c.temporary_access,
}


def rejection_reasons(order: PortOrder, customer: Customer, *, regime: Regime,
                      in_flight: Mapping[str, int], quarantined: Collection[str]
                      ) -> tuple[str, ...]:
    """Every reason, in the regime's order, why the losing carrier rejects ``order`` now.

    Returns an empty tuple when the order passes every check the regime makes.

    Raises
    ------
    NumberFormatError, ValueError
        From the number checks, for a number the regime's plan cannot read.
    """
    reasons = [reason for reason, check in _checks_of(regime.validation_checks)
               if check(order, customer, regime, in_flight, quarantined)]
    return tuple(reasons) if reasons else ()  # most orders pass: no tuple to build


_CHECKS_OF: dict[int, tuple[tuple[str, ...], tuple[tuple[str, Check], ...]]] = {}


def _checks_of(reasons: tuple[str, ...]) -> tuple[tuple[str, Check], ...]:
    # (reason, check) pairs per regime, looked up once rather than per reason per order; keyed
    # by the tuple's identity (a regime keeps its own), as hashing ten strings costs more
    known = _CHECKS_OF.get(id(reasons))
    if known is None or known[0] is not reasons:
        known = _CHECKS_OF[id(reasons)] = (reasons, tuple((r, CHECKS[r]) for r in reasons))
    return known[1]

"""The lifecycle's vocabulary: the states of a port order and of a number, the kinds of event.

Each name is written once here. The members are ``StrEnum``s, so they compare equal to, hash
as and are written to events.jsonl and summary.json exactly as their string values: code that
reads the files (or still compares with the strings, as the harness does) sees no difference::

    REQUESTED -> VALIDATED | REJECTED -> ACCEPTED | DENIED -> (CANCELLED) -> ACTIVATING
    -> ACTIVE | ROLLED_BACK (-> re-attempt) ; ACTIVE -> QUARANTINE -> RETURNED

>>> PortState.ACTIVE == "active"
True
>>> import json; json.dumps({EventKind.CALL_LOST: PortState.LOST})
'{"call_lost": "lost"}'
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PortState", "NumberStatus", "AccountState", "EventKind", "SETTLED", "PORTED"]


class PortState(StrEnum):
    """Where a port order stands (the ``state`` of an event record)."""

    REQUESTED = "requested"
    VALIDATED = "validated"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    DENIED = "denied"
    CANCELLED = "cancelled"
    ACTIVATING = "activating"
    ACTIVE = "active"
    ROLLED_BACK = "rolled_back"
    QUARANTINE = "quarantine"
    RETURNED = "returned"
    REACTIVATED = "reactivated"  # back with the operator that held the numbers in quarantine
    LOST = "lost"
    MIGRATED = "migrated"  # UK NGN: the service moved to the gaining provider, the network not
    HELD = "held"  # validated but held: the DSL on the line must be separated first
    REMEDIED = "remedied"  # ported without consent, then ported back to the losing carrier


#: States an order ends in without its numbers moving: no deadline can be breached any more.
SETTLED = frozenset({PortState.REJECTED, PortState.DENIED, PortState.CANCELLED, PortState.LOST})
#: States of an order whose numbers were ported (and may since have gone back).
PORTED = frozenset({PortState.ACTIVE, PortState.QUARANTINE, PortState.RETURNED,
                    PortState.REMEDIED})


class NumberStatus(StrEnum):
    """Why a number does not answer at the moment (a number in service has no status)."""

    INTERRUPTED = "interrupted"  # out of service in its cutover window
    SUSPENDED = "suspended"  # suspended for lack of funds (UK provider terms)
    QUARANTINE = "quarantine"  # the contract ended; held before going back to the range holder
    LOST = "lost"  # released: nobody answers it


class AccountState(StrEnum):
    """The state of a customer's numbers in an account event (no port order): suspension for
    lack of funds, quarantine, release to other users, or back in service."""

    SUSPENDED = "suspended"
    QUARANTINE = "quarantine"
    RELEASED = "released"
    IN_SERVICE = "in_service"


class EventKind(StrEnum):
    """The ``event`` of an event record."""

    SUBMITTED = "submitted"
    REJECTED = "rejected"
    VALIDATED = "validated"
    DENIED = "denied"
    ACCEPTED = "accepted"
    PORT_DATE_MOVED = "port_date_moved"  # asked for before the earliest port date (UK)
    ACTIVATING = "activating"
    ACTIVE = "active"
    ACTIVATION_FAILED = "activation_failed"
    ROLLED_BACK = "rolled_back"
    REATTEMPT_SCHEDULED = "reattempt_scheduled"
    INTERRUPTION = "interruption"
    QUARANTINE = "quarantine"
    RETURNED = "returned"
    REACTIVATED = "reactivated"  # the former subscriber took the numbers back from quarantine
    WITHDRAWN = "withdrawn"
    WITHDRAW_REFUSED = "withdraw_refused"
    SERVICE_CANCELLED = "service_cancelled"
    NUMBER_LOST = "number_lost"
    MIGRATED = "migrated"
    HELD = "held"
    DSL_SEPARATED = "dsl_separated"
    DSL_LOST = "dsl_lost"
    PORTED_WITHOUT_CONSENT = "ported_without_consent"
    REMEDIED = "remedied"
    TEMPORARY_NUMBER_RELEASED = "temporary_number_released"  # back to the pool
    TEMPORARY_NUMBER_KEPT = "temporary_number_kept"  # kept as a paid virtual number
    CARRIER_OUTAGE = "carrier_outage"
    SUSPENDED = "suspended"  # a customer's numbers suspended for lack of funds
    QUARANTINED = "quarantined"  # ... their suspension over, held in quarantine
    RELEASED = "released"  # ... their quarantine over: free for another user
    RECONNECTED = "reconnected"  # ... the same user reconnected them (a charge)
    RECONNECT_REFUSED = "reconnect_refused"  # ... too late: they were released
    CHARGE = "charge"  # a cost owed: its kind, amount, currency, who is owed and why
    CALL_FAILED = "call_failed"
    CALL_MISROUTED = "call_misrouted"
    CALL_LOST = "call_lost"

"""What a cutover costs: the kinds of cost, the currencies, and the provider terms that charge.

A regime's :class:`ProviderTerms` are the charges a carrier's terms put on numbers (the UK
provider terms seed): reconnection after a suspension for lack of funds, the fee for porting a
discounted Gold/Silver/Bronze number away, the remainder of a minimum term; and the Portuguese
loyalty period's early-termination charge (ANACOM FAQ 10). Each rule is a pure function of
the facts and the instant, so a test can ask it without a simulation.

>>> from datetime import UTC, datetime
>>> golden_number_fee(50.0, purchased=datetime(2026, 1, 10, tzinfo=UTC),
...                   ported=datetime(2026, 11, 28, tzinfo=UTC), terms=UK_TERMS)
150.0
"""

from __future__ import annotations

__all__ = [
    "COST_KINDS",
    "CURRENCIES",
    "ProviderTerms",
    "UK_TERMS",
    "PT_TERMS",
    "NO_TERMS",
    "golden_number_row",
    "golden_number_fee",
    "early_termination",
    "reconnection_fee",
    "empty_costs",
    "suspension_phases",
]

from dataclasses import dataclass
from datetime import datetime

from sim.regimes.business_calendar import Period

#: The kinds of cost summary.json counts, per currency (each also a ``charge`` event's kind,
#: or worked out from the run: the three compensations).
COST_KINDS = ("porting_fees", "reconnection", "early_termination", "compensation_delay",
              "compensation_interruption", "compensation_no_consent")
#: Every currency summary.json reports, whatever the regime (each regime charges in one).
CURRENCIES = ("EUR", "GBP", "USD")


@dataclass(frozen=True)
class ProviderTerms:
    """Charges a losing carrier's terms put on the customer's numbers (amounts in the regime's
    currency). ``None`` or empty: the regime has no such rule, and a scenario cannot ask for it.

    - ``reconnection_per_number``: the same user reconnecting suspended (or quarantined)
      numbers pays this per number (UK: 10 GBP);
    - ``golden_multipliers``: ``(months since purchase, multiple of the initial fee)``, the
      first row whose months the port falls within applies (UK: 3x within 12, 2x within 24);
    - ``minimum_term_grace``: cancelling (porting away) within this period of the term's
      start costs nothing more (UK: 30 days); ``None``: the regime has no minimum-term rule.
    """

    reconnection_per_number: float | None = None
    golden_multipliers: tuple[tuple[int, float], ...] = ()
    minimum_term_grace: Period | None = None


#: UK provider terms seed (Callagenix): suspension and reconnection, Gold/Silver/Bronze
#: numbers, minimum terms.
UK_TERMS = ProviderTerms(reconnection_per_number=10.0, golden_multipliers=((12, 3.0), (24, 2.0)),
                         minimum_term_grace=Period(days=30))
#: ANACOM: a loyalty period does not stop a port; the early-termination charge is owed.
PT_TERMS = ProviderTerms(minimum_term_grace=Period())
#: No provider terms in the seeds (US-style).
NO_TERMS = ProviderTerms()


def golden_number_row(*, purchased: datetime, ported: datetime, terms: ProviderTerms
                      ) -> tuple[int, float] | None:
    """The ``(months, multiple)`` row of ``terms.golden_multipliers`` a port at ``ported`` of a
    number purchased at ``purchased`` falls in: the first whose months after the purchase the
    port is within (at or before that anniversary counts as within); None after the last.

    Raises
    ------
    ValueError
        A port before the purchase, or terms without the rule.
    """
    if not terms.golden_multipliers:
        raise ValueError("these provider terms have no Gold/Silver/Bronze number rule")
    if ported < purchased:
        raise ValueError("the number is ported before it was purchased")
    for months, multiple in terms.golden_multipliers:
        if ported <= Period(months=months).after(purchased):
            return months, multiple
    return None


def golden_number_fee(initial_fee: float, *, purchased: datetime, ported: datetime,
                      terms: ProviderTerms) -> float:
    """The fee for porting a Gold/Silver/Bronze number away at ``ported``: its
    :func:`golden_number_row`'s multiple of ``initial_fee``, 0 after the last row.

    Raises
    ------
    ValueError
        A negative fee, a port before the purchase, or terms without the rule.
    """
    if initial_fee < 0:
        raise ValueError(f"initial fee must not be negative, got {initial_fee}")
    row = golden_number_row(purchased=purchased, ported=ported, terms=terms)
    return 0.0 if row is None else round(initial_fee * row[1], 2)


def early_termination(*, start: datetime, months: int, monthly_fee: float, charge: float,
                      ported: datetime, terms: ProviderTerms) -> float:
    """What leaving a minimum term at ``ported`` costs: the fixed early-termination ``charge``
    (PT loyalty) plus ``monthly_fee`` for every monthly payment still due (UK: "the remainder
    of the term as if they had not cancelled"), i.e. each monthly anniversary of ``start``
    after ``ported`` and before the term ends.

    Nothing within the terms' grace period after ``start`` (UK: 30 days), nor at or after the
    term's end.

    >>> from datetime import UTC, datetime
    >>> early_termination(start=datetime(2026, 3, 1, tzinfo=UTC), months=12, monthly_fee=8.0,
    ...                   charge=0.0, ported=datetime(2026, 11, 28, tzinfo=UTC), terms=UK_TERMS)
    24.0

    Raises
    ------
    ValueError
        A negative fee or charge, a term under one month, a port before the term starts, or
        terms without a minimum-term rule.
    """
    grace = terms.minimum_term_grace
    if grace is None:
        raise ValueError("these provider terms have no minimum-term rule")
    if monthly_fee < 0 or charge < 0:
        raise ValueError("fees and charges must not be negative")
    if months < 1:
        raise ValueError(f"a minimum term is at least 1 month, got {months}")
    if ported < start:
        raise ValueError("the number is ported before its contract started")
    end = Period(months=months).after(start)
    if ported >= end or ported < grace.after(start):
        return 0.0
    due = sum(1 for k in range(1, months) if Period(months=k).after(start) > ported)
    return round(charge + monthly_fee * due, 2)


def reconnection_fee(numbers: int, *, terms: ProviderTerms) -> float:
    """What the same user pays to reconnect ``numbers`` suspended or quarantined numbers.

    Raises ValueError for fewer than one number or terms without the rule.
    """
    if terms.reconnection_per_number is None:
        raise ValueError("these provider terms have no reconnection rule")
    if numbers < 1:
        raise ValueError(f"reconnecting needs at least one number, got {numbers}")
    return round(terms.reconnection_per_number * numbers, 2)


def suspension_phases(at: datetime, *, reconnect: datetime | None, suspension: Period,
                      quarantine: Period) -> list[tuple[datetime, str]]:
    """The phases of numbers suspended for lack of funds at ``at``, as ``(instant, phase)``.

    ``suspended`` at ``at``; ``quarantined`` once the ``suspension`` period is over;
    ``released`` (free for another user) once the ``quarantine`` is over. The same user's
    reconnection at ``reconnect`` ends it (``reconnected``: while suspended or quarantined,
    UK provider terms: "users who wish to reuse suspended or quarantined telephone numbers
    must contact support") or is refused once the numbers are released (``reconnect_refused``).

    >>> from datetime import UTC, datetime
    >>> [p for _, p in suspension_phases(datetime(2026, 12, 1, tzinfo=UTC),
    ...     reconnect=datetime(2026, 12, 10, tzinfo=UTC), suspension=Period(days=30),
    ...     quarantine=Period(months=12))]
    ['suspended', 'reconnected']
    """
    quarantined = suspension.after(at)
    released = quarantine.after(quarantined)
    phases = [(at, "suspended"), (quarantined, "quarantined"), (released, "released")]
    if reconnect is None:
        return phases
    if reconnect < at:
        raise ValueError("a reconnection before the suspension")
    kept = [(t, phase) for t, phase in phases if t <= reconnect]
    if kept[-1][1] == "released":
        return [*kept, (reconnect, "reconnect_refused")]
    return [*kept, (reconnect, "reconnected")]


def empty_costs() -> dict[str, dict[str, float]]:
    """``{currency: {kind: 0.0, ..., "total": 0.0}}`` for every currency and kind."""
    return {c: {**dict.fromkeys(COST_KINDS, 0.0), "total": 0.0} for c in CURRENCIES}


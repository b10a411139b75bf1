"""Porting regimes by name: ``get_regime('uk')``, ``'pt'``, ``'us'``."""

from __future__ import annotations

__all__ = [
    "REGIMES",
    "REJECTION_TEXT",
    "OrderFacts",
    "Regime",
    "days_late",
    "get_regime",
]

from sim.regimes import pt, uk, us
from sim.regimes.base import REJECTION_TEXT, OrderFacts, Regime
from sim.regimes.business_calendar import days_late

REGIMES: dict[str, Regime] = {r.name: r for r in (uk.REGIME, pt.REGIME, us.REGIME)}


def get_regime(name: str) -> Regime:
    """The regime called ``name`` (case-insensitive).

    >>> get_regime("PT").country
    'PT'

    Raises
    ------
    ValueError
        If no regime has that name; the message lists the known ones.
    """
    try:
        return REGIMES[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown regime {name!r}: known regimes are {', '.join(sorted(REGIMES))}"
        ) from None

"""Tests for the sim.regimes package: regimes by name (the rules themselves: test_base.py,
test_business_calendar.py, test_uk.py, test_pt.py, test_us.py)."""

from __future__ import annotations

import pytest

from sim.regimes import get_regime


@pytest.mark.parametrize(
    ("name", "country", "tz"),
    [
        ("uk", "GB", "Europe/London"),  # England's calendar
        ("PT", "PT", "Europe/Lisbon"),  # names are case-insensitive
        ("us", "US", "America/New_York"),  # federal holidays, Eastern time
    ],
)
def test_get_regime(name: str, country: str, tz: str) -> None:
    regime = get_regime(name)
    assert (regime.country, regime.tz.key) == (country, tz)
    assert regime.name == name.lower()


def test_get_regime_unknown_lists_known() -> None:
    with pytest.raises(ValueError, match="unknown regime 'fr': known regimes are pt, uk, us"):
        get_regime("fr")

"""Shared by the regime tests: the three regimes, local-time constructors, Hypothesis strategies.

Plain values, imported by the test modules (``from .conftest import UK, lon``), since the
parametrised tables need them when the modules are collected.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from sim.regimes import REGIMES, OrderFacts, get_regime

LONDON = ZoneInfo("Europe/London")
LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
UK, PT, US = get_regime("uk"), get_regime("pt"), get_regime("us")
ONE = OrderFacts(numbers=1)


def lon(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def lis(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LISBON)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


regimes = st.sampled_from(sorted(REGIMES.values(), key=lambda r: r.name))
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(LISBON)
)

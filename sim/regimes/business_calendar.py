"""The business calendar: working days, public holidays and calendar periods in one zone.

Regimes count their deadlines in working days of a :class:`BusinessCalendar`; quarantine,
suspension and inactivity run for a :class:`Period`; lateness is measured by :func:`days_late`.
"""

from __future__ import annotations

__all__ = [
    "Period",
    "BusinessCalendar",
    "days_late",
]

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class Period:
    """A calendar length in months and days (quarantine, suspension, inactivity)."""

    months: int = 0
    days: int = 0

    def after(self, t: datetime) -> datetime:
        """``t`` moved on by this period, same local time; day clamped to the month's end."""
        month_index = t.month - 1 + self.months
        year, month = t.year + month_index // 12, month_index % 12 + 1
        day = min(t.day, _days_in_month(year, month))
        moved = t.replace(year=year, month=month, day=day) + timedelta(days=self.days)
        if moved.tzinfo is None:
            return moved
        # Calendar arithmetic keeps the wall clock; re-read it in case it fell in a DST gap.
        return moved.astimezone(UTC).astimezone(moved.tzinfo)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@lru_cache(maxsize=256)
def _holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


def _shift_working_days(calendar: BusinessCalendar, d: date, n: int) -> date:
    # the date n working days from d (BusinessCalendar memoises it: asked per port order)
    step = timedelta(days=1 if n > 0 else -1)
    counted = 0
    while counted < abs(n):
        d += step
        if calendar.is_working_day(d):
            counted += 1
    return d


def _aware(t: datetime, what: str) -> None:
    if t.utcoffset() is None:  # naive, or a tzinfo that does not know its offset
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {t.isoformat()}")


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days (Monday-Friday, not a public holiday) and business hours in one zone.

    Holidays come from the ``holidays`` package, computed once per year.
    """

    country: str
    subdiv: str | None
    tz: ZoneInfo
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    #: local date -> whether the zone keeps one UTC offset all that day (filled as asked)
    _steady_days: dict[date, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)
    #: (local date, n) -> the date n working days later (filled as asked)
    _shifted: dict[tuple[date, int], date] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def local(self, t: datetime) -> datetime:
        """``t`` in this calendar's zone. Raises ValueError for a naive datetime."""
        _aware(t, "time")
        return t.astimezone(self.tz)

    def at(self, d: date, clock: time) -> datetime:
        """The instant with local date ``d`` and wall-clock ``clock``.

        A wall-clock time skipped by a DST change is moved forward by the gap (01:30 on the
        spring-forward night becomes 02:30); an ambiguous one is its first occurrence.
        """
        if not clock.fold and self._is_steady(d):
            # No DST change that day: the wall clock is the instant as it is (the model asks
            # this several times per port order, so the round trip through UTC is skipped).
            return datetime.combine(d, clock, self.tz)
        naive = datetime.combine(d, clock.replace(tzinfo=None))
        return naive.replace(tzinfo=self.tz).astimezone(UTC).astimezone(self.tz)

    def _is_steady(self, d: date) -> bool:
        steady = self._steady_days.get(d)
        if steady is None:
            start = datetime.combine(d, time(), self.tz)
            end = datetime.combine(d + timedelta(days=1), time(), self.tz)
            steady = self._steady_days[d] = start.utcoffset() == end.utcoffset()
        return steady

    def holidays(self, year: int) -> frozenset[date]:
        """The public holidays of ``year``."""
        return _holidays(self.country, self.subdiv, year)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` (a date, or an aware datetime read locally) is a working day."""
        if isinstance(d, datetime):
            d = self.local(d).date()
        return d.weekday() < 5 and d not in self.holidays(d.year)

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """The same local time of day, ``n`` working days after ``t`` (before, if negative).

        Days are stepped one at a time from ``t``'s local date and only working days are
        counted, so weekends and holidays are skipped: Friday + 1 is Monday, Saturday + 1
        is Monday too (``t`` need not be on a working day). ``n == 0`` returns ``t``
        unchanged (in local time). For ``n != 0`` the result is always on a working day.

        >>> uk = BusinessCalendar("GB", "ENG", ZoneInfo("Europe/London"))
        >>> uk.add_working_days(datetime(2026, 12, 24, 10, tzinfo=uk.tz), 1).date()
        datetime.date(2026, 12, 29)
        """
        return self.add_working_days_local(self.local(t), n)

    def add_working_days_local(self, local: datetime, n: int) -> datetime:
        """:meth:`add_working_days` for a time already in this zone (not checked again)."""
        if n == 0:
            return local
        key = (local.date(), n)
        day = self._shifted.get(key)
        if day is None:
            day = self._shifted[key] = _shift_working_days(self, key[0], n)
        return self.at(day, local.time())

    def working_day_on_or_after(self, d: date) -> date:
        """The first working day that is ``d`` or later."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def next_working_day_start(self, t: datetime) -> datetime:
        """Opening time (``opens``) on the first working day after ``t``'s local date."""
        d = self.local(t).date() + timedelta(days=1)
        return self.at(self.working_day_on_or_after(d), self.opens)

    def last_working_day_of_month(self, d: date) -> date:
        """The last working day in ``d``'s month."""
        last = date(d.year, d.month, _days_in_month(d.year, d.month))
        while not self.is_working_day(last):
            last -= timedelta(days=1)
        return last


def days_late(deadline: datetime, completed: datetime) -> int:
    """Full 24-hour days from ``deadline`` to ``completed``; 0 if on time or less than a day late.

    Measured in elapsed time, so a DST change does not add or remove an hour.
    """
    _aware(deadline, "deadline")
    _aware(completed, "completed")
    late = completed.astimezone(UTC) - deadline.astimezone(UTC)
    return max(0, late // timedelta(days=1))

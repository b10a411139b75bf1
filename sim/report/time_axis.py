"""A time axis for the HTML reports: instants as percentages of a span, and readable ticks."""

from __future__ import annotations

__all__ = ["TimeAxis", "instant"]

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Tick steps to choose from, shortest first; the first giving at most ``max_ticks`` wins.
_STEPS = tuple(timedelta(minutes=m) for m in (
    5, 15, 30, 60, 180, 360, 720, 1440, 2 * 1440, 7 * 1440, 14 * 1440, 28 * 1440, 91 * 1440))


def instant(text: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (a naive one is taken as UTC).

    >>> instant("2026-11-28T00:10:00").isoformat()
    '2026-11-28T00:10:00+00:00'
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class TimeAxis:
    """The span from ``start`` to ``end`` (UTC), drawn 0 to 100 across.

    >>> axis = TimeAxis(instant("2026-11-28T00:00"), instant("2026-11-29T00:00"))
    >>> axis.x(instant("2026-11-28T06:00"))
    25.0
    >>> [label for _, label in axis.ticks(max_ticks=5)]
    ['Sat 28 Nov 00:00', '06:00', '12:00', '18:00', 'Sun 29 Nov 00:00']
    """

    start: datetime
    end: datetime

    @classmethod
    def around(cls, moments: list[datetime]) -> TimeAxis:
        """The span of ``moments`` with a margin after the last (final states stay visible)."""
        if not moments:
            now = datetime(1970, 1, 1, tzinfo=UTC)
            return cls(now, now + timedelta(hours=1))
        first, last = min(moments), max(moments)
        return cls(first, last + max((last - first) * 0.04, timedelta(hours=1)))

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 1.0)

    def x(self, moment: datetime) -> float:
        """Where ``moment`` lies, 0 (start) to 100 (end), clipped to the span."""
        share = (moment - self.start).total_seconds() / self.seconds
        return round(min(max(share, 0.0), 1.0) * 100.0, 4)

    def width(self, start: datetime, end: datetime) -> float:
        """The width of ``start``..``end`` (at least a hair, so an instant stays visible)."""
        return max(round(self.x(end) - self.x(start), 4), 0.05)

    def step(self, max_ticks: int = 10) -> timedelta:
        """The shortest tick step giving at most ``max_ticks`` ticks."""
        for step in _STEPS:
            if self.seconds / step.total_seconds() <= max_ticks:
                return step
        return _STEPS[-1]

    def ticks(self, max_ticks: int = 10) -> list[tuple[float, str]]:
        """``(x, label)`` at round instants; the day is named at each new day only."""
        step = self.step(max_ticks)
        day = timedelta(days=1)
        if step >= day:
            moment = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            moment = self.start.replace(minute=0, second=0, microsecond=0)
            while moment < self.start:
                moment += step
        out: list[tuple[float, str]] = []
        last_day = None
        while moment <= self.end:
            if moment >= self.start:
                new_day = moment.date() != last_day
                text = moment.strftime("%a %d %b %H:%M" if new_day else "%H:%M")
                if step >= day:
                    text = moment.strftime("%a %d %b")
                out.append((self.x(moment), text))
                last_day = moment.date()
            moment += step
        return out

    def bins(self, max_bins: int = 48) -> tuple[timedelta, list[datetime]]:
        """A round bin width and the start of each bin covering the span (at most ~max_bins)."""
        step = self.step(max_bins)
        first = self.start.replace(minute=0, second=0, microsecond=0)
        if step >= timedelta(days=1):
            first = first.replace(hour=0)
        starts = []
        moment = first
        while moment < self.end:
            starts.append(moment)
            moment += step
        return step, starts

"""The real-time replay: a scenario's routing changes applied to a running Asterisk on a clock.

``cutover asterisk replay`` plays the simulation's routing changes between two instants as a
simulated clock passes them, ``speed`` simulated seconds per second (1: real time; 3600: an
hour a second). With ``skip_quiet`` the clock leaps over every stretch farther than that from
any change, so the nights of a port a week apart are rehearsed without the week between. The
clock is published (:mod:`sip_harness.watch.clock`) at the start, at every leap and at the
end, so a watcher compares against the plan at the replay's instant.

:func:`stretches` and :func:`timetable` are pure; :func:`rehearse` runs the timetable with
the collaborators it is given (apply a routing state, publish the clock, sleep, read the
time), so it is tested with fakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sip_harness.watch.clock import ReplayClock
from sip_harness.watch.plan import AFTER_PUBLISH

__all__ = ["Stretch", "Tick", "stretches", "timetable", "rehearse", "Rehearsal"]


@dataclass(frozen=True)
class Stretch:
    """A stretch of simulated time played at the replay's speed."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Tick:
    """One step of a replay: at ``wall`` seconds after its start, the clock is at ``instant``;
    ``what`` is 'start', 'leap' (the clock jumps to ``instant``), 'change' or 'end'."""

    wall: float
    instant: datetime
    what: str


def stretches(changes: Sequence[datetime], start: datetime, end: datetime, *,
              skip_quiet: timedelta | None = None) -> list[Stretch]:
    """The stretches of ``[start, end]`` that are played; the clock leaps over the rest.

    Without ``skip_quiet``, all of it. With it, the time within ``skip_quiet`` of a change
    (overlapping stretches merged); the replay still starts at ``start`` and ends at ``end``.

    >>> from datetime import UTC
    >>> t = lambda h, m: datetime(2026, 12, 5, h, m, tzinfo=UTC)
    >>> [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in stretches(
    ...     [t(0, 12), t(0, 37), t(3, 0)], t(0, 0), t(6, 0), skip_quiet=timedelta(minutes=10))]
    [('00:02', '00:22'), ('00:27', '00:47'), ('02:50', '03:10')]
    """
    if end < start:
        raise ValueError(f"the replay ends ({end.isoformat()}) before it starts "
                         f"({start.isoformat()})")
    if skip_quiet is None:
        return [Stretch(start, end)]
    out: list[Stretch] = []
    for c in sorted(c for c in changes if start <= c <= end):
        lo, hi = max(start, c - skip_quiet), min(end, c + skip_quiet)
        if out and lo <= out[-1].end:
            out[-1] = Stretch(out[-1].start, max(out[-1].end, hi))
        else:
            out.append(Stretch(lo, hi))
    return out


def timetable(changes: Sequence[datetime], start: datetime, end: datetime, speed: float, *,
              skip_quiet: timedelta | None = None) -> list[Tick]:
    """Every tick of the replay, in order: its wall time (seconds from the start), instant
    and kind. Changes outside ``(start, end]`` are not in it (the start's state is applied
    first)."""
    if speed <= 0:
        raise ValueError(f"speed must be above 0, got {speed:g}")
    ticks = [Tick(0.0, start, "start")]
    wall, at = 0.0, start
    inside = sorted(c for c in changes if start < c <= end)
    for stretch in stretches(inside, start, end, skip_quiet=skip_quiet):
        if stretch.start > at:
            ticks.append(Tick(wall, stretch.start, "leap"))
            at = stretch.start
        for c in inside:
            if stretch.start <= c <= stretch.end:
                wall += (c - at).total_seconds() / speed
                ticks.append(Tick(wall, c, "change"))
                at = c
        wall += (stretch.end - at).total_seconds() / speed
        at = stretch.end
    ticks.append(Tick(wall, end, "end"))  # after the last stretch, the clock leaps to the end
    return ticks


@dataclass
class Rehearsal:
    """What a replay did: the changes applied (instant, wall lag in seconds, what the apply
    returned), and how it ended."""

    applied: list[tuple[datetime, float, Any]] = field(default_factory=list)
    leaps: int = 0
    ended_at: datetime | None = None
    interrupted: bool = False

    @property
    def max_lag(self) -> float:
        return max((lag for _, lag, _ in self.applied), default=0.0)


def rehearse(ticks: Sequence[Tick], scenario: str, speed: float, *,
             apply: Callable[[datetime], Any], publish: Callable[[ReplayClock], None],
             on_tick: Callable[[Tick, float, Any], None] | None = None,
             sleep: Callable[[float], None] = time.sleep,
             wall: Callable[[], float] = time.time) -> Rehearsal:
    """Run ``ticks``: apply the start's routing state, then each change as the clock passes
    it (``apply(instant)``, with the state just after the change), publishing the clock at
    the start, at each leap and at the end (also when interrupted, then re-raised).

    ``on_tick(tick, lag, result)`` reports each tick as it happens (lag: seconds behind the
    timetable). Returns the :class:`Rehearsal`.
    """
    done = Rehearsal()
    if not ticks or ticks[0].what != "start":
        raise ValueError("a replay's timetable begins with its start")
    first = ticks[0]
    result = apply(first.instant)   # before the clock runs: a reload may take a moment
    began = wall()
    clock = ReplayClock(scenario, first.instant, began, speed, "running")
    publish(clock)
    if on_tick is not None:
        on_tick(first, 0.0, result)
    now = first.instant
    try:
        for tick in ticks[1:]:
            due = began + tick.wall
            pause = due - wall()
            if pause > 0:
                sleep(pause)
            lag = max(0.0, wall() - due)
            result = None
            if tick.what == "leap":
                clock = ReplayClock(scenario, tick.instant, wall(), speed, "running")
                publish(clock)
                # later ticks are due from the leap as it happened, as the clock says
                began = clock.wall - tick.wall
                done.leaps += 1
            elif tick.what == "change":
                result = apply(tick.instant + AFTER_PUBLISH)
                done.applied.append((tick.instant, lag, result))
            now = tick.instant
            if on_tick is not None:
                on_tick(tick, lag, result)
    except BaseException:
        done.interrupted = True
        publish(clock.ended(clock.now(wall()), wall()))
        raise
    done.ended_at = now
    publish(clock.ended(now, wall()))
    return done

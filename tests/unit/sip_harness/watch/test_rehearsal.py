"""sip_harness.watch.rehearsal: the replay's timetable, and running it with fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sip_harness.watch.clock import ReplayClock
from sip_harness.watch.plan import AFTER_PUBLISH
from sip_harness.watch.rehearsal import Tick, rehearse, stretches, timetable


def t(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


NGN = [t(5, 0, 12), t(5, 0, 37), t(12, 0, 15)]


def test_without_skipping_every_change_is_due_at_its_time_over_the_speed() -> None:
    ticks = timetable(NGN[:2], t(5, 0, 0), t(5, 1, 0), 60.0)
    assert [(k.wall, k.instant, k.what) for k in ticks] == [
        (0.0, t(5, 0, 0), "start"), (12.0, t(5, 0, 12), "change"),
        (37.0, t(5, 0, 37), "change"), (60.0, t(5, 1, 0), "end")]


def test_skipping_quiet_time_leaps_between_the_changes() -> None:
    ticks = timetable(NGN, t(4, 23, 50), t(12, 0, 40), 120.0, skip_quiet=timedelta(minutes=10))
    assert [(k.wall, k.instant.strftime("%d %H:%M"), k.what) for k in ticks] == [
        (0.0, "04 23:50", "start"), (0.0, "05 00:02", "leap"), (5.0, "05 00:12", "change"),
        (10.0, "05 00:27", "leap"), (15.0, "05 00:37", "change"), (20.0, "12 00:05", "leap"),
        (25.0, "12 00:15", "change"), (30.0, "12 00:40", "end")]


def test_changes_outside_the_replay_are_left_out_and_close_ones_merge() -> None:
    assert stretches([t(5, 0, 12), t(5, 0, 20), t(9, 0, 0)], t(5, 0, 0), t(6, 0, 0),
                     skip_quiet=timedelta(minutes=10)) == [
        type(stretches([], t(5, 0, 0), t(5, 0, 1))[0])(t(5, 0, 2), t(5, 0, 30))]
    ticks = timetable([t(4, 0, 0), t(5, 0, 0)], t(5, 0, 0), t(5, 1, 0), 60.0)
    assert [k.what for k in ticks] == ["start", "end"]   # the start's own state is applied


@pytest.mark.parametrize(("start", "end", "speed", "message"), [
    (t(5, 1, 0), t(5, 0, 0), 1.0, "ends"),
    (t(5, 0, 0), t(5, 1, 0), 0.0, "speed must be above 0"),
])
def test_bad_timetables_are_refused(start: datetime, end: datetime, speed: float,
                                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        timetable([], start, end, speed)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def wall(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_rehearse_applies_each_change_when_due_and_publishes_the_clock() -> None:
    clock = FakeTime()
    applied: list[tuple[float, datetime]] = []
    published: list[ReplayClock] = []
    ticks = timetable(NGN, t(4, 23, 50), t(12, 0, 40), 120.0, skip_quiet=timedelta(minutes=10))
    done = rehearse(ticks, "ngn", 120.0, apply=lambda i: applied.append((clock.now, i)),
                    publish=published.append, sleep=clock.sleep, wall=clock.wall)
    assert applied == [(1000.0, t(4, 23, 50)), (1005.0, NGN[0] + AFTER_PUBLISH),
                       (1015.0, NGN[1] + AFTER_PUBLISH), (1025.0, NGN[2] + AFTER_PUBLISH)]
    assert [(c.state, c.instant.strftime("%d %H:%M"), c.wall) for c in published] == [
        ("running", "04 23:50", 1000.0), ("running", "05 00:02", 1000.0),
        ("running", "05 00:27", 1010.0), ("running", "12 00:05", 1020.0),
        ("ended", "12 00:40", 1030.0)]
    # what a watcher reads between two ticks is the instant the replay is at
    assert published[1].now(1005.0) == NGN[0]
    assert (done.leaps, done.ended_at, len(done.applied), done.interrupted) == (
        3, t(12, 0, 40), 3, False)


def test_a_slow_apply_makes_the_replay_late_but_not_the_clock_drift() -> None:
    clock = FakeTime()

    def slow(instant: datetime) -> None:
        clock.now += 2.0

    ticks = [Tick(0.0, t(5, 0, 0), "start"), Tick(1.0, t(5, 0, 1), "change"),
             Tick(2.0, t(5, 0, 2), "change"), Tick(3.0, t(5, 0, 3), "end")]
    done = rehearse(ticks, "ngn", 60.0, apply=slow, publish=lambda c: None,
                    sleep=clock.sleep, wall=clock.wall)
    assert [round(lag, 3) for _, lag, _ in done.applied] == [0.0, 1.0]
    assert done.max_lag == 1.0


def test_an_interrupted_replay_publishes_an_ended_clock_and_reraises() -> None:
    clock = FakeTime()
    published: list[ReplayClock] = []

    def apply(instant: datetime) -> None:
        if instant > t(5, 0, 0):
            raise KeyboardInterrupt

    ticks = timetable(NGN[:1], t(5, 0, 0), t(5, 1, 0), 60.0)
    with pytest.raises(KeyboardInterrupt):
        rehearse(ticks, "ngn", 60.0, apply=apply, publish=published.append,
                 sleep=clock.sleep, wall=clock.wall)
    assert published[-1].state == "ended" and published[-1].instant == t(5, 0, 12)

"""sip_harness.watch.clock: the replay's clock in AstDB, and the clock a watch follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sip_harness.watch.clock import ReplayClock, WatchClock

T = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)


def running(speed: float = 60.0, wall: float = 1000.0, scenario: str = "ngn") -> str:
    return ReplayClock(scenario, T, wall, speed, "running").encode()


@pytest.mark.parametrize("text", [None, "", "garbage", "running|not a time|1|2|x",
                                  "paused|2026-12-05T00:00:00+00:00|1|1|x",
                                  "running|2026-12-05T00:00:00+00:00|x|1|ngn"])
def test_what_is_not_a_clock_decodes_to_none(text: str | None) -> None:
    assert ReplayClock.decode(text) is None


def test_a_running_clock_runs_at_its_speed_and_an_ended_one_holds() -> None:
    clock = ReplayClock.decode(running())
    assert clock is not None and clock.now(1010.0) == T + timedelta(minutes=10)
    held = clock.ended(T + timedelta(hours=1), 2000.0)
    assert ReplayClock.decode(held.encode()) == held
    assert held.now(99999.0) == T + timedelta(hours=1)


def test_auto_uses_the_wall_clock_until_a_replay_runs_then_follows_it_to_its_end() -> None:
    clock = WatchClock("ngn")
    clock.update(None, 500.0)
    assert clock.now(500.0) == datetime.fromtimestamp(500.0, UTC)
    assert clock.describe() == "wall clock"
    clock.update(running(), 1000.0)
    assert clock.now(1001.0) == T + timedelta(minutes=1) and clock.describe() == "replay x60"
    ended = ReplayClock("ngn", T, 1000.0, 60.0, "running").ended(T + timedelta(hours=2), 1100.0)
    clock.update(ended.encode(), 1100.0)
    assert clock.ended and clock.now(5000.0) == T + timedelta(hours=2)


def test_a_replay_that_vanishes_while_followed_has_ended_where_its_clock_was() -> None:
    clock = WatchClock("ngn", "replay")
    clock.update(running(), 1000.0)
    clock.update(None, 1002.0)
    assert clock.ended and clock.now(9999.0) == T + timedelta(minutes=2)


def test_replay_mode_waits_and_ignores_an_old_ended_replay_and_other_scenarios() -> None:
    clock = WatchClock("ngn", "replay")
    old = ReplayClock("ngn", T, 1.0, 60.0, "running").ended(T, 2.0).encode()
    for text in (None, old, running(scenario="other")):
        clock.update(text, 1000.0)
        assert clock.now(1000.0) is None and not clock.ended
    assert clock.describe() == "waiting for a replay"


def test_wall_mode_ignores_replays() -> None:
    clock = WatchClock("ngn", "wall")
    clock.update(running(), 1000.0)
    assert clock.now(1000.0) == datetime.fromtimestamp(1000.0, UTC)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="clock mode 'fast'"):
        WatchClock("ngn", "fast")

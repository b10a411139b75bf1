"""sip_harness.watch.watcher: the rounds of probes, against a fake prober and a fake time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sip_harness.verify.expectations import Where
from sip_harness.watch.clock import ReplayClock, WatchClock
from sip_harness.watch.plan import NumberPlan, Planned, Window
from sip_harness.watch.tracker import WatchBoard
from sip_harness.watch.watcher import Pacer, WatchSettings, watch

OLD, NEW = Where("bt", False), Where("callagenix", True)
T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
A, B = "+441632960001", "+441632960002"


def plan(number: str) -> NumberPlan:
    return NumberPlan(number=number, port="p", losing="bt", gaining="callagenix", old=OLD,
                      new=NEW, steps=(Planned(None, OLD, number, ""),
                                      Planned(T0 + timedelta(minutes=10), NEW, number, "")),
                      windows=(Window("p", 1, T0, T0 + timedelta(hours=6)),))


class FakeTime:
    """Wall time that moves only when slept through or when a call takes its time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def wall(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class FakeProber:
    """Asterisk as the plan says at the replay's instant, except B left on the old trunk."""

    def __init__(self, time: FakeTime, replay: ReplayClock) -> None:
        self.time, self.replay = time, replay
        self.calls = self.forgotten = self.live = self.peak = 0
        self.lock = threading.Lock()

    def _call(self) -> datetime:
        with self.lock:
            self.calls += 1
            self.live += 1
            self.peak = max(self.peak, self.live)
        self.time.sleep(0.05)
        with self.lock:
            self.live -= 1
        return self.replay.now(self.time.wall())

    def inbound(self, number: str) -> tuple[Where | None, int | None]:
        at = self._call()
        flipped = at > T0 + timedelta(minutes=10) and number != B
        return (NEW, 200) if flipped else (OLD, 486)

    def outbound(self, number: str) -> tuple[str | None, int | None]:
        self._call()
        return number, 486

    def batched(self, number: str) -> bool:
        return False

    def batch(self, numbers: Any, *, outbound: bool, rate: float, limit: int) -> Any:
        raise AssertionError("no batched numbers here")

    def forget(self) -> None:
        self.forgotten += 1

    def live_calls(self) -> int:
        return self.live


def run(ends_at: float = 30.0, **settings: Any) -> tuple[Any, list[dict[str, Any]],
                                                          FakeProber, WatchBoard]:
    time = FakeTime()
    replay = ReplayClock("s", T0, 0.0, 60.0, "running")   # a simulated minute a second
    prober = FakeProber(time, replay)
    board = WatchBoard({A: plan(A), B: plan(B)})
    records: list[dict[str, Any]] = []

    def read() -> str:
        w = time.wall()
        return (replay.ended(replay.now(w), w) if w >= ends_at else replay).encode()

    outcome = watch(board, prober, WatchClock("s", "replay"), read,
                    WatchSettings(every=1.0, rate=1000.0, **settings), emit=records.append,
                    wall=time.wall, sleep=time.sleep)
    return outcome, records, prober, board


def test_a_watch_follows_the_replay_sees_the_flip_and_the_number_left_behind() -> None:
    outcome, records, prober, board = run()
    assert outcome.reason.startswith("the replay ended at 2026-11-28T00:3")
    flips = [r for r in records if r["kind"] == "flip"]
    assert [(r["number"], r["planned"]) for r in flips] == [(A, True)]
    assert 0 <= flips[0]["lateness_minutes"] <= 1.0    # a round a simulated minute
    alerts = [(r["alert"], r["number"]) for r in records if r["kind"] == "alert"]
    assert alerts == [("late", B)]
    reports = {r.number: r for r in board.reports(outcome.end)}
    assert (reports[A].ended, reports[B].ended) == ("settled", "wrong")
    # every round probes both numbers, in and out; forgets between rounds
    assert outcome.calls == prober.calls == 4 * outcome.rounds
    assert prober.forgotten == outcome.rounds and outcome.probes == 2 * outcome.rounds


def test_calls_in_flight_never_exceed_the_setting() -> None:
    outcome, _, prober, _ = run(max_in_flight=1)
    assert prober.peak == 1 and outcome.max_in_flight == 1


def test_inbound_only_places_half_the_calls() -> None:
    outcome, records, _, _ = run(outbound=False)
    assert outcome.calls == 2 * outcome.rounds
    assert all(r["presented"] is None for r in records if r["kind"] == "observation")


def test_nothing_is_probed_before_a_replay_starts_and_stop_ends_the_watch() -> None:
    time = FakeTime()
    stop = threading.Event()

    def read() -> None:
        if time.wall() > 5:
            stop.set()

    prober = FakeProber(time, ReplayClock("s", T0, 0.0, 1.0, "running"))
    outcome = watch(WatchBoard({A: plan(A)}), prober, WatchClock("s", "replay"), read,
                    WatchSettings(every=1.0), emit=lambda r: None, wall=time.wall,
                    sleep=time.sleep, stop=stop)
    assert (outcome.reason, outcome.calls, outcome.end) == ("stopped", 0, None)


def test_ctrl_c_during_a_round_ends_the_watch_after_the_calls_in_flight() -> None:
    time = FakeTime()
    replay = ReplayClock("s", T0, 0.0, 60.0, "running")

    class Interrupting(FakeProber):
        def inbound(self, number: str) -> tuple[Where | None, int | None]:
            if self.calls >= 4:
                raise KeyboardInterrupt
            return super().inbound(number)

    prober = Interrupting(time, replay)
    outcome = watch(WatchBoard({A: plan(A)}), prober, WatchClock("s", "replay"),
                    replay.encode, WatchSettings(every=0.0, rate=1000.0),
                    emit=lambda r: None, wall=time.wall, sleep=time.sleep)
    assert outcome.reason == "interrupted" and prober.live == 0


def test_the_watch_ends_at_until_on_the_wall_clock() -> None:
    time = FakeTime()
    time.now = (T0 + timedelta(hours=7)).timestamp()
    outcome = watch(WatchBoard({A: plan(A)}, until=T0 + timedelta(hours=1)),
                    FakeProber(time, ReplayClock("s", T0, 0, 1, "running")), WatchClock("s"),
                    lambda: None, WatchSettings(), emit=lambda r: None, wall=time.wall,
                    sleep=time.sleep)
    assert outcome.reason == "reached --until" and outcome.rounds == 0


def test_the_pacer_spaces_starts_across_threads() -> None:
    now = [0.0]
    slept: list[float] = []
    pacer = Pacer(4.0, clock=lambda: now[0], sleep=slept.append)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.25, 0.5]   # the second start waits a quarter second, the third half


@pytest.mark.parametrize("bad", [{"rate": 0}, {"max_in_flight": 0}, {"every": -1}])
def test_settings_out_of_range_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="out of range"):
        WatchSettings(**bad)  # type: ignore[arg-type]

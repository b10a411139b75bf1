"""sip_harness.watch.tracker: verdicts, flips, alerts, lateness, minutes; hand-made plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sip_harness.verify.expectations import Where
from sip_harness.watch.plan import NumberPlan, Planned, Window
from sip_harness.watch.tracker import NO_ANSWER_PROBES, NumberWatch, Observation, WatchBoard

N = "+448081570123"
OLD, NEW, ELSEWHERE = Where("cw", False), Where("callagenix", True), Where("vodafone", False)
T0 = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)


def at(minutes: float, day: int = 0) -> datetime:
    return T0 + timedelta(days=day, minutes=minutes)


def rollback_plan() -> NumberPlan:
    """Flip at 00:12, planned flip back at 00:37, final flip a week later at 00:15."""
    return NumberPlan(
        number=N, port="p", losing="cw", gaining="callagenix", old=OLD, new=NEW,
        steps=(Planned(None, OLD, N, "not ported"), Planned(at(12), NEW, N, "ported"),
               Planned(at(37), OLD, N, "rolled back"), Planned(at(15, 7), NEW, N, "ported")),
        windows=(Window("p", 1, at(0), at(360)), Window("p", 2, at(0, 7), at(360, 7))))


def simple_plan() -> NumberPlan:
    return NumberPlan(number=N, port="p", losing="cw", gaining="callagenix", old=OLD, new=NEW,
                      steps=(Planned(None, OLD, N, ""), Planned(at(10), NEW, N, "")),
                      windows=(Window("p", 1, at(0), at(60)),))


def feed(watch: NumberWatch, seen: list[tuple[float, Where | None]] | list[Any],
         day: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for minute, landed in seen:
        out += watch.observe(Observation(at(minute, day), N, landed, 200 if landed else 404))
    return out


def kinds(records: list[dict[str, Any]]) -> list[str]:
    return [r.get("alert", r["kind"]) for r in records if r["kind"] != "observation"]


@pytest.mark.parametrize(("minute", "landed", "verdict"), [
    (5, OLD, "ok"),            # before the flip, on the old carrier
    (11, OLD, "pending"),      # a minute after the planned flip: within the grace
    (16, OLD, "late"),         # six minutes after: beyond the 5-minute grace
    (11, NEW, "ok"),           # flipped
    (5, NEW, "wrong"),         # flipped before the plan: the plan says OLD, NEW is not previous
    (20, ELSEWHERE, "wrong"),  # neither old nor new
    (20, None, "nowhere"),     # arrived nowhere
])
def test_verdict_against_the_plan(minute: float, landed: Where | None, verdict: str) -> None:
    assert NumberWatch(simple_plan()).judge(Observation(at(minute), N, landed)) == verdict


def test_caller_id_checked_only_when_an_outbound_call_was_placed() -> None:
    watch = NumberWatch(simple_plan())
    assert watch.judge(Observation(at(20), N, NEW, presented="+441", outbound=True)) == "callerid"
    assert watch.judge(Observation(at(20), N, NEW, presented=N, outbound=True)) == "ok"
    assert watch.judge(Observation(at(20), N, NEW, presented=None, outbound=False)) == "ok"


def test_the_rollback_story_is_a_flip_a_flip_back_and_a_final_flip_all_planned() -> None:
    watch = NumberWatch(rollback_plan())
    records = feed(watch, [(2, OLD), (11, OLD), (13, NEW), (30, NEW), (38, NEW), (39, OLD)])
    records += feed(watch, [(10, OLD), (16, NEW), (30, NEW)], day=7)
    assert kinds(records) == ["flip", "flip_back", "flip"]
    changes = [r for r in records if r["kind"] != "observation"]
    assert [r["lateness_minutes"] for r in changes] == [1.0, 2.0, 1.0]
    assert [r["last_before"] for r in changes] == [at(11).isoformat(), at(38).isoformat(),
                                                   at(10, 7).isoformat()]
    report = watch.report(at(30, 7))
    assert report.ended == "settled" and report.unplanned == []
    assert [(c["kind"], c["lateness_minutes"]) for c in report.changes] == [
        ("flip", 1.0), ("flip_back", 2.0), ("flip", 1.0)]
    # wrong place: only 00:38-00:39 (still on callagenix after the planned rollback); the
    # probes at 00:11 and day 7 00:10 were on cw while the plan still said cw (sample-and-hold)
    assert report.minutes_wrong_place == pytest.approx(1.0)
    assert report.minutes_nowhere == 0


def test_an_unplanned_flip_back_is_an_alert() -> None:
    watch = NumberWatch(simple_plan())
    records = feed(watch, [(5, OLD), (12, NEW), (20, OLD)])
    assert kinds(records) == ["flip", "flip_back", "flip_back", "late"]
    alert = next(r for r in records if r.get("alert") == "flip_back")
    assert "unplanned rollback" in alert["text"]
    report = watch.report(at(30))
    assert report.ended == "wrong" and len(report.unplanned) == 1


def test_a_number_left_behind_is_late_then_ends_wrong_with_the_planned_flip_unobserved() -> None:
    watch = NumberWatch(simple_plan())
    records = feed(watch, [(5, OLD), (12, OLD), (16, OLD), (30, OLD), (50, OLD)])
    assert kinds(records) == ["late"]   # once, not at every probe
    report = watch.report(at(60))
    assert report.ended == "wrong"
    assert report.why.startswith("left behind on cw: planned to land at callagenix")
    assert report.changes == [{"kind": "flip", "planned": at(10).isoformat(), "from": "cw",
                               "to": "callagenix (customer's phone)", "observed": None,
                               "last_before": None, "lateness_minutes": None}]
    assert report.minutes_wrong_place == pytest.approx(48.0)   # 00:12 to the window's end


def test_landing_neither_old_nor_new_alerts_once_per_spell() -> None:
    watch = NumberWatch(simple_plan())
    records = feed(watch, [(5, OLD), (12, NEW), (20, ELSEWHERE), (25, ELSEWHERE), (30, NEW)])
    assert kinds(records) == ["flip", "move", "unplanned_change", "wrong_place", "move",
                              "unplanned_change"]


def test_stopping_answering_alerts_after_consecutive_probes() -> None:
    watch = NumberWatch(simple_plan())
    silent = [(20 + i, None) for i in range(NO_ANSWER_PROBES + 1)]
    records = feed(watch, [(5, OLD), (12, NEW), *silent])
    assert kinds(records) == ["flip", "no_answer"]
    report = watch.report(at(40))
    assert report.ended == "wrong" and report.minutes_nowhere == pytest.approx(20.0)
    # a nowhere between two landings is not a change of landing
    watch = NumberWatch(simple_plan())
    assert kinds(feed(watch, [(5, OLD), (12, NEW), (13, None), (14, NEW)])) == ["flip"]


def test_minutes_stop_at_the_end_of_the_window() -> None:
    watch = NumberWatch(simple_plan())
    feed(watch, [(50, None)])
    assert watch.report(at(600)).minutes_nowhere == pytest.approx(10.0)
    assert watch.report(at(600)).minutes_nowhere == pytest.approx(10.0)  # idempotent


def test_a_number_never_probed_is_not_watched() -> None:
    report = NumberWatch(simple_plan()).report(at(60))
    assert (report.ended, report.probes, report.changes) == ("not watched", 0, [])


def test_board_due_numbers_next_opening_and_the_end() -> None:
    board = WatchBoard({N: rollback_plan()})
    assert board.due(at(-1)) == [] and board.due(at(1)) == [N]
    assert board.next_opening(at(400)) == at(0, 7)
    assert not board.finished(at(400))            # a window opens later
    assert board.finished(at(360, 7))             # the last window has closed
    bounded = WatchBoard({N: rollback_plan()}, start=at(30), until=at(60))
    assert bounded.due(at(20)) == [] and bounded.due(at(40)) == [N]
    assert bounded.next_opening(at(0)) == at(30)
    assert bounded.finished(at(60))


def test_board_rows_show_plan_now_landing_since_and_flips() -> None:
    board = WatchBoard({N: simple_plan()})
    for minute, landed in [(5, OLD), (12, NEW)]:
        board.observe(Observation(at(minute), N, landed))
    assert board.rows(at(13)) == [{"number": N, "plan": "callagenix (customer's phone)",
                                   "lands": "callagenix (customer's phone)", "since": "Sat 00:12",
                                   "flips": "1", "verdict": "ok"}]

"""Issue 14's acceptance: `cutover watch` follows a replay on a real Asterisk, with real calls.

The watch runs as a real subprocess (its exit code and JSON lines are what a CI job sees),
waiting for a replay (``--clock replay``); the replay runs in-process, fast, leaping over the
quiet time (``--skip-quiet``), against the session's Asterisk (moved back to the stand-in
config afterwards).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main
from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.watch.clock import CLOCK_FAMILY, CLOCK_KEY
from sip_harness.watch.plan import watch_plan

from .conftest import pointed_at_the_session

ROOT = Path(__file__).resolve().parents[2]
NGN = str(ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml")
BROKEN = str(ROOT / "scenarios" / "uk_gnp_misconfigured.yaml")
START_TIMEOUT = 60.0
WATCH_TIMEOUT = 120.0
#: The replays' speed: two simulated minutes a second; a probe round (in and out, at 10 calls
#: a second) takes about 0.2 s, so about 24 simulated seconds between two looks at a number.
SPEED = "120"

pytestmark = pytest.mark.usefixtures("pjsua2")


@pytest.fixture
def watch_state(live_asterisk: Any, stand_in: dict[str, str],
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Commands pointed at the session's Asterisk, no replay clock on it; the stand-in config
    restored after."""
    with pointed_at_the_session(live_asterisk, stand_in, monkeypatch,
                                also=[(CLOCK_FAMILY, CLOCK_KEY)]):
        yield live_asterisk


def watch_replay(scenario: str, tmp_path: Path, start: str, end: str
                 ) -> tuple[int, list[dict[str, Any]], str]:
    """Start `cutover watch --clock replay`, replay start..end at SPEED; the watch's exit
    code, its JSON lines and its output."""
    lines = tmp_path / "watch.jsonl"
    env = {**os.environ, "COLUMNS": "160"}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "cutover", "watch", scenario, "--clock", "replay", "--every",
         "0", "--rate", "10", "--json", str(lines), "--report", str(tmp_path / "report")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (lines.exists() and '"start"' in lines.read_text()):
            assert watcher.poll() is None, watcher.communicate()[0]
            assert time.monotonic() < deadline, "the watch did not start"
            time.sleep(0.1)
        assert main(["asterisk", "replay", scenario, "--from", start, "--to", end,
                     "--speed", SPEED, "--skip-quiet", "10"]) == 0
        out, _ = watcher.communicate(timeout=WATCH_TIMEOUT)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    return watcher.returncode, [json.loads(r) for r in lines.read_text().splitlines()], out


def minutes_late(record: dict[str, Any]) -> float:
    seen = datetime.fromisoformat(record["t"])
    return (seen - datetime.fromisoformat(record["planned_at"])).total_seconds() / 60


def test_the_rollback_is_seen_as_flip_flip_back_and_final_flip_on_time(
        watch_state: Any, tmp_path: Path) -> None:
    # the plan: the simulation's flip, rollback and final flip (their minutes are the
    # model's draws: 00:12-00:15 and 00:37-00:40 at this scenario's seed)
    planned = watch_plan(Replay(load_scenario(NGN)), "vodafone")["+448081570123"].changes
    assert [c.kind for c in planned] == ["flip", "flip_back", "flip"]
    code, rows, out = watch_replay(NGN, tmp_path, "2026-12-04T23:50Z", "2026-12-12T00:40Z")
    assert code == 0, out
    changes = [r for r in rows if r["kind"] in ("flip", "flip_back", "move")]
    assert [(r["kind"], r["planned_at"]) for r in changes] == [
        (c.kind, c.at.isoformat()) for c in planned], out
    assert [(r["from"], r["to"]) for r in changes] == [
        ("cw", "callagenix (customer's phone)"), ("callagenix (customer's phone)", "cw"),
        ("cw", "callagenix (customer's phone)")]
    for change in changes:   # seen within a few simulated minutes of the plan, never before
        assert 0 <= minutes_late(change) <= 3, change
    assert not [r for r in rows if r["kind"] == "alert"], out
    # every observation is a line, with the plan it was compared against
    seen = [r for r in rows if r["kind"] == "observation"]
    assert len(seen) >= 20 and all(r["verdict"] in ("ok", "pending") for r in seen)
    assert {r["presented"] for r in seen} == {"+448081570123"}   # no temporary number
    report = next(r for r in rows if r["kind"] == "report")
    assert (report["ended"], report["observed_now"]) == ("settled",
                                                         "callagenix (customer's phone)")
    end = rows[-1]
    assert end["kind"] == "end" and end["ended"].startswith("the replay ended")
    assert end["calls_left_up"] == 0 and end["calls"] == 2 * end["probes"]
    assert end["cpu_harness_s"] > 0 and end["calls_per_second"] > 0
    assert (tmp_path / "report" / "actual.png").stat().st_size > 0
    assert json.loads((tmp_path / "report" / "report.json").read_text())["numbers"][0][
        "ended"] == "settled"
    assert "FLIP BACK" in out and "1 settled, 0 wrong" in out


def test_the_number_left_on_the_old_trunk_is_reported_and_the_watch_exits_1(
        watch_state: Any, tmp_path: Path) -> None:
    code, rows, out = watch_replay(BROKEN, tmp_path, "2026-11-27T23:50Z", "2026-11-28T01:00Z")
    assert code == 1, out
    flips = [r for r in rows if r["kind"] == "flip"]
    assert sorted(r["number"] for r in flips) == ["+441632960001", "+441632960003"]
    alerts = [(r["alert"], r["number"]) for r in rows if r["kind"] == "alert"]
    assert alerts == [("late", "+441632960002")], out
    reports = {r["number"]: r for r in rows if r["kind"] == "report"}
    left = reports["+441632960002"]
    assert left["ended"] == "wrong" and left["observed_now"] == "bt"
    assert left["why"].startswith("left behind on bt: planned to land at callagenix")
    assert left["minutes_wrong_place"] > 30
    assert [reports[n]["ended"] for n in ("+441632960001", "+441632960003")] == [
        "settled", "settled"]
    assert "WRONG +441632960002: left behind on bt" in out

"""``cutover watch``: probe every number whose window is open, live, against the plan."""

from __future__ import annotations

__all__ = ["watch"]

import json
import os
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click

from cutover.cli.options import EXIT_CHECKS_FAILED, EXIT_OK, INSTANT, BadInput, load_scenario_file


def ami_options(f: Any) -> Any:
    f = click.option("--ami-secret", default=None, help="AMI secret (or $CUTOVER_AMI_SECRET).")(f)
    f = click.option("--ami-user", default="cutover", show_default=True, help="AMI username.")(f)
    return click.option("--ami", "ami_address", default=None, metavar="HOST:PORT",
                        help="Use an external Asterisk (configured from this scenario) over "
                        "AMI.")(f)


def ami_session(ami_address: str | None, ami_user: str, ami_secret: str | None) -> Any:
    """A callable opening an AMI session: the external Asterisk's, else the running one's.

    The session takes no events: the watch only reads and writes AstDB, for hours."""
    from sip_harness.ami import AMIClient
    from sip_harness.asterisk import runner

    if ami_address is None:
        running = runner.require_running()
        return lambda: running.ami(events=False)
    host, _, port = ami_address.rpartition(":")
    secret = ami_secret or os.environ.get("CUTOVER_AMI_SECRET", "")
    if not host or not port.isdigit() or not secret:
        raise BadInput("--ami needs HOST:PORT and --ami-secret (or $CUTOVER_AMI_SECRET)")
    return lambda: AMIClient.connect(host, int(port), ami_user, secret, events=False)


@click.command(short_help="Watch every number flip, live, against the plan.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--every", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds between the starts of two rounds of probes.")
@click.option("--from", "start", type=INSTANT, default=None,
              help="Watch from this instant of the plan (default: when windows open).")
@click.option("--until", type=INSTANT, default=None,
              help="Stop at this instant (default: when every window has closed).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write every observation, flip and alert here, as JSON lines "
              "as they happen ('-': stdout).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Write report.json and actual.png here "
              "(default: out/SCENARIO-NAME/watch).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=4.0,
              show_default=True, help="Calls started per second, at most.")
@click.option("--max-in-flight", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Calls up at once, at most.")
@click.option("--grace", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Simulated minutes a number may lag a planned change before it is late.")
@click.option("--clock", "clock_mode", type=click.Choice(["auto", "replay", "wall"]),
              default="auto", show_default=True,
              help="auto: a running replay's simulated clock, else the wall clock; replay: "
              "wait for a replay and follow it; wall: the wall clock.")
@click.option("--no-outbound", is_flag=True, help="Probe inbound calls only (no caller ID).")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@ami_options
def watch(scenario_path: str, every: float, start: datetime | None, until: datetime | None,
          json_path: Path | None, report_dir: Path | None, rate: float, max_in_flight: int,
          grace: float, clock_mode: str, no_outbound: bool, seed: int | None,
          ami_address: str | None, ami_user: str, ami_secret: str | None) -> int:
    """Probe every number of SCENARIO's port orders whose window is open, round after round.

    Inbound: where a call from outside lands; outbound: which caller ID the phone presents.
    Flips, flips back, wrong places and silence are printed and recorded as they happen; at
    the end, plan against actual per number. Exit 0 all settled as planned, 1 a number ended
    wrong, 3 Asterisk unavailable.
    """
    scenario = load_scenario_file(scenario_path)
    if start is not None and until is not None and until <= start:
        raise BadInput(f"--until {until.isoformat()} is not after --from {start.isoformat()}")
    from sim.model import Replay
    from sip_harness.verify.expectations import plan as caller_plan
    from sip_harness.watch.clock import CLOCK_FAMILY, CLOCK_KEY, WatchClock
    from sip_harness.watch.plan import watch_plan
    from sip_harness.watch.probe import call_prober
    from sip_harness.watch.tracker import WatchBoard
    from sip_harness.watch.watcher import WatchSettings
    from sip_harness.watch.watcher import watch as run_watch

    replay = Replay(scenario, seed=seed)
    callers = caller_plan(replay)
    plans = watch_plan(replay, callers.origin, until=until)
    board = WatchBoard(plans, start=start, until=until, grace=timedelta(minutes=grace))
    settings = WatchSettings(every=every, rate=rate, max_in_flight=max_in_flight,
                             outbound=not no_outbound)
    open_ami = ami_session(ami_address, ami_user, ami_secret)
    out_dir = report_dir or Path("out") / scenario.name / "watch"
    sink: IO[str] | None = None
    if json_path is not None:
        sink = (sys.stdout if str(json_path) == "-"
                else open(json_path, "w", encoding="utf-8"))
    screen = _Screen(scenario.name, board, json_to_stdout=sink is sys.stdout)
    try:
        with open_ami() as ami, call_prober(scenario, plans, callers) as prober:
            clock = WatchClock(scenario.name, clock_mode)
            lock = threading.Lock()

            def emit(record: dict[str, Any]) -> None:
                with lock:
                    if sink is not None:
                        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                        sink.flush()
                    screen.record(record)

            emit({"kind": "start", "scenario": scenario.name, "clock": clock_mode,
                  "numbers": len(plans), "every": every, "rate": rate,
                  "max_in_flight": max_in_flight, "outbound": not no_outbound})
            from sip_harness.watch.cost import tree_cpu_seconds
            cpu_before = tree_cpu_seconds()
            asterisk_pid = _asterisk_pid(ami_address)
            asterisk_before = _cpu(asterisk_pid)
            with screen:
                outcome = run_watch(
                    board, prober, clock, lambda: ami.db_get(CLOCK_FAMILY, CLOCK_KEY),
                    settings, emit=emit,
                    on_round=lambda now, o: screen.update(now, clock.describe(), o))
            summary: dict[str, Any] = {
                "scenario": scenario.name, "clock": clock.describe(), "ended": outcome.reason,
                "end": outcome.end.isoformat() if outcome.end else None,
                "rounds": outcome.rounds, "probes": outcome.probes, "calls": outcome.calls,
                "seconds": round(outcome.seconds, 2),
                "calls_per_second": round(outcome.calls_per_second, 2),
                "max_in_flight": outcome.max_in_flight, "round_mean_s": round(
                    outcome.round_mean, 3), "round_max_s": round(outcome.round_max, 3),
                "rounds_over_every": outcome.overruns,
                "cpu_harness_s": round(tree_cpu_seconds() - cpu_before, 2),
                "cpu_asterisk_s": _delta(_cpu(asterisk_pid), asterisk_before),
                "calls_left_up": prober.live_calls()}
        end = outcome.end or datetime.now().astimezone()
        reports = board.reports(end)
        summary["wrong"] = [r.number for r in reports if r.ended == "wrong"]
        summary["settled"] = [r.number for r in reports if r.ended == "settled"]
        for r in reports:
            emit({"kind": "report", **r.as_dict()})
        emit({"kind": "end", **summary})
    finally:
        if sink is not None and sink is not sys.stdout:
            sink.close()
    from sip_harness.watch.report import write_report

    written = write_report(out_dir, reports, summary, list(board.watches.values()),
                           title=f"{scenario.name}: plan against actual")
    screen.finish(reports, summary, written)
    return EXIT_CHECKS_FAILED if summary["wrong"] else EXIT_OK


def _asterisk_pid(ami_address: str | None) -> int | None:
    if ami_address is not None:
        return None
    from sip_harness.asterisk import runner

    return runner.require_running().asterisk_pid()


def _cpu(pid: int | None) -> float | None:
    from sip_harness.watch.cost import cpu_seconds

    return cpu_seconds(pid) if pid else None


def _delta(after: float | None, before: float | None) -> float | None:
    return round(after - before, 2) if after is not None and before is not None else None


class _Screen:
    """The terminal: rich's Live table when stdout is a terminal; else plain lines."""

    def __init__(self, title: str, board: Any, *, json_to_stdout: bool) -> None:
        from rich.console import Console

        self.title, self.board = title, board
        self.quiet = json_to_stdout  # stdout carries the JSON lines: the words go to stderr
        self.console = Console(stderr=json_to_stdout)
        self.tty = self.console.is_terminal and not json_to_stdout
        self.alerts: list[str] = []
        self.live: Any = None
        self._now: datetime | None = None
        self._stats: dict[str, Any] = {}

    def __enter__(self) -> _Screen:
        if self.tty:
            from rich.live import Live

            self.live = Live(self._view(), console=self.console, refresh_per_second=4,
                             transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._view())
            self.live.__exit__(None, None, None)
            self.live = None

    def _view(self) -> Any:
        from sip_harness.watch.screen import live_view

        now = self._now
        rows = self.board.rows(now) if now is not None else []
        due = len(self.board.due(now)) if now is not None else 0
        return live_view(self.title, now, self._stats.get("clock", ""), rows, due,
                         self._stats, self.alerts)

    def record(self, record: dict[str, Any]) -> None:
        from sip_harness.watch.screen import record_line

        line = record_line(record)
        if line is None:
            return
        if record.get("kind") == "alert":
            self.alerts.append(line)
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def update(self, now: datetime | None, clock: str, outcome: Any) -> None:
        self._now = now
        self._stats = {"clock": clock, "calls": outcome.calls,
                       "calls_per_second": outcome.calls_per_second,
                       "max_in_flight": outcome.max_in_flight, "round_mean": outcome.round_mean}
        if self.live is not None:
            self.live.update(self._view())

    def finish(self, reports: Any, summary: dict[str, Any], written: list[Path]) -> None:
        from sip_harness.watch.screen import report_lines, report_table

        self.console.print(report_table(reports, f"{self.title}: plan against actual"))
        for line in report_lines(reports):
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        cpu_ast = summary["cpu_asterisk_s"]
        self.console.print(
            f"{self.title}: {len(summary['settled'])} settled, {len(summary['wrong'])} wrong "
            f"({summary['ended']}); {summary['calls']} calls in {summary['seconds']} s, "
            f"{summary['calls_per_second']} calls/s, at most {summary['max_in_flight']} in "
            f"flight, {summary['calls_left_up']} left up; CPU {summary['cpu_harness_s']} s "
            f"harness" + (f", {cpu_ast} s Asterisk" if cpu_ast is not None else ""),
            markup=False, highlight=False)
        self.console.print("wrote " + ", ".join(str(p) for p in written), markup=False,
                           highlight=False)

"""``cutover verify``: real calls check every number at every checkpoint."""

from __future__ import annotations

__all__ = ["verify"]

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cutover.cli.options import EXIT_CHECKS_FAILED, EXIT_OK, INSTANT, BadInput, load_scenario_file


@click.command(short_help="Verify routing, caller ID and voicemail with real calls.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--checkpoint", "checkpoints", multiple=True, metavar="NAME",
              help="A checkpoint the scenario declares (repeatable). Default: all of them.")
@click.option("--at", "instants", type=INSTANT, multiple=True,
              help="Any instant of the scenario (ISO-8601; repeatable).")
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write JUnit XML here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write JSON lines (one record per check) here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the verification as one self-contained HTML page here.")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--concurrency", type=click.IntRange(1, 128), default=None,
              help="Numbers checked at once (default 24).")
@click.option("--ami", "ami_address", default=None, metavar="HOST:PORT",
              help="Use an external Asterisk (configured from this scenario) over AMI.")
@click.option("--ami-user", default="cutover", show_default=True, help="AMI username.")
@click.option("--ami-secret", default=None, help="AMI secret (or $CUTOVER_AMI_SECRET).")
def verify(scenario_path: str, checkpoints: tuple[str, ...], instants: tuple[datetime, ...],
           junit: Path | None, json_path: Path | None, html_path: Path | None,
           seed: int | None,
           concurrency: int | None, ami_address: str | None, ami_user: str,
           ami_secret: str | None) -> int:
    """Check every number of every port order of SCENARIO with real calls at each checkpoint.

    Uses the Asterisk `cutover asterisk up` started, an external one (--ami), or else starts
    its own and stops it afterwards. Results go to --json and --junit as each check completes,
    so a run that stops early (Ctrl-C, Asterisk gone) leaves valid files with every check done.
    Exit 0 all passed, 1 a check failed, 3 Asterisk unavailable.
    """
    scenario = load_scenario_file(scenario_path)
    from sim.model import Replay
    from sip_harness.ami import AMIClient
    from sip_harness.asterisk import live, runner
    from sip_harness.config.view import hosted_pbxs
    from sip_harness.verify import journal as report_files
    from sip_harness.verify import results as report
    from sip_harness.verify.runner import DEFAULT_CONCURRENCY, run_suite

    names = checkpoints or (() if instants else tuple(c.name for c in scenario.checkpoints))
    if not names and not instants:
        raise BadInput(f"{scenario_path}: declares no checkpoints; give --at TIME")
    points = [(n, scenario.instant(checkpoint=n)) for n in names]
    points += [(t.isoformat(), scenario.instant(at=t)) for t in instants]
    # one run of the model, forward through the checkpoints: every instant's routing state
    replay = Replay(scenario, seed=seed)
    stop: Callable[[], object] | None = None
    if ami_address is not None:
        host, _, port = ami_address.rpartition(":")
        secret = ami_secret or os.environ.get("CUTOVER_AMI_SECRET", "")
        if not host or not port.isdigit() or not secret:
            raise BadInput("--ami needs HOST:PORT and --ami-secret (or $CUTOVER_AMI_SECRET)")
    trunks = hosted_pbxs(scenario)[1]  # each DDI number's PBX trunk (one per customer site)
    stats: dict[str, Any] = {}
    tty = sys.stderr.isatty()
    # the files exist (valid, empty) from here on, whatever happens next
    journal = report_files.Journal(json_path, junit, suite=scenario.name)
    results = journal.results
    try:
        with _interruptible():
            if ami_address is not None:
                def session() -> AMIClient:
                    return AMIClient.connect(host, int(port), ami_user, secret)

                def apply(name: str, instant: datetime) -> None:
                    with session() as ami:
                        live.sync_astdb(ami, live.view_at(replay, instant))
            else:
                state_file = runner.state_file_path()
                if not runner.status(state_file=state_file).running:
                    state_file, stop = _own_asterisk(replay, points[0][1])

                def session() -> AMIClient:
                    return runner.require_running(state_file=state_file).ami()

                def apply(name: str, instant: datetime) -> None:
                    live.move_to(replay, instant, state_file=state_file)

            with _progress_bar(tty, len(points) * (len(
                    {n for o in scenario.port_orders for n in o.numbers}) + 1)) as bar:
                def on_result(result: Any) -> None:
                    journal.add(result)
                    if result.check in ("inbound", "unallocated"):  # one per number
                        bar(result)

                results = run_suite(
                    replay, points, apply=apply, ami=session, stats=stats,
                    on_result=on_result,
                    concurrency=DEFAULT_CONCURRENCY if concurrency is None else concurrency,
                    progress=(lambda text: bar(text)) if tty else None)
    finally:
        with _uninterruptible():  # a second Ctrl-C must not leave Asterisk or files behind
            journal.close()
            if stop is not None:
                stop()
            if html_path is not None:  # the checks done so far, also after an interruption
                _write_html(html_path, journal.results, scenario.name, stats, trunks)
    from rich.console import Console

    console = Console()
    for name, _ in points:
        console.print(report.table(results, name, trunks=trunks))
    for failed in (r for r in results if r.passed is False):
        click.echo(f"FAIL {failed.check}: {failed.reason}")
    click.echo(f"{scenario.name}: {report.summary_line(results)} ({stats.get('calls', 0)} "
               f"calls, at most {stats.get('max_in_flight', 0)} in flight)")
    return EXIT_CHECKS_FAILED if any(r.passed is False for r in results) else EXIT_OK


@contextmanager
def _progress_bar(tty: bool, total: int) -> Iterator[Callable[[Any], None]]:
    """On a terminal, a progress bar on stderr over the numbers to check (one step per number
    per checkpoint); the callable advances it for a result, or shows a text. Silent otherwise."""
    if not tty:
        yield lambda item: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("verifying", total=total)

        def step(item: Any) -> None:
            if isinstance(item, str):
                progress.update(task, description=item)
            else:
                progress.advance(task)
        yield step


def _own_asterisk(replay: Any, instant: datetime) -> tuple[Path, Callable[[], object]]:
    """Start an Asterisk of this run's own (state in a fresh temporary directory); return its
    state file and the function that stops it and removes the directory (also when the start
    itself failed)."""
    import shutil
    import tempfile

    from sip_harness.asterisk import live, runner

    directory = Path(tempfile.mkdtemp(prefix="cutover-verify-"))
    state_file = directory / "asterisk.json"

    def stop() -> object:
        try:
            return runner.down(state_file=state_file)
        finally:
            if not _mounted_under(directory):  # never delete through a live mount
                shutil.rmtree(directory, ignore_errors=True)

    try:
        live.bring_up(replay, instant, state_file=state_file)
    except BaseException:
        with _uninterruptible():
            stop()
        raise
    return state_file, stop


def _mounted_under(directory: Path) -> bool:
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return False
    inside = str(directory.resolve()) + "/"
    return any((line.split()[4] + "/").startswith(inside) for line in mounts
               if len(line.split()) > 4)


@contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM ends the run as Ctrl-C does (KeyboardInterrupt), so the files are closed and
    Asterisk is stopped; outside the main thread nothing changes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _uninterruptible() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM while cleaning up (main thread only)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT,
                                                                    signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write_html(path: Path, results: Any, suite: str, stats: dict[str, Any],
                trunks: dict[str, str]) -> None:
    from sip_harness.verify.html_report import write_verify_report

    try:
        write_verify_report(path, results, suite=suite, stats=stats, trunks=trunks)
    except OSError as exc:
        raise BadInput(f"{path}: cannot write the HTML report: {exc.strerror or exc}") from exc

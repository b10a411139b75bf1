"""The ``cutover`` commands that drive the SIP side: ``asterisk up|apply|status|down``,
``serve`` and ``verify``.

Registered on :data:`sim.cli.cli` when ``sim.cli`` is imported. Like ``sim.cli`` this module is
part of the composition root: it reaches into ``sip_harness``, and only inside the commands,
so the rest of ``sim`` stays free of SIP.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from sim.cli import (
    EXIT_CHECKS_FAILED,
    EXIT_OK,
    INSTANT,
    BadInput,
    _load,
    cli,
)

# -- a real Asterisk (sip_harness). cli.py is the composition root: the only module of sim that
# -- reaches into sip_harness, and only inside the commands, so `sim` stays free of SIP.

@cli.group(short_help="Run a real Asterisk configured from a scenario's routing state.")
def asterisk() -> None:
    """Start, move, inspect and stop the Asterisk that plays the network on loopback."""


def _instant_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--seed", type=int, default=None, help="Override the scenario's seed.")(f)
    f = click.option("--checkpoint", default=None, metavar="NAME",
                     help="A checkpoint the scenario declares.")(f)
    return click.option("--at", "at", type=INSTANT, default=None,
                        help="Instant of the routing state (ISO-8601; default: the start).")(f)


@asterisk.command("up", short_help="Start Asterisk at an instant's routing state.")
@click.argument("scenario_path", metavar="SCENARIO")
@_instant_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def asterisk_up(scenario_path: str, at: datetime | None, checkpoint: str | None,
                seed: int | None, as_json: bool) -> int:
    """Start Asterisk on loopback with SCENARIO's routing state at --at or --checkpoint.

    Only Asterisk starts: each carrier's address stays free for any SIP client to bind.
    """
    _load(scenario_path)
    from sip_harness import control

    running, view = control.bring_up(scenario_path, at=at, checkpoint=checkpoint, seed=seed)
    if as_json:
        click.echo(json.dumps(control.status_document(), ensure_ascii=False))
    else:
        click.echo(f"Asterisk up ({running.backend}) in {running.ready_seconds:.2f} s: "
                   f"SIP {running.sip}, AMI {running.ami_address}; "
                   f"{len(view.ported)} ported numbers at {running.instant}")
    return EXIT_OK


@asterisk.command("apply", short_help="Move the running Asterisk to another instant.")
@click.argument("scenario_path", metavar="SCENARIO")
@_instant_options
def asterisk_apply(scenario_path: str, at: datetime | None, checkpoint: str | None,
                   seed: int | None) -> int:
    """Apply SCENARIO's routing state at --at or --checkpoint live, without a restart."""
    _load(scenario_path)
    from sip_harness import control

    move = control.move_to(scenario_path, at=at, checkpoint=checkpoint, seed=seed)
    reloads = f"; reloaded: {', '.join(move.reloads)}" if move.reloads else ""
    click.echo(f"at {move.instant.isoformat()}: {len(move.puts)} AstDB entries set, "
               f"{len(move.deletes)} removed{reloads}")
    return EXIT_OK


@asterisk.command("status", short_help="Say whether Asterisk runs, and where.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def asterisk_status(as_json: bool) -> int:
    """Whether the Asterisk cutover started runs; its SIP and AMI addresses and carriers."""
    from sip_harness import control

    document = control.status_document()
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))
    elif document.get("running"):
        click.echo(f"running ({document.get('backend')}): SIP {document.get('sip')}, "
                   f"AMI {document.get('ami')}, {document.get('instant', '')}")
        for cid, where in (document.get("carriers") or {}).items():
            click.echo(f"  {cid}: send from {where['send_from']}, "
                       f"delivered to {where['deliver_to']}")
    else:
        click.echo(f"not running: {document.get('reason', '')}")
    return EXIT_OK


@asterisk.command("down", short_help="Stop Asterisk and clean up.")
def asterisk_down() -> int:
    """Stop the Asterisk cutover started; cleans up after a crash too."""
    from sip_harness import asterisk as runner

    report = runner.down()
    if report is None:
        click.echo("no Asterisk was running")
    elif report.crashed:
        click.echo(f"Asterisk had crashed; cleaned up ({report.how})")
    else:
        click.echo(f"Asterisk stopped ({report.how})")
    return EXIT_OK


# -- the number-portability query server (sip_harness.npserver): SIP 302 with rn/npdi.

@cli.command(short_help="Answer number-portability queries over SIP (302 with rn/npdi).")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--sip", "sip_address", required=True, metavar="HOST:PORT",
              help="UDP address to answer on, e.g. 127.0.0.1:5070.")
@click.option("--at", "at", type=INSTANT, default=None,
              help="Instant of the routing state served first (ISO-8601; default: the start).")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--follow", default=None, metavar="SOURCE",
              help="'scenario': play the simulation on from --at at --speed and publish its "
              "routing changes; or a file of JSON lines ({number, carrier}, or the records "
              "of events.jsonl), '-' for stdin, each line published as it arrives.")
@click.option("--speed", type=float, default=3600.0, show_default=True,
              help="Simulated seconds per wall-clock second with --follow scenario.")
@click.option("--duration", type=float, default=None, metavar="SECONDS",
              help="Stop after SECONDS (default: run until interrupted).")
def serve(scenario_path: str, sip_address: str, at: datetime | None, seed: int | None,
          follow: str | None, speed: float, duration: float | None) -> int:
    """Answer INVITEs for SCENARIO's numbers with 302 (Contact tel URI with rn and npdi),
    404 when unallocated, 400 when malformed; OPTIONS with 200. Prints a JSON report at exit.
    """
    scenario = _load(scenario_path)
    instant = scenario.start if at is None else at
    if not scenario.start <= instant <= scenario.horizon:
        raise BadInput(f"--at {instant.isoformat()} is outside the scenario "
                       f"({scenario.start.isoformat()} to {scenario.horizon.isoformat()})")
    if follow not in (None, "scenario", "-") and not Path(follow).exists():
        raise BadInput(f"--follow {follow}: no such file")
    if speed <= 0 or (duration is not None and duration <= 0):
        raise BadInput("--speed and --duration must be positive")
    from sip_harness import npserver

    host, port = npserver.parse_address(sip_address)

    def ready(server: Any, core: Any) -> None:
        click.echo(f"serving {scenario.name} on {server.address[0]}:{server.address[1]}/udp: "
                   f"version {core.version}, {core.ported_count} ported numbers at "
                   f"{instant.isoformat()}", err=True)

    report = npserver.serve_scenario(scenario, host=host, port=port, at=instant, seed=seed,
                                     follow=follow, speed=speed, duration=duration,
                                     ready=ready)
    click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    return EXIT_OK


# -- cutover verify: real calls through a real Asterisk (sip_harness), checkpoint by checkpoint.

@cli.command(short_help="Verify routing, caller ID and voicemail with real calls.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--checkpoint", "checkpoints", multiple=True, metavar="NAME",
              help="A checkpoint the scenario declares (repeatable). Default: all of them.")
@click.option("--at", "instants", type=INSTANT, multiple=True,
              help="Any instant of the scenario (ISO-8601; repeatable).")
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write JUnit XML here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write JSON lines (one record per check) here.")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--concurrency", type=click.IntRange(1, 128), default=None,
              help="Numbers checked at once (default 24).")
@click.option("--ami", "ami_address", default=None, metavar="HOST:PORT",
              help="Use an external Asterisk (configured from this scenario) over AMI.")
@click.option("--ami-user", default="cutover", show_default=True, help="AMI username.")
@click.option("--ami-secret", default=None, help="AMI secret (or $CUTOVER_AMI_SECRET).")
def verify(scenario_path: str, checkpoints: tuple[str, ...], instants: tuple[datetime, ...],
           junit: Path | None, json_path: Path | None, seed: int | None,
           concurrency: int | None, ami_address: str | None, ami_user: str,
           ami_secret: str | None) -> int:
    """Check every number of every port order of SCENARIO with real calls at each checkpoint.

    Uses the Asterisk `cutover asterisk up` started, an external one (--ami), or else starts
    its own and stops it afterwards. Exit 0 all passed, 1 a check failed, 3 Asterisk unavailable.
    """
    import tempfile

    scenario = _load(scenario_path)
    from sip_harness import asterisk as runner
    from sip_harness import control, suite
    from sip_harness.ami import AMIClient
    from sip_harness.confgen import astdb_entries

    names = checkpoints or (() if instants else tuple(c.name for c in scenario.checkpoints))
    if not names and not instants:
        raise BadInput(f"{scenario_path}: declares no checkpoints; give --at TIME")
    points = [(n, control.resolve_instant(scenario, checkpoint=n)) for n in names]
    points += [(t.isoformat(), control.resolve_instant(scenario, at=t)) for t in instants]
    stop: Callable[[], object] | None = None
    if ami_address is not None:
        host, _, port = ami_address.rpartition(":")
        secret = ami_secret or os.environ.get("CUTOVER_AMI_SECRET", "")
        if not host or not port.isdigit() or not secret:
            raise BadInput("--ami needs HOST:PORT and --ami-secret (or $CUTOVER_AMI_SECRET)")

        def session() -> AMIClient:
            return AMIClient.connect(host, int(port), ami_user, secret)

        def apply(name: str, instant: datetime) -> None:
            view = control.routing_state(scenario, instant, seed=seed)
            with session() as ami:
                live, target = control.live_entries(ami), astdb_entries(view)
                for family, key in [k for k in live if k not in target]:
                    ami.set_db(family, key, None)
                for (family, key), value in target.items():
                    if live.get((family, key)) != value:
                        ami.set_db(family, key, value)
    else:
        state_file = runner.state_file_path()
        if not runner.status(state_file=state_file).running:
            state_file = Path(tempfile.mkdtemp(prefix="cutover-verify-")) / "asterisk.json"
            control.bring_up(scenario_path, at=points[0][1], seed=seed, state_file=state_file)

            def stop() -> object:
                report = runner.down(state_file=state_file)
                state_file.parent.rmdir()
                return report

        def session() -> AMIClient:
            return runner.require_running(state_file=state_file).ami()

        def apply(name: str, instant: datetime) -> None:
            control.move_to(scenario_path, at=instant, seed=seed, state_file=state_file)

    stats: dict[str, Any] = {}
    tty = sys.stderr.isatty()
    try:
        results = suite.run_suite(
            scenario, points, apply=apply, ami=session, seed=seed, stats=stats,
            concurrency=concurrency or suite.DEFAULT_CONCURRENCY,
            progress=(lambda text: click.echo(text, err=True)) if tty else None)
    finally:
        if stop is not None:
            stop()
    if json_path is not None:
        suite.write_jsonl(results, json_path)
    if junit is not None:
        suite.write_junit(results, junit, suite=scenario.name)
    from rich.console import Console

    console = Console()
    for name, _ in points:
        console.print(suite.table(results, name))
    for failed in (r for r in results if r.passed is False):
        click.echo(f"FAIL {failed.check}: {failed.reason}")
    click.echo(f"{scenario.name}: {suite.summary_line(results)} ({stats.get('calls', 0)} "
               f"calls, at most {stats.get('max_in_flight', 0)} in flight)")
    return EXIT_CHECKS_FAILED if any(r.passed is False for r in results) else EXIT_OK

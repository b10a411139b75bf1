"""``cutover asterisk up|apply|status|down|replay``: a real Asterisk playing the scenario's
network."""

from __future__ import annotations

__all__ = ["asterisk"]

import json
from datetime import datetime

import click

from cutover.cli.options import (
    EXIT_OK,
    INSTANT,
    BadInput,
    instant_options,
    load_scenario_file,
)
from cutover.cli.watch_command import ami_options, ami_session


@click.group(short_help="Run a real Asterisk configured from a scenario's routing state.")
def asterisk() -> None:
    """Start, move, inspect and stop the Asterisk that plays the network on loopback."""


@asterisk.command("up", short_help="Start Asterisk at an instant's routing state.")
@click.argument("scenario_path", metavar="SCENARIO")
@instant_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def asterisk_up(scenario_path: str, at: datetime | None, checkpoint: str | None,
                seed: int | None, as_json: bool) -> int:
    """Start Asterisk on loopback with SCENARIO's routing state at --at or --checkpoint.

    Only Asterisk starts: each carrier's address stays free for any SIP client to bind.
    """
    scenario = load_scenario_file(scenario_path)
    instant = scenario.instant(at=at, checkpoint=checkpoint)
    from sim.model import Replay
    from sip_harness.asterisk import live

    running, view = live.bring_up(Replay(scenario, seed=seed), instant)
    if as_json:
        click.echo(json.dumps(live.status_document(scenario=scenario), ensure_ascii=False))
    else:
        click.echo(f"Asterisk up ({running.backend}) in {running.ready_seconds:.2f} s: "
                   f"SIP {running.sip}, AMI {running.ami_address}; "
                   f"{len(view.ported)} ported numbers at {running.instant}")
    return EXIT_OK


@asterisk.command("apply", short_help="Move the running Asterisk to another instant.")
@click.argument("scenario_path", metavar="SCENARIO")
@instant_options
def asterisk_apply(scenario_path: str, at: datetime | None, checkpoint: str | None,
                   seed: int | None) -> int:
    """Apply SCENARIO's routing state at --at or --checkpoint live, without a restart."""
    scenario = load_scenario_file(scenario_path)
    instant = scenario.instant(at=at, checkpoint=checkpoint)
    from sim.model import Replay
    from sip_harness.asterisk import live

    move = live.move_to(Replay(scenario, seed=seed), instant)
    reloads = f"; reloaded: {', '.join(move.reloads)}" if move.reloads else ""
    click.echo(f"at {move.instant.isoformat()}: {len(move.puts)} AstDB entries set, "
               f"{len(move.deletes)} removed{reloads}")
    return EXIT_OK


@asterisk.command("status", short_help="Say whether Asterisk runs, and where.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def asterisk_status(as_json: bool) -> int:
    """Whether the Asterisk cutover started runs; its SIP and AMI addresses and carriers."""
    from sip_harness.asterisk import live

    document = live.status_document()
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
    from sip_harness.asterisk import runner

    report = runner.down()
    if report is None:
        click.echo("no Asterisk was running")
    elif report.crashed:
        click.echo(f"Asterisk had crashed; cleaned up ({report.how})")
    else:
        click.echo(f"Asterisk stopped ({report.how})")
    return EXIT_OK


@asterisk.command("replay", short_help="Apply the routing changes live, on a simulated clock.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--from", "start", type=INSTANT, default=None,
              help="Start here (default: when the first cutover window opens).")
@click.option("--to", "end", type=INSTANT, default=None,
              help="End here (default: when the last cutover window closes).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Simulated seconds per second (3600: an hour a second).")
@click.option("--skip-quiet", type=click.FloatRange(min=0), default=None, metavar="MINUTES",
              help="Leap over every stretch farther than MINUTES (simulated) from any change.")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@ami_options
def asterisk_replay(scenario_path: str, start: datetime | None, end: datetime | None,
                    speed: float, skip_quiet: float | None, seed: int | None,
                    ami_address: str | None, ami_user: str, ami_secret: str | None) -> int:
    """Apply SCENARIO's routing changes to the running Asterisk as a simulated clock passes
    them, from --from to --to at --speed; the clock is readable by `cutover watch`."""
    from datetime import timedelta

    from sim.model import Replay
    from sip_harness.asterisk import live
    from sip_harness.watch.clock import CLOCK_FAMILY, CLOCK_KEY, ReplayClock
    from sip_harness.watch.plan import windows
    from sip_harness.watch.rehearsal import Tick, rehearse, timetable

    scenario = load_scenario_file(scenario_path)
    replay = Replay(scenario, seed=seed)
    spans = [w for ws in windows(replay, scenario.horizon).values() for w in ws]
    first = start or min((w.start for w in spans), default=scenario.start)
    last = end or max((w.end for w in spans), default=scenario.horizon)
    if last <= first:
        raise BadInput(f"--to {last.isoformat()} is not after --from {first.isoformat()}")
    replay.run_to(last)
    changes = [p for p in replay.publishes if first < p <= last]
    quiet = timedelta(minutes=skip_quiet) if skip_quiet is not None else None
    ticks = timetable(changes, first, last, speed, skip_quiet=quiet)
    open_ami = ami_session(ami_address, ami_user, ami_secret)

    with open_ami() as ami:
        if ami_address is None:
            def apply(instant: datetime) -> object:
                return live.move_to(replay, instant)
        else:
            def apply(instant: datetime) -> object:
                return live.sync_astdb(ami, live.view_at(replay, instant))

        def publish(clock: ReplayClock) -> None:
            ami.db_put(CLOCK_FAMILY, CLOCK_KEY, clock.encode())

        def said(tick: Tick, lag: float, result: object) -> None:
            at = tick.instant.strftime("%a %d %b %H:%M:%S")
            if tick.what == "change":
                puts, deletes = _counts(result)
                click.echo(f"{at}: applied the routing change ({puts} AstDB entries set, "
                           f"{deletes} removed; {lag:.2f} s behind)")
            elif tick.what == "leap":
                click.echo(f"{at}: the clock leaps here (nothing changes in between)")
            elif tick.what == "start":
                click.echo(f"{at}: replaying {scenario.name} to {last.isoformat()} at "
                           f"x{speed:g}, {len(changes)} routing changes")

        done = rehearse(ticks, scenario.name, speed, apply=apply, publish=publish,
                        on_tick=said)
    click.echo(f"replayed {first.isoformat()} to {last.isoformat()} at x{speed:g}: "
               f"{len(done.applied)} changes applied, {done.leaps} leaps, at most "
               f"{done.max_lag:.2f} s behind")
    return EXIT_OK


def _counts(result: object) -> tuple[int, int]:
    """AstDB entries set and removed by a move (``live.Move``) or a sync (puts, deletes)."""
    if isinstance(result, tuple):
        return len(result[0]), len(result[1])
    return len(getattr(result, "puts", ())), len(getattr(result, "deletes", ()))

"""``cutover asterisk up|apply|status|down``: a real Asterisk playing the scenario's network."""

from __future__ import annotations

__all__ = ["asterisk"]

import json
from datetime import datetime

import click

from cutover.cli.options import EXIT_OK, instant_options, load_scenario_file


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

"""The commands of the simulation side: ``validate``, ``route`` and ``run``."""

from __future__ import annotations

__all__ = ["validate", "route", "run"]

import json
from datetime import datetime
from pathlib import Path

import click

from cutover.cli.options import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    INSTANT,
    BadInput,
    load_scenario_file,
    progress_bar,
)
from cutover.cli.sweep_command import overrides_option, read_overrides
from sim.errors import ScenarioError


@click.command(short_help="Check scenario files.")
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
def validate(scenarios: tuple[str, ...]) -> int:
    """Check scenario files; print each error as "PATH: key (line N): message"."""
    code = EXIT_OK
    for path in scenarios:
        try:
            scenario = load_scenario_file(path)
        except ScenarioError as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            code = EXIT_BAD_INPUT
        except BadInput as exc:
            click.echo(exc.format_message(), err=True)
            code = EXIT_BAD_INPUT
        else:
            click.echo(f"ok: {path} ({len(scenario.port_orders)} port orders)")
    return code


@click.command(short_help="Route a number at an instant.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.argument("number")
@click.option(
    "--at",
    "at",
    type=INSTANT,
    default=None,
    help="ISO-8601 instant, e.g. 2026-11-28T06:00Z; a time without an offset is taken as UTC. "
    "Must lie within the scenario. Default: the scenario's start.",
)
@click.option(
    "--from",
    "origin",
    default=None,
    metavar="CARRIER",
    help="Carrier id the call originates on. Default: no originating carrier.",
)
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def route(
    scenario_path: str,
    number: str,
    at: datetime | None,
    origin: str | None,
    seed: int | None,
    as_json: bool,
) -> int:
    """Route NUMBER as the network would at an instant of the scenario."""
    scenario = load_scenario_file(scenario_path)
    if origin is not None and origin not in scenario.carrier_ids:
        known = ", ".join(scenario.carrier_ids)
        raise BadInput(f"unknown carrier {origin!r}; known: {known}")
    instant = scenario.instant(at=at)
    from sim.numbering import normalise

    e164 = normalise(number, country=scenario.country)

    from sim.model import simulate

    with progress_bar(f"simulating to {instant.isoformat()}") as progress:
        result = simulate(scenario, seed=seed, until=instant, progress=progress)
    answer = result.routing.route(e164, origin)
    if as_json:
        document = {
            "number": answer.number,
            "at": result.at.isoformat(),
            "origin": origin,
            "carrier": answer.carrier,
            "range_holder": answer.range_holder,
            "path": list(answer.path),
            "ported": answer.ported,
            "reason": answer.reason,
            "version": answer.version,
            "status": result.number_status(answer.number),
            "caller_id": result.caller_id(answer.number),
            "migrated_to": result.migrated_to(answer.number),
        }
        click.echo(json.dumps(document, ensure_ascii=False))
    else:
        via = " -> ".join(answer.path)
        line = f"{answer.number} -> {answer.carrier} via {via} ({answer.reason})"
        status, caller_id = result.number_status(answer.number), result.caller_id(answer.number)
        if status != "in_service":
            line += f"; the number is {status}"
        if (provider := result.migrated_to(answer.number)) is not None:
            line += f"; its service migrated to {provider}, the network unchanged"
        if caller_id is not None:
            line += f"; the customer presents caller ID {caller_id}"
        click.echo(line)
    return EXIT_OK


@click.command(short_help="Play a scenario and write its outputs.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output directory. Default: out/<scenario name>.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only summary.json on stdout.")
@click.option("--html", "html", is_flag=True,
              help="Also write report.html: one self-contained page to attach.")
@overrides_option("Override a scenario value by its path, as cutover sweep does, with one "
                  "value (e.g. carriers.bt.desk.capacity=2); repeatable.")
def run(scenario_path: str, seed: int | None, out_dir: Path | None, as_json: bool,
        html: bool, sets: tuple[str, ...]) -> int:
    """Play the scenario; write events.jsonl, summary.json and timeline.png (and report.html)."""
    if sets:
        source, overrides, combinations = read_overrides(scenario_path, sets)
        many = [o.path for o in overrides if len(o.values) != 1]
        if many:
            raise BadInput(f"--set {many[0]}: cutover run takes one value (a sweep takes more)")
        scenario = source.scenario(combinations[0])
    else:
        scenario = load_scenario_file(scenario_path)
    from sim.model import simulate
    from sim.report import write_outputs

    with progress_bar(f"simulating {scenario.name}") as progress:
        result = simulate(scenario, seed=seed, progress=progress)
    target = Path("out") / scenario.name if out_dir is None else out_dir
    used_seed = result.summary.get("seed", scenario.seed if seed is None else seed)
    title = f"{scenario.name} ({scenario.regime} regime, seed {used_seed})"
    pages = {}
    if html:
        from sim.report import REPORT_FILE, render_run_report

        pages[REPORT_FILE] = render_run_report(result.events, result.summary,
                                               description=scenario.description)
    try:
        written = write_outputs(target, result.events, result.summary, title=title, pages=pages)
    except OSError as exc:
        raise BadInput(f"{target}: cannot write outputs: {exc.strerror or exc}") from exc

    if as_json:
        click.echo(json.dumps(result.summary, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        from rich.console import Console

        from sim.report import summary_table

        console = Console()
        console.print(summary_table(result.summary))
        console.print("wrote " + ", ".join(str(p) for p in written.values()), highlight=False)
    return EXIT_OK

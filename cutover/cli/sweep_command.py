"""``cutover sweep``: many runs of a scenario on Dask; runs.csv, summary.json, distribution.png."""

from __future__ import annotations

__all__ = ["sweep", "overrides_option", "read_overrides"]

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cutover.cli.options import EXIT_CHECKS_FAILED, EXIT_OK, BadInput, load_scenario_file
from sim.errors import BadInputError


def overrides_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
                        help=help_text)


def read_overrides(scenario_path: str, sets: tuple[str, ...]) -> tuple[Any, list[Any], Any]:
    """The scenario file read for a sweep, the overrides, and every combination, each checked
    (exit 2 with one line before anything runs)."""
    from sim.sweep import SweepSource, grid, parse_override

    load_scenario_file(scenario_path)  # a missing or invalid file: the usual messages
    try:
        overrides = [parse_override(s) for s in sets]
        paths = [o.path for o in overrides]
        if len(set(paths)) != len(paths):
            raise BadInputError(f"--set: a path is given twice ({', '.join(paths)})")
        source = SweepSource.read(scenario_path)
        combinations = grid(overrides)
        source.check(combinations)
    except BadInputError as exc:
        raise BadInput(str(exc)) from None
    return source, overrides, combinations


@click.command(short_help="Run a scenario over many seeds and overrides on Dask.")
@click.argument("scenario_path", metavar="SCENARIO")
@click.option("--seeds", "seeds_text", required=True, metavar="A-B",
              help="Seeds to run, inclusive, e.g. 1-200.")
@overrides_option("Override a scenario value by its path, one run per value and seed "
                  "(e.g. carriers.bt.desk.capacity=1,2,4); repeat for a grid.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local Dask cluster (default: one per core).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (started with "
                   "'dask scheduler'; workers with 'dask worker ADDRESS').")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output directory. Default: out/<scenario name>-sweep.")
@click.option("--json", "as_json", is_flag=True, help="Print only summary.json on stdout.")
def sweep(scenario_path: str, seeds_text: str, sets: tuple[str, ...], workers: int | None,
          scheduler: str | None, out_dir: Path | None, as_json: bool) -> int:
    """Play SCENARIO at every seed of --seeds for every combination of the --set values, on
    Dask; write runs.csv (as runs finish), summary.json and distribution.png."""
    from sim.sweep import (
        DISTRIBUTION_FILE,
        RUNS_FILE,
        SUMMARY_FILE,
        RunsFile,
        Task,
        client_for,
        columns,
        draw_distribution,
        parse_seeds,
        run_tasks,
        summarise_runs,
        sweep_table,
        write_sweep_summary,
    )

    if workers is not None and scheduler is not None:
        raise BadInput("give --workers or --scheduler, not both")
    try:
        seeds = parse_seeds(seeds_text)
    except BadInputError as exc:
        raise BadInput(str(exc)) from None
    source, overrides, combinations = read_overrides(scenario_path, sets)
    scenario = source.scenario()
    tasks = [Task(i, combination, seed) for i, combination in enumerate(combinations)
             for seed in seeds]
    target = Path("out") / f"{scenario.name}-sweep" if out_dir is None else out_dir
    try:
        target.mkdir(parents=True, exist_ok=True)
        runs = RunsFile(target / RUNS_FILE, columns(tuple(o.path for o in overrides)))
    except OSError as exc:
        raise BadInput(f"{target}: cannot write outputs: {exc.strerror or exc}") from exc

    with _progress(len(tasks)) as advance:
        def on_row(row: dict[str, Any]) -> None:
            runs.add(row)
            advance()

        try:
            with client_for(workers=workers, scheduler=scheduler) as client:
                failed = run_tasks(client, source.text, source.origin, tasks, on_row)
        except BadInputError as exc:
            runs.close()
            raise BadInput(str(exc)) from None
        except KeyboardInterrupt:
            runs.close()
            click.echo(f"interrupted: {len(runs.rows)} of {len(tasks)} runs in {runs.path}",
                       err=True)
            raise click.exceptions.Exit(130) from None
    runs.finish()
    summary = summarise_runs(runs.rows, combinations, scenario=scenario.name, seeds=seeds)
    write_sweep_summary(summary, target / SUMMARY_FILE)
    draw_distribution(runs.rows, summary, target / DISTRIBUTION_FILE)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        from rich.console import Console

        out = Console()
        out.print(sweep_table(summary))
        out.print(f"wrote {target / RUNS_FILE}, {SUMMARY_FILE}, {DISTRIBUTION_FILE}",
                  highlight=False)
    if failed:
        first = next(r["error"] for r in runs.rows if r.get("error"))
        click.echo(f"{failed} of {len(tasks)} runs failed (recorded in {RUNS_FILE}); "
                   f"the first: {first}", err=True)
        return EXIT_CHECKS_FAILED
    return EXIT_OK


class _progress:
    """A progress bar over the runs on a terminal's stderr; nothing otherwise."""

    def __init__(self, total: int):
        self.total = total
        self._bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not sys.stderr.isatty():
            return lambda: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._bar.__enter__()
        task = self._bar.add_task("runs", total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

"""The ``cutover`` command line: the one place that wires scenario, model, routing and reports.

Exit codes: 0 success, 1 checks failed, 2 bad input (scenario, arguments, number),
3 infrastructure unavailable. Errors are one line on stderr (one per issue for a scenario).
"""

from __future__ import annotations

__all__ = [
    "EXIT_OK",
    "EXIT_CHECKS_FAILED",
    "EXIT_BAD_INPUT",
    "EXIT_INFRASTRUCTURE",
    "BadInput",
    "parse_instant",
    "cli",
    "main",
    "entry",
]

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.errors import CutoverError, HarnessError, NumberFormatError, RoutingError, ScenarioError

if TYPE_CHECKING:
    from sim.scenario import Scenario

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INFRASTRUCTURE = 3

Progress = Callable[[float], None]


class BadInput(click.ClickException):
    """Bad input found by the CLI itself; printed as its bare message, exit 2."""

    exit_code = EXIT_BAD_INPUT


def parse_instant(text: str) -> datetime:
    """Read an ISO-8601 instant as an aware datetime; one without an offset is taken as UTC.

    >>> parse_instant("2026-11-28T06:00Z").isoformat()
    '2026-11-28T06:00:00+00:00'

    Raises
    ------
    ValueError
        ``text`` is not an ISO-8601 date or date-time.
    """
    cleaned = text.strip()
    if cleaned[-1:] in ("z", "Z"):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class InstantType(click.ParamType):
    """A click parameter holding an ISO-8601 instant (see ``parse_instant``)."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO-8601 time (e.g. 2026-11-28T06:00Z)", param, ctx)


INSTANT = InstantType()


def _load(path: str) -> Scenario:
    """Load and validate one scenario file; a missing file is bad input, not a traceback."""
    file = Path(path)
    if not file.exists():
        raise BadInput(f"{path}: no such file")
    if file.is_dir():
        raise BadInput(f"{path}: is a directory, not a scenario file")
    from sim.scenario import load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        if exc.source is None:
            raise ScenarioError(exc.issues, source=path) from exc
        raise
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from exc


@contextmanager
def _progress(description: str) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing (yields None)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=1.0)

        def advance(fraction: float) -> None:
            bar.update(task, completed=min(max(fraction, 0.0), 1.0))

        yield advance


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
)
@click.version_option(package_name="cutover", prog_name="cutover")
def cli() -> None:
    """Telephony number-porting cutover simulator with a SIP test harness."""


@cli.command(short_help="Check scenario files.")
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
def validate(scenarios: tuple[str, ...]) -> int:
    """Check scenario files; print each error as "PATH: key (line N): message"."""
    code = EXIT_OK
    for path in scenarios:
        try:
            scenario = _load(path)
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


@cli.command(short_help="Route a number at an instant.")
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
    scenario = _load(scenario_path)
    if origin is not None and origin not in scenario.carrier_ids:
        known = ", ".join(scenario.carrier_ids)
        raise BadInput(f"unknown carrier {origin!r}; known: {known}")
    instant = scenario.start if at is None else at
    if not scenario.start <= instant <= scenario.horizon:
        raise BadInput(
            f"--at {instant.isoformat()} is outside the scenario "
            f"({scenario.start.isoformat()} to {scenario.horizon.isoformat()})"
        )
    from sim.numbering import normalise

    e164 = normalise(number, country=scenario.country)

    from sim.model import simulate

    with _progress(f"simulating to {instant.isoformat()}") as progress:
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
        }
        click.echo(json.dumps(document, ensure_ascii=False))
    else:
        via = " -> ".join(answer.path)
        click.echo(f"{answer.number} -> {answer.carrier} via {via} ({answer.reason})")
    return EXIT_OK


@cli.command(short_help="Play a scenario and write its outputs.")
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
def run(scenario_path: str, seed: int | None, out_dir: Path | None, as_json: bool) -> int:
    """Play the scenario; write events.jsonl, summary.json and timeline.png."""
    scenario = _load(scenario_path)
    from sim.model import simulate
    from sim.report import write_outputs

    with _progress(f"simulating {scenario.name}") as progress:
        result = simulate(scenario, seed=seed, progress=progress)
    target = Path("out") / scenario.name if out_dir is None else out_dir
    used_seed = result.summary.get("seed", scenario.seed if seed is None else seed)
    title = f"{scenario.name} ({scenario.regime} regime, seed {used_seed})"
    try:
        written = write_outputs(target, result.events, result.summary, title=title)
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


# The commands that drive the SIP side live in sim/cli_harness.py; importing it registers
# them on `cli` (it needs the names above, so it comes here).
from sim import cli_harness  # noqa: E402,F401


def _click_message(exc: click.ClickException) -> str:
    """One line for a click error: the command, the message and where to get help."""
    if isinstance(exc, BadInput):
        return exc.format_message()
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return f"cutover: {message}"
    return f"{ctx.command_path}: {message} (try '{ctx.command_path} --help')"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cutover`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    Never raises for bad input or infrastructure failures: they become one line on stderr
    and exit 2 or 3.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = cli.main(args=args, prog_name="cutover", standalone_mode=False)
    except ScenarioError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        return EXIT_BAD_INPUT
    except (NumberFormatError, RoutingError) as exc:
        click.echo(str(exc), err=True)
        return EXIT_BAD_INPUT
    except HarnessError as exc:
        click.echo(str(exc), err=True)
        return EXIT_INFRASTRUCTURE
    except CutoverError as exc:
        click.echo(str(exc), err=True)
        return EXIT_BAD_INPUT
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "usage: cutover COMMAND", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        click.echo(_click_message(exc), err=True)
        return EXIT_BAD_INPUT
    except click.exceptions.Abort:
        click.echo("cutover: interrupted", err=True)
        return 130
    return rv if isinstance(rv, int) else EXIT_OK


def entry() -> None:
    """Console-script entry: exit the process with ``main()``'s code."""
    raise SystemExit(main())


if __name__ == "__main__":
    # Run as `python -m sim.cli`: use the imported module `sim.cli`, on whose group
    # cli_harness registered the SIP commands, not this __main__ copy.
    from sim.cli import entry as _entry

    _entry()

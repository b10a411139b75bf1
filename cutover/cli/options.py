"""What the commands share: exit codes, the one-line bad-input error, instants, loading a
scenario file, the progress bar and the instant options."""

from __future__ import annotations

__all__ = ["EXIT_OK", "EXIT_CHECKS_FAILED", "EXIT_BAD_INPUT", "EXIT_INFRASTRUCTURE", "BadInput",
           "parse_instant", "INSTANT", "load_scenario_file", "progress_bar", "instant_options"]

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.errors import ScenarioError

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


def load_scenario_file(path: str) -> Scenario:
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
def progress_bar(description: str) -> Iterator[Progress | None]:
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


def instant_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--seed", type=int, default=None, help="Override the scenario's seed.")(f)
    f = click.option("--checkpoint", default=None, metavar="NAME",
                     help="A checkpoint the scenario declares.")(f)
    return click.option("--at", "at", type=INSTANT, default=None,
                        help="Instant of the routing state (ISO-8601; default: the start).")(f)

"""The ``cutover`` command line: the click group, its commands, and errors as exit codes.

Exit codes: 0 success, 1 checks failed, 2 bad input (scenario, arguments, number),
3 infrastructure unavailable. Errors are one line on stderr (one per issue for a scenario).
"""

from __future__ import annotations

__all__ = ["cli", "main", "entry"]

import sys
from collections.abc import Sequence

import click

from cutover.cli.asterisk_commands import asterisk
from cutover.cli.options import EXIT_BAD_INPUT, EXIT_INFRASTRUCTURE, EXIT_OK, BadInput
from cutover.cli.serve_command import serve
from cutover.cli.sim_commands import route, run, validate
from cutover.cli.sweep_command import sweep
from cutover.cli.verify_command import verify
from cutover.cli.watch_command import watch
from sim.errors import CutoverError, HarnessError, NumberFormatError, RoutingError, ScenarioError


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
)
@click.version_option(package_name="cutover", prog_name="cutover")
def cli() -> None:
    """Telephony number-porting cutover simulator with a SIP test harness."""


for _command in (validate, route, run, sweep, asterisk, verify, watch, serve):
    cli.add_command(_command)


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

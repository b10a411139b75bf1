"""``python -m cutover``: the command line."""

from cutover.cli.app import entry

entry()

"""The click group and its commands (simulation side, Asterisk, verify, serve) and options."""

from __future__ import annotations

from cutover.cli.app import cli, entry, main

__all__ = ["cli", "main", "entry"]

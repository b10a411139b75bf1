"""The ``cutover`` command line: the click group, the commands and the wiring, nothing else."""

from __future__ import annotations


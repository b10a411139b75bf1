"""How long the harness waits: each timeout stretched by how busy the machine is right now.

A timeout in the harness (an AMI response, a call's final answer, an agent starting) is a
figure for an idle machine. On a busy one everything (Asterisk, the agents, this process)
gets a share of the CPUs, and the same work takes longer in wall time without anything being
wrong. :func:`patience` multiplies a timeout by :func:`load_factor`: the tasks that want a CPU
per CPU (the kernel's run queue, ``/proc/loadavg``: the larger of the runnable tasks now and
the one-minute average), at least 1 and at most :data:`MAX_FACTOR`. A wait that still expires
then means something really did not answer.

>>> patience(10.0, factor=lambda: 1.0)
10.0
>>> patience(10.0, factor=lambda: 3.5)
35.0
>>> stretched(0.5, factor=lambda: 3.0)
(1.5, '0.5 s (waited 1.5 s: the machine is busy)')
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["patience", "stretched", "load_factor", "MAX_FACTOR"]

#: No timeout is stretched more than this many times.
MAX_FACTOR = 8.0
_LOADAVG = "/proc/loadavg"


def load_factor(path: str = _LOADAVG) -> float:
    """How many times longer than on an idle machine work may take now (1.0 to MAX_FACTOR).

    1.0 where the run queue cannot be read.
    """
    try:
        with open(path) as f:
            fields = f.read().split()
        one_minute = float(fields[0])
        runnable = int(fields[3].split("/")[0]) - 1  # the task reading it is one of them
    except (OSError, IndexError, ValueError):
        return 1.0
    cpus = os.cpu_count() or 1
    return min(MAX_FACTOR, max(1.0, max(one_minute, runnable) / cpus))


def patience(seconds: float, *, factor: Callable[[], float] | None = None) -> float:
    """``seconds`` stretched by ``factor()`` (default :func:`load_factor`, the load now)."""
    return seconds * (factor or load_factor)()


def stretched(seconds: float, *, factor: Callable[[], float] | None = None
              ) -> tuple[float, str]:
    """The stretched timeout, and words for an error message: ``"5.0 s"`` on an idle machine,
    ``"5.0 s (waited 12.5 s: the machine is busy)"`` on a busy one."""
    limit = patience(seconds, factor=factor)
    if limit <= seconds:
        return limit, f"{seconds:.1f} s"
    return limit, f"{seconds:.1f} s (waited {limit:.1f} s: the machine is busy)"

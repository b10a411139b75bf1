"""What watching costs the machine: CPU seconds of a process and of everything it started.

Read from ``/proc`` (Linux): a process's user and system time, and the same summed over its
descendants (the fleet's forkserver and worker processes are not waited for by the watcher,
so ``RUSAGE_CHILDREN`` would not count them while they run).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "tree_cpu_seconds", "rss_bytes", "tree_rss_bytes"]

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state on (comm may hold spaces)


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of ``pid`` (None: no such process)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else None


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds of ``pid`` (default: this process) and all its live descendants."""
    return sum(cpu_seconds(p) or 0.0 for p in _descendants(pid or os.getpid()))


def rss_bytes(pid: int) -> int | None:
    """Resident memory of ``pid`` in bytes (None: no such process)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def tree_rss_bytes(pid: int | None = None) -> int:
    """Resident memory of ``pid`` (default: this process) and all its live descendants."""
    return sum(rss_bytes(p) or 0 for p in _descendants(pid or os.getpid()))

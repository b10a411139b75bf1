"""What watching costs the machine: CPU seconds of a process and of everything it started.

Read from ``/proc`` (Linux): a process's user and system time, and the same summed over its
descendants (the fleet's forkserver and worker processes are not waited for by the watcher,
so ``RUSAGE_CHILDREN`` would not count them while they run), and their memory.

Files are read with ``open``, not :class:`pathlib.Path`: a ``Path`` interns every part of its
name, so a long run sampling ``/proc/<pid>/...`` of every process on the machine would keep
growing the interpreter's table of interned strings with pids.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["cpu_seconds", "tree_cpu_seconds", "rss_bytes", "tree_rss_bytes", "private_bytes",
           "ProcessInfo", "tree_processes"]

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _read(pid: int, name: str) -> bytes | None:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return None


def _stat(pid: int) -> list[str] | None:
    raw = _read(pid, "stat")
    if raw is None:
        return None
    text = raw.decode(errors="replace")
    return text.rsplit(")", 1)[1].split()  # fields from the state on (comm may hold spaces)


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of ``pid`` (None: no such process)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else None


def _descendants(pid: int, exclude: Collection[int] = ()) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in exclude:
            continue
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu_seconds(pid: int | None = None, *, exclude: Collection[int] = ()) -> float:
    """CPU seconds of ``pid`` (default: this process) and all its live descendants, but not
    of ``exclude`` and theirs (an Asterisk this process started is not the harness)."""
    return sum(cpu_seconds(p) or 0.0 for p in _descendants(pid or os.getpid(), exclude))


def rss_bytes(pid: int) -> int | None:
    """Resident memory of ``pid`` in bytes (None: no such process)."""
    raw = _read(pid, "statm")
    try:
        return int(raw.split()[1]) * _PAGE if raw is not None else None
    except (IndexError, ValueError):
        return None


def tree_rss_bytes(pid: int | None = None, *, exclude: Collection[int] = ()) -> int:
    """Resident memory of ``pid`` (default: this process) and all its live descendants, but
    not of ``exclude`` and theirs."""
    return sum(rss_bytes(p) or 0 for p in _descendants(pid or os.getpid(), exclude))


def private_bytes(pid: int) -> int | None:
    """Memory only ``pid`` maps (private clean + dirty pages, ``smaps_rollup``): unlike its
    RSS, not counting pages a forked process still shares with its parent. None: unreadable."""
    raw = _read(pid, "smaps_rollup")
    if raw is None:
        return None
    kb = [int(line.split()[1]) for line in raw.splitlines()
          if line.startswith((b"Private_Clean:", b"Private_Dirty:"))]
    return sum(kb) * 1024 if kb else None


@dataclass(frozen=True)
class ProcessInfo:
    """One process of a tree: its parent, command line, memory and threads right now."""

    pid: int
    ppid: int
    command: str
    rss: int
    private: int | None
    threads: int


def tree_processes(pid: int | None = None, *, exclude: Collection[int] = ()
                   ) -> list[ProcessInfo]:
    """``pid`` (default: this process) and its live descendants but ``exclude`` and theirs,
    parents before children."""
    out = []
    for p in _descendants(pid or os.getpid(), exclude):
        fields, raw = _stat(p), _read(p, "cmdline")
        if fields is None or raw is None:
            continue
        command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
        out.append(ProcessInfo(p, int(fields[1]), command, rss_bytes(p) or 0, private_bytes(p),
                               int(fields[17])))
    return out

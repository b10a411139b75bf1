"""What a process tree costs, read from /proc: CPU, memory, and a started Asterisk left out."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sip_harness.watch.cost import (
    cpu_seconds,
    private_bytes,
    rss_bytes,
    tree_cpu_seconds,
    tree_processes,
    tree_rss_bytes,
)

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    """A child process that waits on its stdin (bounded: killed after the test)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_the_tree_holds_this_process_then_its_child_with_its_command(
        child: subprocess.Popen[bytes]) -> None:
    tree = tree_processes()
    assert tree[0].pid == os.getpid()
    assert tree[0].threads >= 1 and tree[0].rss > 0
    mine = next(p for p in tree if p.pid == child.pid)
    assert mine.ppid == os.getpid()
    assert "sys.stdin.read()" in mine.command
    assert mine.private is not None and 0 < mine.private <= mine.rss


def test_an_excluded_process_is_left_out_of_every_figure(
        child: subprocess.Popen[bytes]) -> None:
    child_rss = rss_bytes(child.pid)
    assert child_rss is not None and child_rss > 0
    assert child.pid not in [p.pid for p in tree_processes(exclude=[child.pid])]
    # this process's own memory moves a little between readings; the child's is megabytes
    assert tree_rss_bytes() - tree_rss_bytes(exclude=[child.pid]) > child_rss // 2
    assert tree_cpu_seconds(exclude=[child.pid]) >= (cpu_seconds(os.getpid()) or 0.0) - 0.01


def test_a_process_that_is_gone_has_no_figures(child: subprocess.Popen[bytes]) -> None:
    child.kill()
    child.wait(timeout=10)
    assert rss_bytes(child.pid) is None
    assert cpu_seconds(child.pid) is None
    assert private_bytes(child.pid) is None

"""What a terminal gives a process started by a test that sends it Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

__all__ = ["ctrl_c_as_a_terminal_sends_it", "ctrl_c_once"]


def ctrl_c_as_a_terminal_sends_it() -> None:
    """Run in the child before exec (``preexec_fn``): SIGINT back to its default, so Python
    turns it into KeyboardInterrupt as it does under a terminal. A suite started in the
    background (``cmd &``, nohup) hands its children SIGINT ignored, and a Ctrl-C test would
    then see a run that never noticed it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ctrl_c_once(proc: subprocess.Popen[str], ready: Callable[[], bool], limit: float
                ) -> tuple[str, str]:
    """Send ``proc`` SIGINT as soon as ``ready()`` (polled), then wait for it to end; its
    stdout and stderr. Fails if it ended before; gives up (kills it) after ``limit`` seconds
    of each wait."""
    try:
        deadline = time.monotonic() + limit
        while proc.poll() is None and time.monotonic() < deadline and not ready():
            time.sleep(0.05)
        assert proc.poll() is None, "it ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        return proc.communicate(timeout=limit)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

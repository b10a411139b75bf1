"""What a terminal gives a process started by a test that sends it Ctrl-C."""

from __future__ import annotations

import signal

__all__ = ["ctrl_c_as_a_terminal_sends_it"]


def ctrl_c_as_a_terminal_sends_it() -> None:
    """Run in the child before exec (``preexec_fn``): SIGINT back to its default, so Python
    turns it into KeyboardInterrupt as it does under a terminal. A suite started in the
    background (``cmd &``, nohup) hands its children SIGINT ignored, and a Ctrl-C test would
    then see a run that never noticed it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

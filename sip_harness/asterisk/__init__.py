"""Run a real Asterisk 22 on loopback (cached rootfs, Docker or external) and move it live."""

from __future__ import annotations

from sip_harness.asterisk.live import Move, bring_up, move_to, status_document, view_at
from sip_harness.asterisk.runner import (
    AsteriskStatus,
    RunningAsterisk,
    StopReport,
    down,
    require_running,
    status,
    up,
)

__all__ = [
    "Move",
    "bring_up",
    "move_to",
    "status_document",
    "view_at",
    "AsteriskStatus",
    "RunningAsterisk",
    "StopReport",
    "down",
    "require_running",
    "status",
    "up",
]

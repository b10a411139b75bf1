"""Run a real Asterisk 22 on loopback (cached rootfs, Docker or external) and move it live."""

from __future__ import annotations


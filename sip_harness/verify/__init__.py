"""Verification with real calls: expectations from the routing core, checks, results and reports."""

from __future__ import annotations


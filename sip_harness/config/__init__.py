"""Routing state at an instant -> Asterisk config text and AstDB entries (pure: no files, no
Asterisk)."""

from __future__ import annotations


"""The live cutover-night watcher and the real-time replay driver."""

from __future__ import annotations

from sip_harness.watch.plan import Change, NumberPlan, Planned, Window, watch_plan

__all__ = ["watch_plan", "NumberPlan", "Planned", "Change", "Window"]

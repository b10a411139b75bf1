"""The SimPy cutover model: port orders through their lifecycle, desks, the cutover window, traffic.

``simulate`` plays a scenario to an instant; ``Replay`` keeps one run and gives the routing state
at every instant it reaches. ``PortState``, ``NumberStatus`` and ``EventKind`` name the states
and the events written to events.jsonl (each a ``StrEnum``: equal to its string value).
"""

from __future__ import annotations

from sim.model.lifecycle import EventKind, NumberStatus, PortState
from sim.model.replay import Replay
from sim.model.simulation import CutoverModel, SimulationResult, simulate

__all__ = ["simulate", "SimulationResult", "CutoverModel", "Replay", "PortState", "NumberStatus",
           "EventKind"]

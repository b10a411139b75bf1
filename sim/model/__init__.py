"""The SimPy cutover model: port orders through their lifecycle, desks, the cutover window, traffic.

``simulate`` plays a scenario to an instant; ``Replay`` keeps one run and gives the routing state
at every instant it reaches.
"""

from __future__ import annotations

from sim.model.replay import Replay
from sim.model.simulation import CutoverModel, SimulationResult, simulate

__all__ = ["simulate", "SimulationResult", "CutoverModel", "Replay"]

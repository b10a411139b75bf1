"""The SimPy cutover model: port orders through their lifecycle, desks, the cutover window,
traffic."""

from __future__ import annotations

from sim.model.simulation import CutoverModel, SimulationResult, simulate

__all__ = ["simulate", "SimulationResult", "CutoverModel"]

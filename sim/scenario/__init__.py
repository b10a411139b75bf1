"""Scenarios: the frozen types, and the staged loader that reports every error with its path."""

from __future__ import annotations

from sim.scenario.loader import load_scenario, scenario_from_text
from sim.scenario.types import (
    FAULT_KINDS,
    PROBABLE_PER,
    Carrier,
    Checkpoint,
    Contract,
    Customer,
    Dsl,
    Fault,
    GoldenNumber,
    Mailbox,
    NumberRange,
    Outage,
    PortOrder,
    Request,
    Scenario,
    Site,
    Suspension,
    Traffic,
)

__all__ = [
    "load_scenario",
    "scenario_from_text",
    "Carrier",
    "Outage",
    "NumberRange",
    "Mailbox",
    "Site",
    "GoldenNumber",
    "Contract",
    "Suspension",
    "Dsl",
    "Customer",
    "Request",
    "Fault",
    "PortOrder",
    "Traffic",
    "Checkpoint",
    "Scenario",
    "FAULT_KINDS",
    "PROBABLE_PER",
]

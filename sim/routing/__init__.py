"""The routing core: number plan (ranges -> range holder, longest prefix), porting database,
carrier graph, onward or direct routing, immutable versioned snapshots.

Pure: the standard library, numpy and networkx only (no SimPy, YAML, SIP).
"""

from __future__ import annotations

from sim.routing.core import PortChange, Route, RoutingCore, RoutingSnapshot, Scheme
from sim.routing.e164 import e164_to_int, int_to_e164, to_int
from sim.routing.number_plan import NumberPlan, PrefixMap
from sim.routing.porting_db import PortingDatabase, PortingHistory

__all__ = [
    "Scheme",
    "Route",
    "PortChange",
    "RoutingSnapshot",
    "RoutingCore",
    "e164_to_int",
    "int_to_e164",
    "to_int",
    "NumberPlan",
    "PrefixMap",
    "PortingDatabase",
    "PortingHistory",
]

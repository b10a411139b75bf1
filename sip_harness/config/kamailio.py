"""A scenario's carriers -> the carrier tables of the example Kamailio switch
(``examples/kamailio/carriers.cfg``): each routing number and each number range to a trunk.

>>> from pathlib import Path
>>> from sim.scenario import load_scenario
>>> uk = load_scenario(Path("scenarios/uk_gnp_weekend.yaml"))
>>> carriers_cfg(uk, trunk_addresses(uk)).splitlines()[3].strip()
'$sht(rn=>+44D001) = "127.0.6.11:5090";  # bt'
"""

from __future__ import annotations

__all__ = ["carriers_cfg", "trunk_addresses"]

from collections.abc import Mapping

from sim.scenario import Scenario


def trunk_addresses(scenario: Scenario, *, first: int = 11, port: int = 5090) -> dict[str, str]:
    """Carrier id -> ``host:port`` of its trunk: 127.0.6.11, .12, ... in scenario order."""
    return {c.id: f"127.0.6.{first + i}:{port}" for i, c in enumerate(scenario.carriers)}


def carriers_cfg(scenario: Scenario, trunks: Mapping[str, str]) -> str:
    """The ``event_route[htable:mod-init]`` that fills the switch's ``rn`` and ``holder``
    tables. Routing numbers are keyed in upper case without an rn-context (the switch
    upper-cases what it reads: hex digits compare case-blind)."""
    lines = [f"# Trunks of scenarios/{scenario.name}.yaml's carriers, by routing number and by",
             "# number range (sip_harness.config.kamailio writes it from the scenario).",
             "event_route[htable:mod-init] {"]
    for carrier in scenario.carriers:
        rn = carrier.routing_number.split(";", 1)[0].upper()
        lines.append(f'\t$sht(rn=>{rn}) = "{trunks[carrier.id]}";  # {carrier.id}')
    for number_range in scenario.ranges:
        lines.append(f'\t$sht(holder=>{number_range.prefix}) = '
                     f'"{trunks[number_range.holder]}";  # {number_range.holder}')
    lines.append("}")
    return "\n".join(lines) + "\n"

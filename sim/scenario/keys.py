"""The keys a scenario's YAML may have at each level, derived from the scenario's types.

Each kind of mapping the reader reads (``""`` is the top level) is read into a dataclass of
:mod:`sim.scenario.types`, and its keys are that dataclass's fields, except where the YAML
differs: a few fields are worked out rather than written, and a few are written in a nested
mapping (a carrier's ``desk``, a request's ``loa``). Those differences are listed here, and only
here; ``scenarios/reference.yaml`` documents every key (a test holds the two together).
"""

from __future__ import annotations

__all__ = ["KEYS"]

from dataclasses import fields

from sim.scenario.types import (
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

# kind of mapping -> the dataclass it is read into
_TYPES: dict[str, type] = {
    "": Scenario, "carrier": Carrier, "outage": Outage, "range": NumberRange,
    "customer": Customer, "mailbox": Mailbox, "order": PortOrder, "request": Request,
    "fault": Fault, "traffic": Traffic, "checkpoint": Checkpoint,
    "golden_number": GoldenNumber, "contract": Contract, "suspension": Suspension,
    "dsl": Dsl, "site": Site,
}
# fields the YAML does not give: the regime's country, the file read, an order's DDI flags (the
# order's numbers have a block; they are some, not all, of a customer's block)
_WORKED_OUT = {"": {"country", "source"}, "order": {"ddi", "part_of_ddi_range"}}
# kind -> key of a nested mapping -> (its kind, {its key: the field it fills})
_NESTED = {
    "carrier": {"desk": ("desk", {"capacity": "desk_capacity", "answer_hours": "answer_hours"})},
    "request": {"loa": ("loa", {"complete": "loa_complete", "signed": "loa_signed",
                                "signer": "signer"})},
}
# mappings read into no dataclass: a DDI block of numbers, expanded into the numbers
_OTHER = {"block": frozenset({"first", "count"})}


def _keys() -> dict[str, frozenset[str]]:
    out = dict(_OTHER)
    for kind, cls in _TYPES.items():
        names = {f.name for f in fields(cls)} - _WORKED_OUT.get(kind, set())
        for key, (inner, filled) in _NESTED.get(kind, {}).items():
            names = (names - set(filled.values())) | {key}
            out[inner] = frozenset(filled)
        out[kind] = frozenset(names)
    return out


#: Kind of mapping (``""``: the top level) -> the keys it may have.
KEYS: dict[str, frozenset[str]] = _keys()

"""AstDB over AMI: read whole families, and make them hold a target, all or nothing.

The one path by which cutover changes a running Asterisk's AstDB (``asterisk up``, ``apply``,
``verify``, also against an external Asterisk with ``verify --ami``). Each change is confirmed
by reading it back (:meth:`~sip_harness.ami.client.AMIClient.set_db`); if any change is
refused, the ones already made are undone, so a failed sync leaves AstDB as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sim.errors import AMIError
from sip_harness.ami.client import AMIClient

__all__ = ["Entries", "Sync", "read_families", "sync"]

#: (family, key) -> value
Entries = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Sync:
    """What :func:`sync` changed: the entries put and the keys deleted."""

    puts: Entries
    deletes: tuple[tuple[str, str], ...]


def read_families(ami: AMIClient, families: Iterable[str]) -> Entries:
    """Every entry of ``families`` as Asterisk holds it now (``database show FAMILY``)."""
    entries: Entries = {}
    for family in families:
        text = ami.command(f"database show {family}")
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            key = key.strip()
            if not sep or not key.startswith(f"/{family}/"):
                continue
            entries[(family, key[len(family) + 2:])] = value.strip()
    return entries


def sync(ami: AMIClient, families: Iterable[str], target: Mapping[tuple[str, str], str]) -> Sync:
    """Make ``families`` hold exactly ``target``: put what differs, delete what is extra.

    All or nothing: on the first refused change every change made is undone (best effort)
    and that AMIError is raised.
    """
    live = read_families(ami, families)
    puts = {k: v for k, v in target.items() if live.get(k) != v}
    deletes = tuple(k for k in live if k not in target)
    done: list[tuple[tuple[str, str], str | None]] = []
    try:
        for (family, key), value in sorted(puts.items()):
            ami.set_db(family, key, value)
            done.append(((family, key), live.get((family, key))))
        for family, key in deletes:
            ami.set_db(family, key, None)
            done.append(((family, key), live[(family, key)]))
    except AMIError:
        for (family, key), old in reversed(done):
            try:
                ami.set_db(family, key, old)
            except AMIError:
                pass  # the first refusal is the one worth reporting
        raise
    return Sync(puts, deletes)

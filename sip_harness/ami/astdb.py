"""AstDB over AMI: read whole families, and make them hold a target, all or nothing.

The one path by which cutover changes a running Asterisk's AstDB (``asterisk up``, ``apply``,
``verify``, also against an external Asterisk with ``verify --ami``). Only what differs from
what Asterisk holds is changed. The changes go out pipelined (:meth:`AMIClient.pipeline`: many
DBPut/DBDel in flight, matched by ActionID), not one round trip each: 20,100 entries took about
6 s one at a time. They are then confirmed by reading the families back (one ``database show``
each, not a DBGet per entry); if any change was refused or does not read back, every entry
that differs from before is put back (best effort) and the AMIError is raised, so a failed sync
leaves AstDB as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sim.errors import AMIError
from sip_harness.ami.client import PIPELINE_WINDOW, Action, AMIClient

__all__ = ["Entries", "Sync", "read_families", "sync", "write"]

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


def write(ami: AMIClient, changes: Mapping[tuple[str, str], str | None], *,
          window: int = PIPELINE_WINDOW) -> dict[tuple[str, str], AMIError]:
    """Put each ``(family, key) -> value`` (None: delete it), pipelined; returns the changes
    Asterisk refused, with its words. Nothing is read back here."""
    actions: list[Action] = [
        ("DBDel", {"Family": f, "Key": k}, f"{f}/{k}") if value is None else
        ("DBPut", {"Family": f, "Key": k, "Val": value}, f"{f}/{k}")
        for (f, k), value in changes.items()]
    answers = ami.pipeline(actions, window=window)
    return {key: answer for key, answer in zip(changes, answers, strict=True)
            if isinstance(answer, AMIError)}


def sync(ami: AMIClient, families: Iterable[str], target: Mapping[tuple[str, str], str], *,
         window: int = PIPELINE_WINDOW) -> Sync:
    """Make ``families`` hold exactly ``target``: put what differs, delete what is extra.

    All or nothing: when a change is refused or does not read back, every entry that then
    differs from before is put back (best effort) and an AMIError naming the first such change
    is raised (Asterisk's refusal if it gave one).
    """
    families = tuple(families)
    live = read_families(ami, families)
    puts = {k: v for k, v in sorted(target.items()) if live.get(k) != v}
    deletes = tuple(k for k in live if k not in target)
    changes: dict[tuple[str, str], str | None] = {**puts, **dict.fromkeys(deletes)}
    if not changes:
        return Sync(puts, deletes)
    refused = write(ami, changes, window=window)
    seen = read_families(ami, families)
    wrong = [k for k, value in changes.items() if seen.get(k) != value]
    if not wrong:  # a DBDel refused for a key already gone is no failure
        return Sync(puts, deletes)
    undo = {k: live.get(k) for k in changes if seen.get(k) != live.get(k)}
    try:
        write(ami, undo, window=window)
    except AMIError:
        pass  # the first failure is the one worth reporting
    first = wrong[0]
    if first in refused:
        raise refused[first]
    wanted = "absent" if changes[first] is None else repr(changes[first])
    raise AMIError(f"AMI read-back of {first[0]}/{first[1]} gave {seen.get(first)!r}, "
                   f"expected {wanted}")

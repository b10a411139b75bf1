"""The routing core: number plan, porting database and carrier graph behind immutable snapshots.

Example
-------
>>> core = RoutingCore(["bt", "callagenix", "vodafone"],
...                    [("vodafone", "bt"), ("bt", "callagenix"), ("vodafone", "callagenix")],
...                    [("+44163296", "bt")])
>>> _ = core.apply([PortChange(441632960001, "callagenix")])
>>> core.route("+441632960001", origin="vodafone").path
('vodafone', 'bt', 'callagenix')
"""

from __future__ import annotations

__all__ = [
    "Scheme",
    "Route",
    "PortChange",
    "RoutingSnapshot",
    "RoutingCore",
    "e164_to_int",
    "int_to_e164",
]

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import networkx as nx
import numpy as np

from sim.errors import (
    ConflictingUpdateError,
    NoRouteError,
    NumberFormatError,
    RoutingError,
    UnknownNumberError,
)
from sim.routing.e164 import digit_count as _digits
from sim.routing.e164 import e164_to_int, first_non_e164, int_to_e164, is_e164
from sim.routing.e164 import to_int as _to_int
from sim.routing.number_plan import NumberPlan
from sim.routing.porting_db import (
    PortingDatabase,
    PortingHistory,
    carrier_salts,
    entry_hashes,
    hash_sum,
)
from sim.routing.serving_carrier import make_serving_carrier

_M64 = (1 << 64) - 1
_RANGE_TAG = np.uint64(0x5A17_C0DE_0000_0001)  # keeps range entries apart from number entries
_MAX_CARRIERS = 4094  # carrier indices (and plan codes) fit the tables' 13-bit values

_FEW = 8  # an apply of at most this many changes takes the path without numpy


class Scheme(StrEnum):
    """How a call reaches a ported number."""

    ONWARD = "onward"  # via the range holder, which forwards it (tromboning)
    DIRECT = "direct"  # all-call query: straight to the serving carrier


@dataclass(frozen=True, slots=True)
class Route:
    """Where a call to ``number`` ends and which carriers it passes, origin first."""

    number: str
    carrier: str
    range_holder: str
    path: tuple[str, ...]
    ported: bool
    reason: str
    version: int


@dataclass(frozen=True, slots=True)
class PortChange:
    """One number's serving carrier changes; the range holder's id means "back home"."""

    number: int
    carrier: str
    at: float | None = None
    note: str = ""


class _Paths:
    """Shortest interconnect paths between carriers, computed once per pair."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def __call__(self, a: str, b: str) -> tuple[str, ...]:
        path = self._cache.get((a, b))
        if path is None:
            try:
                path = tuple(nx.shortest_path(self.graph, a, b))
            except nx.NetworkXNoPath:
                raise NoRouteError(f"no interconnect path from {a} to {b}") from None
            self._cache[(a, b)] = path
        return path


class RoutingSnapshot:
    """One immutable state of the routing core; readers holding it never see later updates."""

    __slots__ = ("version", "content_hash", "carrier_ids", "scheme", "serving_carrier",
                 "_plan", "_db", "_index", "_paths", "_history")

    version: int
    content_hash: int
    carrier_ids: tuple[str, ...]
    scheme: Scheme
    serving_carrier: Callable[[str | int], str]
    _plan: NumberPlan
    _db: PortingDatabase
    _index: dict[str, int]
    _paths: _Paths
    _history: PortingHistory

    def __init__(self, version: int, content_hash: int, plan: NumberPlan, db: PortingDatabase,
                 carrier_ids: tuple[str, ...], index: dict[str, int], paths: _Paths,
                 scheme: Scheme, history: PortingHistory) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "version", version)
        setattr_(self, "content_hash", content_hash)
        setattr_(self, "carrier_ids", carrier_ids)
        setattr_(self, "scheme", scheme)
        setattr_(self, "_plan", plan)
        setattr_(self, "_db", db)
        setattr_(self, "_index", index)
        setattr_(self, "_paths", paths)
        setattr_(self, "_history", history)
        # An instance attribute, not a method: the hot path is one closure call.
        setattr_(self, "serving_carrier", make_serving_carrier(plan, db, carrier_ids))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RoutingSnapshot is immutable (cannot set {name})")

    def __repr__(self) -> str:
        return (f"RoutingSnapshot(version={self.version}, content_hash={self.content_hash:#018x},"
                f" ported={self.ported_count}, ranges={len(self._plan)})")

    @property
    def ported_count(self) -> int:
        """How many numbers are served by a carrier other than their range holder."""
        return self._db.count

    def _holder_and_serving(self, number: str | int) -> tuple[int, int, int]:
        n = _to_int(number)
        h = self._plan.holder_index(n, _digits(n))
        if h < 0:
            raise UnknownNumberError(int_to_e164(n))
        s = self._db.get(n)
        return n, h, s

    def range_holder(self, number: str | int) -> str:
        """The carrier holding the range ``number`` is in. Raises UnknownNumberError."""
        return self.carrier_ids[self._holder_and_serving(number)[1]]

    def is_ported(self, number: str | int) -> bool:
        """Whether ``number`` is served by a carrier other than its range holder."""
        return self._holder_and_serving(number)[2] >= 0

    def lookup_batch(self, numbers: np.ndarray) -> np.ndarray:
        """Serving carrier index (into ``carrier_ids``) of each number; -1 if unallocated.

        ``numbers`` is an int64 array of E.164 digits; the result is int16, same shape.
        """
        n = np.ascontiguousarray(numbers, dtype=np.int64)
        holders = self._plan.holder_batch(n.ravel())
        return self._db.ported_batch(n.ravel(), holders).reshape(n.shape)

    def route(self, number: str | int, origin: str | None = None) -> Route:
        """The route of a call from ``origin`` (default: the serving carrier) to ``number``.

        Raises
        ------
        UnknownNumberError
            No range holds the number.
        RoutingError
            ``origin`` is not a known carrier.
        NoRouteError
            The interconnects do not join the carriers on the way.
        """
        n, h, s = self._holder_and_serving(number)
        ported = s >= 0
        if not ported:
            s = h
        ids = self.carrier_ids
        serving, holder = ids[s], ids[h]
        if origin is None:
            origin = serving
        elif origin not in self._index:
            raise RoutingError(f"unknown origin carrier {origin!r}")
        if origin == serving:
            path: tuple[str, ...] = (serving,)
            how = f"originates on the serving carrier {serving}"
        elif self.scheme is Scheme.ONWARD and ported:
            path = self._paths(origin, holder) + self._paths(holder, serving)[1:]
            how = f"onward-routed via range holder {holder}"
        else:
            path = self._paths(origin, serving)
            how = ("routed direct (all-call query)" if ported
                   else f"routed to range holder {holder}")
        if ported:
            what = f"ported from {holder} to {serving}"
            rows = self._history.rows(n, upto_version=self.version)
            if rows and rows[-1][0] == s:
                _, at, _, version = rows[-1]
                when = "" if at is None else " at " + datetime.fromtimestamp(at, UTC).strftime(
                    "%Y-%m-%dT%H:%MZ")
                what += f"{when} (version {version})"
        else:
            what = f"not ported; range holder {holder} serves it"
        return Route(int_to_e164(n), serving, holder, path, ported, f"{what}; {how}",
                     self.version)


class RoutingCore:
    """Number plan, porting database and carrier graph; publishes immutable snapshots.

    Raises
    ------
    RoutingError
        An unknown carrier id in the interconnects, ranges or ported numbers; a prefix
        given twice; a ported number listed twice.
    UnknownNumberError
        A ported number lies in no range.
    """

    compact_at = 65536  # fold the overlay into the base once it holds this many numbers

    def __init__(self, carriers: Iterable[str], interconnects: Iterable[tuple[str, str]],
                 ranges: Iterable[tuple[str, str]], *, scheme: Scheme | str = "onward",
                 ported: Iterable[tuple[int | str, str]] = ()) -> None:
        self.carrier_ids: tuple[str, ...] = tuple(carriers)
        if len(set(self.carrier_ids)) != len(self.carrier_ids):
            raise RoutingError("a carrier id is given more than once")
        if len(self.carrier_ids) > _MAX_CARRIERS:
            raise RoutingError(f"at most {_MAX_CARRIERS} carriers are supported")
        self._index = {c: i for i, c in enumerate(self.carrier_ids)}
        try:
            self.scheme = Scheme(scheme)
        except ValueError:
            raise RoutingError(f"unknown routing scheme {scheme!r}") from None
        graph = nx.DiGraph()
        graph.add_nodes_from(self.carrier_ids)
        for a, b in interconnects:
            for c in (a, b):
                if c not in self._index:
                    raise RoutingError(f"interconnect {a}-{b}: unknown carrier {c!r}")
            graph.add_edge(a, b)
            graph.add_edge(b, a)
        self.graph: nx.DiGraph = nx.freeze(graph)
        self._paths = _Paths(self.graph)
        self._plan = NumberPlan(ranges, self._index)
        self._salts = carrier_salts(self.carrier_ids)
        prefixes, lengths, holders = self._plan.content_items()
        self._ranges_hash = hash_sum(entry_hashes(
            (prefixes << 4) | lengths.astype(np.int64), self._salts[holders] ^ _RANGE_TAG))
        self._history = PortingHistory()
        self._lock = threading.Lock()
        numbers, carriers_ix = self._ported_arrays(ported)
        db = PortingDatabase.build(numbers, carriers_ix, self._salts)
        self._publish(self._snapshot_of(0, db))

    def _ported_arrays(self, ported: Iterable[tuple[int | str, str]]
                       ) -> tuple[np.ndarray, np.ndarray]:
        pairs = list(ported)
        if not pairs:
            return np.empty(0, np.int64), np.empty(0, np.int16)
        nums, cars = zip(*pairs, strict=True)
        try:
            numbers = np.array(nums, dtype=np.int64)
        except (TypeError, ValueError, OverflowError):
            numbers = np.array([_to_int(x) for x in nums], dtype=np.int64)
        if (bad := first_non_e164(numbers)) >= 0:
            raise NumberFormatError(f"{nums[bad]!r} is not an E.164 number")
        index = self._index
        try:
            carriers_ix = np.array([index[c] for c in cars], dtype=np.int16)
        except KeyError as exc:
            raise RoutingError(f"ported number: unknown carrier {exc.args[0]!r}") from None
        order = np.sort(numbers)
        dup = order[1:] == order[:-1]
        if dup.any():
            raise RoutingError(f"ported number +{order[1:][dup][0]} is listed more than once")
        holders = self._plan.holder_batch(numbers)
        if (holders < 0).any():
            raise UnknownNumberError(int_to_e164(int(numbers[int(np.argmax(holders < 0))])))
        keep = carriers_ix != holders
        return numbers[keep], carriers_ix[keep]

    @classmethod
    def from_arrays(cls, carriers: Iterable[str], interconnects: Iterable[tuple[str, str]],
                    ranges: Iterable[tuple[str, str]], *, numbers: np.ndarray,
                    serving: np.ndarray, scheme: Scheme | str = "onward") -> RoutingCore:
        """A core whose ported numbers come as arrays: the bulk load for millions of them.

        ``numbers`` holds E.164 digits (int64), ``serving`` each one's carrier as an index
        into ``carriers``. Same content and checks as the constructor's ``ported`` pairs,
        without a Python object per number.

        Raises
        ------
        RoutingError
            As the constructor; also arrays of different lengths or a carrier index out of
            range.
        NumberFormatError
            A number is not 1-15 digits.
        UnknownNumberError
            A number lies in no range.
        """
        core = cls(carriers, interconnects, ranges, scheme=scheme)
        nums = np.ascontiguousarray(numbers, dtype=np.int64).ravel()
        cars = np.asarray(serving).ravel()
        if nums.shape != cars.shape:
            raise RoutingError(f"{len(nums)} ported numbers but {len(cars)} serving carriers")
        if not nums.size:
            return core
        if (bad := first_non_e164(nums)) >= 0:
            raise NumberFormatError(f"{int(nums[bad])!r} is not an E.164 number")
        wrong = (cars < 0) | (cars >= len(core.carrier_ids))
        if wrong.any():
            raise RoutingError(f"ported number: carrier index {int(cars[int(np.argmax(wrong))])} "
                               f"is not one of the {len(core.carrier_ids)} carriers")
        cars = cars.astype(np.int16)
        order = np.sort(nums)
        dup = order[1:] == order[:-1]
        if dup.any():
            raise RoutingError(f"ported number +{order[1:][dup][0]} is listed more than once")
        del order, dup
        holders = core._plan.holder_batch(nums)
        if (holders < 0).any():
            raise UnknownNumberError(int_to_e164(int(nums[int(np.argmax(holders < 0))])))
        keep = cars != holders
        if not keep.all():
            nums, cars = nums[keep], cars[keep]
        del holders, keep
        core._publish(core._snapshot_of(0, PortingDatabase.build(nums, cars, core._salts)))
        return core

    def _publish(self, snap: RoutingSnapshot) -> None:
        self._snapshot = snap  # the one reference swap that publishes
        # Shadow the delegating method with the snapshot's closure: the hot path then costs
        # one call. A reader sees either the old snapshot's lookup or the new one's.
        self.__dict__["serving_carrier"] = snap.serving_carrier

    def _snapshot_of(self, version: int, db: PortingDatabase) -> RoutingSnapshot:
        return RoutingSnapshot(version, (self._ranges_hash + db.hash) & _M64, self._plan, db,
                               self.carrier_ids, self._index, self._paths, self.scheme,
                               self._history)

    @property
    def snapshot(self) -> RoutingSnapshot:
        """The current snapshot (replaced as a whole by ``apply`` and ``rebuild``)."""
        return self._snapshot

    @property
    def version(self) -> int:
        """Version of the current snapshot."""
        return self._snapshot.version

    def route(self, number: str | int, origin: str | None = None) -> Route:
        """``RoutingSnapshot.route`` on the current snapshot."""
        return self._snapshot.route(number, origin)

    def serving_carrier(self, number: str | int) -> str:
        """``RoutingSnapshot.serving_carrier`` on the current snapshot (the fast lookup).

        Each publication replaces this method on the instance by the snapshot's own lookup.
        """
        return self._snapshot.serving_carrier(number)

    def range_holder(self, number: str | int) -> str:
        """``RoutingSnapshot.range_holder`` on the current snapshot."""
        return self._snapshot.range_holder(number)

    def is_ported(self, number: str | int) -> bool:
        """``RoutingSnapshot.is_ported`` on the current snapshot."""
        return self._snapshot.is_ported(number)

    @property
    def ported_count(self) -> int:
        """``RoutingSnapshot.ported_count`` of the current snapshot."""
        return self._snapshot.ported_count

    def lookup_batch(self, numbers: np.ndarray) -> np.ndarray:
        """``RoutingSnapshot.lookup_batch`` on the current snapshot."""
        return self._snapshot.lookup_batch(numbers)

    def apply(self, changes: Sequence[PortChange], *, base_version: int | None = None
              ) -> RoutingSnapshot:
        """Publish a new snapshot with every change applied, in order; all or nothing.

        Raises
        ------
        ConflictingUpdateError
            ``base_version`` is given and is not the current version.
        RoutingError
            A change names an unknown carrier.
        UnknownNumberError
            A change's number lies in no range.
        NumberFormatError
            A change's number is malformed.
        """
        with self._lock:
            snap = self._snapshot
            if base_version is not None and base_version != snap.version:
                raise ConflictingUpdateError(
                    f"update built on version {base_version}, current is {snap.version}")
            index = self._index
            nums: list[int] = []
            cars: list[int] = []
            unknown: set[str] = set()
            for c in changes:
                n = c.number
                nums.append(n if n.__class__ is int else _to_int(n))
                ci = index.get(c.carrier)
                if ci is None:
                    unknown.add(repr(c.carrier))
                    ci = 0
                cars.append(ci)
            if unknown:
                raise RoutingError(f"port change to unknown carrier {', '.join(sorted(unknown))}")
            if len(nums) <= _FEW:
                db = self._with_few(snap._db, nums, cars)
                carriers: Sequence[int] | np.ndarray = cars
            else:
                numbers = np.array(nums, dtype=np.int64)
                if (bad := first_non_e164(numbers)) >= 0:
                    raise NumberFormatError(f"{nums[bad]!r} is not an E.164 number")
                carriers = np.array(cars, dtype=np.int16)
                holders = self._plan.holder_batch(numbers)
                if (holders < 0).any():
                    raise UnknownNumberError(int_to_e164(nums[int(np.argmax(holders < 0))]))
                # The last change to a number wins; earlier ones only enter the history.
                _, first_from_end = np.unique(numbers[::-1], return_index=True)
                last = len(numbers) - 1 - first_from_end
                db = snap._db.with_changes(numbers[last], carriers[last], holders[last])
            if len(db.overlay) > self.compact_at:
                db = db.compacted()
            version = snap.version + 1
            self._history.append(version, nums, carriers, [c.at for c in changes],
                                 [c.note for c in changes])
            new = self._snapshot_of(version, db)
            self._publish(new)
            return new

    def _with_few(self, db: PortingDatabase, nums: list[int], cars: list[int]
                  ) -> PortingDatabase:
        """``apply``'s checks and database for a few changes, without numpy (same results)."""
        for n in nums:
            if not is_e164(n):
                raise NumberFormatError(f"{n!r} is not an E.164 number")
        holder_index = self._plan.holder_index
        holders = [holder_index(n, _digits(n)) for n in nums]
        for n, h in zip(nums, holders, strict=True):
            if h < 0:
                raise UnknownNumberError(int_to_e164(n))
        # The last change to a number wins; earlier ones only enter the history.
        last = {n: i for i, n in enumerate(nums)}
        order = [last[n] for n in sorted(last)]
        return db.with_few_changes([nums[i] for i in order], [cars[i] for i in order],
                                   [holders[i] for i in order])

    def history(self, number: str | int) -> list[PortChange]:
        """Every change applied to ``number``, oldest first (initial porting not included)."""
        n = _to_int(number)
        ids = self.carrier_ids
        return [PortChange(n, ids[c], at, note) for c, at, note, _ in self._history.rows(n)]

    def rebuild(self) -> None:
        """Rebuild every lookup structure, folding the overlay into the base arrays.

        Content, content hash and version are kept; held snapshots are unaffected.
        """
        with self._lock:
            snap = self._snapshot
            self._plan = self._plan.rebuilt()
            self._publish(self._snapshot_of(snap.version, snap._db.compacted()))

"""The porting database: which carrier serves each ported number, and the history of changes."""

from __future__ import annotations

__all__ = ["PortingDatabase", "PortingHistory", "OverlayRecord", "overlay_record_at",
           "entry_hashes", "entry_hash", "carrier_salts", "NOT_PORTED"]

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.routing.number_table import NumberTable

NOT_PORTED = -1  # overlay value: the number is back with its range holder
_ABSENT = np.iinfo(np.int16).min
# At most this full (a power of two above it): short probes, most misses end at the home slot.
BASE_LOAD = 0.35
_M64 = (1 << 64) - 1


def carrier_salts(carrier_ids: Sequence[str]) -> np.ndarray:
    """A stable 64-bit salt per carrier id (blake2b, so equal across processes)."""
    return np.array(
        [int.from_bytes(hashlib.blake2b(c.encode(), digest_size=8).digest(), "little")
         for c in carrier_ids],
        dtype=np.uint64,
    )


def entry_hashes(keys: np.ndarray, salts: np.ndarray) -> np.ndarray:
    """splitmix64 of key ^ salt, element-wise: one 64-bit hash per (key, carrier) entry."""
    z = np.asarray(keys, dtype=np.int64).view(np.uint64) ^ salts
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def entry_hash(key: int, salt: int) -> int:
    """:func:`entry_hashes` of one entry, in Python integers (the same value)."""
    z = (((key & _M64) ^ salt) + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def hash_sum(hashes: np.ndarray) -> int:
    """Sum of 64-bit hashes mod 2**64 (order-free, so entries can be added and removed)."""
    return int(hashes.sum(dtype=np.uint64)) if hashes.size else 0


#: One change to a number in an overlay: (generation, carrier index or NOT_PORTED, the record
#: it replaced or None). A number's newest record heads a chain back to its oldest.
OverlayRecord = tuple[int, int, "OverlayRecord | None"]


class _OverlayLine:
    """The changes made since a base was built, shared by a line of databases.

    Each ``with_changes`` adds one generation of records in place, so applying a batch costs
    the batch, not the overlay. A database reads only the records of its own generation or
    older, so it never sees a later change: every database stays immutable to its readers.
    """

    __slots__ = ("records", "head")

    def __init__(self) -> None:
        self.records: dict[int, OverlayRecord] = {}
        self.head = 0  # the newest generation written


def overlay_record_at(record: OverlayRecord | None, gen: int) -> OverlayRecord | None:
    """The record in ``record``'s chain that a database of generation ``gen`` sees, if any.

    Later generations are skipped: they belong to databases built after that one.
    """
    while record is not None and record[0] > gen:
        record = record[2]
    return record


class PortingDatabase:
    """An immutable map number -> serving carrier index, holding only ported numbers.

    A compact base table plus an overlay of the numbers changed since the base was built:
    a record in the overlay (``NOT_PORTED`` hides a base entry) wins over the base. The
    overlay's records are shared along a line of databases and told apart by generation
    (see :class:`_OverlayLine`); the overlay's table for batch lookups is built on first use.
    ``with_changes`` returns a new database and leaves this one as it was.
    """

    __slots__ = ("base", "overlay", "gen", "count", "hash", "salts", "_line", "_table",
                 "_table_built")

    def __init__(self, base: NumberTable, line: _OverlayLine, gen: int, count: int, hash_: int,
                 salts: np.ndarray) -> None:
        self.base = base
        self._line = line
        self.overlay = line.records  # read-only here: only the line's head database writes
        self.gen = gen
        self.count = count
        self.hash = hash_
        self.salts = salts
        self._table: NumberTable | None = None
        self._table_built = False

    @classmethod
    def build(cls, numbers: np.ndarray, carriers: np.ndarray, salts: np.ndarray
              ) -> PortingDatabase:
        """A database with no overlay from unique ``numbers`` and their carrier indices."""
        numbers = np.ascontiguousarray(numbers, dtype=np.int64)
        carriers = np.ascontiguousarray(carriers, dtype=np.int16)
        base = NumberTable(numbers, carriers, load=BASE_LOAD)
        return cls(base, _OverlayLine(), 0, len(numbers),
                   hash_sum(entry_hashes(numbers, salts[carriers])), salts)

    def _overlay_items(self) -> tuple[list[int], list[int]]:
        """(numbers, values) of the overlay as this database sees it."""
        gen = self.gen
        numbers, values = [], []
        for n, record in list(self.overlay.items()):
            seen = overlay_record_at(record, gen)
            if seen is not None:
                numbers.append(n)
                values.append(seen[1])
        return numbers, values

    @property
    def overlay_table(self) -> NumberTable | None:
        """The overlay as a table for batch lookups (None when empty), built once."""
        if not self._table_built and self.overlay:
            numbers, values = self._overlay_items()
            if numbers:
                self._table = NumberTable(np.array(numbers, dtype=np.int64),
                                          np.array(values, dtype=np.int16))
            self._table_built = True
        return self._table

    def ported_batch(self, numbers: np.ndarray, default: int | np.ndarray = NOT_PORTED
                     ) -> np.ndarray:
        """Serving carrier index (int16) per number; ``default`` where it is not ported.

        ``default`` may be an array (e.g. the numbers' range holders).
        """
        table = self.overlay_table
        if table is None:
            return self.base.get_batch(numbers, default)
        out = self.base.get_batch(numbers, _ABSENT)
        out = table.get_batch(numbers, out)
        return np.where((out == _ABSENT) | (out == NOT_PORTED), default, out).astype(np.int16)

    def get(self, number: int) -> int:
        """Serving carrier index of one number, or -1 when it is not ported."""
        if self.overlay:
            seen = overlay_record_at(self.overlay.get(number), self.gen)
            if seen is not None:
                return seen[1]
        got = self.base.get(number, NOT_PORTED)
        return NOT_PORTED if got is None else got

    def _current(self, numbers: np.ndarray, listed: list[int]) -> np.ndarray:
        """Serving carrier index (or NOT_PORTED) of each number, as this database sees it."""
        out = self.base.get_batch(numbers, NOT_PORTED)
        records, gen = self.overlay, self.gen
        if records:
            for i, n in enumerate(listed):
                seen = overlay_record_at(records.get(n), gen)
                if seen is not None:
                    out[i] = seen[1]
        return out

    def with_changes(self, numbers: np.ndarray, carriers: np.ndarray, holders: np.ndarray
                     ) -> PortingDatabase:
        """A new database where each of the unique ``numbers`` is served by ``carriers``.

        ``holders`` are the numbers' range holders: a number given back to its holder is
        no longer ported. Costs the batch, not the overlay (the line's head database adds
        its records in place). Not safe to call concurrently on one line; the routing core
        serialises its applies.
        """
        listed = numbers.tolist()
        old = self._current(numbers, listed)
        new = np.where(carriers == holders, NOT_PORTED, carriers).astype(np.int16)
        was, now = old >= 0, new >= 0
        delta = (hash_sum(entry_hashes(numbers[now], self.salts[new[now]]))
                 - hash_sum(entry_hashes(numbers[was], self.salts[old[was]])))
        count = self.count + int(now.sum()) - int(was.sum())
        return self._extended(listed, new.tolist(), delta, count)

    def with_few_changes(self, numbers: Sequence[int], carriers: Sequence[int],
                         holders: Sequence[int]) -> PortingDatabase:
        """:meth:`with_changes` for a handful of numbers, in Python integers: the same
        database, without the fixed cost of numpy calls (a live feed applies one change at a
        time)."""
        get, salts = self.get, self.salts
        new = [NOT_PORTED if c == h else c for c, h in zip(carriers, holders, strict=True)]
        delta = count = 0
        for n, v in zip(numbers, new, strict=True):
            was = get(n)
            if v >= 0:
                delta += entry_hash(n, int(salts[v]))
                count += 1
            if was >= 0:
                delta -= entry_hash(n, int(salts[was]))
                count -= 1
        return self._extended(list(numbers), new, delta, self.count + count)

    def _extended(self, numbers: list[int], values: list[int], delta: int, count: int
                  ) -> PortingDatabase:
        """This database plus one generation of overlay records (numbers unique)."""
        line = self._line
        if self.gen != line.head:
            line = self._branch()  # a later database exists: start a line of our own
        line.head += 1
        gen, records = line.head, line.records
        for n, v in zip(numbers, values, strict=True):
            records[n] = (gen, v, records.get(n))
        return PortingDatabase(self.base, line, gen, count, (self.hash + delta) & _M64,
                               self.salts)

    def _branch(self) -> _OverlayLine:
        """A new line holding this database's overlay as its generation 0."""
        line = _OverlayLine()
        numbers, values = self._overlay_items()
        line.records.update((n, (0, v, None)) for n, v in zip(numbers, values, strict=True))
        return line

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """(numbers, carrier indices) of every ported number, unordered."""
        keys, vals = self.base.items()
        table = self.overlay_table
        if table is None:
            return keys, vals
        hidden = table.get_batch(keys, _ABSENT) != _ABSENT
        ok, ov = table.items()
        keep = ov != NOT_PORTED
        return (np.concatenate([keys[~hidden], ok[keep]]),
                np.concatenate([vals[~hidden], ov[keep]]))

    def compacted(self) -> PortingDatabase:
        """The same content with the overlay folded into a freshly built base."""
        keys, vals = self.items()
        base = NumberTable(keys, vals, load=BASE_LOAD)
        return PortingDatabase(base, _OverlayLine(), 0, len(keys), self.hash, self.salts)

    @property
    def nbytes(self) -> int:
        """Bytes held by the tables (the overlay's records and an unbuilt table not counted)."""
        extra = self._table.nbytes if self._table is not None else 0
        return self.base.nbytes + extra


@dataclass(frozen=True, slots=True)
class _Batch:
    """The rows one apply added: columns, plus each row's previous row for the same number."""

    start: int
    version: int
    numbers: np.ndarray
    carriers: np.ndarray
    at: np.ndarray
    notes: tuple[str, ...]
    prev: np.ndarray


class PortingHistory:
    """Append-only log of applied changes, in columns, with a per-number chain of rows."""

    def __init__(self) -> None:
        self._batches: list[_Batch] = []
        self._starts: list[int] = []
        self._last: dict[int, int] = {}
        self._rows = 0

    def append(self, version: int, numbers: list[int], carriers: Sequence[int] | np.ndarray,
               at: list[float | None], notes: list[str]) -> None:
        """Record one apply's changes (in order) under ``version``."""
        last = self._last
        start = self._rows
        prev = np.empty(len(numbers), dtype=np.int64)
        for i, n in enumerate(numbers):
            prev[i] = last.get(n, -1)
            last[n] = start + i
        ats = np.array([np.nan if a is None else a for a in at], dtype=np.float64)
        batch = _Batch(start, version, np.array(numbers, dtype=np.int64),
                       np.asarray(carriers, dtype=np.int16), ats, tuple(notes), prev)
        self._batches.append(batch)
        self._starts.append(start)
        self._rows = start + len(numbers)

    def rows(self, number: int, upto_version: int | None = None
             ) -> list[tuple[int, float | None, str, int]]:
        """(carrier index, at, note, version) of each change to ``number``, oldest first."""
        out: list[tuple[int, float | None, str, int]] = []
        row = self._last.get(number, -1)
        while row >= 0:
            b = self._batches[bisect.bisect_right(self._starts, row) - 1]
            i = row - b.start
            if upto_version is None or b.version <= upto_version:
                at = float(b.at[i])
                out.append((int(b.carriers[i]), None if at != at else at, b.notes[i], b.version))
            row = int(b.prev[i])
        out.reverse()
        return out

    def __len__(self) -> int:
        return self._rows

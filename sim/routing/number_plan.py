"""The number plan: E.164 prefix ranges and their range holders, with longest-prefix match.

The project's one longest-prefix match: the routing core's plan, its single-lookup hot path
(which calls the plan's own probe, :attr:`NumberPlan.holder_index`), and :class:`PrefixMap`
for anything else keyed by digit prefixes (a scenario's ranges as it is read, a national
plan's number types).
"""

from __future__ import annotations

__all__ = ["NumberPlan", "PrefixMap"]

import array
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

import numpy as np

from sim.errors import NumberFormatError, RoutingError
from sim.routing.e164 import E164_END, MAX_DIGITS, POW10
from sim.routing.number_table import NumberTable

_MISSING = np.iinfo(np.int16).min  # probe: no entry for this prefix
_V = TypeVar("_V", bound=Hashable)


class NumberPlan:
    """Ranges by E.164 prefix, each held by one carrier (an index into the carrier list).

    ``holder_index(n, digits)`` is the single-number probe: the index of the range holder of
    ``n`` (``digits`` long), or -1 if no range holds it. Lookups start at the shortest prefix
    length ``lmin``. Every ``lmin``-digit block that a
    range touches has one entry: the holder index (>= 0) when nothing longer lies beneath it,
    or ``-2 - fallback`` (<= -1) telling the lookup to try the longer prefixes, longest
    first, and to fall back to ``fallback`` (the block's own holder, or -1). By volume most
    numbers sit in short ranges, so most lookups are one dict probe.

    Raises
    ------
    NumberFormatError
        A prefix is not ``+`` and digits.
    RoutingError
        Two ranges share a prefix, or a holder is not a known carrier.
    """

    __slots__ = ("prefixes", "lengths", "holders", "lmin", "entries", "table",
                 "block_divs", "descend_divs", "holder_index", "blocks", "block_base",
                 "block_array")

    def __init__(self, ranges: Iterable[tuple[str, str]], carrier_index: dict[str, int]) -> None:
        texts: list[str] = []
        holder_ids: list[str] = []
        for prefix, holder in ranges:
            texts.append(prefix)
            holder_ids.append(holder)
        unknown = sorted({h for h in holder_ids if h not in carrier_index})
        if unknown:
            _check_prefixes(texts)
            raise RoutingError(f"range holder(s) {', '.join(unknown)} are not known carriers")
        self._load(texts, [carrier_index[h] for h in holder_ids])

    @classmethod
    def of_indices(cls, ranges: Iterable[tuple[str, int]]) -> NumberPlan:
        """A plan whose holders are given as indices (>= 0, below 32768) rather than ids.

        Raises NumberFormatError or RoutingError as the constructor.
        """
        plan = object.__new__(cls)
        pairs = list(ranges)
        plan._load([p for p, _ in pairs], [h for _, h in pairs])
        return plan

    def _load(self, texts: list[str], holder_indices: list[int]) -> None:
        _check_prefixes(texts)
        self.prefixes = np.array([int(p[1:]) for p in texts], dtype=np.int64)
        self.lengths = np.array([len(p) - 1 for p in texts], dtype=np.int8)
        self.holders = np.array(holder_indices, dtype=np.int32)
        uniq, counts = np.unique(self.prefixes, return_counts=True)
        if (counts > 1).any():
            dups = ", ".join("+" + str(p) for p in uniq[counts > 1][:5])
            raise RoutingError(f"overlapping ranges: prefix {dups} is given more than once")
        self.lmin = int(self.lengths.min()) if len(texts) else MAX_DIGITS + 1
        self._build()

    def _build(self) -> None:
        lmin = self.lmin
        p, ln, h = self.prefixes, self.lengths.astype(np.int64), self.holders
        entries: dict[int, int] = dict(zip(p.tolist(), h.tolist(), strict=True))
        longer = ln > lmin
        if longer.any():
            divs = np.array(POW10, dtype=np.int64)[ln[longer] - lmin]
            for block in np.unique(p[longer] // divs).tolist():
                # A block that is itself a range of length lmin is the fallback (else -1).
                entries[block] = -2 - entries.get(block, -1)
        self.entries = entries
        keys = np.fromiter(entries.keys(), dtype=np.int64, count=len(entries))
        vals = np.fromiter(entries.values(), dtype=np.int32, count=len(entries))
        self.table = NumberTable(keys, vals)
        # Batches read the lmin-digit blocks from a direct array when their span is small.
        is_block = keys < POW10[lmin]
        self.blocks: np.ndarray | None = None
        self.block_array: array.array[int] | None = None  # the same, for single lookups
        self.block_base = 0
        if is_block.any():
            lo, hi = int(keys[is_block].min()), int(keys[is_block].max())
            if hi - lo < max(1 << 21, 16 * int(is_block.sum())):
                # An array.array (fast item access from Python) seen by numpy without a copy.
                self.block_array = array.array("h", bytes(2 * (hi - lo + 1)))
                self.blocks = np.frombuffer(self.block_array, dtype=np.int16)
                self.blocks[:] = _MISSING
                self.blocks[keys[is_block] - lo] = vals[is_block]
                self.block_base = lo
        longer_lengths = sorted({int(x) for x in ln[longer]}, reverse=True)
        # Indexed by a number's digit count: the divisor giving its lmin-digit block (0: the
        # number is too short for any range), and the divisors for the longer prefixes.
        self.block_divs = tuple(POW10[d - lmin] if lmin <= d <= MAX_DIGITS else 0
                                for d in range(MAX_DIGITS + 2))
        self.descend_divs = tuple(tuple(POW10[d - L] for L in longer_lengths if L <= d)
                                  for d in range(MAX_DIGITS + 2))
        self.holder_index = self._make_holder_index()

    def _make_holder_index(self) -> Callable[[int, int], int]:
        # The one single-number probe, with what it reads bound as closure locals: the
        # routing core's hot path calls it as it is, so it is fast rather than pretty.
        get = self.entries.get
        descend_divs = self.descend_divs
        block_divs = self.block_divs + (0,) * 48  # any longer digit count finds nothing
        blocks, block_base = self.block_array, self.block_base
        nblocks = len(blocks) if blocks is not None else 0
        missing = _MISSING

        if blocks is None:
            def holder_index(n: int, digits: int) -> int:
                """Index of the range holder of ``n`` (``digits`` long), or -1 if unallocated."""
                div = block_divs[digits]
                if div:
                    v = get(n // div, missing)
                    if v >= 0:
                        return v
                    if v != missing:
                        for d in descend_divs[digits]:
                            w = get(n // d)
                            if w is not None:
                                return w
                        return -2 - v
                return -1
        else:
            def holder_index(n: int, digits: int) -> int:
                """Index of the range holder of ``n`` (``digits`` long), or -1 if unallocated."""
                div = block_divs[digits]
                if div:
                    b = n // div - block_base
                    v = blocks[b] if 0 <= b < nblocks else missing
                    if v >= 0:
                        return v
                    if v != missing:
                        for d in descend_divs[digits]:
                            w = get(n // d)
                            if w is not None:
                                return w
                        return -2 - v
                return -1

        return holder_index

    def holder_of_digits(self, digits: str) -> int:
        """Index of the holder of the longest range prefix a digit string starts with, or -1.

        ``digits`` is a number's digits without the ``+`` (possibly longer than a number):
        ``plan.holder_of_digits("441632960001")``. Anything not ASCII digits matches nothing.
        """
        if not (digits.isascii() and digits.isdigit()) or digits[0] == "0":
            return -1  # no prefix starts with 0
        head = digits[:MAX_DIGITS]  # prefixes are at most MAX_DIGITS long
        return self.holder_index(int(head), len(head))

    def rebuilt(self) -> NumberPlan:
        """A new plan with the same ranges, its lookup structures built afresh."""
        plan = object.__new__(NumberPlan)
        plan.prefixes, plan.lengths, plan.holders = self.prefixes, self.lengths, self.holders
        plan.lmin = self.lmin
        plan._build()
        return plan

    def __len__(self) -> int:
        return len(self.prefixes)

    def holder_batch(self, numbers: np.ndarray) -> np.ndarray:
        """Range holder index (int16) of each number in an int64 array; -1 if unallocated."""
        n = np.ascontiguousarray(numbers, dtype=np.int64)
        out = np.full(n.shape, -1, dtype=np.int16)
        if not n.size or not len(self):
            return out
        lo, hi = int(n.min()), int(n.max())
        d_lo, d_hi = len(str(max(lo, 1))), len(str(max(hi, 1)))
        if lo > 0 and d_lo == d_hi:
            if d_lo <= MAX_DIGITS:
                out[:] = self._holder_same_length(n, d_lo)
            return out
        digits = np.searchsorted(np.array(POW10, dtype=np.int64), n, side="right")
        valid = (n > 0) & (n < E164_END)
        for d in np.unique(digits[valid]).tolist():
            sel = np.flatnonzero(valid & (digits == d))
            out[sel] = self._holder_same_length(n[sel], int(d))
        return out

    def _holder_same_length(self, n: np.ndarray, digits: int) -> np.ndarray:
        if digits < self.lmin:
            return np.full(n.shape, -1, dtype=np.int16)
        block = n // POW10[digits - self.lmin]
        if self.blocks is None:
            v = self.table.get_batch(block, _MISSING)
        else:
            block -= self.block_base
            inside = (block >= 0) & (block < len(self.blocks))
            v = self.blocks[np.where(inside, block, 0)]
            v[~inside] = _MISSING
        out = np.maximum(v, -1)
        sel = np.flatnonzero((v < 0) & (v != _MISSING))
        if sel.size:
            sub = n[sel]
            found = np.full(sel.shape, _MISSING, dtype=np.int16)
            for div in self.descend_divs[digits]:
                todo = np.flatnonzero(found == _MISSING)
                if not todo.size:
                    break
                found[todo] = self.table.get_batch(sub[todo] // div, _MISSING)
            fallback = -2 - v[sel].astype(np.int32)
            out[sel] = np.where(found == _MISSING, fallback, found)
        return out

    def content_items(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(prefix ints, prefix lengths, holder indices) of every range."""
        return self.prefixes, self.lengths, self.holders


def _check_prefixes(texts: list[str]) -> None:
    for prefix in texts:
        if not (prefix.__class__ is str and prefix[:1] == "+" and prefix[1:].isdigit()
                and prefix.isascii() and prefix[1:2] != "0" and len(prefix) <= MAX_DIGITS + 1):
            raise NumberFormatError(f"range prefix {prefix!r} is not '+' and 1-15 digits")


class PrefixMap(Generic[_V]):
    """Values by digit prefix, longest prefix wins: a :class:`NumberPlan` holding any values.

    >>> kinds = PrefixMap([("7", "mobile"), ("1", "geographic"), ("1632", "drama")])
    >>> kinds.get("1632960001"), kinds.get("7700900001"), kinds.get("0800")
    ('drama', 'mobile', None)

    Raises
    ------
    NumberFormatError
        A prefix is not 1-15 digits with no leading zero.
    RoutingError
        Two entries share a prefix.
    """

    __slots__ = ("values", "_plan")

    def __init__(self, items: Iterable[tuple[str, _V]]) -> None:
        pairs = list(items)
        self.values: tuple[_V, ...] = tuple(dict.fromkeys(v for _, v in pairs))
        index = {v: i for i, v in enumerate(self.values)}
        self._plan = NumberPlan.of_indices(("+" + p, index[v]) for p, v in pairs)

    def __len__(self) -> int:
        return len(self._plan)

    def get(self, digits: str) -> _V | None:
        """The value of the longest prefix ``digits`` starts with, or None if none does."""
        i = self._plan.holder_of_digits(digits)
        return self.values[i] if i >= 0 else None

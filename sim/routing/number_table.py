"""An immutable open-addressing table from positive int keys to small ints, in one flat array."""

from __future__ import annotations

__all__ = ["NumberTable", "FIB", "MASK64", "VALUE_BITS", "VALUE_OFFSET", "MAX_KEY"]

import array

import numpy as np

FIB = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: spreads runs of consecutive numbers
MASK64 = (1 << 64) - 1
VALUE_BITS = 13  # each slot packs key << 13 | (value + 4096): key and value share a cache line
VALUE_OFFSET = 1 << (VALUE_BITS - 1)  # values from -4096 to 4095
VALUE_MASK = (1 << VALUE_BITS) - 1
MAX_KEY = (1 << (63 - VALUE_BITS)) - 1  # > 10**15, so every E.164 number fits
_CHUNK = 1 << 15  # batch probes run chunk by chunk so the temporaries stay in cache


class NumberTable:
    """Keys (1 .. MAX_KEY) mapped to values in [-4096, 4095], built once, never changed.

    Linear probing from a Fibonacci-hashed home slot. Keys are placed in home order, so a key
    sits at or after its home with every slot in between occupied and a probe stops at the
    first empty slot (0). The slots live in an ``array.array`` (fast item access from Python)
    viewed without copying as a numpy array (vectorised batch probes).
    """

    __slots__ = ("slots", "shift", "count", "_s")

    def __init__(self, keys: np.ndarray, vals: np.ndarray, *, load: float = 0.5) -> None:
        """Build from unique ``keys`` in 1..MAX_KEY and their ``vals`` (same length)."""
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        vals = np.asarray(vals, dtype=np.int64)
        n = len(keys)
        size = 8
        while size * load < n:
            size *= 2
        self.shift = 64 - (size.bit_length() - 1)
        self.count = n
        home = _home(keys, self.shift)
        order = np.argsort(home, kind="stable")
        home_sorted = home[order]
        # Linear probing in home order: each key goes to max(its home, previous slot + 1).
        ranks = np.arange(n, dtype=np.int64)
        pos = ranks + np.maximum.accumulate(home_sorted - ranks) if n else ranks
        end = int(pos[-1]) + 1 if n else 0
        # A spare empty slot ends every probe.
        total = max(size, end) + 2
        self.slots = array.array("q", bytes(8 * total))
        self._s = np.frombuffer(self.slots, dtype=np.int64)
        self._s[pos] = (keys[order] << VALUE_BITS) | (vals[order] + VALUE_OFFSET)

    def get(self, key: int, default: int | None = None) -> int | None:
        """The value stored for ``key``, or ``default``."""
        slots = self.slots
        i = ((key * FIB) & MASK64) >> self.shift
        k = slots[i]
        while k:
            if k >> VALUE_BITS == key:
                return (k & VALUE_MASK) - VALUE_OFFSET
            i += 1
            k = slots[i]
        return default

    def get_batch(self, keys: np.ndarray, default: int | np.ndarray) -> np.ndarray:
        """Values (int16) for an int64 array of keys; ``default`` (a scalar or an array of
        the keys' shape) where a key is absent."""
        q = np.ascontiguousarray(keys, dtype=np.int64).ravel()
        out = np.empty(q.shape, dtype=np.int16)
        out[:] = np.ravel(default) if np.ndim(default) else default
        if self.count:
            for start in range(0, len(q), _CHUNK):
                self._probe(q[start:start + _CHUNK], out[start:start + _CHUNK])
        return out.reshape(np.shape(keys))

    def _probe(self, q: np.ndarray, out: np.ndarray) -> None:
        s = self._s
        pos = _home(q, self.shift)
        k = s[pos]
        hit = (k >> VALUE_BITS) == q
        np.copyto(out, (k & VALUE_MASK) - VALUE_OFFSET, casting="unsafe", where=hit)
        rest = np.flatnonzero((k != 0) & ~hit)
        # Few queries get here: the table is at most half full.
        pos, q = pos[rest] + 1, q[rest]
        while rest.size:
            k = s[pos]
            h = (k >> VALUE_BITS) == q
            if h.any():
                out[rest[h]] = (k[h] & VALUE_MASK) - VALUE_OFFSET
            more = (k != 0) & ~h
            rest, pos, q = rest[more], pos[more] + 1, q[more]

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """All (keys, values) as two int64 arrays, in table order."""
        used = self._s[self._s != 0]
        return used >> VALUE_BITS, (used & VALUE_MASK) - VALUE_OFFSET

    @property
    def nbytes(self) -> int:
        """Bytes held by the slot array."""
        return int(self._s.nbytes)


def _home(keys: np.ndarray, shift: int) -> np.ndarray:
    """Home slot of each key: the top bits of key * FIB mod 2**64."""
    h = keys.view(np.uint64) * np.uint64(FIB)
    return (h >> np.uint64(shift)).view(np.int64)

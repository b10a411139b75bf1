"""The serving-carrier hot path: one closure per published snapshot.

The routing core (:mod:`sim.routing.core`) builds one :func:`make_serving_carrier` closure per
snapshot; it probes the porting table inline and the number plan through the plan's own probe.
"""

from __future__ import annotations

__all__ = ["make_serving_carrier"]

from collections.abc import Callable

from sim.routing.e164 import (
    DIGITS_BY_BITS,
    E164_END,
    MAX_DIGITS,
    POW10,
    to_int,
    unknown_number_error,
)
from sim.routing.number_plan import NumberPlan
from sim.routing.number_table import FIB, MASK64, VALUE_BITS, VALUE_MASK, VALUE_OFFSET
from sim.routing.porting_db import PortingDatabase, overlay_record_at


def make_serving_carrier(plan: NumberPlan, db: PortingDatabase, ids: tuple[str, ...]
                          ) -> Callable[[str | int], str]:
    """The single-lookup hot path, with everything it touches bound as closure locals.

    The porting table is probed inline; on a miss the number plan's own probe
    (``plan.holder_index``, the one longest-prefix match) is called, and a number's digit
    count is only worked out then. Returns the lookup: number -> serving carrier id.
    """
    slots, shift = db.base.slots, db.base.shift
    overlay, gen = db.overlay, db.gen
    visible = overlay_record_at
    holder_index = plan.holder_index
    # A slot's low bits are value + VALUE_OFFSET: index the carrier ids by them directly.
    by_slot = ("",) * VALUE_OFFSET + ids
    digits_by_bits, pow10, fib, mask = DIGITS_BY_BITS, POW10, FIB, MASK64
    top, value_bits, value_mask = E164_END, VALUE_BITS, VALUE_MASK
    # Smallest int a string of each length can hold: '+' and 1-15 digits, no leading 0.
    least_by_len = (top, top) + POW10[:MAX_DIGITS] + (top,) * 48

    def serving_carrier(number: str | int) -> str:
        """The carrier serving ``number`` now (its range holder unless ported).

        Raises UnknownNumberError (unallocated) or NumberFormatError (malformed).
        """
        if number.__class__ is int:
            n: int = number  # type: ignore[assignment]
            d = 0
        elif number.__class__ is str:
            # int() also takes spaces, '_' and non-ASCII digits; with those the number has
            # fewer digits than the string has characters after the '+'.
            try:
                n = int(number)
                d = len(number)  # type: ignore[arg-type]
                if (n < least_by_len[d] or number[0] != "+"  # type: ignore[index]
                        or not number.isascii()):  # type: ignore[union-attr]
                    raise ValueError
            except (ValueError, IndexError):
                raise unknown_number_error(number) from None
            d -= 1
        else:
            n = to_int(number)
            d = 0
        # a record newer than this snapshot is skipped for the one it replaced, if any
        if overlay and (r := overlay.get(n)) is not None and (
                r[0] <= gen or (r := visible(r, gen)) is not None):
            if r[1] >= 0:
                return ids[r[1]]
        else:
            i = ((n * fib) & mask) >> shift
            k = slots[i]
            while k:
                if k >> value_bits == n:
                    return by_slot[k & value_mask]
                i += 1
                k = slots[i]
        if not d:
            if not 0 < n < top:  # is_e164(n), inline
                raise unknown_number_error(number)
            d = digits_by_bits[n.bit_length()]
            if n >= pow10[d]:
                d += 1
        h = holder_index(n, d)
        if h >= 0:
            return ids[h]
        raise unknown_number_error(number)

    return serving_carrier

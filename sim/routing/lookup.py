"""Single-number lookups: E.164 text to int, and the serving-carrier hot path.

Split from :mod:`sim.routing.core` (which re-exports ``e164_to_int`` and ``int_to_e164``): the
routing core builds one :func:`make_serving_carrier` closure per published snapshot.
"""

from __future__ import annotations

__all__ = ["e164_to_int", "int_to_e164", "to_int", "digit_count", "unknown_number_error",
           "make_serving_carrier"]

from collections.abc import Callable

import numpy as np

from sim.errors import NumberFormatError, UnknownNumberError
from sim.routing.number_plan import MAX_DIGITS, POW10, NumberPlan
from sim.routing.number_table import FIB, MASK64, VALUE_BITS, VALUE_MASK, VALUE_OFFSET
from sim.routing.porting_db import PortingDatabase, overlay_record_at

# Digits of a positive int from its bit length (may be one short; corrected by one compare).
_DIGITS_BY_BITS = tuple(len(str(1 << (b - 1))) if b else 1 for b in range(64))


def e164_to_int(number: str) -> int:
    """The digits of an E.164 string as an int: ``'+441632960001'`` -> ``441632960001``.

    Raises
    ------
    NumberFormatError
        Not ``+`` followed by 1-15 ASCII digits with no leading zero.
    """
    if number.__class__ is str and number.isascii() and number[:1] == "+":
        digits = len(number) - 1
        if 0 < digits <= MAX_DIGITS and number[1:].isdigit():
            n = int(number[1:])
            if n >= POW10[digits - 1]:
                return n
    raise NumberFormatError(f"{number!r} is not an E.164 number ('+' and 1-15 digits)")


def int_to_e164(number: int) -> str:
    """The E.164 string of an int number: ``441632960001`` -> ``'+441632960001'``."""
    if not 0 < number < POW10[MAX_DIGITS]:
        raise NumberFormatError(f"{number!r} is not an E.164 number (1-15 digits)")
    return f"+{number}"


def to_int(number: str | int) -> int:
    """An int number from an E.164 string or an int-like, checked for range."""
    if isinstance(number, str):
        return e164_to_int(number)
    if isinstance(number, bool) or not hasattr(number, "__index__"):
        raise NumberFormatError(f"{number!r} is not a phone number")
    n = number.__index__()
    if not 0 < n < POW10[MAX_DIGITS]:
        raise NumberFormatError(f"{number!r} is not an E.164 number (1-15 digits)")
    return n


def digit_count(n: int) -> int:
    d = _DIGITS_BY_BITS[n.bit_length()]
    return d + 1 if n >= POW10[d] else d


def unknown_number_error(number: str | int) -> Exception:
    """UnknownNumberError for a well-formed number, else the NumberFormatError."""
    try:
        n = to_int(number)
    except NumberFormatError as exc:
        return exc
    return UnknownNumberError(int_to_e164(n))


def make_serving_carrier(plan: NumberPlan, db: PortingDatabase, ids: tuple[str, ...]
                          ) -> Callable[[str | int], str]:
    """The single-lookup hot path, with everything it touches bound as closure locals.

    The porting table and the number plan are probed inline (no further calls), and a
    number's digit count is only worked out when the plan is needed.
    """
    slots, shift = db.base.slots, db.base.shift
    overlay, gen = db.overlay, db.gen
    visible = overlay_record_at
    get_entry = plan.entries.get
    block_divs, descend_divs = plan.block_divs, plan.descend_divs
    blocks, block_base = plan.block_array, plan.block_base
    nblocks = len(blocks) if blocks is not None else 0
    missing = np.iinfo(np.int16).min
    # A slot's low bits are value + VALUE_OFFSET: index the carrier ids by them directly.
    by_slot = ("",) * VALUE_OFFSET + ids
    digits_by_bits, pow10, fib, mask = _DIGITS_BY_BITS, POW10, FIB, MASK64
    top, value_bits, value_mask = POW10[MAX_DIGITS], VALUE_BITS, VALUE_MASK
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
            if not 0 < n < top:
                raise unknown_number_error(number)
            d = digits_by_bits[n.bit_length()]
            if n >= pow10[d]:
                d += 1
        div = block_divs[d]
        if div:
            if blocks is None:
                v = get_entry(n // div, missing)
            else:
                b = n // div - block_base
                v = blocks[b] if 0 <= b < nblocks else missing
            if v >= 0:
                return ids[v]
            if v != missing:
                for dd in descend_divs[d]:
                    w = get_entry(n // dd)
                    if w is not None:
                        return ids[w]
                if v < -1:
                    return ids[-2 - v]
        raise unknown_number_error(number)

    return serving_carrier

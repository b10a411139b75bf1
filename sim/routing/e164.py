"""E.164 numbers as the routing core holds them: ints of 1-15 digits, and their text form.

The one home of the E.164 bound: an int ``n`` is a number when ``0 < n < E164_END``.
"""

from __future__ import annotations

__all__ = ["MAX_DIGITS", "POW10", "E164_END", "is_e164", "first_non_e164", "digit_count",
           "e164_to_int", "int_to_e164", "to_int", "unknown_number_error"]

import numpy as np

from sim.errors import NumberFormatError, UnknownNumberError

MAX_DIGITS = 15  # E.164
POW10 = tuple(10**i for i in range(MAX_DIGITS + 2))
#: One past the largest E.164 int: ``n`` is a number when ``0 < n < E164_END``.
E164_END = POW10[MAX_DIGITS]

#: Digits of a positive int by its bit length (may be one short: compare with POW10).
DIGITS_BY_BITS = tuple(len(str(1 << (b - 1))) if b else 1 for b in range(64))


def is_e164(n: int) -> bool:
    """Whether the int ``n`` is an E.164 number (1-15 digits): ``is_e164(10**15)`` is False."""
    return 0 < n < E164_END


def first_non_e164(numbers: np.ndarray) -> int:
    """The position of the first number in an int array that is not 1-15 digits, or -1.

    >>> first_non_e164(np.array([441632960001, 0, -5]))
    1
    """
    bad = (numbers <= 0) | (numbers >= E164_END)
    return int(np.argmax(bad)) if bad.any() else -1


def digit_count(n: int) -> int:
    """How many digits the positive int ``n`` has (``n`` below 2**63)."""
    d = DIGITS_BY_BITS[n.bit_length()]
    return d + 1 if n >= POW10[d] else d


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
    """The E.164 string of an int number: ``441632960001`` -> ``'+441632960001'``.

    Raises NumberFormatError if ``number`` is not 1-15 digits.
    """
    if not is_e164(number):
        raise NumberFormatError(f"{number!r} is not an E.164 number (1-15 digits)")
    return f"+{number}"


def to_int(number: str | int) -> int:
    """An int number from an E.164 string or an int-like, checked for range.

    Raises NumberFormatError for anything else (``True`` included) or a number not 1-15 digits.
    """
    if isinstance(number, str):
        return e164_to_int(number)
    if isinstance(number, bool) or not hasattr(number, "__index__"):
        raise NumberFormatError(f"{number!r} is not a phone number")
    n = number.__index__()
    if not is_e164(n):
        raise NumberFormatError(f"{number!r} is not an E.164 number (1-15 digits)")
    return n


def unknown_number_error(number: str | int) -> Exception:
    """The error to raise for ``number`` that no range holds.

    Returns an UnknownNumberError for a well-formed number, else the NumberFormatError that
    :func:`to_int` gives for it.
    """
    try:
        n = to_int(number)
    except NumberFormatError as exc:
        return exc
    return UnknownNumberError(int_to_e164(n))

"""Tests of sim.routing.e164: the E.164 bound, digit counts, text <-> int."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import NumberFormatError, UnknownNumberError
from sim.routing.e164 import (
    E164_END,
    digit_count,
    first_non_e164,
    int_to_e164,
    is_e164,
    to_int,
    unknown_number_error,
)


@pytest.mark.parametrize(("n", "expected"), [
    (1, True),              # the shortest number
    (10**15 - 1, True),     # the longest
    (0, False),             # no digits
    (-5, False),            # negative
    (10**15, False),        # 16 digits
])
def test_is_e164(n: int, expected: bool) -> None:
    assert is_e164(n) is expected
    assert (first_non_e164(np.array([1, n], dtype=np.int64)) == -1) is expected


def test_first_non_e164_gives_the_first_bad_position() -> None:
    assert first_non_e164(np.array([441632960001, 10**15, 0], dtype=np.int64)) == 1
    assert first_non_e164(np.array([], dtype=np.int64)) == -1


@given(st.integers(1, E164_END - 1))
def test_digit_count_and_text_round_trip(n: int) -> None:
    assert digit_count(n) == len(str(n))
    assert to_int(int_to_e164(n)) == n


def test_unknown_number_error_tells_malformed_from_unallocated() -> None:
    assert isinstance(unknown_number_error("+441632960001"), UnknownNumberError)
    assert isinstance(unknown_number_error("01632"), NumberFormatError)
    assert isinstance(unknown_number_error(10**15), NumberFormatError)

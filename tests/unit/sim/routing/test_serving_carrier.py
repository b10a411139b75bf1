"""The serving-carrier hot path: ported numbers from the porting table, the rest by the plan."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import NumberFormatError, UnknownNumberError
from sim.routing import PortChange, RoutingCore, e164_to_int

CARRIERS = ("bt", "callagenix", "vodafone")
RANGES = [("+441632", "bt"), ("+4416329600", "vodafone"), ("+447700", "vodafone")]


def core() -> RoutingCore:
    routing = RoutingCore(CARRIERS, [("bt", "callagenix"), ("vodafone", "bt")], RANGES,
                          ported=[("+441632960001", "callagenix")])
    routing.apply([PortChange(e164_to_int("+447700900123"), "callagenix", note="overlay")])
    return routing


@pytest.mark.parametrize(("number", "carrier"), [
    ("+441632960001", "callagenix"),  # ported, in the base table
    (441632960001, "callagenix"),     # the same number as an int
    ("+447700900123", "callagenix"),  # ported by an apply: in the overlay
    ("+441632960002", "vodafone"),    # not ported: the longest prefix (+4416329600) wins
    ("+441632970000", "bt"),          # not ported: only +441632 holds it
    (447700900999, "vodafone"),       # not ported, as an int
])
def test_serving_carrier(number: str | int, carrier: str) -> None:
    assert core().serving_carrier(number) == carrier


@pytest.mark.parametrize(("number", "error"), [
    ("+33123456789", UnknownNumberError),      # well-formed, no range holds it
    (33123456789, UnknownNumberError),         # the same as an int
    ("441632960001", NumberFormatError),       # no '+'
    ("+44 1632 960001", NumberFormatError),    # spaces: not E.164
    ("+4416329600０1", NumberFormatError),      # a non-ASCII digit
    ("+0441632960001", NumberFormatError),     # a leading zero after '+'
    ("+4416329600011234", NumberFormatError),  # 16 digits
    (0, NumberFormatError),                    # not a positive number of 1-15 digits
])
def test_unknown_or_malformed_numbers_raise(number: str | int, error: type[Exception]) -> None:
    with pytest.raises(error):
        core().serving_carrier(number)


@given(st.integers(min_value=1, max_value=10**15 - 1))
def test_int_and_string_forms_agree(n: int) -> None:
    routing = core()

    def answer(number: str | int) -> str:
        try:
            return routing.serving_carrier(number)
        except UnknownNumberError:
            return "unallocated"

    assert answer(n) == answer(f"+{n}")

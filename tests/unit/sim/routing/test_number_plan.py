"""Tests of sim.routing.number_plan: the one longest-prefix match, by int, by batch, by text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import NumberFormatError, RoutingError
from sim.routing.e164 import digit_count
from sim.routing.number_plan import NumberPlan, PrefixMap

CARRIERS = ["bt", "callagenix", "vodafone", "sky"]
INDEX = {c: i for i, c in enumerate(CARRIERS)}


def naive_holder(number: str, ranges: list[tuple[str, str]]) -> str | None:
    """Longest-prefix match the obvious way, to check the plan against."""
    best = max((p for p, _ in ranges if number.startswith(p)), key=len, default=None)
    return dict(ranges)[best] if best else None


prefixes = st.text("0123456789", min_size=0, max_size=6).map(lambda s: "+44" + s)
plans = st.dictionaries(prefixes, st.sampled_from(CARRIERS), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(plans, st.booleans(), st.data())
def test_every_probe_agrees_with_the_naive_match(ranges: dict[str, str], far: bool,
                                                 data: st.DataObject) -> None:
    items = list(ranges.items())
    if far:  # long prefixes far apart: the plan's blocks no longer fit a direct array
        items = list(dict((p.ljust(10, "0"), h) for p, h in items).items())
        items.append(("+999999999", "sky"))
    plan = NumberPlan(items, INDEX)
    assert (plan.block_array is None) is far
    # numbers in the ranges (a prefix and 0-8 more digits) and anywhere at all
    inside = st.tuples(st.sampled_from([p for p, _ in items]), st.text("0123456789", max_size=8)
                       ).map(lambda t: int((t[0][1:] + t[1])[:15]))
    nums = data.draw(st.lists(inside | st.integers(1, 10**15 - 1), min_size=1, max_size=30))
    want = [INDEX[h] if (h := naive_holder(f"+{n}", items)) else -1 for n in nums]
    assert [plan.holder_index(n, digit_count(n)) for n in nums] == want
    assert [plan.holder_of_digits(str(n)) for n in nums] == want
    assert plan.holder_batch(np.array(nums, dtype=np.int64)).tolist() == want


@pytest.mark.parametrize(("digits", "expected"), [
    ("441632960001", "callagenix"),   # the longer of two nested prefixes
    ("441632970001", "bt"),           # only the shorter one
    ("4416329600011234567", "callagenix"),  # longer than any number: its head still matches
    ("44", None),                     # shorter than every prefix
    ("0441632960001", None),          # no prefix starts with 0
    ("44 1632960001", None),          # not all digits
    ("", None),                       # nothing
    ("44١٦٣٢٩٦٠٠٠١", None),           # digits, but not ASCII
])
def test_holder_of_digits(digits: str, expected: str | None) -> None:
    plan = NumberPlan([("+441632", "bt"), ("+441632960", "callagenix")], INDEX)
    got = plan.holder_of_digits(digits)
    assert (CARRIERS[got] if got >= 0 else None) == expected


def test_prefix_map_holds_any_values() -> None:
    kinds = PrefixMap([("7", 7.0), ("1", 1.0), ("1632", 1632.0)])
    assert (kinds.get("1632960001"), kinds.get("7700900001"), kinds.get("0800")) == (
        1632.0, 7.0, None)
    assert len(kinds) == 3
    assert PrefixMap([]).get("123") is None


@pytest.mark.parametrize(("items", "error"), [
    ([("1", "a"), ("1", "b")], RoutingError),  # one prefix twice
    ([("01", "a")], NumberFormatError),        # a leading zero
    ([("1x", "a")], NumberFormatError),        # not digits
])
def test_prefix_map_refuses_bad_prefixes(items: list[tuple[str, str]],
                                         error: type[Exception]) -> None:
    with pytest.raises(error):
        PrefixMap(items)


def test_plan_checks_prefixes_before_holders() -> None:
    with pytest.raises(NumberFormatError, match="range prefix"):
        NumberPlan([("44", "nobody")], INDEX)
    with pytest.raises(RoutingError, match="nobody are not known carriers"):
        NumberPlan([("+44", "nobody")], INDEX)

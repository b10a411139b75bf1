"""Tests for sim.report.number_groups: consecutive numbers with one key become one range."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim.report.number_groups import NumberGroup, group_numbers


def test_a_block_of_a_thousand_is_one_row() -> None:
    rows = [(f"+441632960{i:03d}", "pass") for i in range(1000)]
    (group,) = group_numbers(rows)
    assert (group.first, group.last, group.count) == ("+441632960000", "+441632960999", 1000)
    assert group.label == "+441632960000-960999"


def test_a_different_key_or_a_gap_starts_a_new_range() -> None:
    rows = [("+4420", "a"), ("+4421", "a"), ("+4422", "b"), ("+4424", "b"), ("+4425", "b")]
    groups = group_numbers(rows)
    assert [(g.first, g.count, g.key) for g in groups] == [
        ("+4420", 2, "a"), ("+4422", 1, "b"), ("+4424", 2, "b")]


def test_numbers_of_different_length_are_not_consecutive() -> None:
    assert len(group_numbers([("+449", 1), ("+4410", 1)])) == 2


@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from("ab")), max_size=40))
def test_the_groups_hold_every_row_once_in_order(rows: list[tuple[int, str]]) -> None:
    numbers = [(f"+4416{n:04d}", key) for n, key in rows]
    groups = group_numbers(numbers)
    expanded = [(n, g.key) for g in groups for n in g.numbers()]
    assert expanded == numbers
    assert all(isinstance(g, NumberGroup) and g.count >= 1 for g in groups)

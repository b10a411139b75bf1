"""Consecutive numbers with the same figures grouped into one range (large runs stay readable)."""

from __future__ import annotations

__all__ = ["NumberGroup", "group_numbers"]

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class NumberGroup(Generic[K]):
    """``count`` consecutive E.164 numbers ``first``..``last`` sharing ``key``."""

    first: str
    last: str
    count: int
    key: K

    @property
    def label(self) -> str:
        """``+441632960000-960999``: the last number from where it differs from the first.

        >>> NumberGroup("+441632960000", "+441632960999", 1000, "pass").label
        '+441632960000-960999'
        >>> NumberGroup("+441632960001", "+441632960001", 1, "pass").label
        '+441632960001'
        """
        if self.count == 1:
            return self.first
        same = 0
        while same < len(self.first) and self.first[same] == self.last[same]:
            same += 1
        # keep at least six digits of the last number, never its plus
        cut = max(1, min(same, len(self.last) - 6))
        return f"{self.first}-{self.last[cut:]}"

    def numbers(self) -> list[str]:
        """Every number of the range."""
        start = int(self.first.lstrip("+"))
        plus = "+" if self.first.startswith("+") else ""
        return [f"{plus}{start + i:0{len(self.first.lstrip('+'))}d}" for i in range(self.count)]


def _next(number: str, following: str) -> bool:
    digits, other = number.lstrip("+"), following.lstrip("+")
    return (len(digits) == len(other) and digits.isdigit() and other.isdigit()
            and int(other) == int(digits) + 1 and number[:1] == following[:1])


def group_numbers(rows: Iterable[tuple[str, K]]) -> list[NumberGroup[K]]:
    """Group ``(number, key)`` rows, in their order, into runs of consecutive numbers with
    equal keys.

    >>> [g.label for g in group_numbers([("+4410", "a"), ("+4411", "a"), ("+4412", "b")])]
    ['+4410-4411', '+4412']
    """
    groups: list[NumberGroup[K]] = []
    for number, key in rows:
        if groups and groups[-1].key == key and _next(groups[-1].last, number):
            last = groups[-1]
            groups[-1] = NumberGroup(last.first, number, last.count + 1, key)
        else:
            groups.append(NumberGroup(number, number, 1, key))
    return groups

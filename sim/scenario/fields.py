"""Typed fields of a scenario's YAML: each check records a ScenarioIssue with its path and line.

A FieldReader never raises on bad input: every check appends to ``issues`` and returns None (or
an empty value), so the scenario stages can carry on and report every problem in one go.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sim.errors import NumberFormatError, ScenarioIssue
from sim.scenario.keys import KEYS
from sim.scenario.yaml_source import YamlSource

__all__ = ["REQUIRED", "FieldReader", "key_path"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# As the default of FieldReader.get: the key must be present (and not null).
REQUIRED = object()


class FieldReader:
    """Reads typed values out of a YamlSource, collecting issues (``self.issues``) as it goes.

    Numbers are read in ``country`` and times without an offset in ``tz``; ``carrier_ids`` are the
    carriers a reference may name. The scenario reader sets all three as it learns them.
    """

    def __init__(self, source: YamlSource):
        self.src = source
        self.issues: list[ScenarioIssue] = []
        self.country = "GB"
        self.tz: tzinfo = UTC
        self.carrier_ids: set[str] = set()

    def err(self, path: str, message: str) -> None:
        self.issues.append(ScenarioIssue(path or "(top)", message, self.src.line(path)))

    def mapping(self, value: Any, path: str, kind: str) -> dict[str, Any] | None:
        """``value`` if it is a mapping (each key not allowed for ``kind`` an issue), else None."""
        if not isinstance(value, dict):
            self.err(path, f"expected a mapping, got {_type(value)}")
            return None
        for key in value:
            if key not in KEYS[kind]:
                allowed = ", ".join(sorted(KEYS[kind]))
                self.err(key_path(path, str(key)), f"unknown key {key!r} (allowed: {allowed})")
        return value

    def seq(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.err(path, f"expected a list, got {_type(value)}")
            return []
        return value

    def get(self, d: dict[str, Any], key: str, path: str, conv: Callable[[Any, str], Any],
            default: Any = REQUIRED) -> Any:
        p = key_path(path, key)
        if key not in d or d[key] is None:
            if default is REQUIRED:
                self.err(p, "required key is missing")
                return None
            return default
        return conv(d[key], p)

    def text(self, v: Any, p: str) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            self.err(p, f"expected text, got {_type(v)}")
            return None
        return str(v)

    def texts(self, v: Any, p: str) -> tuple[str, ...]:
        return tuple(s for i, x in enumerate(self.seq(v, p)) if (s := self.text(x, f"{p}[{i}]")))

    def ident(self, v: Any, p: str) -> str | None:
        s = self.text(v, p)
        if s is not None and not _ID.match(s):
            self.err(p, f"{s!r} is not a valid id (letters, digits, '_', '-', '.')")
            return None
        return s

    def integer(self, v: Any, p: str) -> int | None:
        if isinstance(v, bool) or not isinstance(v, int):
            self.err(p, f"expected an integer, got {_type(v)}")
            return None
        return v

    def positive_integer(self, v: Any, p: str) -> int | None:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            self.err(p, f"expected a whole number >= 1, got {v!r}")
            return None
        return v

    def non_negative_integer(self, v: Any, p: str) -> int | None:
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            self.err(p, f"expected a whole number >= 0, got {v!r}")
            return None
        return v

    def positive(self, v: Any, p: str) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            self.err(p, f"expected a positive number, got {v!r}")
            return None
        return float(v)

    def non_negative(self, v: Any, p: str) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            self.err(p, f"expected a number >= 0, got {v!r}")
            return None
        return float(v)

    def probability(self, v: Any, p: str) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            self.err(p, f"expected a probability from 0 to 1, got {v!r}")
            return None
        return float(v)

    def boolean(self, v: Any, p: str) -> bool | None:
        if not isinstance(v, bool):
            self.err(p, f"expected true or false, got {_type(v)}")
            return None
        return v

    def time(self, v: Any, p: str) -> datetime | None:
        """ISO-8601 instant; without an offset it is local time of the regime's timezone."""
        if isinstance(v, datetime):
            t = v
        elif isinstance(v, date):
            t = datetime(v.year, v.month, v.day)
        elif isinstance(v, str):
            try:
                t = datetime.fromisoformat(v.replace("Z", "+00:00"))
            except ValueError:
                self.err(p, f"{v!r} is not an ISO-8601 time (e.g. 2026-11-23T10:00:00+00:00)")
                return None
        else:
            self.err(p, f"expected a time, got {_type(v)}")
            return None
        if t.tzinfo is None:
            t = t.replace(tzinfo=self.tz)
        return t.astimezone(UTC)

    def number(self, v: Any, p: str) -> str | None:
        from sim.numbering import normalise

        if not isinstance(v, str):
            self.err(p, f"expected a phone number as quoted text, got {_type(v)}")
            return None
        try:
            return normalise(v, country=self.country)
        except NumberFormatError as exc:
            self.err(p, str(exc))
            return None

    def routing_number(self, v: Any, p: str) -> str | None:
        """An RFC 4694 routing number (see :func:`sim.numbering.routing_number_problem`)."""
        from sim.numbering import routing_number_problem

        s = self.text(v, p)
        problem = None if s is None else routing_number_problem(s)
        if problem is not None:
            self.err(p, f"{problem} (RFC 4694)")
            return None
        return s

    def carrier_ref(self, v: Any, p: str) -> str | None:
        s = self.text(v, p)
        if s is not None and s not in self.carrier_ids:
            known = ", ".join(sorted(self.carrier_ids)) or "none"
            self.err(p, f"unknown carrier {s!r} (known: {known})")
            return None
        return s

    def numbers(self, v: Any, p: str, blocks: list[frozenset[str]] | None = None
                ) -> tuple[tuple[str, ...], bool]:
        """A list of numbers and DDI blocks ``{first, count}``; returns (numbers, has_block).

        Each block's numbers are appended to ``blocks``, when given.
        """
        out: list[str] = []
        block = False
        for _, numbers, is_block in self.number_items(v, p):
            out.extend(numbers)
            if is_block:
                block = True
                if blocks is not None:
                    blocks.append(frozenset(numbers))
        return tuple(out), block

    def number_items(self, v: Any, p: str) -> list[tuple[str, tuple[str, ...], bool]]:
        """Each item of a list of numbers and DDI blocks ``{first, count}`` that reads: its
        path, its numbers (a block's expanded) and whether it is a block."""
        out: list[tuple[str, tuple[str, ...], bool]] = []
        for i, item in enumerate(self.seq(v, p)):
            ip = f"{p}[{i}]"
            if isinstance(item, dict):
                d = self.mapping(item, ip, "block")
                first = self.get(d or {}, "first", ip, self.number)
                count = self.get(d or {}, "count", ip, self.integer)
                if count is not None and not 1 <= count <= 100_000:
                    self.err(key_path(ip, "count"),
                             f"a block holds 1 to 100000 numbers, not {count}")
                elif first is not None and count is not None:
                    base = int(first[1:])
                    out.append((ip, tuple(f"+{base + k}" for k in range(count)), True))
            else:
                n = self.number(item, ip)
                if n is not None:
                    out.append((ip, (n,), False))
        return out

def key_path(path: str, key: str) -> str:
    """The path of ``key`` under ``path``: ``key_path("carriers[0]", "id") == "carriers[0].id"``."""
    return f"{path}.{key}" if path else key


def _type(v: Any) -> str:
    if v is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "an integer",
            float: "a number"}.get(type(v), type(v).__name__)

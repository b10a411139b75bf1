"""The event ledger of a run: compact records in time order, turned into dicts on demand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

__all__ = ["Instant", "Ledger"]


class Instant(float):
    """An instant as POSIX seconds, written to events.jsonl as a datetime is.

    The model keeps instants as floats on its hot path; making a datetime per instant per
    port order only to write it out would cost more than the rest of the bookkeeping.
    """

    __slots__ = ()


class Ledger:
    """Append-only list of events; ``records()`` gives the dicts written to events.jsonl.

    Kept in columns, not a tuple per event: a long run holds millions of events, and a tuple
    each would be one more container for the garbage collector to walk on every full pass.
    Records may be added out of time order (the switchboard plays an interval's calls at its
    end); ``records()`` gives them in time order, those at one instant in the order added.
    """

    def __init__(self, epoch: float):
        self.epoch = epoch
        self._t: list[float] = []
        self._event: list[str] = []
        self._port: list[str | None] = []
        self._numbers: list[tuple[str, ...]] = []
        self._state: list[str | None] = []
        self._extra: list[dict[str, Any] | None] = []
        self._latest = float("-inf")
        self._in_order = True
        # bound once: a run adds several events per port order
        self._appends = (self._t.append, self._event.append, self._port.append,
                         self._numbers.append, self._state.append, self._extra.append)

    def add(self, t: float, event: str, port: str | None, numbers: tuple[str, ...],
            state: str | None, extra: dict[str, Any] | None = None) -> None:
        add_t, add_event, add_port, add_numbers, add_state, add_extra = self._appends
        add_t(t)
        add_event(event)
        add_port(port)
        add_numbers(numbers)
        add_state(state)
        add_extra(extra or None)
        if t < self._latest:
            self._in_order = False
        else:
            self._latest = t

    def __len__(self) -> int:
        return len(self._t)

    def count(self, event: str) -> int:
        return self._event.count(event)

    def records_of(self, event: str) -> Iterator[dict[str, Any]]:
        """The records of one kind of event."""
        return self.records(lambda row: row[1] == event)

    def records(self, keep: Any = None) -> Iterator[dict[str, Any]]:
        """Every record as the dict written to events.jsonl (``keep`` filters raw rows:
        ``(t, event, port, numbers, state, extra)`` tuples)."""
        rows: Any = zip(self._t, self._event, self._port, self._numbers, self._state,
                        self._extra, strict=True)
        if not self._in_order:
            rows = sorted(rows, key=lambda row: row[0])  # stable: one instant keeps its order
        for row in rows:
            if keep is not None and not keep(row):
                continue
            t, event, port, numbers, state, extra = row
            record: dict[str, Any] = {
                "t": datetime.fromtimestamp(round(self.epoch + t), UTC).isoformat(),
                "event": event, "port": port, "numbers": list(numbers), "state": state,
            }
            if extra:
                record.update({k: _text(v) for k, v in extra.items()})
            yield record


def _text(value: Any) -> Any:
    # instants are kept as datetimes or Instants while running, written as UTC ISO-8601 text
    # (whole seconds: a datetime's microseconds are dropped, not rounded)
    if value.__class__ is Instant:
        return datetime.fromtimestamp(value, UTC).replace(microsecond=0).isoformat()
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    return value

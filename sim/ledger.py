"""The event ledger of a run: compact records in time order, turned into dicts on demand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

__all__ = ["Ledger"]


class Ledger:
    """Append-only list of events; ``records()`` gives the dicts written to events.jsonl."""

    def __init__(self, epoch: float):
        self.epoch = epoch
        self._rows: list[tuple[float, str, str | None, tuple[str, ...], str | None,
                               dict[str, Any] | None]] = []

    def add(self, t: float, event: str, port: str | None, numbers: tuple[str, ...],
            state: str | None, extra: dict[str, Any] | None = None) -> None:
        self._rows.append((t, event, port, numbers, state, extra or None))

    def __len__(self) -> int:
        return len(self._rows)

    def count(self, event: str) -> int:
        return sum(1 for row in self._rows if row[1] == event)

    def records_of(self, event: str) -> Iterator[dict[str, Any]]:
        """The records of one kind of event."""
        return self.records(lambda row: row[1] == event)

    def records(self, keep: Any = None) -> Iterator[dict[str, Any]]:
        """Every record as the dict written to events.jsonl (``keep`` filters raw rows)."""
        for row in self._rows:
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
    # instants are kept as datetimes while running and written as UTC ISO-8601 text
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    return value

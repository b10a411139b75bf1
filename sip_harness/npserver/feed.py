"""Feeds of port activations and rollbacks that the number-portability server publishes live.

Three sources, each turned into lists of :class:`~sim.routing.core.PortChange` that the server
applies as one routing snapshot each:

- JSON lines ``{"number": "+441632960001", "carrier": "callagenix"}`` (optional ``note``):
  the number is served by that carrier from now on (its range holder: back home);
  ``{"heartbeat": ...}`` changes nothing but says the feed is alive (see ``--max-staleness``);
- the model's ``events.jsonl``: ``submitted`` names each port's losing and gaining carriers,
  ``active`` moves its numbers to the gaining carrier, ``rolled_back`` back to the losing one,
  ``returned`` to the range holder; other events change nothing;
- the simulation itself (:class:`ModelFollower`): the model runs on as wall-clock time passes,
  ``speed`` simulated seconds per second, and publishes through the server's routing core.

A file, a FIFO or standard input is read line by line in a thread (reads block outside the
event loop); each line reaches the loop as it arrives.
"""

from __future__ import annotations

__all__ = ["FeedInterpreter", "FeedLine", "read_lines", "ModelFollower"]

import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from sim.errors import CutoverError
from sim.model import CutoverModel, EventKind
from sim.routing import PortChange, RoutingCore, e164_to_int

#: A line from a feed, or None when the feed has ended.
FeedLine = str | None


@dataclass
class FeedInterpreter:
    """Reads feed records (dicts) into port changes; remembers each port's carriers.

    ``clock`` gives the instant (epoch seconds) a change is applied at, as its explanation
    will say: the simulated instant being served, not the wall clock's.
    """

    core: RoutingCore
    rejected: int = 0
    last_rejection: str = ""
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._ports: dict[str, tuple[str, str]] = {}  # port id -> (losing, gaining)

    def changes(self, line: str) -> list[PortChange]:
        """The changes one feed line asks for ([] for a record that changes nothing).

        A line that cannot be read, or names an unknown number or carrier, is counted in
        ``rejected`` (the reason in ``last_rejection``) and gives [].
        """
        text = line.strip()
        if not text:
            return []
        try:
            record = json.loads(text)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            return self._read(record)
        except (ValueError, TypeError, KeyError, CutoverError) as exc:
            self.rejected += 1
            self.last_rejection = f"{text[:80]}: {exc}"
            return []

    def _read(self, record: dict[str, Any]) -> list[PortChange]:
        now = self.clock()
        known = self.core.carrier_ids
        if "heartbeat" in record:
            return []
        if "event" not in record:
            carrier = record["carrier"]
            if carrier not in known:
                raise KeyError(f"unknown carrier {carrier!r}")
            note = str(record.get("note", "feed"))
            return [PortChange(_number(record["number"]), carrier, at=now, note=note)]
        event, port = record["event"], record.get("port")
        if event == EventKind.SUBMITTED:
            self._ports[str(port)] = (record["losing"], record["gaining"])
            return []
        if event not in (EventKind.ACTIVE, EventKind.ROLLED_BACK, EventKind.RETURNED):
            return []
        numbers = [_number(n) for n in record.get("numbers", [])]
        if event == EventKind.RETURNED:
            holder = self.core.range_holder
            return [PortChange(n, holder(n), at=now, note="return") for n in numbers]
        carriers = self._ports.get(str(port))
        if carriers is None:
            raise KeyError(f"{event} for port {port!r} before its 'submitted' record")
        carrier = carriers[1] if event == EventKind.ACTIVE else carriers[0]
        note = "activation" if event == EventKind.ACTIVE else "rollback"
        return [PortChange(n, carrier, at=now, note=note) for n in numbers]


def _number(value: object) -> int:
    if isinstance(value, str):
        return e164_to_int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not an E.164 number")


def read_lines(source: str, loop: asyncio.AbstractEventLoop,
               deliver: Callable[[FeedLine], None]) -> threading.Thread:
    """Read ``source`` (a path, or '-' for standard input) in a daemon thread.

    Each line is handed to ``deliver`` on ``loop``'s thread; None follows the last line, or
    comes alone when the file cannot be opened. The file is opened in the thread: opening a
    FIFO waits for its writer, which must not hold up the server.
    """

    def pump() -> None:
        try:
            stream: IO[str] = sys.stdin if source == "-" else open(source, encoding="utf-8")
            try:
                for line in stream:
                    loop.call_soon_threadsafe(deliver, line)
            finally:
                if stream is not sys.stdin:
                    stream.close()
        except (OSError, ValueError, RuntimeError):
            pass  # the stream went away (or the loop closed): the feed has ended
        try:
            loop.call_soon_threadsafe(deliver, None)
        except RuntimeError:
            pass  # the loop has already closed

    thread = threading.Thread(target=pump, name=f"feed {source}", daemon=True)
    thread.start()
    return thread


class ModelFollower:
    """Plays a model on from where it stands, ``speed`` simulated seconds per wall second.

    Each step runs the model to the simulated instant the wall clock has reached; the
    model publishes its routing changes through its routing core as they fall due.
    """

    def __init__(self, model: CutoverModel, *, speed: float, step: float = 0.02,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.model, self.speed, self.step, self.clock = model, speed, step, clock
        self.start_wall = clock()
        self.start_sim = model.wall(model.env.now)
        self.horizon: datetime = model.scenario.horizon

    def instant(self) -> datetime:
        """The simulated instant the wall clock has reached (at most the horizon)."""
        elapsed = (self.clock() - self.start_wall) * self.speed
        return min(self.start_sim + timedelta(seconds=elapsed), self.horizon)

    def advance(self) -> bool:
        """Run the model to the current instant; False once the horizon is reached."""
        target = self.instant()
        self.model.run(until=target)
        return target < self.horizon

    async def run(self) -> None:
        """Advance every ``step`` seconds until the horizon."""
        while self.advance():
            await asyncio.sleep(self.step)

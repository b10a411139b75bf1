"""A carrier's porting desk: ``capacity`` orders worked at once, the rest wait their turn.

It behaves exactly as ``simpy.Resource`` does for the model, event for event, so a seeded run
is unchanged, but without SimPy's generic put/get machinery: ``Resource.release`` scans its
list of users (up to the desk's capacity, 400 in the throughput benchmark) and every request
and release walks the generic trigger loops. Here a request knows whether it holds a place,
so a release costs O(1).

What is kept from ``simpy.Resource``, because the order of events depends on it:

* A request is granted with an event scheduled at once (the requesting process resumes when
  the environment reaches it, not inline), unless no other event is due at that instant:
  then the event is processed on the spot, which is the same thing, one heap trip cheaper.
* Whenever a request is made or a release is processed, the longest-waiting request (and
  only that one) is granted if a place is free.
* A release schedules an event of its own; the waiting request it frees is granted when the
  environment processes that event, not at the release itself.
"""

from __future__ import annotations

from collections import deque
from types import TracebackType

import simpy
from simpy.events import PENDING, Event

__all__ = ["Desk", "DeskRequest"]


class DeskRequest(Event):
    """A request for a place at the desk; ``with desk.request() as slot: yield slot``.

    Leaving the ``with`` block gives the place back, or leaves the queue if the request
    was never granted (the process was interrupted while waiting).
    """

    def __init__(self, desk: Desk) -> None:
        # Event.__init__ inlined, as SimPy does for its own hot events.
        self.env = desk.env
        self.callbacks = []
        self._value = PENDING
        self.desk = desk
        self.granted = False
        queue = desk.queue
        if not queue and desk.busy < desk.capacity and desk.env.peek() > desk.env.now:
            # Granted at once, and nothing else is due at this instant: the grant event would
            # be the very next one processed, so it may as well be processed already. SimPy
            # resumes a process that yields a processed event without a trip through the
            # event queue, in the same order of everything else.
            self.granted = True
            desk.busy += 1
            self._ok = True
            self._value = None
            self.callbacks = None  # type: ignore[assignment]
            return
        queue.append(self)
        desk._grant_next()

    def __enter__(self) -> DeskRequest:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        desk = self.desk
        if self._value is PENDING:  # never granted: leave the queue (rare, so O(n) is fine)
            desk.queue.remove(self)
        if exc_type is not GeneratorExit:  # as simpy's Request: no release on close()
            desk.release(self)


class _Released(Event):
    """The event a release schedules; processing it grants the next waiting request."""

    def __init__(self, desk: Desk) -> None:
        self.env = desk.env
        self.callbacks = [desk._on_released]
        self._ok = True
        self._value = None
        desk.env.schedule(self)


class Desk:
    """``capacity`` places, granted first come, first served (see the module docstring)."""

    def __init__(self, env: simpy.Environment, capacity: int = 1) -> None:
        if capacity <= 0:
            raise ValueError('"capacity" must be > 0.')
        self.env = env
        self.capacity = capacity
        self.busy = 0  # places held by granted, unreleased requests
        self.queue: deque[DeskRequest] = deque()  # waiting requests, oldest first

    @property
    def count(self) -> int:
        """Places in use (``simpy.Resource.count``)."""
        return self.busy

    def request(self) -> DeskRequest:
        """Ask for a place; the returned event fires when it is granted."""
        return DeskRequest(self)

    def release(self, request: DeskRequest) -> None:
        """Give a place back (a no-op for a request that was never granted, as in SimPy)."""
        if request.granted:
            request.granted = False
            self.busy -= 1
        _Released(self)

    def _grant_next(self) -> None:
        # simpy's _trigger_put with Resource._do_put: try the head of the queue, once.
        queue = self.queue
        if queue and self.busy < self.capacity:
            head = queue.popleft()
            head.granted = True
            self.busy += 1
            head._ok = True
            head._value = None
            self.env.schedule(head)

    def _on_released(self, _event: Event) -> None:
        self._grant_next()

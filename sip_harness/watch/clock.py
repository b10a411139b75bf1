"""The clock a watch compares against: a replay's simulated instant while one runs, else the wall.

``cutover asterisk replay`` makes its simulated clock readable to any watcher of the same
Asterisk: one AstDB entry, ``cutover-clock/replay``, holds a :class:`ReplayClock` (the simulated
instant at a wall-clock moment, the speed, and whether the replay runs or has ended), written
when the replay starts, at every leap of its clock and when it ends. A watcher reads the entry
once per round and extrapolates in between (:class:`WatchClock`, pure: the reading is the
caller's). Nothing else is needed: an external Asterisk works the same way.

>>> clock = ReplayClock("ngn", datetime(2026, 12, 5, tzinfo=UTC), 1000.0, 60.0, "running")
>>> ReplayClock.decode(clock.encode()) == clock
True
>>> clock.now(1001.5).isoformat()
'2026-12-05T00:01:30+00:00'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

__all__ = ["CLOCK_FAMILY", "CLOCK_KEY", "ReplayClock", "WatchClock", "CLOCK_MODES"]

#: The AstDB family and key of a replay's clock (not one of the routing families: a move of
#: the routing state never touches it).
CLOCK_FAMILY = "cutover-clock"
CLOCK_KEY = "replay"
#: How a watch picks its clock: a replay's if one runs, else the wall's (auto); only a
#: replay's, waiting for one to start (replay); only the wall's (wall).
CLOCK_MODES = ("auto", "replay", "wall")
RUNNING, ENDED = "running", "ended"


@dataclass(frozen=True)
class ReplayClock:
    """A replay's simulated clock: ``instant`` at POSIX time ``wall``, ``speed`` simulated
    seconds per second from then on (0 once ended)."""

    scenario: str
    instant: datetime
    wall: float
    speed: float
    state: str   # running, ended

    def now(self, wall: float) -> datetime:
        """The simulated instant at POSIX time ``wall``."""
        if self.state != RUNNING:
            return self.instant
        return self.instant + timedelta(seconds=(wall - self.wall) * self.speed)

    def ended(self, instant: datetime, wall: float) -> ReplayClock:
        return replace(self, instant=instant, wall=wall, speed=0.0, state=ENDED)

    def encode(self) -> str:
        return "|".join((self.state, self.instant.isoformat(), f"{self.wall:.6f}",
                         f"{self.speed:g}", self.scenario))

    @classmethod
    def decode(cls, text: str | None) -> ReplayClock | None:
        """The clock an AstDB value holds; None when there is none or it is not one."""
        parts = (text or "").split("|", 4)
        if len(parts) != 5 or parts[0] not in (RUNNING, ENDED):
            return None
        try:
            instant = datetime.fromisoformat(parts[1])
            clock = cls(parts[4], instant.astimezone(UTC), float(parts[2]), float(parts[3]),
                        parts[0])
        except ValueError:
            return None
        return clock


class WatchClock:
    """The instant a watch of ``scenario`` compares against, from the replay clocks it reads.

    ``update(text, wall)`` with each reading of the AstDB entry (None: no entry); ``now(wall)``
    is then the replay's simulated instant while a replay of this scenario runs, the wall
    clock otherwise (mode ``auto``), or None while waiting for a replay (mode ``replay``). A
    replay that ended while followed ends the watch (``ended``); one found ended at the start
    is an old one and ignored.
    """

    def __init__(self, scenario: str, mode: str = "auto") -> None:
        if mode not in CLOCK_MODES:
            raise ValueError(f"clock mode {mode!r}: one of {', '.join(CLOCK_MODES)}")
        self.scenario, self.mode = scenario, mode
        self.clock: ReplayClock | None = None
        self.followed = False
        self.ended = False

    def update(self, text: str | None, wall: float) -> None:
        if self.mode == "wall" or self.ended:
            return
        clock = ReplayClock.decode(text)
        if clock is not None and clock.scenario != self.scenario:
            clock = None
        if clock is not None and clock.state == RUNNING:
            self.clock, self.followed = clock, True
        elif self.followed:  # ended, or the entry went away: the replay is over
            held = clock if clock is not None else self.clock
            assert held is not None
            self.clock = held if held.state == ENDED else held.ended(held.now(wall), wall)
            self.ended = True

    def now(self, wall: float) -> datetime | None:
        if self.clock is not None and self.followed:
            return self.clock.now(wall)
        if self.mode == "replay":
            return None
        return datetime.fromtimestamp(wall, UTC)

    def describe(self) -> str:
        """In words: which clock, at which speed."""
        if self.clock is not None and self.followed:
            if self.ended:
                return "replay ended"
            return f"replay x{self.clock.speed:g}"
        return "waiting for a replay" if self.mode == "replay" else "wall clock"

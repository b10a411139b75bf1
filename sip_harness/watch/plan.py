"""What the plan says each watched number does, instant by instant (pure: no SIP, no Asterisk).

The plan is the simulation's: one :class:`~sim.model.Replay` run through the watched period,
and the routing core's answer for every number of every port order after each change it
published (:func:`sip_harness.verify.expectations.expectations`, the same expectations
``verify`` checks). A :class:`NumberPlan` holds one number's answers as a step function
(where an inbound call should land, which caller ID its phone presents) and its cutover
windows: from each activation attempt's start, the regime's window length, or longer if the
attempt ended later.

>>> from datetime import UTC, datetime
>>> from sim.model import Replay
>>> from sim.scenario import load_scenario
>>> replay = Replay(load_scenario("scenarios/uk_ngn_reseller_rollback.yaml"))
>>> plan = watch_plan(replay, "vodafone")["+448081570123"]
>>> [(c.at.strftime("%d %H:%M"), c.kind) for c in plan.changes]
[('05 00:14', 'flip'), ('05 00:39', 'flip_back'), ('12 00:13', 'flip')]
>>> print(plan.at(datetime(2026, 12, 5, 0, 20, tzinfo=UTC)).where)
callagenix (customer's phone)
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta

from sim.model import EventKind, Replay
from sim.regimes import get_regime
from sip_harness.config import routing_view
from sip_harness.verify.expectations import Where, expectations

__all__ = ["Planned", "Change", "Window", "NumberPlan", "watch_plan", "windows", "AFTER_PUBLISH"]

#: The routing state at an instant holds the changes published strictly before it: the plan
#: after a change published at ``p`` is read at ``p + AFTER_PUBLISH``.
AFTER_PUBLISH = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Planned:
    """What the plan says about a number from ``since`` on (until its next step)."""

    since: datetime | None   # None: from the start of the scenario
    where: Where             # where an inbound call should land
    presented: str           # the caller ID its phone should present
    reason: str              # the routing core's words


@dataclass(frozen=True)
class Change:
    """A planned change of where a number's calls land."""

    at: datetime
    before: Where
    after: Where
    kind: str   # 'flip' (to the gaining carrier), 'flip_back' (to the losing one), 'move'


@dataclass(frozen=True)
class Window:
    """A cutover window of a port order: one activation attempt's."""

    port: str
    attempt: int
    start: datetime
    end: datetime

    def open_at(self, t: datetime) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class NumberPlan:
    """One number's plan: its steps, planned changes and windows, its old and new landing."""

    number: str
    port: str
    losing: str
    gaining: str
    old: Where                  # where its calls land before the port
    new: Where                  # ... and after it
    steps: tuple[Planned, ...]  # in time order; the first has since=None
    windows: tuple[Window, ...]

    def at(self, t: datetime) -> Planned:
        """The plan at ``t``: the last step that began strictly before ``t``."""
        starts = [s.since for s in self.steps[1:] if s.since is not None]
        return self.steps[bisect_left(starts, t)]

    @property
    def changes(self) -> tuple[Change, ...]:
        """Every planned change of landing, in time order."""
        out = []
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if before.where != after.where and after.since is not None:
                out.append(Change(after.since, before.where, after.where,
                                  self.kind(before.where, after.where)))
        return tuple(out)

    def kind(self, before: Where, after: Where) -> str:
        """'flip' (old to new), 'flip_back' (new to old) or 'move' (anything else)."""
        if (before, after) == (self.old, self.new):
            return "flip"
        if (before, after) == (self.new, self.old):
            return "flip_back"
        return "move"

    def window_at(self, t: datetime) -> Window | None:
        """The window open at ``t``, if any."""
        return next((w for w in self.windows if w.open_at(t)), None)


def watch_plan(replay: Replay, origin: str, *, until: datetime | None = None
               ) -> dict[str, NumberPlan]:
    """Each port-order number's plan up to ``until`` (default: the scenario's horizon).

    ``origin`` is the carrier external callers call from (it decides the path, not the
    landing). Runs ``replay`` on to ``until``; numbers in scenario order.
    """
    scenario = replay.scenario
    end = until or scenario.horizon
    replay.run_to(end)
    instants = [scenario.start] + [p + AFTER_PUBLISH for p in replay.publishes if p < end]
    steps: dict[str, list[Planned]] = {}
    for i, instant in enumerate(instants):
        for exp in expectations(replay, "plan", instant, origin):
            since = None if i == 0 else instant - AFTER_PUBLISH
            step = Planned(since, exp.where, exp.presented, exp.reason)
            have = steps.setdefault(exp.number, [])
            if not have or (have[-1].where, have[-1].presented) != (step.where, step.presented):
                have.append(step)
    by_port = windows(replay, end)
    view = routing_view(scenario, replay.at(scenario.start), at=scenario.start)
    out: dict[str, NumberPlan] = {}
    for order in scenario.port_orders:
        for number in order.numbers:
            hosting = view.hosted[number]

            def where(carrier: str, number: str = number, hosting: str = hosting) -> Where:
                # the customer's premises at its hosting carrier: a phone, or a DDI number's
                # PBX trunk (as the expectations say)
                return Where(carrier, carrier == hosting,
                             carrier == hosting and number in view.pbx)
            out[number] = NumberPlan(
                number=number, port=order.id, losing=order.losing, gaining=order.gaining,
                old=where(order.losing), new=where(order.gaining),
                steps=tuple(steps[number]), windows=by_port.get(order.id, ()))
    return out


def windows(replay: Replay, end: datetime) -> dict[str, tuple[Window, ...]]:
    """Each port order's windows up to ``end``: an attempt's start plus the regime's window
    length, or to the attempt's end (active or rolled back) if that is later. Runs ``replay``
    on to ``end``."""
    replay.run_to(end)
    length = get_regime(replay.scenario.regime).window_length
    opened: dict[tuple[str, int], datetime] = {}
    closed: dict[tuple[str, int], datetime] = {}
    attempt: dict[str, int] = {}
    for event in replay.events(until=end):
        port, kind = event.get("port"), event.get("event")
        if port is None:
            continue
        t = datetime.fromisoformat(event["t"])
        if kind == EventKind.ACTIVATING:
            attempt[port] = int(event.get("attempt") or attempt.get(port, 0) + 1)
            opened[(port, attempt[port])] = t
        elif kind in (EventKind.ACTIVE, EventKind.ROLLED_BACK) and port in attempt:
            closed[(port, attempt[port])] = t
    out: dict[str, list[Window]] = {}
    for (port, n), start in sorted(opened.items(), key=lambda kv: kv[1]):
        stop = max(start + length, closed.get((port, n), start))
        out.setdefault(port, []).append(Window(port, n, start, stop))
    return {port: tuple(ws) for port, ws in out.items()}

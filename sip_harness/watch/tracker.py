"""Plan against actual, number by number: flips, alerts, lateness, minutes in the wrong place.

Pure: observations in (what a probe saw at a simulated instant), records and reports out; no
SIP, no Asterisk, no clock of its own. :class:`NumberWatch` follows one number,
:class:`WatchBoard` all of them and says which are due for a probe (their window is open).

Each observation gets a verdict against the plan at its instant:

- ``ok``: the call landed where the plan says, and the caller ID (if probed) is the planned one;
- ``pending``: it still lands where the plan had it before its latest change, within the grace
  period after that change; ``late`` beyond it (an alert, once per change);
- ``wrong``: it lands neither on the old nor on the new landing the plan says (an alert);
- ``nowhere``: the call arrived nowhere (an alert after :data:`NO_ANSWER_PROBES` in a row);
- ``callerid``: it landed right but the phone presented another number (an alert).

A change of landing between two observations (a probe that arrived nowhere in between does not
count) is a flip (old to new), a flip back (new to old) or a move; it is matched with the earliest
planned change of the same kind not yet matched that is due (its time is before the observation
plus the grace period): its lateness is the observation's time less the planned time. A change
that matches nothing is unplanned: an alert (a flip back is an unplanned rollback).

Minutes are counted sample-and-hold: an observation's verdict holds until the next observation
of the number or the end of its window, whichever comes first; ``pending`` and ``late`` count
as minutes in the wrong place, as ``wrong`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sip_harness.verify.expectations import Where
from sip_harness.watch.plan import Change, NumberPlan

__all__ = ["Observation", "ObservedChange", "NumberReport", "NumberWatch", "WatchBoard",
           "NO_ANSWER_PROBES", "DEFAULT_GRACE", "VERDICTS"]

#: Probes in a row that arrive nowhere before a number is said to have stopped answering.
NO_ANSWER_PROBES = 2
#: How long after a planned change a number may still land where it was (simulated time).
DEFAULT_GRACE = timedelta(minutes=5)
VERDICTS = ("ok", "pending", "late", "wrong", "nowhere", "callerid")
_WRONG_PLACE = ("pending", "late", "wrong")


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _where(w: Where | None) -> str:
    return str(w) if w is not None else "nowhere"


@dataclass(frozen=True)
class Observation:
    """What one probe of a number saw, at the simulated instant it was placed."""

    t: datetime
    number: str
    landed: Where | None            # where the inbound call arrived; None: nowhere
    status: int | None = None       # the caller's final SIP status
    presented: str | None = None    # caller ID an outbound call presented (None: none seen)
    outbound: bool = False          # whether an outbound call was placed


@dataclass(frozen=True)
class ObservedChange:
    """A change of landing seen between two observations of a number."""

    at: datetime                  # the first observation on the new landing
    last_before: datetime         # the last observation on the old one
    before: Where
    after: Where
    kind: str                     # flip, flip_back, move
    planned: Change | None        # the planned change it matches, if any

    @property
    def lateness_minutes(self) -> float | None:
        if self.planned is None:
            return None
        return round((self.at - self.planned.at).total_seconds() / 60, 2)

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "t": _iso(self.at), "last_before": _iso(self.last_before),
                "from": str(self.before), "to": str(self.after),
                "planned": self.planned is not None,
                "planned_at": _iso(self.planned.at) if self.planned else None,
                "lateness_minutes": self.lateness_minutes}


@dataclass
class NumberReport:
    """Plan against actual for one number, at the end of the watch."""

    number: str
    port: str
    losing: str
    gaining: str
    ended: str                                  # settled, wrong, not watched
    why: str
    planned_now: str
    observed_now: str
    probes: int
    changes: list[dict[str, Any]] = field(default_factory=list)   # planned, with observed
    unplanned: list[dict[str, Any]] = field(default_factory=list)
    minutes_watched: float = 0.0
    minutes_nowhere: float = 0.0
    minutes_wrong_place: float = 0.0
    minutes_wrong_callerid: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class NumberWatch:
    """One number followed against its plan. Feed it observations in time order."""

    def __init__(self, plan: NumberPlan, *, grace: timedelta = DEFAULT_GRACE) -> None:
        self.plan = plan
        self.grace = grace
        self.probes = 0
        self.last: Observation | None = None
        self.verdict: str | None = None
        self.landed: Where | None = None        # the last landing seen (nowhere ignored)
        self.since: datetime | None = None      # first observation on that landing
        self._seen_at: datetime | None = None   # last observation on that landing
        self._nowhere_run = 0
        self._late_alerted: set[datetime | None] = set()
        self.first: datetime | None = None
        self.seen: list[ObservedChange] = []
        self._matched: dict[int, ObservedChange] = {}
        self.minutes: dict[str, float] = dict.fromkeys(VERDICTS, 0.0)
        #: the observed timeline, bounded by the changes, not by the probes: a spell each time
        #: the landing, the verdict or the window changed: [first seen, last seen, landing,
        #: verdict]
        self.spells: list[list[Any]] = []
        self._closed = False

    @property
    def flips(self) -> int:
        return len(self.seen)

    def judge(self, obs: Observation) -> str:
        """The verdict on ``obs`` against the plan at its instant (see the module docstring)."""
        planned = self.plan.at(obs.t)
        if obs.landed is None:
            return "nowhere"
        if obs.landed == planned.where:
            if obs.outbound and obs.presented != planned.presented:
                return "callerid"
            return "ok"
        steps = self.plan.steps
        i = steps.index(planned)
        previous = next((s for s in reversed(steps[:i]) if s.where != planned.where), None)
        if previous is not None and obs.landed == previous.where and planned.since is not None:
            return "pending" if obs.t - planned.since <= self.grace else "late"
        return "wrong"

    def observe(self, obs: Observation) -> list[dict[str, Any]]:
        """Take one observation; return its record, then any change and alert records."""
        planned = self.plan.at(obs.t)
        verdict = self.judge(obs)
        self._account(obs.t)
        if self.first is None:
            self.first = obs.t
        self.probes += 1
        records: list[dict[str, Any]] = [{
            "kind": "observation", "t": _iso(obs.t), "number": obs.number,
            "landed": _where(obs.landed), "status": obs.status,
            "presented": obs.presented if obs.outbound else None,
            "planned": str(planned.where),
            "planned_presented": planned.presented if obs.outbound else None,
            "verdict": verdict}]
        change = None
        if obs.landed is not None:
            if self.landed is not None and obs.landed != self.landed:
                change = self._change(obs, self.landed, obs.landed)
                records.append({"number": obs.number, **change.as_record()})
            if change is not None or self.landed is None:
                self.since = obs.t
            self.landed, self._seen_at = obs.landed, obs.t
        records += self._alerts(obs, verdict, planned.since, change)
        spell = [_where(obs.landed), verdict]
        if not self.spells or self.spells[-1][2:] != spell or (
                self.last is not None and self.plan.window_at(self.last.t)
                != self.plan.window_at(obs.t)):
            self.spells.append([obs.t, obs.t, *spell])
        else:
            self.spells[-1][1] = obs.t
        self._nowhere_run = self._nowhere_run + 1 if verdict == "nowhere" else 0
        self.last, self.verdict = obs, verdict
        return records

    def _change(self, obs: Observation, before: Where, after: Where) -> ObservedChange:
        kind = self.plan.kind(before, after)
        match = None
        for i, planned in enumerate(self.plan.changes):
            if i in self._matched or (planned.before, planned.after) != (before, after):
                continue
            if planned.at <= obs.t + self.grace:
                match = i
                break
        assert self._seen_at is not None
        seen = ObservedChange(obs.t, self._seen_at, before, after, kind,
                              self.plan.changes[match] if match is not None else None)
        if match is not None:
            self._matched[match] = seen
        self.seen.append(seen)
        return seen

    def _alerts(self, obs: Observation, verdict: str, step_since: datetime | None,
                change: ObservedChange | None) -> list[dict[str, Any]]:
        n, plan, t = obs.number, self.plan, obs.t
        planned = plan.at(t)

        def alert(what: str, text: str) -> dict[str, Any]:
            return {"kind": "alert", "alert": what, "t": _iso(t), "number": n, "text": text}

        out = []
        if change is not None and change.planned is None:
            if change.kind == "flip_back":
                out.append(alert("flip_back", f"{n} flipped back from {change.before} to "
                                 f"{change.after} (unplanned rollback; seen on {change.before} "
                                 f"at {_iso(change.last_before)})"))
            else:
                out.append(alert("unplanned_change", f"{n} moved from {change.before} to "
                                 f"{change.after}, which the plan does not say"))
        if verdict == "wrong" and (self.verdict != "wrong" or change is not None):
            out.append(alert("wrong_place", f"{n} lands at {obs.landed}: neither its old "
                             f"({plan.old}) nor its new ({plan.new}) landing; the plan says "
                             f"{planned.where}"))
        if verdict == "late" and step_since not in self._late_alerted:
            self._late_alerted.add(step_since)
            late = (t - step_since).total_seconds() / 60 if step_since else 0.0
            out.append(alert("late", f"{n} still lands at {obs.landed}; planned "
                             f"{planned.where} since {_iso(step_since)} ({late:.0f} min late)"))
        if verdict == "nowhere" and self._nowhere_run + 1 == NO_ANSWER_PROBES:
            out.append(alert("no_answer", f"{n} stopped answering: {NO_ANSWER_PROBES} calls in "
                             f"a row arrived nowhere (caller got {obs.status})"))
        if verdict == "callerid" and self.verdict != "callerid":
            out.append(alert("callerid", f"{n}'s phone presents {obs.presented!r}, planned "
                             f"{planned.presented}"))
        return out

    def _account(self, t: datetime) -> None:
        """Hold the last verdict from the last observation until ``t`` (or its window's end)."""
        if self.last is None or self.verdict is None:
            return
        start = self.last.t
        window = self.plan.window_at(start)
        stop = min(t, window.end) if window is not None else t
        if stop > start:
            self.minutes[self.verdict] += (stop - start).total_seconds() / 60

    def report(self, end: datetime) -> NumberReport:
        """Plan against actual up to ``end``, the end of the watch."""
        if not self._closed:
            self._account(end)
            self._closed = True
        plan = self.plan
        planned_now = plan.at(end)
        rows = []
        if self.first is not None:
            start = plan.window_at(self.first)
            begin = start.start if start is not None else self.first
            for i, c in enumerate(plan.changes):
                if begin <= c.at <= end:
                    seen = self._matched.get(i)
                    rows.append({"kind": c.kind, "planned": _iso(c.at), "from": str(c.before),
                                 "to": str(c.after),
                                 "observed": _iso(seen.at) if seen else None,
                                 "last_before": _iso(seen.last_before) if seen else None,
                                 "lateness_minutes": seen.lateness_minutes if seen else None})
        unplanned = [c.as_record() for c in self.seen if c.planned is None]
        minutes = self.minutes
        report = NumberReport(
            number=plan.number, port=plan.port, losing=plan.losing, gaining=plan.gaining,
            ended="not watched", why="no probe of it during the watch",
            planned_now=str(planned_now.where), observed_now=_where(self.landed),
            probes=self.probes, changes=rows, unplanned=unplanned,
            minutes_watched=round(sum(minutes.values()), 2),
            minutes_nowhere=round(minutes["nowhere"], 2),
            minutes_wrong_place=round(sum(minutes[v] for v in _WRONG_PLACE), 2),
            minutes_wrong_callerid=round(minutes["callerid"], 2))
        if self.verdict is None:
            return report
        report.ended = "settled" if self.verdict == "ok" else "wrong"
        report.why = self._why(planned_now.where, rows)
        return report

    def _why(self, planned: Where, rows: Iterable[Mapping[str, Any]]) -> str:
        missed = [r for r in rows if r["observed"] is None]
        if self.verdict == "ok":
            return f"lands at {planned} as planned"
        if self.verdict == "nowhere":
            return f"answered nowhere at the end; the plan says {planned}"
        if self.verdict == "callerid":
            return f"lands at {planned}, but presents the wrong caller ID"
        if self.landed is not None and missed:
            first = missed[0]
            return (f"left behind on {self.landed}: planned to land at {first['to']} from "
                    f"{first['planned']}")
        return f"lands at {_where(self.landed)}; the plan says {planned}"

    def row(self, now: datetime) -> dict[str, str]:
        """The live table's row at ``now``: number, plan, lands, since, flips, verdict."""
        return {"number": self.plan.number, "plan": str(self.plan.at(now).where),
                "lands": _where(self.last.landed) if self.last else "",
                "since": self.since.strftime("%a %H:%M") if self.since else "",
                "flips": str(self.flips), "verdict": self.verdict or "waiting"}


class WatchBoard:
    """Every watched number; which are due for a probe; the end of the watch; the reports."""

    def __init__(self, plans: Mapping[str, NumberPlan], *, start: datetime | None = None,
                 until: datetime | None = None, grace: timedelta = DEFAULT_GRACE) -> None:
        self.watches = {n: NumberWatch(p, grace=grace) for n, p in plans.items()}
        self.start, self.until = start, until

    def _in_range(self, t: datetime) -> bool:
        return (self.start is None or t >= self.start) and (self.until is None or t < self.until)

    def due(self, t: datetime) -> list[str]:
        """The numbers whose window is open at ``t`` (within the watch's range)."""
        if not self._in_range(t):
            return []
        return [n for n, w in self.watches.items() if w.plan.window_at(t) is not None]

    def next_opening(self, t: datetime) -> datetime | None:
        """The earliest window start after ``t`` within the watch's range, if any."""
        starts = [max(w.start, self.start) if self.start else w.start
                  for nw in self.watches.values() for w in nw.plan.windows
                  if w.end > t and (self.start is None or w.end > self.start)]
        starts = [s for s in starts if s > t and (self.until is None or s < self.until)]
        return min(starts, default=None)

    def finished(self, t: datetime) -> bool:
        """Whether the watch is over at ``t``: past ``until``, or no window open now or later."""
        if self.until is not None and t >= self.until:
            return True
        return not self.due(t) and self.next_opening(t) is None

    def observe(self, obs: Observation) -> list[dict[str, Any]]:
        return self.watches[obs.number].observe(obs)

    def rows(self, now: datetime) -> list[dict[str, str]]:
        return [w.row(now) for w in self.watches.values()]

    def reports(self, end: datetime) -> list[NumberReport]:
        return [w.report(end) for w in self.watches.values()]

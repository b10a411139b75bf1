"""report.html of a run: the story, the timeline, downtime, calls, rejections, deadlines, costs.

Built from the run's two outputs only (the events as written to events.jsonl and summary.json)
plus the scenario's description, so a report can be made again from a run's directory. The
figures are summary.json's, each element marked ``data-figure="path.in.summary"``; the drawn
rows and bars carry their own ``data-*`` counts, so a test reading the rendered page can check
both against the files.
"""

from __future__ import annotations

__all__ = ["REPORT_FILE", "report_content", "render_run_report", "MAX_TIMELINE_ROWS"]

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sim.model.lifecycle import SETTLED, EventKind
from sim.model.traffic import CallOutcome
from sim.report.html_page import render
from sim.report.number_groups import group_numbers
from sim.report.outputs import ACCOUNT_EVENTS, OTHER_STATE_COLOUR, OUTAGE_COLOUR, STATE_COLOURS
from sim.report.time_axis import TimeAxis, instant

REPORT_FILE = "report.html"
#: Port orders drawn one row each; beyond, the rest are counted in one "+N more" row.
MAX_TIMELINE_ROWS = 400
#: The call events, by outcome, in the order their bars are stacked.
CALL_EVENTS: dict[str, str] = {
    CallOutcome.FAILED: EventKind.CALL_FAILED,
    CallOutcome.MISROUTED: EventKind.CALL_MISROUTED,
    CallOutcome.LOST: EventKind.CALL_LOST,
}
CALL_COLOURS: dict[str, str] = {CallOutcome.FAILED: "#d62728", CallOutcome.MISROUTED: "#ff7f0e",
                CallOutcome.LOST: "#252525"}
_MARKS: dict[str, tuple[str, str]] = {EventKind.ACTIVATION_FAILED: ("activation failed", "#000000"),
          EventKind.ROLLED_BACK: ("rollback", "#54278f")}
_REFUSALS = (EventKind.REJECTED, EventKind.DENIED)
_CALL_KINDS = frozenset(CALL_EVENTS.values())


def _moments(events: Sequence[Mapping[str, Any]]) -> list[datetime]:
    out = []
    for event in events:
        for key in ("t", "start", "end"):
            if isinstance(event.get(key), str):
                out.append(instant(event[key]))
    return out


def _outages(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each carrier outage once (the model may record one outage more than once)."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in events:
        if event.get("event") != EventKind.CARRIER_OUTAGE:
            continue
        if not (isinstance(event.get("start"), str) and isinstance(event.get("end"), str)):
            continue
        key = (str(event.get("carrier")), event["start"], event["end"])
        seen.setdefault(key, {"carrier": key[0], "start": key[1], "end": key[2],
                              "minutes": event.get("minutes")})
    return list(seen.values())


def _timeline(events: Sequence[Mapping[str, Any]], axis: TimeAxis,
              outages: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows (carriers with an outage, then port orders in order of appearance) and spans."""
    ports: dict[str, dict[str, Any]] = {}
    number_port: dict[str, str] = {}
    for event in events:
        port = event.get("port")
        # a customer's account (a suspension): a row of its numbers' state, as in timeline.png
        account = event.get("event") in ACCOUNT_EVENTS and isinstance(event.get("customer"), str)
        if account:
            port = f"account: {event['customer']}"
        if not isinstance(port, str) or event.get("event") in _CALL_KINDS:
            continue
        row = ports.setdefault(port, {"label": port, "kind": "port", "changes": [],
                                      "outages": [], "marks": [], "numbers": 0})
        numbers = [str(n) for n in event.get("numbers") or ()]
        row["numbers"] = max(row["numbers"], len(numbers))
        for number in () if account else numbers:
            number_port.setdefault(number, port)
        state = event.get("state")
        if isinstance(state, str) and (not row["changes"] or row["changes"][-1][1] != state):
            row["changes"].append((instant(str(event["t"])), state))
        name = event.get("event")
        if name in _MARKS:
            what, colour = _MARKS[str(name)]
            moment = instant(str(event["t"]))
            detail = f": {event['fault']}" if event.get("fault") else ""
            row["marks"].append({"x": axis.x(moment), "colour": colour,
                                 "title": f"{port}: {what} at {moment:%d %b %H:%M}{detail}"})
        if name == EventKind.INTERRUPTION and isinstance(event.get("start"), str) \
                and isinstance(event.get("end"), str):
            start, end = instant(event["start"]), instant(event["end"])
            row["outages"].append({
                "x": axis.x(start), "w": axis.width(start, end),
                "title": f"{port}: service interrupted {start:%d %b %H:%M} to "
                         f"{end:%d %b %H:%M} ({event.get('minutes')} min, "
                         f"{event.get('cause', 'cutover')})"})
    rows: list[dict[str, Any]] = []
    by_carrier: dict[str, list[dict[str, Any]]] = {}
    for outage in outages:
        start, end = instant(outage["start"]), instant(outage["end"])
        by_carrier.setdefault(outage["carrier"], []).append({
            "x": axis.x(start), "w": axis.width(start, end),
            "title": f"{outage['carrier']} outage {start:%d %b %H:%M} to {end:%d %b %H:%M} "
                     f"({outage['minutes']} min)"})
    for carrier, spans in by_carrier.items():
        rows.append({"label": f"outage: {carrier}", "kind": "carrier", "segments": [],
                     "outages": spans, "marks": []})
    states_seen: list[str] = []
    shown = list(ports.values())[:MAX_TIMELINE_ROWS]
    for row in shown:
        segments = []
        changes = row.pop("changes")
        for i, (start, state) in enumerate(changes):
            end = changes[i + 1][0] if i + 1 < len(changes) else axis.end
            segments.append({"x": axis.x(start), "w": axis.width(start, end), "state": state,
                             "colour": STATE_COLOURS.get(state, OTHER_STATE_COLOUR),
                             "title": f"{row['label']}: {state} from {start:%d %b %H:%M}"})
            if state not in states_seen:
                states_seen.append(state)
        row["segments"] = segments
        row["final"] = changes[-1][1] if changes else ""
        rows.append(row)
    legend = [{"state": s, "colour": STATE_COLOURS.get(s, OTHER_STATE_COLOUR)}
              for s in sorted(states_seen, key=_state_order)]
    return {"rows": rows, "ports": len(ports), "drawn": len(shown),
            "hidden": len(ports) - len(shown),
            "legend": legend, "ticks": axis.ticks(10), "outage_colour": OUTAGE_COLOUR,
            "marks": [{"label": what, "colour": colour} for what, colour in _MARKS.values()]}


def _state_order(state: str) -> tuple[int, str]:
    order = list(STATE_COLOURS)
    return (order.index(state) if state in order else len(order), state)


def _calls(events: Sequence[Mapping[str, Any]], axis: TimeAxis) -> dict[str, Any]:
    """Recorded (failed, misrouted, lost) calls per time bin, stacked by outcome."""
    step, starts = axis.bins(48)
    counts: list[Counter[str]] = [Counter() for _ in starts]
    totals: Counter[str] = Counter()
    outcome_of = {kind: outcome for outcome, kind in CALL_EVENTS.items()}
    reasons: Counter[tuple[str, str]] = Counter()
    for event in events:
        outcome = outcome_of.get(str(event.get("event")))
        if outcome is None:
            continue
        moment = instant(str(event["t"]))
        index = min(max(int((moment - starts[0]) / step), 0), len(starts) - 1) if starts else 0
        if counts:
            counts[index][outcome] += 1
        totals[outcome] += 1
        reasons[(outcome, str(event.get("reason", "")))] += 1
    peak = max((sum(c.values()) for c in counts), default=0)
    bins = []
    for start, count in zip(starts, counts, strict=True):
        if not count:
            continue
        y = 100.0
        stack = []
        for outcome in CALL_EVENTS:
            if count[outcome]:
                h = 100.0 * count[outcome] / peak
                y -= h
                stack.append({"outcome": outcome, "count": count[outcome], "y": round(y, 3),
                              "h": round(h, 3), "colour": CALL_COLOURS[outcome]})
        bins.append({"x": axis.x(start), "w": axis.width(start, start + step),
                     "start": start, "stack": stack,
                     "title": f"{start:%d %b %H:%M}: " + ", ".join(
                         f"{s['count']} {s['outcome']}" for s in stack)})
    return {"bins": bins, "peak": peak, "step": _duration(step.total_seconds()),
            "totals": {o: totals[o] for o in CALL_EVENTS},
            "colours": CALL_COLOURS, "ticks": axis.ticks(10),
            "reasons": [{"outcome": o, "reason": r, "count": n}
                        for (o, r), n in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))]}


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} day" + ("s" if seconds > 86400 else "")
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def _refusals(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"t": e["t"], "event": e["event"], "port": e.get("port"),
             "reason": e.get("reason", ""), "detail": e.get("detail", ""),
             "reasons": list(e.get("reasons") or [e.get("reason", "")]),
             "numbers": len(e.get("numbers") or ())}
            for e in events if e.get("event") in _REFUSALS]


def _deadlines(events: Sequence[Mapping[str, Any]], until: str | None) -> list[dict[str, Any]]:
    """Each accepted order's deadline, when it was done, and whether it was breached.

    Breached as the summary counts it: done (active) after the deadline, or not done by the
    end of the run, unless the order settled (rejected, denied, cancelled, lost).
    """
    rows: dict[str, dict[str, Any]] = {}
    final: dict[str, str] = {}
    for event in events:
        port = event.get("port")
        if not isinstance(port, str):
            continue
        if isinstance(event.get("state"), str):
            final[port] = event["state"]
        if event.get("event") == EventKind.ACCEPTED and event.get("deadline"):
            row = rows.setdefault(port, {"port": port, "done": None, "days_late": None})
            row.update(accepted=event["t"], port_date=event.get("port_date"),
                       deadline=event["deadline"], late_answer=bool(event.get("late_answer")))
        elif event.get("event") == EventKind.ACTIVE and port in rows \
                and rows[port]["done"] is None:
            rows[port]["done"] = event["t"]
            rows[port]["days_late"] = event.get("days_late")
    out = []
    for port, row in rows.items():
        settled = final.get(port) in SETTLED
        done = row["done"] or until
        row["final"] = final.get(port, "")
        row["breached"] = (not settled and done is not None
                           and instant(done) > instant(row["deadline"]))
        out.append(row)
    return out


def _costs(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """summary.json's ``costs`` (currency -> kind -> amount, with a total), as table rows."""
    costs = summary.get("costs")
    if not isinstance(costs, Mapping) or not costs:
        return None
    currencies = sorted(costs)
    kinds: list[str] = []
    for currency in currencies:
        for kind in costs[currency]:
            if kind != "total" and kind not in kinds:
                kinds.append(kind)
    return {"currencies": currencies, "kinds": kinds, "table": costs}


def _figures(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The headline figures: (label, path in summary.json, value)."""
    out: list[dict[str, Any]] = []

    def add(label: str, path: str) -> None:
        value: Any = summary
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return
            value = value[part]
        out.append({"label": label, "path": path, "value": value})

    for state in sorted(summary.get("ports") or {}, key=_state_order):
        add(f"ports {state}", f"ports.{state}")
    add("numbers ported", "numbers_ported")
    add("numbers lost", "numbers_lost")
    add("downtime (min, total)", "downtime_minutes.total")
    for key in ("offered", *CallOutcome):
        add(f"calls {key}", f"calls.{key}")
    add("rollbacks", "rollbacks")
    add("deadline breaches", "deadline_breaches")
    add("late answers", "late_answers")
    add("compensation (EUR)", "compensation_eur")
    for currency in sorted(summary.get("costs") or {}):
        add(f"costs ({currency}, total)", f"costs.{currency}.total")
    return out


def report_content(events: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], *,
               description: str = "") -> dict[str, Any]:
    """The report's content: every figure, row and span the template draws (pure)."""
    outages = _outages(events)
    axis = TimeAxis.around(_moments(events))
    per_number = (summary.get("downtime_minutes") or {}).get("per_number") or {}
    port_of: dict[str, str] = {}
    for event in events:
        if isinstance(event.get("port"), str):
            for number in event.get("numbers") or ():
                port_of.setdefault(str(number), event["port"])
    downtime = group_numbers((n, (port_of.get(n, ""), per_number[n])) for n in sorted(per_number))
    return {
        "title": f"{summary.get('scenario', 'scenario')}: cutover report",
        "story": {"name": summary.get("scenario", ""), "description": description.strip(),
                  "regime": summary.get("regime", ""), "seed": summary.get("seed"),
                  "routing": summary.get("routing", ""), "start": axis.start,
                  "until": summary.get("until", ""), "events": len(events)},
        "figures": _figures(summary),
        "timeline": _timeline(events, axis, outages),
        "outages": outages,
        "downtime": {"groups": downtime, "total": (summary.get("downtime_minutes") or {}
                                                   ).get("total", 0.0),
                     "numbers": len(per_number)},
        "calls": _calls(events, axis),
        "summary_calls": summary.get("calls") or {},
        "refusals": _refusals(events),
        "rejections": summary.get("rejections") or {},
        "deadlines": _deadlines(events, summary.get("until")),
        "breaches": summary.get("deadline_breaches", 0),
        "compensation": summary.get("compensation_by_port") or {},
        "compensation_eur": summary.get("compensation_eur", 0.0),
        "costs": _costs(summary),
        "log": [e for e in events if e.get("event") not in _CALL_KINDS],
    }


def render_run_report(events: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], *,
                      description: str = "") -> str:
    """report.html's text: one self-contained page (inline CSS, JS and SVG)."""
    return render("run.html.j2", **report_content(events, summary, description=description))

"""The outputs of a run: events.jsonl, summary.json, timeline.png and the terminal summary table."""

from __future__ import annotations

__all__ = [
    "EVENTS_FILE",
    "SUMMARY_FILE",
    "TIMELINE_FILE",
    "write_events",
    "write_summary",
    "draw_timeline",
    "write_outputs",
    "summary_table",
]

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.lifecycle import AccountState, EventKind, PortState
from sim.model.traffic import CallOutcome

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from rich.table import Table

EVENTS_FILE = "events.jsonl"
SUMMARY_FILE = "summary.json"
TIMELINE_FILE = "timeline.png"

# Beyond this many port orders the timeline shows the first ones and a "+N more" row.
MAX_ROWS = 60

# One colour per port state; the order is the legend's order.
STATE_COLOURS: dict[str, str] = {
    PortState.REQUESTED: "#c6dbef",
    PortState.VALIDATED: "#9ecae1",
    PortState.ACCEPTED: "#6baed6",
    PortState.ACTIVATING: "#fd8d3c",
    PortState.ACTIVE: "#31a354",
    PortState.ROLLED_BACK: "#8c6bb1",
    PortState.REJECTED: "#bdbdbd",
    PortState.DENIED: "#969696",
    PortState.CANCELLED: "#d9d9d9",
    PortState.QUARANTINE: "#fdd0a2",
    PortState.RETURNED: "#fee391",
    PortState.REACTIVATED: "#41ab5d",
    PortState.LOST: "#252525",
    PortState.MIGRATED: "#74c476",
    PortState.REMEDIED: "#fb6a4a",
    PortState.HELD: "#fdae6b",
    # the numbers of an account suspended for lack of funds (rows "account: <customer>")
    AccountState.SUSPENDED: "#e6550d",
    AccountState.RELEASED: "#636363",
    AccountState.IN_SERVICE: "#a1d99b",
}
OTHER_STATE_COLOUR = "#f0f0f0"
OUTAGE_COLOUR = "#d62728"
# Events of a customer's account (no port order): a row of the numbers' state per customer.
ACCOUNT_EVENTS = frozenset({EventKind.SUSPENDED, EventKind.QUARANTINED, EventKind.RELEASED,
                            EventKind.RECONNECTED, EventKind.RECONNECT_REFUSED})
# Events drawn as hatched outage spans, and as marks on a port's row.
_OUTAGE_MARKS = (EventKind.INTERRUPTION, EventKind.CARRIER_OUTAGE)
_FAILURE_MARKS = (EventKind.ACTIVATION_FAILED, EventKind.ROLLED_BACK)


def write_events(events: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    """Write one compact JSON object per line, keys in the record's own order.

    The bytes depend only on the records, so the same run gives a byte-identical file.
    """
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for event in events:
            out.write(json.dumps(event, sort_keys=False, separators=(",", ":"), ensure_ascii=False))
            out.write("\n")


def write_summary(summary: Mapping[str, Any], path: str | Path) -> None:
    """Write the summary as indented JSON with sorted keys and a trailing newline."""
    text = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _instant(text: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (a naive one is taken as UTC)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _timeline_rows(
    events: Sequence[Mapping[str, Any]],
) -> tuple[list[str], dict[str, list[tuple[datetime, str]]], dict[str, str]]:
    """Ports in order of first appearance, each port's state changes, and number -> port."""
    ports: list[str] = []
    changes: dict[str, list[tuple[datetime, str]]] = {}
    number_port: dict[str, str] = {}
    for event in events:
        port = event.get("port")
        account = event.get("event") in ACCOUNT_EVENTS and isinstance(event.get("customer"), str)
        if account:
            port = f"account: {event['customer']}"
        if not isinstance(port, str):
            continue
        if port not in changes:
            ports.append(port)
            changes[port] = []
        for number in () if account else event.get("numbers") or ():
            number_port.setdefault(str(number), port)
        state = event.get("state")
        if isinstance(state, str) and event.get("t"):
            history = changes[port]
            if not history or history[-1][1] != state:
                history.append((_instant(str(event["t"])), state))
    return ports, changes, number_port


def _span(axes: Axes, row: int, start: datetime, end: datetime, **style: Any) -> None:
    from matplotlib.dates import date2num

    left = float(date2num(start))
    width = max(float(date2num(end)) - left, 1e-4)
    axes.broken_barh([(left, width)], (row - 0.35, 0.7), **style)


def draw_timeline(events: Sequence[Mapping[str, Any]], path: str | Path, *, title: str) -> None:
    """Draw a Gantt of each port order's states, the outages and the failures into a PNG.

    One row per port order (at most ``MAX_ROWS``; the rest are counted in a "+N more" row),
    one row per carrier with an outage, hatched red spans for service interruptions and carrier
    outages, crosses for failed activations and triangles for rollbacks.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    ports, changes, number_port = _timeline_rows(events)
    times = [_instant(str(e["t"])) for e in events if e.get("t")]
    for event in events:
        for key in ("start", "end"):
            if isinstance(event.get(key), str):
                times.append(_instant(event[key]))
    outage_carriers: list[str] = []
    for event in events:
        carrier = event.get("carrier")
        if event.get("event") == EventKind.CARRIER_OUTAGE and isinstance(carrier, str):
            if carrier not in outage_carriers:
                outage_carriers.append(carrier)

    hidden = max(len(ports) - MAX_ROWS, 0)
    shown = ports[: MAX_ROWS - 1] if hidden else ports
    hidden = len(ports) - len(shown)
    labels = [f"outage: {c}" for c in outage_carriers] + shown
    if hidden:
        labels.append(f"+{hidden} more")
    row_of = {port: len(outage_carriers) + i for i, port in enumerate(shown)}
    carrier_row = {carrier: i for i, carrier in enumerate(outage_carriers)}

    height = min(2.0 + 0.32 * max(len(labels), 1), 24.0)
    fig = Figure(figsize=(12.0, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.add_subplot(1, 1, 1)
    axes.set_title(title)

    if not times:
        axes.text(0.5, 0.5, "no events", ha="center", va="center", transform=axes.transAxes)
        axes.set_yticks([])
        fig.savefig(path, format="png", metadata={"Software": None})
        return

    first, last = min(times), max(times)
    # A margin after the last event so final states (active, lost...) stay visible.
    last += max((last - first) * 0.04, timedelta(hours=1))
    states_seen: list[str] = []
    for port in shown:
        history = changes[port]
        for i, (start, state) in enumerate(history):
            end = history[i + 1][0] if i + 1 < len(history) else last
            colour = STATE_COLOURS.get(state, OTHER_STATE_COLOUR)
            _span(axes, row_of[port], start, end, facecolors=colour, edgecolor="none")
            if state not in states_seen:
                states_seen.append(state)

    failures: list[tuple[float, int]] = []
    rollbacks: list[tuple[float, int]] = []
    for event in events:
        name = event.get("event")
        if name == EventKind.CARRIER_OUTAGE and event.get("carrier") in carrier_row:
            if isinstance(event.get("start"), str) and isinstance(event.get("end"), str):
                row = carrier_row[str(event["carrier"])]
                _outage(axes, row, _instant(event["start"]), _instant(event["end"]))
        elif name == EventKind.INTERRUPTION:
            if not (isinstance(event.get("start"), str) and isinstance(event.get("end"), str)):
                continue
            rows = set()
            if event.get("port") in row_of:
                rows.add(row_of[str(event["port"])])
            for number in event.get("numbers") or ():
                if number_port.get(str(number)) in row_of:
                    rows.add(row_of[number_port[str(number)]])
            for row in sorted(rows):
                _outage(axes, row, _instant(event["start"]), _instant(event["end"]))
        elif name in _FAILURE_MARKS and event.get("port") in row_of:
            mark = (float(date2num(_instant(str(event["t"])))), row_of[str(event["port"])])
            (failures if name == EventKind.ACTIVATION_FAILED else rollbacks).append(mark)
    if failures:
        xs, ys = [x for x, _ in failures], [y for _, y in failures]
        axes.scatter(xs, ys, marker="x", color="black", zorder=3, s=30)
    if rollbacks:
        xs, ys = [x for x, _ in rollbacks], [y for _, y in rollbacks]
        axes.scatter(xs, ys, marker="v", color="#54278f", zorder=3, s=30)

    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlim(float(date2num(first)), float(date2num(last)))
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.grid(axis="x", linestyle=":", linewidth=0.5)
    axes.set_xlabel("time (UTC)")

    handles: list[Any] = [
        Patch(facecolor=STATE_COLOURS.get(s, OTHER_STATE_COLOUR), label=s) for s in states_seen
    ]
    if any(e.get("event") in _OUTAGE_MARKS for e in events):
        outage = Patch(facecolor="none", edgecolor=OUTAGE_COLOUR, hatch="////", label="outage")
        handles.append(outage)
    if failures:
        handles.append(axes.scatter([], [], marker="x", color="black", label="activation failed"))
    if rollbacks:
        handles.append(axes.scatter([], [], marker="v", color="#54278f", label="rollback"))
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})


def _outage(axes: Axes, row: int, start: datetime, end: datetime) -> None:
    _span(axes, row, start, end, facecolors="none", edgecolor=OUTAGE_COLOUR, hatch="////", zorder=2)


def write_outputs(
    out_dir: str | Path,
    events: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    *,
    title: str,
    pages: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write events.jsonl, summary.json and timeline.png into ``out_dir``, all or nothing.

    ``pages`` are more files to write with them, name -> text (report.html).

    The files are written into a temporary directory beside ``out_dir`` (same file system) and
    moved into place only once all three are complete; ``out_dir`` is created if missing and
    its other files are left alone. Returns the final path of each file by name.

    Raises
    ------
    OSError
        ``out_dir`` or its parent cannot be created or written.
    """
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        write_events(events, staging / EVENTS_FILE)
        write_summary(summary, staging / SUMMARY_FILE)
        draw_timeline(events, staging / TIMELINE_FILE, title=title)
        for name, text in (pages or {}).items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        names = (EVENTS_FILE, SUMMARY_FILE, TIMELINE_FILE, *(pages or {}))
        if not target.exists():
            # A single rename publishes the whole directory at once.
            os.chmod(staging, 0o777 & ~_umask())
            staging.rename(target)
        else:
            for name in names:
                os.replace(staging / name, target / name)
        return {name: target / name for name in names}
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def summary_table(summary: Mapping[str, Any]) -> Table:
    """The summary as a two-column rich table for the terminal."""
    from rich.table import Table

    title = f"{summary.get('scenario', 'scenario')} ({summary.get('regime', '?')} regime, "
    title += f"seed {summary.get('seed', '?')})"
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")

    ports = summary.get("ports") or {}
    for state in sorted(ports, key=_state_order):
        table.add_row(f"ports {state}", str(ports[state]))
    table.add_row("numbers ported", str(summary.get("numbers_ported", 0)))
    if summary.get("numbers_migrated"):
        table.add_row("numbers migrated (network unchanged)", str(summary["numbers_migrated"]))

    downtime = summary.get("downtime_minutes") or {}
    table.add_row("downtime (min, total)", f"{float(downtime.get('total', 0.0)):,.1f}")
    per_number = downtime.get("per_number") or {}
    if per_number:
        worst = max(sorted(per_number), key=lambda n: per_number[n])
        table.add_row("downtime (min, worst)", f"{float(per_number[worst]):,.1f} ({worst})")

    calls = summary.get("calls") or {}
    for key in ("offered", *CallOutcome):
        if key in calls:
            table.add_row(f"calls {key}", f"{int(calls[key]):,}")
    released = (summary.get("temporary_numbers") or {}).get("released") or {}
    for number in sorted(released):
        table.add_row(f"temporary {number} back to the pool", str(released[number]))
    if summary.get("dsl_lost"):
        table.add_row("DSL lost with the port", ", ".join(summary["dsl_lost"]))
    table.add_row("deadline breaches", str(summary.get("deadline_breaches", 0)))
    table.add_row("compensation (EUR)", f"{float(summary.get('compensation_eur', 0.0)):,.2f}")
    for currency, total in _cost_totals(summary):
        table.add_row(f"costs ({currency}, total)", f"{total:,.2f}")
    table.add_row("rollbacks", str(summary.get("rollbacks", 0)))
    rejections = summary.get("rejections") or {}
    for reason in sorted(rejections):
        table.add_row(f"rejected: {reason}", str(rejections[reason]))
    for carrier, desk in sorted((summary.get("desks") or {}).items()):
        if desk.get("queued"):
            table.add_row(f"{carrier} desk: queued (max wait h)",
                          f"{desk['queued']:,} ({desk['max_wait_hours']:,.1f})")
    return table


def _cost_totals(summary: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(currency, total) of every currency with costs, and always the regime's own."""
    from sim.regimes import REGIMES

    regime = REGIMES.get(str(summary.get("regime", "")))
    own = regime.currency if regime is not None else None
    costs = summary.get("costs") or {}
    return [(c, float(costs[c].get("total", 0.0))) for c in sorted(costs)
            if c == own or costs[c].get("total")]


def _state_order(state: str) -> tuple[int, str]:
    order = list(STATE_COLOURS)
    return (order.index(state) if state in order else len(order), state)

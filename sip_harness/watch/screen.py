"""What the watcher shows: the live table, the one-line records, the end-of-watch table (rich).

Pure rendering: rows and records in, rich renderables or text out; the CLI puts them on the
terminal (rich's ``Live`` for the table, plain lines when not on a terminal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from sip_harness.watch.tracker import NumberReport

__all__ = ["live_view", "record_line", "report_table", "report_lines", "STYLE"]

#: The colour of each verdict on the screen.
STYLE = {"ok": "green", "pending": "yellow", "waiting": "dim", "late": "bold red",
         "wrong": "bold red", "nowhere": "bold red", "callerid": "bold red",
         "settled": "green", "not watched": "dim"}


def _clock_text(now: datetime | None) -> str:
    return now.strftime("%a %d %b %H:%M:%S") if now is not None else "--"


def live_view(title: str, now: datetime | None, clock: str, rows: Sequence[Mapping[str, str]],
              due: int, stats: Mapping[str, Any], alerts: Sequence[str]) -> Group:
    """The live screen: a status line, the table of numbers, the latest alerts."""
    head = Text.assemble(
        (f"{title}  ", "bold"), (f"{_clock_text(now)} ", "bold cyan"), (f"({clock})  ", "cyan"),
        f"{due} in window  ",
        f"{stats.get('calls', 0)} calls, {stats.get('calls_per_second', 0.0):.1f}/s, "
        f"at most {stats.get('max_in_flight', 0)} in flight  ",
        f"round {stats.get('round_mean', 0.0):.1f} s  ",
        (f"{len(alerts)} alerts" if alerts else "no alerts",
         "bold red" if alerts else "green"))
    table = Table(expand=False, pad_edge=False)
    for name in ("number", "plan now", "lands", "since", "flips", "status"):
        table.add_column(name, justify="right" if name == "flips" else "left")
    for row in rows:
        style = STYLE.get(row["verdict"], "")
        table.add_row(row["number"], row["plan"], row["lands"], row["since"], row["flips"],
                      Text(row["verdict"], style=style))
    parts: list[Any] = [head, table]
    parts += [Text(a, style="red") for a in alerts[-5:]]
    return Group(*parts)


def record_line(record: Mapping[str, Any]) -> str | None:
    """The one line a flip, a flip back or an alert prints; None for plain observations."""
    kind = record.get("kind")
    t = str(record.get("t", ""))[:19].replace("T", " ")
    if kind == "alert":
        return f"ALERT {record['alert']} {t}: {record['text']}"
    if kind in ("flip", "flip_back", "move"):
        how = (f"planned {str(record['planned_at'])[11:16]}, "
               f"{record['lateness_minutes']:+.1f} min" if record.get("planned")
               else "NOT PLANNED")
        return (f"{kind.upper().replace('_', ' ')} {t} {record['number']}: {record['from']} -> "
                f"{record['to']} ({how}; last seen on {record['from']} at "
                f"{str(record['last_before'])[11:19]})")
    return None


def _changes_text(changes: Iterable[Mapping[str, Any]]) -> str:
    out = []
    for c in changes:
        planned = str(c["planned"])[8:16].replace("T", " ")
        seen = ("not seen" if c["observed"] is None else
                f"{str(c['observed'])[11:16]} {c['lateness_minutes']:+.1f}m")
        out.append(f"{c['kind'].replace('_', ' ')} {planned} -> {seen}")
    return "\n".join(out) or "-"


def report_table(reports: Sequence[NumberReport], title: str) -> Table:
    """Plan against actual, one row per number (why a number ended wrong: ``report_lines``)."""
    table = Table(title=title)
    for name in ("number", "ended", "planned -> seen (late)", "unplanned", "nowhere min",
                 "wrong min"):
        table.add_column(name, justify="right" if name.endswith("min") else "left")
    for r in reports:
        table.add_row(r.number, Text(r.ended, style=STYLE.get(r.ended, "bold red")),
                      _changes_text(r.changes), str(len(r.unplanned)) if r.unplanned else "",
                      f"{r.minutes_nowhere:.1f}", f"{r.minutes_wrong_place:.1f}")
    return table


def report_lines(reports: Sequence[NumberReport]) -> list[str]:
    """One line per number that did not settle as planned."""
    return [f"WRONG {r.number}: {r.why}" for r in reports if r.ended == "wrong"]

"""The end of a watch: report.json (plan against actual per number) and actual.png.

``write_report`` writes both into a directory, all or nothing (a temporary directory beside
it, renamed into place). actual.png shows, for every number, the plan (where its calls should
land) above what was seen (where they landed; spells in the wrong place or nowhere hatched
red), with the planned changes as dashed lines and the observed flips as triangles: one panel
per stretch of watched time (the nights of a port a week apart are two panels).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sip_harness.watch.tracker import NumberReport, NumberWatch

__all__ = ["REPORT_FILE", "ACTUAL_FILE", "write_report", "draw_actual", "MAX_NUMBERS"]

REPORT_FILE = "report.json"
ACTUAL_FILE = "actual.png"
#: Numbers drawn in actual.png; the rest are counted in its title (report.json has them all).
MAX_NUMBERS = 40
_PAD = timedelta(minutes=2)
_PALETTE = ("#6baed6", "#31a354", "#fd8d3c", "#8c6bb1", "#e7ba52", "#17becf", "#969696")


def write_report(directory: Path, reports: Sequence[NumberReport],
                 summary: Mapping[str, Any], watches: Sequence[NumberWatch], *,
                 title: str) -> list[Path]:
    """Write report.json and actual.png into ``directory`` (created; files replaced)."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".watch-", dir=directory.parent))
    try:
        document = {"summary": dict(summary), "numbers": [r.as_dict() for r in reports]}
        (scratch / REPORT_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False)
                                           + "\n")
        draw_actual(watches, scratch / ACTUAL_FILE, title=title)
        directory.mkdir(exist_ok=True)
        out = []
        for name in (REPORT_FILE, ACTUAL_FILE):
            os.replace(scratch / name, directory / name)
            out.append(directory / name)
        return out
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _panels(watches: Sequence[NumberWatch]) -> list[tuple[datetime, datetime]]:
    """Stretches of watched time: each number's spells grouped by window, merged."""
    spans = []
    for w in watches:
        by_window: dict[Any, list[datetime]] = {}
        for first, last, *_ in w.spells:
            by_window.setdefault(w.plan.window_at(first), []).extend((first, last))
        spans += [(min(ts) - _PAD, max(ts) + _PAD) for ts in by_window.values()]
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def draw_actual(watches: Sequence[NumberWatch], path: str | Path, *, title: str) -> None:
    """Draw plan and observation per number on one timeline into a PNG (see the docstring)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    shown = list(watches)[:MAX_NUMBERS]
    hidden = len(watches) - len(shown)
    panels = _panels(shown) or [(datetime.now().astimezone(), datetime.now().astimezone())]
    colours: dict[str, str] = {}

    def colour(label: str) -> str:
        if label == "nowhere":
            return "#ffffff"
        return colours.setdefault(label, _PALETTE[len(colours) % len(_PALETTE)])

    height = min(2.2 + 0.55 * max(len(shown), 1), 26.0)
    fig = Figure(figsize=(max(7.0, 5.0 * len(panels)), height), dpi=100)
    FigureCanvasAgg(fig)
    axes_list = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    fig.suptitle(title + (f" (first {len(shown)} numbers; +{hidden} more)" if hidden else ""))

    def bar(axes: Any, y: float, start: datetime, end: datetime, **style: Any) -> None:
        left = float(date2num(start))
        axes.broken_barh([(left, max(float(date2num(end)) - left, 1e-5))], (y - 0.17, 0.34),
                         **style)

    for axes, (lo, hi) in zip(axes_list, panels, strict=True):
        for row, w in enumerate(shown):
            y = len(shown) - 1 - row
            steps = w.plan.steps
            for i, step in enumerate(steps):
                start = max(step.since or lo, lo)
                end = min(steps[i + 1].since or hi, hi) if i + 1 < len(steps) else hi
                if start < end:
                    bar(axes, y + 0.2, start, end, facecolors=colour(str(step.where)),
                        edgecolor="none")
            for change in w.plan.changes:
                if lo <= change.at <= hi:
                    x = float(date2num(change.at))
                    axes.plot([x, x], [y - 0.4, y + 0.4], color="black", linestyle="--",
                              linewidth=0.8)
            for i, (first, last, landing, verdict) in enumerate(w.spells):
                nxt = w.spells[i + 1][0] if i + 1 < len(w.spells) else last
                window = w.plan.window_at(first)
                end = nxt if window is not None and window.open_at(nxt) else last
                if first > hi or end < lo:
                    continue
                bad = verdict != "ok"
                bar(axes, y - 0.2, max(first, lo), min(max(end, first), hi),
                    facecolors=colour(landing), edgecolor="#d62728" if bad else "none",
                    hatch="////" if bad else None, linewidth=0.8)
            flips = [c.at for c in w.seen if lo <= c.at <= hi]
            if flips:
                axes.plot([float(date2num(t)) for t in flips], [y - 0.2] * len(flips),
                          marker="v", linestyle="none", color="black", markersize=6)
        axes.set_xlim(float(date2num(lo)), float(date2num(hi)))
        axes.set_title(lo.strftime("%a %d %b %Y"), fontsize=9)
        axes.xaxis.set_major_locator(MaxNLocator(6))
        axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))
        axes.grid(axis="x", linewidth=0.3)
    axes_list[0].set_yticks([len(shown) - 1 - i for i in range(len(shown))],
                            [w.plan.number for w in shown])
    axes_list[0].set_ylim(-0.7, max(len(shown), 1) - 0.3)
    handles = [Patch(facecolor=c, label=label) for label, c in colours.items()]
    handles.append(Patch(facecolor="#ffffff", edgecolor="#d62728", hatch="////",
                         label="seen in the wrong place / nowhere"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8,
               frameon=False)
    fig.text(0.01, 0.01, "upper bar: plan; lower bar: seen; dashed: planned change; "
             "triangle: flip seen", fontsize=7)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    fig.savefig(path, format="png", metadata={"Software": None})

"""The HTML page both reports are made of: one Jinja2 environment, its filters, atomic writes.

Templates are package data (``templates/*.html.j2`` beside the module that renders them);
every page extends ``base.html.j2`` here, which inlines the CSS and the little JavaScript the
pages use, so a report is one self-contained file: no network, no CDN, no external file.
"""

from __future__ import annotations

__all__ = ["environment", "render", "write_page"]

import os
import tempfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.report.time_axis import instant

_HERE = "sim.report"


def _thousands(value: Any) -> str:
    """``3880`` -> ``3,880``; floats keep up to three decimals (``52.0`` -> ``52``)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.3f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def _when(value: Any) -> str:
    """An ISO-8601 instant as ``Sat 28 Nov 2026 00:10 UTC`` (anything else as it is)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = instant(value)
        except ValueError:
            return value
    else:
        return "" if value is None else str(value)
    return moment.strftime("%a %d %b %Y %H:%M UTC")


@lru_cache(maxsize=8)
def environment(*packages: str) -> Any:
    """The Jinja2 environment loading ``templates/`` of each package, then of sim.report.

    Autoescaping is on: every scenario, carrier and SIP string is text, never markup.
    """
    import jinja2

    loaders = [jinja2.PackageLoader(p, "templates") for p in (*packages, _HERE)]
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["thousands"] = _thousands
    env.filters["when"] = _when
    return env


def render(template: str, *, packages: tuple[str, ...] = (), **context: Any) -> str:
    """The page ``template`` (found in ``packages``' templates, then sim.report's) as text."""
    return str(environment(*packages).get_template(template).render(**context))


def write_page(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed into place).

    Raises
    ------
    OSError
        The directory cannot be written.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                               dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current

"""Tests for sim.report.html_page: the shared Jinja2 environment, its filters, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.report import html_page


@pytest.mark.parametrize(("value", "text"), [
    (3880, "3,880"),  # integers with thousands separators
    (52.0, "52"),  # a whole float without decimals
    (388.673, "388.673"),
    (0.0, "0"),
    (None, "None"),
])
def test_thousands(value: object, text: str) -> None:
    assert html_page.environment().filters["thousands"](value) == text


def test_when_reads_iso_instants() -> None:
    when = html_page.environment().filters["when"]
    assert when("2026-11-28T00:10:00+00:00") == "Sat 28 Nov 2026 00:10 UTC"
    assert when("not a time") == "not a time" and when(None) == ""


def test_the_base_page_escapes_and_loads_nothing() -> None:
    env = html_page.environment()
    page = env.from_string('{% extends "base.html.j2" %}{% block body %}{{ x }}{% endblock %}'
                           ).render(title="<t>", x="<script>alert(1)</script>")
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<title>&lt;t&gt;</title>" in page


def test_write_page_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    html_page.write_page(target, "new page")
    assert target.read_text() == "new page"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left


def test_write_page_into_a_missing_directory_fails_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        html_page.write_page(tmp_path / "missing" / "report.html", "page")
    assert list(tmp_path.iterdir()) == []

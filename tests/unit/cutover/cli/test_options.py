"""cutover.cli.options: reading instants from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cutover.cli.options import parse_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 'Z' means UTC
        ("2026-11-28T06:00Z", datetime(2026, 11, 28, 6, tzinfo=UTC)),
        # an explicit offset is kept
        (
            "2026-11-28T06:00:00+01:00",
            datetime(2026, 11, 28, 6, tzinfo=timezone(timedelta(hours=1))),
        ),
        # no offset: taken as UTC (as --help says)
        ("2026-11-28T06:00", datetime(2026, 11, 28, 6, tzinfo=UTC)),
        # a date alone is its midnight UTC
        ("2026-11-28", datetime(2026, 11, 28, tzinfo=UTC)),
        # surrounding blanks and a lower-case z are forgiven
        (" 2026-11-28T06:00:30z ", datetime(2026, 11, 28, 6, 0, 30, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["yesterday", "", "2026-13-01", "28/11/2026 06:00"])
def test_parse_instant_refuses_non_iso_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)

"""Scenario objects: the instant a command asks for, inside the scenario."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sim.errors import BadInputError
from sim.scenario import load_scenario

UK = Path(__file__).resolve().parents[4] / "scenarios" / "uk_gnp_weekend.yaml"


@pytest.mark.parametrize(("at", "checkpoint", "expected"), [
    # a named checkpoint
    (None, "after_cutover", datetime(2026, 11, 28, 6, tzinfo=UTC)),
    # nothing given: the scenario's start
    (None, None, datetime(2026, 11, 16, tzinfo=UTC)),
])
def test_instant(at: datetime | None, checkpoint: str | None, expected: datetime) -> None:
    assert load_scenario(UK).instant(at=at, checkpoint=checkpoint) == expected


@pytest.mark.parametrize(("at", "checkpoint", "message"), [
    (datetime(2030, 1, 1, tzinfo=UTC), None, "outside"),
    (None, "lunch", "unknown checkpoint 'lunch'"),
    (datetime(2026, 11, 24, tzinfo=UTC), "before", "not both"),
])
def test_instant_refuses(at: datetime | None, checkpoint: str | None,
                                 message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        load_scenario(UK).instant(at=at, checkpoint=checkpoint)

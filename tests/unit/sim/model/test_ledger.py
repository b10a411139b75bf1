"""sim.model.ledger: records in the order added, instants written as UTC ISO-8601 seconds,
filtering by kind, extra fields merged into the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sim.model.ledger import Instant, Ledger

EPOCH = datetime(2026, 11, 23, tzinfo=UTC).timestamp()


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(EPOCH)


def test_records_come_out_in_time_order_those_at_one_instant_as_added(ledger: Ledger) -> None:
    ledger.add(0.0, "submitted", "p1", ("+441632960001", "+441632960002"), "requested")
    ledger.add(3600.0, "validated", "p1", ("+441632960001", "+441632960002"), "validated")
    ledger.add(3600.0, "accepted", "p1", ("+441632960001", "+441632960002"), "accepted")
    # added after, though earlier (the switchboard plays an interval's calls at its end)
    ledger.add(90.0, "call_failed", None, ("+441632960003",), None)
    assert [(r["t"], r["event"]) for r in ledger.records()] == [
        ("2026-11-23T00:00:00+00:00", "submitted"),
        ("2026-11-23T00:01:30+00:00", "call_failed"),
        ("2026-11-23T01:00:00+00:00", "validated"),
        ("2026-11-23T01:00:00+00:00", "accepted"),
    ]
    assert len(ledger) == 4


def test_the_records_time_is_seconds_after_the_epoch_to_the_nearest_second(ledger: Ledger) -> None:
    ledger.add(59.7, "active", "p1", (), "active")
    (record,) = ledger.records()
    assert record["t"] == "2026-11-23T00:01:00+00:00"


@pytest.mark.parametrize(("value", "written"), [
    # an Instant is POSIX seconds (not seconds after the epoch), written as a UTC datetime
    (Instant(EPOCH + 86400 * 5), "2026-11-28T00:00:00+00:00"),
    # an Instant's fraction of a second is dropped, not rounded up
    (Instant(EPOCH + 0.999), "2026-11-23T00:00:00+00:00"),
    # a datetime's microseconds are dropped
    (datetime(2026, 11, 28, 0, 0, 59, 999_999, tzinfo=UTC), "2026-11-28T00:00:59+00:00"),
    # a datetime in another zone is written in UTC
    (datetime(2026, 11, 28, 1, 30, tzinfo=timezone(timedelta(hours=1))),
     "2026-11-28T00:30:00+00:00"),
    # a plain float is a number, not an instant: written as it is
    (EPOCH, EPOCH),
    # so are other values
    ("bt", "bt"),
    (True, True),
    ([1, 2], [1, 2]),
])
def test_extra_values_are_written_as_the_events_file_has_them(
        ledger: Ledger, value: Any, written: Any) -> None:
    ledger.add(0.0, "accepted", "p1", (), "accepted", {"port_date": value})
    (record,) = ledger.records()
    assert record["port_date"] == written
    assert type(record["port_date"]) is type(written)


def test_extra_fields_are_merged_after_the_common_ones(ledger: Ledger) -> None:
    ledger.add(0.0, "rejected", "p1", ("+441632960001",), "rejected",
               {"reason": "pin", "reasons": ["pin", "holder_name"]})
    (record,) = ledger.records()
    assert list(record) == ["t", "event", "port", "numbers", "state", "reason", "reasons"]
    assert record["reasons"] == ["pin", "holder_name"]


def test_an_empty_extra_adds_nothing(ledger: Ledger) -> None:
    ledger.add(0.0, "validated", "p1", (), "validated", {})
    (record,) = ledger.records()
    assert list(record) == ["t", "event", "port", "numbers", "state"]


def test_records_of_and_count_pick_one_kind_of_event(ledger: Ledger) -> None:
    for i, event in enumerate(["call_failed", "rolled_back", "call_failed", "active"]):
        ledger.add(float(i), event, None, (), None, {"i": i})
    assert [r["i"] for r in ledger.records_of("call_failed")] == [0, 2]
    assert ledger.count("call_failed") == 2
    assert ledger.count("rolled_back") == 1
    assert ledger.count("withdrawn") == 0
    assert list(ledger.records_of("withdrawn")) == []


def test_records_filters_raw_rows(ledger: Ledger) -> None:
    ledger.add(0.0, "submitted", "p1", (), "requested")
    ledger.add(1.0, "submitted", "p2", (), "requested")
    # the filter sees (t, event, port, numbers, state, extra) before any dict is made
    seen: list[tuple[Any, ...]] = []
    kept = list(ledger.records(lambda row: seen.append(row) or row[2] == "p2"))
    assert [r["port"] for r in kept] == ["p2"]
    assert seen == [(0.0, "submitted", "p1", (), "requested", None),
                    (1.0, "submitted", "p2", (), "requested", None)]


def test_records_can_be_read_again_and_the_stored_extra_is_not_changed(ledger: Ledger) -> None:
    extra = {"port_date": Instant(EPOCH)}
    ledger.add(0.0, "accepted", "p1", (), "accepted", extra)
    first = list(ledger.records())
    assert list(ledger.records()) == first
    assert extra == {"port_date": Instant(EPOCH)}
    assert type(extra["port_date"]) is Instant

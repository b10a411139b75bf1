"""sip_harness.npserver.feed: feed lines and events.jsonl records become port changes."""

from __future__ import annotations

import json

from sip_harness.npserver.feed import FeedInterpreter

from .conftest import make_core


def test_feed_lines_and_events_jsonl() -> None:
    core = make_core()
    feed = FeedInterpreter(core)
    assert [(c.number, c.carrier) for c in feed.changes(
        '{"number": "+441632960002", "carrier": "vodafone"}')] == [(441632960002, "vodafone")]
    events = [
        {"event": "submitted", "port": "p1", "numbers": ["+441632960003"], "losing": "bt",
         "gaining": "callagenix"},
        {"event": "activating", "port": "p1", "numbers": ["+441632960003"]},
        {"event": "active", "port": "p1", "numbers": ["+441632960003"]},
        {"event": "rolled_back", "port": "p1", "numbers": ["+441632960003"]},
        {"event": "returned", "port": "p1", "numbers": ["+441632960003"]},
    ]
    got = [[(c.carrier, c.note) for c in feed.changes(json.dumps(e))] for e in events]
    assert got == [[], [], [("callagenix", "activation")], [("bt", "rollback")],
                   [("bt", "return")]]
    for bad in ("not json", "[1]", '{"number": "01632 960001", "carrier": "bt"}',
                '{"number": "+441632960002", "carrier": "nobody"}',
                '{"event": "active", "port": "p9", "numbers": ["+441632960002"]}'):
        assert feed.changes(bad) == []
    assert feed.rejected == 5 and "p9" in feed.last_rejection


def test_a_change_is_stamped_with_the_feed_clock() -> None:
    feed = FeedInterpreter(make_core(), clock=lambda: 1_795_850_000.0)  # the instant served
    (change,) = feed.changes('{"number": "+441632960002", "carrier": "vodafone"}')
    assert change.at == 1_795_850_000.0

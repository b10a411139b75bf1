"""sim.regimes.timeline: the POSIX-second fast path gives exactly the regime's datetimes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sim.model.ledger import Instant, _text
from sim.regimes import REGIMES, OrderFacts
from sim.regimes.timeline import Timeline

FACTS = (OrderFacts(numbers=1), OrderFacts(numbers=40, ddi=True),
         OrderFacts(numbers=1, mobile=True), OrderFacts(numbers=3, losing_is_range_holder=False))


def instants(seed: int, count: int) -> list[datetime]:
    """Random instants (with microseconds) over 2026, dense around the DST changes."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    dst = [datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 29, tzinfo=UTC),
           datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)]
    out = []
    for _ in range(count):
        if rng.random() < 0.4:
            t = rng.choice(dst) + timedelta(seconds=rng.uniform(-3 * 86400, 3 * 86400))
        else:
            t = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
        if rng.random() < 0.3:  # whole hours: ties with slot and cut-off times
            t = t.replace(minute=0, second=0, microsecond=0)
        out.append(t)
    return out


@pytest.mark.parametrize("name", sorted(REGIMES))
def test_deadlines_and_clock_start_match_the_regime(name: str) -> None:
    regime = REGIMES[name]
    timeline = Timeline(regime)
    for i, t in enumerate(instants(1, 1500)):
        facts = FACTS[i % len(FACTS)]
        answer, deadline = regime.deadlines(t, facts=facts)
        assert timeline.deadlines(t, t.timestamp(), facts) == (answer.timestamp(),
                                                               deadline.timestamp())
        whole = round(t.timestamp())
        assert timeline.clock_start(whole) == regime.clock_start_timestamp(whole)


@pytest.mark.parametrize("name", sorted(REGIMES))
def test_port_slot_point_of_no_return_and_window_match_the_regime(name: str) -> None:
    regime = REGIMES[name]
    timeline = Timeline(regime)
    for t in instants(2, 1500):
        earliest = round(t.timestamp())
        wall = datetime.fromtimestamp(earliest, UTC)
        port = regime.schedule_port(wall)
        assert timeline.schedule_port(earliest) == port.timestamp()
        no_return = regime.point_of_no_return(wall, port)
        assert timeline.point_of_no_return(earliest, port.timestamp()) == no_return.timestamp()
        assert timeline.window_end(port.timestamp()) == regime.window(port)[1].timestamp()
        requested = (t + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        assert (timeline.schedule_port(earliest, requested)
                == regime.schedule_port(wall, requested).timestamp())


def test_agreed_dates_and_far_instants_fall_back_to_the_datetimes() -> None:
    regime = REGIMES["uk"]
    timeline = Timeline(regime)
    t = datetime(2026, 5, 5, 10, 30, tzinfo=UTC)
    agreed = OrderFacts(numbers=1, agreed_date=t + timedelta(days=30))
    answer, deadline = regime.deadlines(t, facts=agreed)
    assert timeline.deadlines(t, t.timestamp(), agreed) == (answer.timestamp(),
                                                            deadline.timestamp())
    far = datetime(2040, 5, 5, 10, 30, tzinfo=UTC)  # past 2**31 seconds
    answer, deadline = regime.deadlines(far, facts=FACTS[0])
    assert timeline.deadlines(far, far.timestamp(), FACTS[0]) == (answer.timestamp(),
                                                                  deadline.timestamp())


def test_an_instant_is_written_as_its_datetime_is() -> None:
    t = datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=UTC)
    assert _text(Instant(t.timestamp())) == _text(t) == "2026-03-29T01:59:59+00:00"

"""sim.model.desk: the porting desk grants places exactly as simpy.Resource does, event for
event."""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy

from sim.model.desk import Desk


def play(make: Callable[[simpy.Environment, int], Any], seed: int) -> list[tuple[Any, ...]]:
    """A log of who got a place when, with ties, queues, interrupts and other events."""
    rng = random.Random(seed)
    env = simpy.Environment()
    desk = make(env, rng.choice((1, 2, 3, 5)))
    log: list[tuple[Any, ...]] = []

    def customer(i: int) -> Generator[simpy.Event, Any, None]:
        try:
            for visit in range(rng.randint(1, 3)):
                yield env.timeout(rng.choice((0, 1, 1, 2, 3, 5)))
                with desk.request() as slot:
                    log.append(("ask", i, visit, env.now, len(desk.queue)))
                    yield slot
                    log.append(("got", i, visit, env.now, len(desk.queue)))
                    yield env.timeout(rng.choice((0, 0, 1, 2)))
                log.append(("left", i, visit, env.now))
                if rng.random() < 0.5:  # ask again at once, before the release is processed
                    with desk.request() as slot:
                        yield slot
                        log.append(("again", i, visit, env.now, len(desk.queue)))
        except simpy.Interrupt:
            log.append(("interrupted", i, env.now))

    def ticker() -> Generator[simpy.Event, Any, None]:
        while env.now < 12:
            yield env.timeout(1)
            log.append(("tick", env.now))

    processes = [env.process(customer(i)) for i in range(rng.randint(5, 40))]
    env.process(ticker())

    def interrupter() -> Generator[simpy.Event, Any, None]:
        for _ in range(3):
            yield env.timeout(rng.choice((1, 2)))
            victim = rng.choice(processes)
            if victim.is_alive:
                victim.interrupt("withdrawn")

    env.process(interrupter())
    env.run()
    return log


@pytest.mark.parametrize("seed", range(200))
def test_desk_matches_simpy_resource(seed: int) -> None:
    assert play(Desk, seed) == play(simpy.Resource, seed)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Desk(simpy.Environment(), 0)

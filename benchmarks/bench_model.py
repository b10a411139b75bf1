"""Model throughput: port orders simulated per second, against bare SimPy doing the same timeouts.

Usage: python benchmarks/bench_model.py [--orders N] [--regime uk]
Prints one JSON document. The target (issue 2): at least 20k port orders per second (about 7
events each), so a UK year of mobile ports (4.2M) runs in minutes.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import simpy

from sim.model import CutoverModel
from sim.scenario import Carrier, Customer, NumberRange, PortOrder, Request, Scenario

CARRIERS = ("ee", "o2", "three", "vodafone")


def mobile_scenario(orders: int, *, seed: int = 1) -> Scenario:
    """A UK year of mobile ports, scaled to ``orders``: one number each, between 4 networks."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    horizon = start + timedelta(days=365)
    per = -(-orders // len(CARRIERS))
    ranges = tuple(NumberRange(f"+447{k}", c) for k, c in enumerate(CARRIERS, start=4))
    customers, port_orders = [], []
    # submissions spread over the year in working hours; every order one number
    offsets = np.sort(rng.uniform(0, 360 * 86400, orders))
    for i in range(orders):
        k = i % len(CARRIERS)
        losing, gaining = CARRIERS[k], CARRIERS[(k + 1 + i // len(CARRIERS)) % len(CARRIERS)]
        if gaining == losing:
            gaining = CARRIERS[(k + 1) % len(CARRIERS)]
        number = f"+447{k + 4}{i // len(CARRIERS):08d}"
        cid = f"c{i}"
        customers.append(Customer(id=cid, name=cid, account=cid, address="", carrier=losing,
                                  numbers=(number,)))
        port_orders.append(PortOrder(
            id=f"p{i}", customer=cid, numbers=(number,), losing=losing, gaining=gaining,
            submitted=start + timedelta(seconds=float(offsets[i])),
            request=Request(account=cid, name=cid, address="", signer=cid)))
    del per
    carriers = tuple(Carrier(id=c, name=c, routing_number=f"D{i}", desk_capacity=400,
                             answer_hours=2.0) for i, c in enumerate(CARRIERS))
    customers = [Customer(**{**c.__dict__, "authorised_signers": (c.name,)}) for c in customers]
    return Scenario(
        name="uk_mobile_year", regime="uk", country="GB", seed=seed, start=start,
        horizon=horizon, routing="onward", carriers=carriers,
        interconnects=tuple((a, b) for a in CARRIERS for b in CARRIERS if a < b),
        ranges=ranges, customers=tuple(customers), port_orders=tuple(port_orders))


def bare_simpy(processes: int, timeouts_each: int) -> float:
    """Seconds for bare SimPy to run the same number of processes and timeouts."""
    env = simpy.Environment()

    def proc(env: simpy.Environment, delay: float):
        for _ in range(timeouts_each):
            yield env.timeout(delay)

    t0 = time.perf_counter()
    for i in range(processes):
        env.process(proc(env, 1.0 + i % 97))
    env.run()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000)
    args = parser.parse_args()
    scenario = mobile_scenario(args.orders)
    t0 = time.perf_counter()
    model = CutoverModel(scenario)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run()
    run = time.perf_counter() - t0
    events = len(model.ledger)
    per_order = events / args.orders
    bare = bare_simpy(args.orders, round(per_order))
    rate = args.orders / (build + run)
    print(json.dumps({
        "benchmark": "model",
        "orders": args.orders,
        "events": events,
        "events_per_order": round(per_order, 2),
        "build_s": round(build, 3),
        "run_s": round(run, 3),
        "orders_per_s": round(rate),
        "bare_simpy_s": round(bare, 3),
        "ratio_vs_bare_simpy": round((build + run) / bare, 2),
        "uk_year_4_2M_minutes": round(4_200_000 / rate / 60, 1),
        "target_orders_per_s": 20_000,
        "pass": rate >= 20_000,
        "states": dict(sorted(__import__("collections").Counter(
            r.state for r in model.runs.values()).items())),
    }, indent=2))


if __name__ == "__main__":
    main()

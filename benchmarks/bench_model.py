"""Model throughput: port orders per second against bare SimPy; simulated calls per second.

Usage: python benchmarks/bench_model.py [--orders N] [--ddi-numbers N] [--skip-call-by-call]
Prints one JSON document. Targets: at least 20k port orders per second (issue 2: about 7 events
each, so a UK year of mobile ports, 4.2M, runs in minutes); and (issue 12) at least 5M simulated
calls per second on 5,000 DDI numbers at 2 calls per number per hour for two weeks (3.36M calls,
the whole run under 3 s), against the call-by-call switchboard on the same scenario in the same
run (the process the model used before issue 12: one SimPy event per call).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import simpy

from sim.model import CutoverModel
from sim.scenario import (
    Carrier,
    Customer,
    NumberRange,
    PortOrder,
    Request,
    Scenario,
    scenario_from_text,
)

CARRIERS = ("ee", "o2", "three", "vodafone")

# 5,000 DDI numbers of one Lisbon business move from MEO to NOS (PT: all-call query, 3
# working days for a DDI range, so the port happens inside the two weeks); Vodafone's copy of
# the porting database lags 5 minutes and MEO has an hour's outage: every kind of failed call.
DDI_STORY = """
name: ddi_two_weeks
regime: pt
start: 2026-11-30T00:00:00Z
horizon: 2026-12-14T00:00:00Z
carriers:
  - id: meo
    outages: [{start: 2026-12-09T14:00:00Z, minutes: 60}]
  - {id: nos}
  - {id: vodafone_pt, copy_lag_minutes: 5}
interconnects: [[meo, nos], [meo, vodafone_pt], [nos, vodafone_pt]]
ranges: [{prefix: "+351 21", holder: meo}]
customers:
  - {id: padaria, name: Padaria Lusa Lda, pvc: "102938475610",
     numbers: [{first: "21 000 0000", count: %d}]}
port_orders:
  - {id: padaria-ddi, customer: padaria, gaining: nos, submitted: 2026-11-30T10:00:00}
traffic: {calls_per_number_per_hour: 2, origins: [meo, vodafone_pt]}
"""


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


def traffic_run(numbers: int, *, call_by_call: bool) -> dict[str, float]:
    """Seconds to build and run the DDI story, and its calls (offered, failed, misrouted)."""
    scenario = scenario_from_text(DDI_STORY % numbers, name="ddi_two_weeks")
    t0 = time.perf_counter()
    model = CutoverModel(scenario, call_by_call=call_by_call)
    model.run()
    seconds = time.perf_counter() - t0
    calls = model.summary()["calls"]
    return {"seconds": round(seconds, 3), "calls_offered": calls["offered"],
            "calls_failed": calls["failed"], "calls_misrouted": calls["misrouted"],
            "calls_per_s": round(calls["offered"] / seconds)}


def traffic(numbers: int, skip_call_by_call: bool) -> dict[str, object]:
    intervals = traffic_run(numbers, call_by_call=False)
    out: dict[str, object] = {"ddi_numbers": numbers, "intervals": intervals}
    if not skip_call_by_call:
        reference = traffic_run(numbers, call_by_call=True)
        out["call_by_call"] = reference
        out["ratio_vs_call_by_call"] = round(
            float(intervals["calls_per_s"]) / float(reference["calls_per_s"]), 1)
    out["target_calls_per_s"] = 5_000_000
    out["target_run_s"] = 3.0
    out["pass"] = intervals["calls_per_s"] >= 5_000_000 and intervals["seconds"] < 3.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--ddi-numbers", type=int, default=5_000)
    parser.add_argument("--skip-call-by-call", action="store_true",
                        help="do not run the call-by-call reference (about 40 s)")
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
        "traffic": traffic(args.ddi_numbers, args.skip_call_by_call),
    }, indent=2))


if __name__ == "__main__":
    main()

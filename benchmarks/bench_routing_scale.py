"""Scale figures of the routing core: 10M ported numbers + 1M ranges; prints one JSON document.

The ported numbers are loaded in bulk (``RoutingCore.from_arrays``) from two .npy files (E.164
digits, serving-carrier indices), as a porting database dump would be. Memory is the resident
set the core adds (from /proc/self/statm) and the size of its tables.

Usage: ``python benchmarks/bench_routing_scale.py [--ported 10000000] [--ranges 1000000]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_routing import CARRIERS, make_data, rate, single_rates

from sim.routing import RoutingCore

TARGETS = {"bytes_per_ported_max": 60.0, "core_bytes_max": 600e6, "load_s_max": 10.0}
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    """Resident set size of this process, bytes."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ported", type=int, default=10_000_000)
    ap.add_argument("--ranges", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20261128)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    data = make_data(args.ported, args.ranges, rng)
    ranges = data["ranges"]
    interconnects = [(a, b) for i, a in enumerate(CARRIERS) for b in CARRIERS[i + 1:]]
    numbers = rng.permutation(np.unique(data["allocated"](int(args.ported * 1.15))))
    numbers = numbers[:args.ported]
    t = time.perf_counter()
    plain = RoutingCore(CARRIERS, interconnects, ranges)
    ranges_only_s = time.perf_counter() - t
    holders = plain.lookup_batch(numbers)
    serving = ((holders + rng.integers(1, len(CARRIERS), size=len(numbers)))
               % len(CARRIERS)).astype(np.int16)
    del plain, holders
    with tempfile.TemporaryDirectory(prefix="np-scale-") as tmp:
        np.save(Path(tmp) / "numbers.npy", numbers)
        np.save(Path(tmp) / "serving.npy", serving)
        queries = np.concatenate([rng.choice(numbers, 2_000_000),
                                  data["allocated"](2_000_000)])
        del numbers, serving
        gc.collect()
        before = resident()
        t = time.perf_counter()
        nums = np.load(Path(tmp) / "numbers.npy")
        cars = np.load(Path(tmp) / "serving.npy")
        core = RoutingCore.from_arrays(CARRIERS, interconnects, ranges, numbers=nums,
                                       serving=cars)
        load_s = time.perf_counter() - t
        del nums, cars
        gc.collect()
        core_bytes = resident() - before
    snap = core.snapshot
    table_bytes = snap._db.nbytes
    q = rng.permutation(queries)
    ints = q[:300_000].tolist()
    strs = [f"+{x}" for x in ints]
    single_int, single_str = single_rates(core.serving_carrier, ints, strs, repeat=3)
    batch = rate(lambda: core.lookup_batch(q), len(q), repeat=3)
    expect = core.lookup_batch(q[:20000])
    agree = [core.serving_carrier(x) for x in ints[:20000]] == [
        CARRIERS[c] for c in expect.tolist()]
    ported = core.ported_count
    figures = {
        "ported": ported,
        "ranges": len(ranges),
        "load_s": round(load_s, 3),
        "load_note": "np.load of two .npy files + RoutingCore.from_arrays (checks included)",
        "ranges_only_build_s": round(ranges_only_s, 3),
        "core_resident_bytes": core_bytes,
        "bytes_per_ported": round(core_bytes / ported, 2),
        "porting_table_bytes": table_bytes,
        "porting_table_bytes_per_ported": round(table_bytes / ported, 2),
        "single_int_per_s": round(single_int),
        "single_str_per_s": round(single_str),
        "batch_per_s": round(batch),
        "batch_size": len(q),
        "single_agrees_with_batch": agree,
        "process_max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    passed = {"bytes_per_ported": figures["bytes_per_ported"] <= TARGETS["bytes_per_ported_max"],
              "core_bytes": core_bytes <= TARGETS["core_bytes_max"],
              "load_s": load_s < TARGETS["load_s_max"]}
    doc = {"figures": figures, "targets": TARGETS, "pass": passed, "all_pass": all(passed.values()),
           "machine": {"python": sys.version.split()[0], "numpy": np.__version__,
                       "platform": platform.platform(), "cpus": os.cpu_count(),
                       "load_average": os.getloadavg()},
           "seed": args.seed, "total_s": round(time.perf_counter() - started, 1)}
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

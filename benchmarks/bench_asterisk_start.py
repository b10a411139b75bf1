"""Asterisk start-up: rootfs build time (fresh, optional) and start/stop times with the cache.

Usage: python benchmarks/bench_asterisk_start.py [--runs N] [--build]
Prints one JSON document: {"build_s" (only with --build), "start_s": [...], "ready_s": [...],
"stop_s": [...]}. start_s is the whole start (checks, config, namespaces, boot, AMI login until
FullyBooted); ready_s the part spent waiting for AMI. Target (issue 3): ready in under 5 s with
a cached rootfs. Needs root or user namespaces, and free ports 5060/udp and 5038/tcp.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sip_harness.asterisk.backends import RootfsBackend
from sip_harness.asterisk.rootfs import build_rootfs, ensure_rootfs, remove_tree

CONFIG = {
    "pjsip.conf": "[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:5060\n",
    "extensions.conf": "[default]\nexten => 100,1,Answer()\n same => n,Hangup()\n",
    "voicemail.conf": "[general]\n[default]\n1000 => 1234,Bench\n",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build", action="store_true",
                        help="also build a fresh rootfs from nothing into a temporary directory")
    args = parser.parse_args()
    result: dict[str, object] = {}
    if args.build:
        with tempfile.TemporaryDirectory(prefix="cutover-bench-", dir="/var/tmp") as tmp:
            started = time.monotonic()
            build_rootfs(Path(tmp) / "rootfs")
            result["build_s"] = round(time.monotonic() - started, 2)
            remove_tree(Path(tmp) / "rootfs")
    rootfs = ensure_rootfs()
    result["asterisk"] = rootfs.packages.get("asterisk")
    starts, readies, stops = [], [], []
    with tempfile.TemporaryDirectory(prefix="cutover-bench-state-") as state:
        backend = RootfsBackend(rootfs=rootfs.path, state_dir=Path(state))
        for _ in range(args.runs):
            started = time.monotonic()
            running = backend.start(CONFIG)
            starts.append(round(time.monotonic() - started, 3))
            readies.append(running.ready_seconds)
            started = time.monotonic()
            backend.stop(running)
            stops.append(round(time.monotonic() - started, 3))
    result.update(start_s=starts, ready_s=readies, stop_s=stops)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

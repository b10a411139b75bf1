"""Asterisk start-up: rootfs build time (fresh, optional) and start/stop times with the cache.

Usage: python benchmarks/bench_asterisk_start.py [--runs N] [--build] [--docker CLI [--fresh]]
Prints one JSON document: {"build_s" (only with --build), "start_s": [...], "ready_s": [...],
"stop_s": [...]}. start_s is the whole start (checks, config, namespaces, boot, AMI login until
FullyBooted); ready_s the part spent waiting for AMI. Target (issue 3): ready in under 5 s with
a cached rootfs. Needs root or user namespaces, and free ports 5060/udp and 5038/tcp.

``--docker "podman --runtime runc --cgroup-manager cgroupfs"`` also measures the Dockerfile's
image with that client: the base imported from the cached rootfs and the build (``--fresh``
removes the image and its base first, so both are timed from nothing), a second build (the
layer cache: what every docker-backend start pays), the image's size, and the same start/stop
runs on the docker backend, with the ratio of its median start to the rootfs's in this run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sip_harness import REPOSITORY
from sip_harness.asterisk import image
from sip_harness.asterisk.backends import DOCKER_IMAGE, DockerBackend, RootfsBackend
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
    parser.add_argument("--docker", metavar="CLI", default=None,
                        help="also time the Dockerfile's image with this Docker-compatible client")
    parser.add_argument("--fresh", action="store_true",
                        help="with --docker: remove the image and its base first")
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
    if args.docker:
        result["docker"] = docker(args.docker.split(), rootfs.path, args.runs, args.fresh,
                                  median(starts))
    print(json.dumps(result, indent=2))


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def docker(cli: list[str], rootfs: Path, runs: int, fresh: bool,
           rootfs_start: float) -> dict[str, object]:
    """Import, build (twice), size, and start/stop runs of the docker backend with ``cli``."""
    import subprocess

    base = image.LOCAL_BASE
    if fresh:
        subprocess.run([*cli, "rmi", "-f", DOCKER_IMAGE, base], capture_output=True,
                       check=False, timeout=300)
    out: dict[str, object] = {"client": " ".join(cli)}
    imported = image.ensure_base(cli, rootfs)
    out["import_base_s"] = None if imported is None else round(imported, 2)
    out["build_s"] = round(image.build(cli, REPOSITORY, base=base), 2)
    out["rebuild_cached_s"] = round(image.build(cli, REPOSITORY, base=base), 2)
    out["image_bytes"] = image.image_size(cli)
    out["image_mb"] = round(int(out["image_bytes"]) / 1e6, 1)  # type: ignore[call-overload]
    starts, readies, stops = [], [], []
    with tempfile.TemporaryDirectory(prefix="cutover-bench-docker-") as state:
        backend = DockerBackend(state_dir=Path(state), context=REPOSITORY, cli=cli, base=base)
        for _ in range(runs):
            started = time.monotonic()
            running = backend.start(CONFIG)
            starts.append(round(time.monotonic() - started, 3))
            readies.append(running.ready_seconds)
            started = time.monotonic()
            backend.stop(running)
            stops.append(round(time.monotonic() - started, 3))
    out.update(start_s=starts, ready_s=readies, stop_s=stops,
               ratio_start_vs_rootfs=round(median(starts) / rootfs_start, 2))
    return out


if __name__ == "__main__":
    main()

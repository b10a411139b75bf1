"""The Dockerfile's image where no image registry is reachable: a local base, then the build.

``docker build`` (or ``podman build``) needs the Dockerfile's base image (``FROM ${BASE}``).
Where no registry answers, the base is made here: the cached mmdebstrap rootfs (Debian sid, the
same one the rootfs backend runs) is imported as the one-layer local image :data:`LOCAL_BASE`,
and the build is told to start from it (``--build-arg BASE=...``), so it never pulls. apt
inside the build still reaches Debian's packages as usual. With a registry (a normal Docker
host) none of this is needed.

Not run as a doctest: it needs a container engine (tests/integration/ drives podman).

>>> cli = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]   # doctest: +SKIP
>>> ensure_base(cli, rootfs)                                                  # doctest: +SKIP
>>> build(cli, REPOSITORY, base=LOCAL_BASE)                                  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["LOCAL_BASE", "has_image", "import_base", "ensure_base", "build", "image_size",
           "BUILD_TIMEOUT"]

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from sim.errors import HarnessError
from sip_harness.asterisk.backends import DOCKER_IMAGE, build_arguments
from sip_harness.asterisk.rootfs import MARKER

BUILD_TIMEOUT = 1800.0
#: The local image the cached rootfs becomes: the Dockerfile's BASE where no registry answers.
LOCAL_BASE = "localhost/cutover-base:sid"


def _run(cli: Sequence[str], *args: str, timeout: float = 120.0,
         stdin: object = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([*cli, *args], capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=stdin)  # type: ignore[call-overload]
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"{cli[0]} {args[0]} failed: {exc}") from exc


def has_image(cli: Sequence[str], reference: str) -> bool:
    """Whether the engine has ``reference`` locally."""
    return _run(cli, "image", "inspect", reference).returncode == 0


def import_base(cli: Sequence[str], rootfs: Path, reference: str) -> float:
    """Import the directory ``rootfs`` as the image ``reference``; returns the seconds taken.

    Raises HarnessError when tar or the import fails.
    """
    started = time.monotonic()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), f"--exclude=./{MARKER}", "-c", "."],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc = _run(cli, "import", "-", reference, timeout=BUILD_TIMEOUT,
                    stdin=tar.stdout)
    finally:
        if tar.stdout is not None:
            tar.stdout.close()
        tar_error = tar.stderr.read().decode(errors="replace") if tar.stderr else ""
        tar.wait(timeout=60)
    if tar.returncode != 0:
        raise HarnessError(f"tar of {rootfs} failed: {tar_error.strip()[-500:]}")
    if proc.returncode != 0:
        raise HarnessError(f"{cli[0]} import failed: {proc.stderr.strip()[-500:]}")
    return time.monotonic() - started


def ensure_base(cli: Sequence[str], rootfs: Path, reference: str = LOCAL_BASE) -> float | None:
    """Make the base image ``reference`` from ``rootfs`` unless the engine has it already.

    Returns the seconds the import took, or None when the base was there.
    """
    if has_image(cli, reference):
        return None
    return import_base(cli, rootfs, reference)


def build(cli: Sequence[str], context: Path, tag: str = DOCKER_IMAGE,
          base: str | None = None) -> float:
    """Build ``context``'s Dockerfile as ``tag`` (the engine's layer cache applies), from
    ``base`` (the Dockerfile's BASE argument; None: its default); seconds.

    Raises HarnessError with the end of the build's output when it fails.
    """
    started = time.monotonic()
    proc = _run(cli, "build", *build_arguments(base), "-t", tag, str(context),
                timeout=BUILD_TIMEOUT)
    if proc.returncode != 0:
        raise HarnessError(f"{cli[0]} build failed: {(proc.stdout + proc.stderr)[-800:]}")
    return time.monotonic() - started


def image_size(cli: Sequence[str], tag: str = DOCKER_IMAGE) -> int:
    """The image's size in bytes, as the engine reports it."""
    proc = _run(cli, "image", "inspect", "-f", "{{.Size}}", tag)
    if proc.returncode != 0:
        raise HarnessError(f"{cli[0]} image inspect failed: {proc.stderr.strip()[-300:]}")
    return int(proc.stdout.strip())

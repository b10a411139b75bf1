"""The Dockerfile's image where no image registry is reachable: a local base, then the build.

``docker build`` (or ``podman build``) needs the Dockerfile's base image (``FROM``). Where no
registry answers, the base is made here: the cached mmdebstrap rootfs (Debian sid, the same
one the rootfs backend runs) is imported as a one-layer image and tagged with the base's name;
the build then finds it locally and never pulls. apt inside the build still reaches Debian's
packages as usual. With a registry (a normal Docker host) none of this is needed.

Not run as a doctest: it needs a container engine (tests/integration/ drives podman).

>>> cli = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]   # doctest: +SKIP
>>> ensure_base(cli, REPOSITORY / "Dockerfile", rootfs)                      # doctest: +SKIP
>>> build(cli, REPOSITORY)                                                   # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["dockerfile_base", "qualified", "has_image", "import_base", "ensure_base", "build",
           "image_size", "BUILD_TIMEOUT"]

import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from sim.errors import HarnessError
from sip_harness.asterisk.backends import DOCKER_IMAGE
from sip_harness.asterisk.rootfs import MARKER

BUILD_TIMEOUT = 1800.0
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)


def dockerfile_base(dockerfile: Path) -> str:
    """The image the Dockerfile builds ``FROM`` (its first stage).

    Raises HarnessError when the file has no FROM line.
    """
    match = _FROM.search(dockerfile.read_text())
    if match is None:
        raise HarnessError(f"{dockerfile}: no FROM line")
    return match.group(1)


def qualified(reference: str) -> str:
    """A short image name as the engines resolve it on Docker Hub's default namespace.

    >>> qualified("debian:sid-slim")
    'docker.io/library/debian:sid-slim'
    >>> qualified("localhost/base:1")
    'localhost/base:1'
    """
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return reference
    if "/" not in reference:
        reference = f"library/{reference}"
    return f"docker.io/{reference}"


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
        proc = _run(cli, "import", "-", qualified(reference), timeout=BUILD_TIMEOUT,
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


def ensure_base(cli: Sequence[str], dockerfile: Path, rootfs: Path) -> float | None:
    """Make the Dockerfile's base image from ``rootfs`` unless the engine has it already.

    Returns the seconds the import took, or None when the base was there.
    """
    base = dockerfile_base(dockerfile)
    if has_image(cli, qualified(base)) or has_image(cli, base):
        return None
    return import_base(cli, rootfs, base)


def build(cli: Sequence[str], context: Path, tag: str = DOCKER_IMAGE) -> float:
    """Build ``context``'s Dockerfile as ``tag`` (the engine's layer cache applies); seconds.

    Raises HarnessError with the end of the build's output when it fails.
    """
    started = time.monotonic()
    proc = _run(cli, "build", "-t", tag, str(context), timeout=BUILD_TIMEOUT)
    if proc.returncode != 0:
        raise HarnessError(f"{cli[0]} build failed: {(proc.stdout + proc.stderr)[-800:]}")
    return time.monotonic() - started


def image_size(cli: Sequence[str], tag: str = DOCKER_IMAGE) -> int:
    """The image's size in bytes, as the engine reports it."""
    proc = _run(cli, "image", "inspect", "-f", "{{.Size}}", tag)
    if proc.returncode != 0:
        raise HarnessError(f"{cli[0]} image inspect failed: {proc.stderr.strip()[-300:]}")
    return int(proc.stdout.strip())

"""The cached Debian sid root filesystem with Asterisk 22, built once with mmdebstrap.

Debian 12 has no Asterisk package; Debian sid has Asterisk 22. ``mmdebstrap`` builds a sid
root filesystem with it in about 20-30 s; the result is cached outside the repository and
reused by every run and every CI job on the machine. A build goes into a temporary directory
next to the cache and is renamed into place only when complete, with a marker file listing
the package versions: an interrupted build never leaves a directory that looks usable.

Runs never write to the cached rootfs (see :mod:`sip_harness.asterisk.runner`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sim.errors import HarnessError
from sip_harness import cache_root

__all__ = ["Rootfs", "PACKAGES", "MARKER", "default_rootfs_path", "ensure_rootfs",
           "build_rootfs", "can_use_user_namespaces", "privilege_mode", "remove_tree"]

PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en-gsm")
MARKER = ".cutover-rootfs.json"
FORMAT = 1  # bump when the build command changes, so old caches are rebuilt
BUILD_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Rootfs:
    """A complete rootfs: its path and the marker's contents (package versions, build time)."""

    path: Path
    packages: dict[str, str]
    built_at: str
    build_seconds: float


def default_rootfs_path() -> Path:
    """``$CUTOVER_ROOTFS``, else /var/cache/cutover/asterisk-rootfs as root, else in ~/.cache."""
    if env := os.environ.get("CUTOVER_ROOTFS"):
        return Path(env)
    return cache_root() / "asterisk-rootfs"


def can_use_user_namespaces() -> bool:
    """Whether this user may create a user namespace (rootless mmdebstrap and runs)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        proc = subprocess.run([unshare, "--user", "--map-root-user", "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def privilege_mode() -> str:
    """"root" or "unshare" (rootless via user namespaces); HarnessError when neither works."""
    if os.geteuid() == 0:
        return "root"
    if can_use_user_namespaces():
        return "unshare"
    raise HarnessError(
        "cannot run Asterisk: not root and user namespaces are not allowed here; run as root, "
        "or allow them (sysctl -w kernel.unprivileged_userns_clone=1 "
        "user.max_user_namespaces=15000), or use an existing Asterisk (external backend)")


def read_marker(path: Path) -> Rootfs | None:
    """The rootfs at ``path`` if it is a complete one of the current format, else None."""
    try:
        data = json.loads((path / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT or not (path / "usr/sbin/asterisk").exists():
        return None
    return Rootfs(path, dict(data.get("packages", {})), str(data.get("built_at", "")),
                  float(data.get("build_seconds", 0.0)))


def ensure_rootfs(path: Path | None = None, *, progress: bool = False) -> Rootfs:
    """The cached rootfs at ``path`` (default :func:`default_rootfs_path`), built if missing.

    Concurrent callers (two CI jobs) wait for one build under a lock file.
    Raises HarnessError when mmdebstrap is missing or the build fails.
    """
    target = Path(path) if path is not None else default_rootfs_path()
    if found := read_marker(target):
        _ensure_hosts_file(target)
        return found
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if found := read_marker(target):  # built by someone else while we waited
            return found
        return build_rootfs(target, progress=progress)


def _ensure_hosts_file(target: Path) -> None:
    # The runner bind-mounts a per-run /etc/hosts over this file (the rootfs is read-only
    # while Asterisk runs, so the mount point must exist); mmdebstrap does not create one.
    hosts = target / "etc" / "hosts"
    if not hosts.exists():
        try:
            hosts.write_text("127.0.0.1\tlocalhost\n")
        except OSError:
            pass  # a rootfs we may not write: the runner then skips the hosts mount


def build_rootfs(target: Path, *, progress: bool = False, mode: str | None = None) -> Rootfs:
    """Build the rootfs into a temporary directory next to ``target`` and rename it into place.

    An existing directory at ``target`` without a valid marker is replaced only if it is an
    old cutover build (its marker has another format); anything else is left alone and
    reported. Raises HarnessError on failure (the temporary directory is removed).
    """
    mmdebstrap = shutil.which("mmdebstrap")
    if mmdebstrap is None:
        raise HarnessError("cannot build the Asterisk rootfs: mmdebstrap is not installed; "
                           "install it with: apt-get install mmdebstrap")
    mode = mode or privilege_mode()
    if target.exists() and not (target / MARKER).exists():
        raise HarnessError(f"{target} exists but is not a cutover Asterisk rootfs (no {MARKER});"
                           f" remove it or set CUTOVER_ROOTFS to another path")
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        remove_tree(stale)  # left by an interrupted build
    work = target.parent / f".{target.name}.tmp-{os.getpid()}"
    work.mkdir()
    command = [mmdebstrap, "--variant=apt", f"--mode={mode}",
               # the reachable mirror serves a snapshot whose Release file has expired
               "--aptopt=Acquire::Check-Valid-Until \"false\"",
               "--include=" + ",".join(PACKAGES), "sid", str(work)]
    if mode == "root":
        # mmdebstrap mounts /proc, /sys and /dev into the target while it builds: in a private
        # mount namespace those mounts die with it even if the build is killed.
        command = ["unshare", "--mount", "--propagation", "private", *command]
    started = time.monotonic()
    try:
        proc = subprocess.run(command, stdout=None if progress else subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=BUILD_TIMEOUT,
                              check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout or "").splitlines()[-15:])
            raise HarnessError(f"building the Asterisk rootfs failed (mmdebstrap exit "
                               f"{proc.returncode}); check network access to Debian's mirror:"
                               f"\n{tail}")
        seconds = time.monotonic() - started
        marker = {"format": FORMAT, "packages": _package_versions(work),
                  "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "build_seconds": round(seconds, 1), "command": command}
        _ensure_hosts_file(work)
        (work / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        if target.exists():  # an older format: swap it out, then remove it
            old = target.parent / f".{target.name}.tmp-old-{os.getpid()}"
            target.rename(old)
            work.rename(target)
            remove_tree(old)
        else:
            work.rename(target)
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"building the Asterisk rootfs took over {BUILD_TIMEOUT:.0f} s; "
                           "check network access to Debian's mirror") from exc
    finally:
        if work.exists():
            remove_tree(work)
    found = read_marker(target)
    if found is None:
        raise HarnessError(f"the Asterisk rootfs at {target} is incomplete after its build")
    return found


def _package_versions(root: Path) -> dict[str, str]:
    """Versions of PACKAGES as dpkg installed them in ``root`` (read from its status file)."""
    versions: dict[str, str] = {}
    status = (root / "var/lib/dpkg/status").read_text(errors="replace")
    for stanza in status.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines()
                      if ": " in line and not line.startswith(" "))
        if fields.get("Package") in PACKAGES and "installed" in fields.get("Status", ""):
            versions[fields["Package"]] = fields.get("Version", "")
    missing = set(PACKAGES) - versions.keys()
    if missing:
        raise HarnessError(f"the Asterisk rootfs build did not install {sorted(missing)}")
    return versions


def remove_tree(path: Path) -> None:
    """Remove ``path`` recursively, refusing if anything is mounted inside it.

    A mount left below a directory (a bind of /dev, say) would make a recursive delete reach
    outside it; better to stop and say so.
    """
    if not path.exists() and not path.is_symlink():
        return
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as info:
        mounts = [line.split()[4] for line in info]
    inside = [m for m in mounts if m == real or m.startswith(real.rstrip("/") + "/")]
    if inside:
        raise HarnessError(f"not removing {path}: {len(inside)} mount(s) inside it "
                           f"(first {inside[0]}); unmount them first (umount -R {path})")
    shutil.rmtree(path, ignore_errors=False)

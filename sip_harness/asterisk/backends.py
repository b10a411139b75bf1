"""The three ways to run Asterisk: chrooted in the cached rootfs, in Docker, or an external one.

Rootfs (the default without a Docker engine): each run gets a private mount and PID namespace
(``unshare --mount --pid``) in which the cached rootfs is bind-mounted read-only, with a per-run
directory bound over /etc/asterisk (base config + generated files + a manager.conf with a random
AMI secret), /var/lib/asterisk (AstDB), /var/spool/asterisk (voicemail) and /var/log/asterisk,
and tmpfs over /run and /tmp. Asterisk is PID 1 of that namespace: when it dies everything in it
dies and its mounts vanish, even after a crash or a SIGKILL of the runner.
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sim.errors import HarnessError
from sip_harness.asterisk.rootfs import ensure_rootfs, privilege_mode, remove_tree
from sip_harness.asterisk.running import (
    READY_TIMEOUT,
    STOP_TIMEOUT,
    AsteriskStatus,
    RunningAsterisk,
    StopReport,
    alive,
    base_config,
    check_ports_free,
    docker_cli,
    merge_config,
    new_secret,
    now_text,
    start_ticks,
    wait_gone,
    wait_ready,
    write_files,
)
from sip_harness.topology import AMI_PORT, ASTERISK_HOST, SIP_PORT

__all__ = ["RootfsBackend", "DockerBackend", "ExternalBackend", "docker_available",
           "stop_via_ami", "ulimits", "build_arguments", "DOCKER_IMAGE", "DOCKER_BASE_ENV"]

DOCKER_IMAGE = "cutover-asterisk:22"
#: Names the Dockerfile's base image (its BASE argument) for a host whose engine has it
#: under another name, e.g. a rootfs imported where no image registry answers.
DOCKER_BASE_ENV = "CUTOVER_DOCKER_BASE"
#: The most open files and processes (threads count) a container is given.
CONTAINER_LIMITS = {"nofile": 65536, "nproc": 4096}
_RUN_SUBDIRS = ("etc", "lib/moh", "lib/sounds", "spool/voicemail", "log")


def build_arguments(base: str | None) -> list[str]:
    """The build's arguments that start the Dockerfile from ``base`` (none: its own FROM).

    >>> build_arguments("localhost/cutover-base:sid")
    ['--build-arg', 'BASE=localhost/cutover-base:sid']
    >>> build_arguments(None)
    []
    """
    return [] if base is None else ["--build-arg", f"BASE={base}"]

# PID 1 of the new namespaces (root there: real root, or the caller mapped to root in a user
# namespace) sets up the mounts, then becomes Asterisk. $1 = rootfs, $2 = per-run directory.
_RUN_SCRIPT = r"""
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH
R=$1; D=$2
mount --bind "$R" "$R"
mount -o remount,bind,ro "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755 tmpfs "$R/dev"
for d in null zero full random urandom tty; do
  : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"
done
ln -s /proc/self/fd "$R/dev/fd"; mkdir "$R/dev/shm" "$R/dev/pts"
mount --bind "$D/etc" "$R/etc/asterisk"
mount --bind "$D/lib" "$R/var/lib/asterisk"
mount --bind "$D/spool" "$R/var/spool/asterisk"
mount --bind "$D/log" "$R/var/log/asterisk"
# Name lookups stay on this machine: the rootfs copied the build host's resolv.conf, whose
# nameserver is off loopback; Asterisk looks up its own host name and more at start-up.
mount --bind "$D/resolv.conf" "$R/etc/resolv.conf"
if [ -f "$R/etc/hosts" ]; then mount --bind "$D/hosts" "$R/etc/hosts"; fi
mount -t tmpfs tmpfs "$R/run"; mkdir -p "$R/run/asterisk"
mount -t tmpfs tmpfs "$R/tmp"
if [ -d "$R/var/cache/asterisk" ]; then mount -t tmpfs tmpfs "$R/var/cache/asterisk"; fi
exec chroot "$R" /usr/sbin/asterisk -f -n
"""


def name_files() -> dict[str, str]:
    """/etc/hosts and /etc/resolv.conf for the chroot: every name lookup answered on loopback.

    The host's own name resolves to 127.0.0.1; any other lookup goes to a nameserver on
    127.0.0.1 (none listens, so it fails at once) instead of the build host's nameserver.
    """
    return {
        "hosts": f"127.0.0.1\tlocalhost {socket.gethostname()}\n::1\tlocalhost\n",
        "resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    }


def stop_via_ami(running: RunningAsterisk) -> bool:
    """Ask Asterisk to stop (``core stop now``); False if AMI does not answer."""
    try:
        with running.ami(timeout=2.0) as ami:
            try:
                ami.action("Command", Command="core stop now", timeout=2.0)
            except HarnessError:
                pass  # Asterisk may drop the session before it answers
        return True
    except HarnessError:
        return False


class RootfsBackend:
    """Asterisk chrooted in the cached mmdebstrap rootfs, in private namespaces on loopback."""

    name = "rootfs"

    def __init__(self, *, rootfs: Path | None = None, state_dir: Path,
                 host: str = ASTERISK_HOST, sip_port: int = SIP_PORT,
                 ami_port: int = AMI_PORT, progress: bool = False):
        self.rootfs_path = rootfs
        self.state_dir = state_dir
        self.host, self.sip_port, self.ami_port = host, sip_port, ami_port
        self.progress = progress
        self._popens: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, config_files: Mapping[str, str], *,
              ready_timeout: float = READY_TIMEOUT) -> RunningAsterisk:
        """Build or reuse the rootfs, start Asterisk, wait for FullyBooted.

        Raises HarnessError (missing privileges, port in use, rootfs build failed, Asterisk
        exited before it was ready) or HarnessTimeout. On any failure or interruption
        (KeyboardInterrupt included) nothing is left behind.
        """
        mode = privilege_mode()
        check_ports_free(self.host, self.sip_port, self.ami_port)
        rootfs = ensure_rootfs(self.rootfs_path, progress=self.progress)
        secret = new_secret()
        files = merge_config(base_config(ami_port=self.ami_port, ami_username="cutover",
                                         ami_secret=secret), config_files)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_dir = Path(tempfile.mkdtemp(prefix="asterisk-", dir=self.state_dir))
        running = RunningAsterisk(backend=self.name, host=self.host, sip_port=self.sip_port,
                                  ami_port=self.ami_port, ami_secret=secret,
                                  run_dir=str(run_dir), rootfs=str(rootfs.path),
                                  started_at=now_text(),
                                  extra={"asterisk": rootfs.packages.get("asterisk", "")})
        try:
            for sub in _RUN_SUBDIRS:
                (run_dir / sub).mkdir(parents=True, exist_ok=True)
            write_files(run_dir / "etc", files)
            write_files(run_dir, name_files())
            userns = ["--user", "--map-root-user"] if mode == "unshare" else []
            with open(run_dir / "asterisk.out", "wb") as out:
                popen = subprocess.Popen(
                    ["unshare", *userns, "--mount", "--propagation", "private", "--pid",
                     "--fork", "--kill-child", "sh", "-c", _RUN_SCRIPT, "cutover-asterisk",
                     str(rootfs.path), str(run_dir)],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)
            self._popens[popen.pid] = popen
            running.pid, running.pid_start = popen.pid, start_ticks(popen.pid)
            running.ready_seconds = round(wait_ready(
                self.host, self.ami_port, running.ami_username, secret,
                is_alive=lambda: popen.poll() is None, output=running.output_tail,
                timeout=ready_timeout), 3)
            return running
        except BaseException:
            self._kill(running)
            remove_tree(run_dir)
            raise

    def status(self, running: RunningAsterisk) -> AsteriskStatus:
        if running.pid is None or not alive(running.pid, running.pid_start):
            return _status(running, False, "Asterisk is not running (it exited or was "
                           f"killed); last output: {running.output_tail(5) or '(none)'}")
        return _status(running, True)

    def stop(self, running: RunningAsterisk, *, timeout: float = STOP_TIMEOUT) -> StopReport:
        """Stop Asterisk, kill what is left of its namespace, remove the per-run directory."""
        crashed = running.pid is None or not alive(running.pid, running.pid_start)
        last = running.output_tail() if crashed else ""
        how = "had already exited"
        if not crashed and running.pid is not None:
            popen = self._popens.get(running.pid)
            how = "stopped via AMI"
            if not (stop_via_ami(running)
                    and wait_gone(running.pid, running.pid_start, timeout, popen)):
                how = "killed"
                self._kill(running, term_first=True)
        self._kill(running)  # reaps our child; no-op if gone
        if running.run_dir:
            remove_tree(Path(running.run_dir))
        return StopReport(crashed=crashed, how=how, last_output=last)

    def _kill(self, running: RunningAsterisk, *, term_first: bool = False) -> None:
        """Kill Asterisk (PID 1 of its namespace), then the runner; reap it if it is ours.

        The namespace's PID 1 is killed first so that ``unshare`` reaps it and exits on its
        own: killing ``unshare`` first would orphan a zombie to the host's init. (``unshare``
        itself ignores SIGTERM while it waits, so SIGTERM goes to Asterisk, never to it.)
        """
        if running.pid is None:
            return
        popen = self._popens.pop(running.pid, None)
        signals = (signal.SIGTERM, signal.SIGKILL) if term_first else (signal.SIGKILL,)
        for sig in signals:
            child = running.asterisk_pid()
            if child is None:
                break
            try:
                os.kill(child, sig)
            except ProcessLookupError:
                break
            if wait_gone(running.pid, running.pid_start, 3.0, popen):
                break
        if alive(running.pid, running.pid_start):  # the runner still there: the whole group
            try:
                os.killpg(running.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            wait_gone(running.pid, running.pid_start, 5.0, popen)
        if popen is not None:
            try:
                popen.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                pass


def docker_available(cli: Sequence[str] | None = None) -> bool:
    """Whether a Docker engine answers (``docker info``), not just the client.

    ``cli`` is the client command (default :func:`docker_cli`: ``$CUTOVER_DOCKER`` or docker).
    """
    command = list(cli) if cli else docker_cli()
    if shutil.which(command[0]) is None:
        return False
    try:
        return subprocess.run([*command, "info"], capture_output=True, timeout=15,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ulimits() -> list[str]:
    """``--ulimit`` arguments for open files and processes, soft = hard.

    Given explicitly because an engine's defaults may exceed what the host allows (podman
    then refuses to start the container): at most this process's own hard limit, and at most
    :data:`CONTAINER_LIMITS` (Asterisk with the harness's config needs far less; a host
    without CAP_SYS_RESOURCE refuses a higher process limit even below its own).
    """
    out: list[str] = []
    for name, kind in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        hard = resource.getrlimit(kind)[1]
        cap = CONTAINER_LIMITS[name]
        value = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
        out += ["--ulimit", f"{name}={value}:{value}"]
    return out


class DockerBackend:
    """Asterisk in the Dockerfile's image, host network, per-run config mounted in.

    Driven through a Docker-compatible client (``cli``: docker, or podman's docker-compatible
    CLI). The image runs Asterisk as its non-root USER (a numeric uid:gid): as root on the
    host the per-run directory is handed to that uid; otherwise the container runs as the
    calling user, who owns it. The AMI secret is made per run and only mounted, never built in.
    """

    name = "docker"

    def __init__(self, *, state_dir: Path, context: Path, host: str = ASTERISK_HOST,
                 sip_port: int = SIP_PORT, ami_port: int = AMI_PORT,
                 cli: Sequence[str] | None = None, image: str = DOCKER_IMAGE,
                 base: str | None = None):
        self.state_dir, self.context = state_dir, context
        self.host, self.sip_port, self.ami_port = host, sip_port, ami_port
        self.cli = list(cli) if cli else docker_cli()
        self.image = image
        # The Dockerfile's BASE: given, else $CUTOVER_DOCKER_BASE, else the Dockerfile's own.
        self.base = base if base is not None else os.environ.get(DOCKER_BASE_ENV) or None

    def start(self, config_files: Mapping[str, str], *,
              ready_timeout: float = READY_TIMEOUT) -> RunningAsterisk:
        check_ports_free(self.host, self.sip_port, self.ami_port)
        _docker("build", "-q", *build_arguments(self.base), "-t", self.image, str(self.context),
                timeout=1800, cli=self.cli)
        user = _docker("image", "inspect", "-f", "{{.Config.User}}", self.image,
                       cli=self.cli).strip()
        secret = new_secret()
        files = merge_config(base_config(ami_port=self.ami_port, ami_username="cutover",
                                         ami_secret=secret), config_files)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_dir = Path(tempfile.mkdtemp(prefix="asterisk-", dir=self.state_dir))
        name = f"cutover-asterisk-{run_dir.name.rpartition('-')[2].lower()}"
        running = RunningAsterisk(backend=self.name, host=self.host, sip_port=self.sip_port,
                                  ami_port=self.ami_port, ami_secret=secret,
                                  run_dir=str(run_dir), container=name, started_at=now_text(),
                                  extra={"docker_cli": shlex.join(self.cli),
                                         "image": self.image, "user": user or "root"})
        try:
            for sub in _RUN_SUBDIRS:
                (run_dir / sub).mkdir(parents=True, exist_ok=True)
            write_files(run_dir / "etc", files)
            write_files(run_dir, name_files())
            as_user = _hand_over(run_dir, user)
            if as_user:
                running.extra["user"] = as_user
            mounts = [f"{run_dir}/etc:/etc/asterisk", f"{run_dir}/lib:/var/lib/asterisk",
                      f"{run_dir}/spool:/var/spool/asterisk", f"{run_dir}/log:/var/log/asterisk",
                      f"{run_dir}/hosts:/etc/hosts:ro",
                      f"{run_dir}/resolv.conf:/etc/resolv.conf:ro"]
            _docker("run", "-d", "--name", name, "--network", "host", *ulimits(),
                    *(("--user", as_user) if as_user else ()),
                    "--tmpfs", "/run/asterisk:mode=1777",
                    "--tmpfs", "/var/cache/asterisk:mode=1777",
                    *[a for m in mounts for a in ("-v", m)], self.image, cli=self.cli)
            running.ready_seconds = round(wait_ready(
                self.host, self.ami_port, running.ami_username, secret,
                is_alive=lambda: self.status(running).running, output=running.output_tail,
                timeout=ready_timeout), 3)
            return running
        except BaseException:
            subprocess.run([*self.cli, "rm", "-f", name], capture_output=True, timeout=60,
                           check=False)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise

    def status(self, running: RunningAsterisk) -> AsteriskStatus:
        proc = subprocess.run([*self.cli, "inspect", "-f", "{{.State.Running}}",
                               running.container or ""], capture_output=True, text=True,
                              timeout=30, check=False)
        if proc.stdout.strip() != "true":
            return _status(running, False, f"container {running.container} is not running")
        return _status(running, True)

    def stop(self, running: RunningAsterisk, *, timeout: float = STOP_TIMEOUT) -> StopReport:
        crashed = not self.status(running).running
        last = running.output_tail() if crashed else ""
        if not crashed:
            stop_via_ami(running)
            subprocess.run([*self.cli, "stop", "-t", str(int(timeout)), running.container or ""],
                           capture_output=True, timeout=timeout + 30, check=False)
        subprocess.run([*self.cli, "rm", "-f", running.container or ""], capture_output=True,
                       timeout=60, check=False)
        if running.run_dir:
            shutil.rmtree(running.run_dir, ignore_errors=True)
        return StopReport(crashed=crashed, how="had already exited" if crashed else "stopped",
                          last_output=last)


def _hand_over(run_dir: Path, image_user: str) -> str:
    """Let the container's user write the per-run directory; returns a ``--user`` to run as.

    As root on the host: the tree is given to the image's numeric ``uid:gid`` and the image's
    own USER is kept (returns ""). As anyone else: the container runs as the caller (who owns
    the tree), never as root inside.
    """
    if os.geteuid() != 0:
        return f"{os.getuid()}:{os.getgid()}"
    uid, _, gid = image_user.partition(":")
    if not uid.isdigit() or int(uid) == 0:
        return ""  # an image running as root (an older build) needs nothing handed over
    owner, group = int(uid), int(gid) if gid.isdigit() else int(uid)
    for path in (run_dir, *run_dir.rglob("*")):
        os.chown(path, owner, group, follow_symlinks=False)
    return ""


class ExternalBackend:
    """An Asterisk someone else runs, given by address and AMI credentials.

    Its config files are the user's business: ``start`` only checks it is ready, ``stop``
    forgets it (never stops it), live changes go through AMI only.
    """

    name = "external"

    def __init__(self, *, host: str, ami_username: str, ami_secret: str,
                 sip_port: int = SIP_PORT, ami_port: int = AMI_PORT):
        self.host, self.sip_port, self.ami_port = host, sip_port, ami_port
        self.username, self.secret = ami_username, ami_secret

    def start(self, config_files: Mapping[str, str], *,
              ready_timeout: float = READY_TIMEOUT) -> RunningAsterisk:
        running = RunningAsterisk(backend=self.name, host=self.host, sip_port=self.sip_port,
                                  ami_port=self.ami_port, ami_username=self.username,
                                  ami_secret=self.secret, started_at=now_text())
        started = time.monotonic()
        with running.ami(timeout=ready_timeout) as ami:
            ami.wait_event("FullyBooted", timeout=ready_timeout, after=0)
        running.ready_seconds = round(time.monotonic() - started, 3)
        return running

    def status(self, running: RunningAsterisk) -> AsteriskStatus:
        try:
            with running.ami(timeout=3.0) as ami:
                ami.ping()
        except HarnessError as exc:
            return _status(running, False, str(exc))
        return _status(running, True)

    def stop(self, running: RunningAsterisk, *, timeout: float = STOP_TIMEOUT) -> StopReport:
        return StopReport(crashed=False, how="forgotten (an external Asterisk is not stopped)")


def _status(running: RunningAsterisk, up: bool, reason: str = "") -> AsteriskStatus:
    return AsteriskStatus(running=up, backend=running.backend, sip=running.sip,
                          ami=running.ami_address, reason=reason, pid=running.asterisk_pid(),
                          scenario=running.scenario, instant=running.instant)


def _docker(*args: str, timeout: float = 120, cli: Sequence[str] | None = None) -> str:
    command = list(cli) if cli else docker_cli()
    try:
        proc = subprocess.run([*command, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"docker {args[0]} failed: {exc}") from exc
    if proc.returncode != 0:
        raise HarnessError(f"docker {args[0]} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout

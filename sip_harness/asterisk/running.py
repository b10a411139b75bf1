"""A running Asterisk: its handle, status, readiness wait, config files and preconditions.

Shared by the backends (:mod:`sip_harness.asterisk.backends`) and the façade
(:mod:`sip_harness.asterisk.runner`).
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Protocol

from sim.errors import AMIError, HarnessError, HarnessTimeout
from sip_harness import REPOSITORY
from sip_harness.ami import AMIClient
from sip_harness.topology import AMI_PORT, ASTERISK_HOST, SIP_PORT

__all__ = ["AsteriskBackend", "RunningAsterisk", "AsteriskStatus", "StopReport",
           "check_ports_free", "wait_ready", "base_config", "base_config_dir", "merge_config",
           "write_files", "new_secret", "RELOAD_COMMANDS", "READY_TIMEOUT", "STOP_TIMEOUT",
           "DOCKER_CLI_ENV", "docker_cli"]

#: The Docker client to drive, as a command line: ``docker`` unless this says otherwise, e.g.
#: ``podman --runtime runc --cgroup-manager cgroupfs`` (podman's docker-compatible CLI).
DOCKER_CLI_ENV = "CUTOVER_DOCKER"

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
AMI_USERNAME = "cutover"
# Generated files a caller may provide; manager.conf is always made here (it holds the secret).
RELOAD_COMMANDS = {"extensions.conf": "dialplan reload",
                   "pjsip.conf": "module reload res_pjsip.so",
                   "voicemail.conf": "module reload app_voicemail.so"}

@dataclass
class RunningAsterisk:
    """A running (or once-running) Asterisk: where it answers and how to control it.

    Saved as JSON in the state file (mode 0600: it holds the AMI secret).
    """

    backend: str
    host: str = ASTERISK_HOST
    sip_port: int = SIP_PORT
    ami_port: int = AMI_PORT
    ami_username: str = AMI_USERNAME
    ami_secret: str = ""
    pid: int | None = None          # rootfs: the unshare process (leader of its process group)
    pid_start: int | None = None    # its start time in clock ticks, against pid reuse
    run_dir: str | None = None      # per-run directory (config, AstDB, voicemail, output)
    rootfs: str | None = None
    container: str | None = None
    started_at: str = ""
    ready_seconds: float = 0.0
    scenario: str | None = None
    instant: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sip(self) -> str:
        return f"{self.host}:{self.sip_port}"

    @property
    def ami_address(self) -> str:
        return f"{self.host}:{self.ami_port}"

    def ami(self, *, timeout: float = 5.0, events: bool = True) -> AMIClient:
        """A new logged-in AMI session (close it, or use it as a context manager); without
        ``events``, one Asterisk sends no events to (see :meth:`AMIClient.connect`)."""
        return AMIClient.connect(self.host, self.ami_port, self.ami_username, self.ami_secret,
                                 timeout=timeout, events=events)

    def asterisk_pid(self) -> int | None:
        """Host PID of the Asterisk process itself (rootfs backend), None if it is gone."""
        if self.pid is None or not alive(self.pid, self.pid_start):
            return None
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def output_tail(self, lines: int = 20) -> str:
        """The last lines Asterisk printed (rootfs: captured console; docker: its logs)."""
        if self.container:
            cli = docker_cli(self.extra.get("docker_cli"))
            proc = subprocess.run([*cli, "logs", "--tail", str(lines), self.container],
                                  capture_output=True, text=True, timeout=10, check=False)
            return (proc.stdout + proc.stderr).strip()
        if self.run_dir:
            try:
                text = (Path(self.run_dir) / "asterisk.out").read_text(errors="replace")
            except OSError:
                return ""
            return "\n".join(text.splitlines()[-lines:])
        return ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RunningAsterisk:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AsteriskStatus:
    """Whether Asterisk answers, and where. ``reason`` says why not when it does not."""

    running: bool
    backend: str | None = None
    sip: str | None = None
    ami: str | None = None
    reason: str = ""
    pid: int | None = None
    scenario: str | None = None
    instant: str | None = None

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class StopReport:
    """What stopping found: ``crashed`` when Asterisk had already died, with its last output."""

    crashed: bool
    how: str
    last_output: str = ""


class AsteriskBackend(Protocol):
    """A way to run Asterisk. ``start`` returns only once AMI says FullyBooted."""

    name: str

    def start(self, config_files: Mapping[str, str], *,
              ready_timeout: float = READY_TIMEOUT) -> RunningAsterisk: ...

    def status(self, running: RunningAsterisk) -> AsteriskStatus: ...

    def stop(self, running: RunningAsterisk, *, timeout: float = STOP_TIMEOUT) -> StopReport: ...


# --- configuration -------------------------------------------------------------------------

def base_config_dir() -> Path:
    """``$CUTOVER_ASTERISK_CONF``, else the repository's asterisk_conf/."""
    env = os.environ.get("CUTOVER_ASTERISK_CONF")
    return Path(env) if env else REPOSITORY / "asterisk_conf"


def base_config(*, ami_port: int, ami_username: str, ami_secret: str,
                conf_dir: Path | None = None) -> dict[str, str]:
    """The base config files (asterisk_conf/) with manager.conf rendered for this run."""
    directory = conf_dir or base_config_dir()
    if not directory.is_dir():
        raise HarnessError(f"Asterisk base config not found at {directory}; set "
                           "CUTOVER_ASTERISK_CONF to the repository's asterisk_conf directory")
    files = {p.name: p.read_text() for p in sorted(directory.glob("*.conf"))}
    template = Template((directory / "manager.conf.template").read_text())
    files["manager.conf"] = template.substitute(ami_port=ami_port, ami_username=ami_username,
                                                ami_secret=ami_secret)
    return files


def merge_config(base: Mapping[str, str], generated: Mapping[str, str]) -> dict[str, str]:
    for name in generated:
        if "/" in name or name.startswith(".") or not name.endswith(".conf"):
            raise HarnessError(f"config file name {name!r} is not a plain *.conf name")
        if name == "manager.conf":
            raise HarnessError("manager.conf is made per run (random AMI secret); "
                               "do not pass it")
    return {**base, **generated}


def write_files(directory: Path, files: Mapping[str, str]) -> None:
    """Write each file atomically (temp + rename), so Asterisk never reads half a file."""
    for name, text in files.items():
        tmp = directory / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, directory / name)


# --- preconditions and readiness -----------------------------------------------------------

def check_ports_free(host: str = ASTERISK_HOST, sip_port: int = SIP_PORT,
                     ami_port: int = AMI_PORT) -> None:
    """Raise HarnessError naming the port if SIP (UDP) or AMI (TCP) is already bound."""
    for kind, port, what in ((socket.SOCK_DGRAM, sip_port, "SIP"),
                             (socket.SOCK_STREAM, ami_port, "AMI")):
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:  # a TIME_WAIT from the last run is no conflict
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                proto = "udp" if kind == socket.SOCK_DGRAM else "tcp"
                raise HarnessError(
                    f"{what} port {host}:{port}/{proto} is already in use ({exc.strerror}); "
                    f"stop whatever holds it (`cutover asterisk down`, or find it with "
                    f"`ss -{'u' if proto == 'udp' else 't'}lpn 'sport = :{port}'`)") from exc


def wait_ready(host: str, ami_port: int, username: str, secret: str, *,
               is_alive: Callable[[], bool], output: Callable[[], str],
               timeout: float = READY_TIMEOUT) -> float:
    """Wait until AMI accepts a login and reports FullyBooted; return the seconds taken.

    Connection attempts back off from 20 ms to 250 ms; the FullyBooted wait is an AMI event.
    Raises HarnessError with Asterisk's last output if it exits first, HarnessTimeout if
    ``timeout`` passes.
    """
    started = time.monotonic()
    deadline = started + timeout
    delay = 0.02
    last: Exception | None = None
    while True:
        if not is_alive():
            raise HarnessError(f"Asterisk exited before it was ready; its last output:\n"
                               f"{output() or '(none)'}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HarnessTimeout(f"Asterisk was not ready within {timeout:.0f} s (last error: "
                                 f"{last}); its last output:\n{output() or '(none)'}")
        try:
            with AMIClient.connect(host, ami_port, username, secret,
                                   timeout=min(remaining, 5.0)) as ami:
                while True:  # in slices, so that a crash during boot is seen at once
                    try:
                        ami.wait_event("FullyBooted", timeout=min(
                            0.5, max(0.01, deadline - time.monotonic())), after=0)
                        return time.monotonic() - started
                    except HarnessTimeout:
                        if not is_alive() or time.monotonic() >= deadline:
                            break
        except AMIError as exc:  # not listening yet, or dropped while booting
            last = exc
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


# --- process bookkeeping -------------------------------------------------------------------

def start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields[0] == "Z":  # exited, not yet reaped: as good as gone
        return None
    return int(fields[19])


def alive(pid: int, start: int | None) -> bool:
    ticks = start_ticks(pid)
    return ticks is not None and (start is None or ticks == start)


def wait_gone(pid: int, start: int | None, timeout: float,
               popen: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    if popen is not None:
        try:
            popen.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    delay = 0.01
    while alive(pid, start):  # not our child: no wait() possible, so poll /proc briefly
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    return True


def docker_cli(recorded: str | None = None) -> list[str]:
    """The Docker client command: ``recorded`` (a started container's), else
    ``$CUTOVER_DOCKER``, else ``docker``.

    >>> docker_cli("podman --runtime runc")
    ['podman', '--runtime', 'runc']
    """
    return shlex.split(recorded or os.environ.get(DOCKER_CLI_ENV) or "docker")


def new_secret() -> str:
    """A random AMI secret for one run."""
    return secrets.token_urlsafe(24)


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Run a real Asterisk 22 on loopback: in the cached rootfs (default), in Docker, or external.

What ``cutover asterisk up|down|status|apply`` call. A backend
(:mod:`sip_harness.asterisk.backends`) starts Asterisk and returns once AMI reports
``FullyBooted``; the returned :class:`RunningAsterisk` is saved in a state file (mode 0600, it
holds the per-run AMI secret) so a later process can find, control and stop it.

Not run as a doctest: it needs a real Asterisk (tests/integration/ runs one).

>>> running = up(render(view, scenario))    # doctest: +SKIP
>>> status().running                       # doctest: +SKIP
True
>>> down()                                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from sim.errors import HarnessError
from sip_harness import REPOSITORY
from sip_harness.asterisk.backends import (
    DOCKER_IMAGE,
    DockerBackend,
    ExternalBackend,
    RootfsBackend,
    docker_available,
)
from sip_harness.asterisk.running import (
    DOCKER_CLI_ENV,
    READY_TIMEOUT,
    RELOAD_COMMANDS,
    AsteriskBackend,
    AsteriskStatus,
    RunningAsterisk,
    StopReport,
    docker_cli,
    merge_config,
    write_files,
)

__all__ = ["AsteriskBackend", "RunningAsterisk", "AsteriskStatus", "StopReport",
           "RootfsBackend", "DockerBackend", "ExternalBackend", "select_backend",
           "backend_for", "state_dir", "state_file_path", "load_running", "up", "down",
           "status", "apply_config", "require_running", "record"]


#: Which backend ``cutover asterisk up`` and ``verify`` start when none is named.
BACKEND_ENV = "CUTOVER_ASTERISK_BACKEND"


def state_dir() -> Path:
    """``$CUTOVER_STATE_DIR``; else /run/cutover as root, else $XDG_RUNTIME_DIR/cutover."""
    if env := os.environ.get("CUTOVER_STATE_DIR"):
        return Path(env)
    if os.geteuid() == 0:
        return Path("/run/cutover")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "cutover" if runtime else Path.home() / ".cache" / "cutover" / "run"


def state_file_path() -> Path:
    return state_dir() / "asterisk.json"


def load_running(path: Path | None = None) -> RunningAsterisk | None:
    """The Asterisk recorded in the state file, or None when there is none."""
    file = path or state_file_path()
    try:
        return RunningAsterisk.from_json(json.loads(file.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise HarnessError(f"unreadable Asterisk state file {file} ({exc}); remove it") from exc


def _save(running: RunningAsterisk, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(running.to_json(), out, indent=2)
    os.replace(tmp, path)


def select_backend(kind: str | None = None, *, rootfs: Path | None = None,
                   external: Mapping[str, str | int] | None = None,
                   progress: bool = False) -> AsteriskBackend:
    """The backend called ``kind`` ("rootfs", "docker", "external"), or the default.

    Default: ``$CUTOVER_ASTERISK_BACKEND`` if set, else external when ``external`` is given,
    else rootfs (also where a Docker engine answers: docker only when asked for).
    ``external`` holds host, ami_username, ami_secret and optionally sip_port, ami_port.
    Raises HarnessError for an unknown kind or docker without an engine.
    """
    if kind is None:
        kind = os.environ.get(BACKEND_ENV) or ("external" if external else "rootfs")
    if kind == "rootfs":
        return RootfsBackend(rootfs=rootfs, state_dir=state_dir(), progress=progress)
    if kind == "docker":
        if not docker_available():
            raise HarnessError(f"no Docker engine answers (`{shlex.join(docker_cli())} info` "
                               "fails); use the rootfs backend (the default), start the engine "
                               f"or set ${DOCKER_CLI_ENV} (e.g. to podman)")
        return DockerBackend(state_dir=state_dir(),
                             context=REPOSITORY)
    if kind == "external":
        if not external:
            raise HarnessError("the external backend needs host, ami_username and ami_secret")
        try:
            return ExternalBackend(host=str(external["host"]),
                                   ami_username=str(external["ami_username"]),
                                   ami_secret=str(external["ami_secret"]),
                                   sip_port=int(external.get("sip_port", 5060)),
                                   ami_port=int(external.get("ami_port", 5038)))
        except KeyError as exc:
            raise HarnessError(f"the external backend needs {exc.args[0]}") from exc
    raise HarnessError(f"unknown Asterisk backend {kind!r}: use rootfs, docker or external")


def backend_for(running: RunningAsterisk) -> AsteriskBackend:
    """The backend that controls an already started instance (from the state file)."""
    if running.backend == "external":
        return ExternalBackend(host=running.host, ami_username=running.ami_username,
                               ami_secret=running.ami_secret, sip_port=running.sip_port,
                               ami_port=running.ami_port)
    if running.backend == "docker":
        return DockerBackend(state_dir=state_dir(), context=REPOSITORY,
                             cli=docker_cli(running.extra.get("docker_cli")),
                             image=running.extra.get("image", DOCKER_IMAGE))
    return RootfsBackend(rootfs=Path(running.rootfs) if running.rootfs else None,
                         state_dir=state_dir(), host=running.host,
                         sip_port=running.sip_port, ami_port=running.ami_port)


def up(config_files: Mapping[str, str], *, backend: AsteriskBackend | None = None,
       scenario: str | None = None, instant: str | None = None,
       ready_timeout: float = READY_TIMEOUT, state_file: Path | None = None) -> RunningAsterisk:
    """Start Asterisk with the generated ``config_files`` and record it in the state file.

    Refuses (HarnessError) when the state file names an Asterisk that still runs; a stale
    record (crashed instance) is cleaned up first.
    """
    path = state_file or state_file_path()
    if (previous := load_running(path)) is not None:
        if backend_for(previous).status(previous).running:
            raise HarnessError(f"an Asterisk is already running ({previous.backend}, SIP "
                               f"{previous.sip}); stop it with `cutover asterisk down`")
        down(state_file=path)
    chosen = backend or select_backend()
    running = chosen.start(config_files, ready_timeout=ready_timeout)
    running.scenario, running.instant = scenario, instant
    try:
        _save(running, path)
    except BaseException:
        chosen.stop(running)
        raise
    return running


def down(*, state_file: Path | None = None,
         backend: AsteriskBackend | None = None) -> StopReport | None:
    """Stop the recorded Asterisk and remove the state file; None when nothing was recorded.

    After a crash this still cleans up, and the report says ``crashed`` with the last output.
    """
    path = state_file or state_file_path()
    running = load_running(path)
    if running is None:
        return None
    report = (backend or backend_for(running)).stop(running)
    path.unlink(missing_ok=True)
    return report


def status(*, state_file: Path | None = None) -> AsteriskStatus:
    """Whether the recorded Asterisk runs (``to_json()`` for ``--json``)."""
    running = load_running(state_file or state_file_path())
    if running is None:
        return AsteriskStatus(running=False, reason="no Asterisk started by cutover "
                              "(start one with `cutover asterisk up`)")
    return backend_for(running).status(running)


def require_running(*, state_file: Path | None = None) -> RunningAsterisk:
    """The recorded Asterisk if it runs; HarnessError saying what to do otherwise."""
    running = load_running(state_file or state_file_path())
    if running is None:
        raise HarnessError("no Asterisk is running; start one with `cutover asterisk up`")
    state = backend_for(running).status(running)
    if not state.running:
        raise HarnessError(f"{state.reason.splitlines()[0]}; clean up with "
                           "`cutover asterisk down`, then `cutover asterisk up`")
    return running


def apply_config(running: RunningAsterisk, config_files: Mapping[str, str], *,
                 scenario: str | None = None, instant: str | None = None,
                 state_file: Path | None = None) -> list[str]:
    """Write changed generated files into the running instance and reload what they feed.

    Returns the CLI reload commands run (``dialplan reload``, ...). Only files whose text
    changed are written and reloaded. For an external Asterisk, writing config is the user's
    business: HarnessError if any file is given. Live AstDB changes go through
    :func:`sip_harness.ami.astdb.sync` instead.
    """
    if not config_files:
        return []
    if running.run_dir is None:
        raise HarnessError(f"cannot write config files to the {running.backend} Asterisk; "
                           "write them yourself or change routing through AMI")
    merge_config({}, config_files)  # validates the names
    etc = Path(running.run_dir) / "etc"
    changed = {n: t for n, t in config_files.items()
               if not (etc / n).exists() or (etc / n).read_text() != t}
    write_files(etc, changed)
    commands = [RELOAD_COMMANDS.get(n, "core reload") for n in sorted(changed)]
    commands = list(dict.fromkeys(commands))
    with running.ami() as ami:
        for command in commands:
            ami.command(command)
    if scenario is not None or instant is not None:
        running.scenario = scenario if scenario is not None else running.scenario
        running.instant = instant if instant is not None else running.instant
        _save(running, state_file or state_file_path())
    return commands


def record(running: RunningAsterisk, *, scenario: str | None = None, instant: str | None = None,
           state_file: Path | None = None) -> None:
    """Remember in the state file which scenario and instant the running Asterisk now holds."""
    running.scenario = scenario if scenario is not None else running.scenario
    running.instant = instant if instant is not None else running.instant
    _save(running, state_file or state_file_path())

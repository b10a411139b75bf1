"""sip_harness.asterisk.backends without starting Asterisk: name files, the external backend
against a FakeAMI, Docker detection, and the rootfs backend's fail-fast preconditions."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from sim.errors import HarnessError
from sip_harness.ami.testing import DISCONNECT, FakeAMI
from sip_harness.asterisk import backends
from sip_harness.asterisk.backends import (
    DockerBackend,
    ExternalBackend,
    RootfsBackend,
    docker_available,
    name_files,
    stop_via_ami,
)
from sip_harness.asterisk.running import RunningAsterisk


def external(fake: FakeAMI, *, secret: str | None = None) -> ExternalBackend:
    return ExternalBackend(host="127.0.0.1", ami_username=fake.username,
                           ami_secret=fake.secret if secret is None else secret,
                           sip_port=15060, ami_port=fake.port)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- name files --------------------------------------------------------------------------------

def test_name_files_answer_every_lookup_on_loopback() -> None:
    files = name_files()
    assert set(files) == {"hosts", "resolv.conf"}
    assert files["hosts"].splitlines() == [f"127.0.0.1\tlocalhost {socket.gethostname()}",
                                           "::1\tlocalhost"]
    nameservers = [line for line in files["resolv.conf"].splitlines()
                   if line.startswith("nameserver")]
    assert nameservers == ["nameserver 127.0.0.1"]  # one, and on loopback
    assert "attempts:1" in files["resolv.conf"]     # a failed lookup fails at once


# --- the external backend ------------------------------------------------------------------

def test_external_start_waits_for_fully_booted_and_records_the_address(fake: FakeAMI) -> None:
    running = external(fake).start({"extensions.conf": "ignored"}, ready_timeout=2.0)
    assert (running.backend, running.host, running.ami_port, running.sip_port) == (
        "external", "127.0.0.1", fake.port, 15060)
    assert (running.ami_username, running.ami_secret) == (fake.username, fake.secret)
    assert running.run_dir is None and running.pid is None  # nothing of ours runs
    assert 0 <= running.ready_seconds < 2.0
    assert running.started_at.endswith("Z")
    assert [a["Action"] for a in fake.received][:1] == ["Login"]


def test_external_start_with_a_wrong_secret_raises(fake: FakeAMI) -> None:
    with pytest.raises(HarnessError, match="Authentication failed"):
        external(fake, secret="wrong").start({}, ready_timeout=1.0)


def test_external_status_is_up_when_ami_answers_a_ping(fake: FakeAMI) -> None:
    backend = external(fake)
    running = backend.start({}, ready_timeout=2.0)
    running.scenario, running.instant = "/s.yaml", "2026-11-28T06:00:00+00:00"
    state = backend.status(running)
    assert state.running and state.reason == ""
    assert (state.backend, state.sip, state.ami) == ("external", "127.0.0.1:15060",
                                                     f"127.0.0.1:{fake.port}")
    assert (state.scenario, state.instant) == ("/s.yaml", "2026-11-28T06:00:00+00:00")
    assert state.pid is None
    assert "Ping" in [a["Action"] for a in fake.received]


def test_external_status_is_down_with_the_reason_when_ami_refuses(fake: FakeAMI) -> None:
    running = external(fake).start({}, ready_timeout=2.0)
    running.ami_secret = "changed"
    state = external(fake).status(running)
    assert not state.running and "Authentication failed" in state.reason


def test_external_status_is_down_when_the_ping_drops(fake: FakeAMI) -> None:
    running = external(fake).start({}, ready_timeout=2.0)
    fake.handlers["Ping"] = lambda a: DISCONNECT
    state = external(fake).status(running)
    assert not state.running and "closed the connection" in state.reason


def test_external_status_is_down_when_nothing_listens() -> None:
    running = RunningAsterisk(backend="external", host="127.0.0.1", ami_port=free_port(),
                              ami_secret="s")
    backend = ExternalBackend(host="127.0.0.1", ami_username="cutover", ami_secret="s",
                              ami_port=running.ami_port)
    state = backend.status(running)
    assert not state.running and state.reason
    assert state.to_json()["running"] is False


def test_external_stop_forgets_and_never_stops_it(fake: FakeAMI) -> None:
    backend = external(fake)
    running = backend.start({}, ready_timeout=2.0)
    seen = len(fake.received)
    report = backend.stop(running)
    assert (report.crashed, report.how) == (False,
                                            "forgotten (an external Asterisk is not stopped)")
    assert len(fake.received) == seen  # not a word sent to it
    assert backend.status(running).running


# --- stop via AMI ------------------------------------------------------------------------------

def test_stop_via_ami_sends_core_stop_now(fake: FakeAMI) -> None:
    running = external(fake).start({}, ready_timeout=2.0)
    assert stop_via_ami(running) is True
    commands = [a["Command"] for a in fake.received if a["Action"] == "Command"]
    assert commands == ["core stop now"]


def test_stop_via_ami_is_true_when_asterisk_drops_the_session_first(fake: FakeAMI) -> None:
    running = external(fake).start({}, ready_timeout=2.0)
    fake.handlers["Command"] = lambda a: DISCONNECT
    assert stop_via_ami(running) is True


def test_stop_via_ami_is_false_when_ami_does_not_answer() -> None:
    running = RunningAsterisk(backend="rootfs", host="127.0.0.1", ami_port=free_port(),
                              ami_secret="s")
    assert stop_via_ami(running) is False


# --- docker detection --------------------------------------------------------------------------

def fake_docker(directory: Path, script: str) -> None:
    path = directory / "docker"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_docker_available_is_false_without_a_client(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no docker
    assert docker_available() is False


@pytest.mark.parametrize(("script", "available"), [
    ("echo 'Cannot connect to the Docker daemon' >&2; exit 1", False),  # client, no engine
    ("exit 0", True),                                                      # engine answers
])
def test_docker_available_asks_the_engine_not_just_the_client(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, available: bool) -> None:
    fake_docker(tmp_path, script)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    assert docker_available() is available


def test_docker_status_says_which_container_is_not_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(tmp_path, 'echo false')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    running = RunningAsterisk(backend="docker", container="cutover-asterisk-abc")
    state = DockerBackend(state_dir=tmp_path, context=tmp_path).status(running)
    assert not state.running
    assert state.reason == "container cutover-asterisk-abc is not running"


def test_docker_failures_become_harness_errors(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(tmp_path, "echo 'no such image' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    with pytest.raises(HarnessError, match="docker build failed: no such image"):
        backends._docker("build", ".")


# --- rootfs preconditions ----------------------------------------------------------------------

@pytest.fixture
def no_rootfs_build(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the steps start() reaches, and never build a rootfs or need privileges."""
    reached: list[str] = []

    def ensure(path: Path | None, *, progress: bool = False) -> None:
        reached.append("ensure_rootfs")
        raise HarnessError("mmdebstrap not found")

    monkeypatch.setattr(backends, "privilege_mode", lambda: reached.append("privileges")
                        or "unshare")
    monkeypatch.setattr(backends, "ensure_rootfs", ensure)
    return reached


def test_rootfs_start_refuses_a_sip_port_in_use_before_anything(
        tmp_path: Path, no_rootfs_build: list[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        backend = RootfsBackend(state_dir=tmp_path / "state", host="127.0.0.1",
                                sip_port=port, ami_port=free_port())
        with pytest.raises(HarnessError, match=f"SIP port 127.0.0.1:{port}/udp is already in "
                                               "use"):
            backend.start({})
    assert no_rootfs_build == ["privileges"]
    assert not (tmp_path / "state").exists()


def test_rootfs_start_refuses_an_ami_port_in_use(tmp_path: Path,
                                                 no_rootfs_build: list[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        backend = RootfsBackend(state_dir=tmp_path / "state", host="127.0.0.1",
                                sip_port=free_port(), ami_port=port)
        with pytest.raises(HarnessError, match=f"AMI port 127.0.0.1:{port}/tcp"):
            backend.start({})
    assert not (tmp_path / "state").exists()


def test_rootfs_start_stops_at_a_failed_rootfs_build(tmp_path: Path,
                                                     no_rootfs_build: list[str]) -> None:
    backend = RootfsBackend(state_dir=tmp_path / "state", host="127.0.0.1",
                            sip_port=free_port(), ami_port=free_port())
    with pytest.raises(HarnessError, match="mmdebstrap not found"):
        backend.start({})
    assert no_rootfs_build == ["privileges", "ensure_rootfs"]
    assert not (tmp_path / "state").exists()


def test_rootfs_start_without_privileges_fails_first(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> str:
        raise HarnessError("cannot run Asterisk: not root and user namespaces are not allowed")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("checked past the missing privileges")

    monkeypatch.setattr(backends, "privilege_mode", refuse)
    monkeypatch.setattr(backends, "check_ports_free", never)
    monkeypatch.setattr(backends, "ensure_rootfs", never)
    with pytest.raises(HarnessError, match="user namespaces are not allowed"):
        RootfsBackend(state_dir=tmp_path / "state").start({})


def test_rootfs_status_of_an_instance_that_never_started(tmp_path: Path) -> None:
    run_dir = tmp_path / "asterisk-x"
    run_dir.mkdir()
    (run_dir / "asterisk.out").write_text("line 1\nERROR: no config\n")
    running = RunningAsterisk(backend="rootfs", run_dir=str(run_dir))
    state = RootfsBackend(state_dir=tmp_path).status(running)
    assert not state.running
    assert state.reason.startswith("Asterisk is not running (it exited or was killed)")
    assert state.reason.endswith("last output: line 1\nERROR: no config")


def test_rootfs_status_without_output_says_none(tmp_path: Path) -> None:
    running = RunningAsterisk(backend="rootfs", pid=2**22 + 1, pid_start=1)
    state = RootfsBackend(state_dir=tmp_path).status(running)
    assert not state.running and state.reason.endswith("last output: (none)")


def test_rootfs_stop_of_a_dead_instance_cleans_up(tmp_path: Path) -> None:
    run_dir = tmp_path / "asterisk-x"
    (run_dir / "etc").mkdir(parents=True)
    (run_dir / "asterisk.out").write_text("Segmentation fault\n")
    running = RunningAsterisk(backend="rootfs", pid=2**22 + 1, pid_start=1, run_dir=str(run_dir))
    report = RootfsBackend(state_dir=tmp_path).stop(running)
    assert (report.crashed, report.how) == (True, "had already exited")
    assert report.last_output == "Segmentation fault"
    assert not run_dir.exists()


# --- the docker backend, driven through a fake client ---------------------------------------------

@pytest.fixture
def fake_client(tmp_path: Path) -> tuple[list[str], Path]:
    """A Docker-compatible client that logs its arguments: the image runs as 10001:10001."""
    log = tmp_path / "calls.log"
    client = tmp_path / "client"
    client.write_text(f"""#!/bin/sh
echo "$@" >> {log}
test "$1" = --global-flag && shift
case "$1 $2" in
  "image inspect") echo 10001:10001 ;;
  "inspect -f") echo true ;;
esac
""")
    client.chmod(client.stat().st_mode | stat.S_IXUSR)
    return [str(client), "--global-flag"], log


def test_docker_start_runs_the_image_with_explicit_limits_and_a_per_run_secret(
        tmp_path: Path, fake_client: tuple[list[str], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    cli, log = fake_client
    monkeypatch.setattr(backends, "check_ports_free", lambda *a: None)
    monkeypatch.setattr(backends, "wait_ready", lambda *a, **k: 0.25)
    state = tmp_path / "state"
    backend = DockerBackend(state_dir=state, context=tmp_path, cli=cli)
    running = backend.start({"pjsip.conf": "[transport]\n"})
    calls = log.read_text().splitlines()
    assert calls[0] == f"--global-flag build -q -t cutover-asterisk:22 {tmp_path}"
    (run,) = [c for c in calls if c.startswith("--global-flag run ")]
    assert "--network host" in run and "--ulimit nofile=" in run and "--ulimit nproc=" in run
    assert f"-v {running.run_dir}/etc:/etc/asterisk" in run
    assert running.ami_secret and running.ami_secret not in " ".join(calls)  # only mounted
    manager = Path(running.run_dir or "") / "etc" / "manager.conf"
    assert running.ami_secret in manager.read_text()
    assert running.extra["docker_cli"] == f"{cli[0]} --global-flag"  # recorded for later
    if os.geteuid() == 0:  # handed to the image's user, which runs Asterisk (never root)
        assert manager.stat().st_uid == 10001 and "--user" not in run
    else:  # the caller runs it as itself
        assert f"--user {os.getuid()}:{os.getgid()}" in run
    assert backend.status(running).running
    backend.stop(running)
    assert not Path(running.run_dir or "").exists()
    assert f"--global-flag rm -f {running.container}" in log.read_text()


def test_ulimits_stay_within_this_process_and_the_containers_caps() -> None:
    import resource

    args = backends.ulimits()
    values = dict(a.split("=") for a in args[1::2])
    for name, kind in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        soft, hard = (int(v) for v in values[name].split(":"))
        assert soft == hard <= backends.CONTAINER_LIMITS[name]
        limit = resource.getrlimit(kind)[1]
        assert limit == resource.RLIM_INFINITY or hard <= limit

"""Live fixtures: one real Asterisk for the session, started from the cached rootfs.

Live tests run by default. Where the machine cannot run Asterisk (no mmdebstrap and no cached
rootfs, or neither root nor user namespaces) they skip with the reason; under ``CI=true`` that
skip is a failure, so CI never passes without having run them.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sim.errors import HarnessError
from sip_harness.ami.astdb import read_families
from sip_harness.asterisk import live as control
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.backends import RootfsBackend
from sip_harness.asterisk.rootfs import default_rootfs_path, privilege_mode, read_marker
from sip_harness.sip_message import read_message

# A stand-in for confgen's output: one UDP transport on loopback, a tester identified by its
# address, Playback on 100, nothing else (so any other number gets 404).
TESTER = "127.0.1.3"
STAND_IN = {
    "pjsip.conf": f"""\
[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:5060

[tester]
type = endpoint
context = from-tester
disallow = all
allow = ulaw,alaw,gsm

[tester]
type = identify
endpoint = tester
match = {TESTER}
""",
    "extensions.conf": """\
[from-tester]
exten => 100,1,Answer()
 same => n,Playback(hello-world)
 same => n,Hangup()
""",
    "voicemail.conf": "[general]\nformat = wav\n\n[default]\n1000 => 1234,Test Box\n",
}


def skip_or_fail(reason: str) -> None:
    """Skip (a machine that cannot run Asterisk); under CI=true tests/conftest.py fails it."""
    pytest.skip(reason)


class LiveAsterisk:
    """The session's Asterisk; ``restart`` after a test that killed it on purpose."""

    def __init__(self, state_dir: Path, backend: asterisk.AsteriskBackend | None = None):
        self.state_dir = state_dir
        self.state_file = state_dir / "asterisk.json"
        self.backend = backend or RootfsBackend(state_dir=state_dir)
        self.pids: list[int] = []
        self.running = self.start()

    def start(self) -> asterisk.RunningAsterisk:
        self.running = asterisk.up(STAND_IN, backend=self.backend, state_file=self.state_file)
        self.pids += [p for p in (self.running.pid, self.running.asterisk_pid()) if p]
        return self.running

    def stop(self) -> asterisk.StopReport | None:
        return asterisk.down(state_file=self.state_file, backend=self.backend)


@pytest.fixture(scope="session")
def live_asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAsterisk]:
    if read_marker(default_rootfs_path()) is None and shutil.which("mmdebstrap") is None:
        skip_or_fail("no cached Asterisk rootfs and no mmdebstrap to build one "
                     "(apt-get install mmdebstrap)")
    try:
        privilege_mode()
    except HarnessError as exc:
        skip_or_fail(str(exc))
    state_dir = tmp_path_factory.mktemp("asterisk-state")
    live = LiveAsterisk(state_dir)
    try:
        yield live
    finally:
        live.stop()
        leftovers = [p for p in state_dir.iterdir()]
        assert not leftovers, f"left behind: {leftovers}"
        assert not _asterisk_processes_under(state_dir), "an Asterisk runner survived"
        assert not [p for p in live.pids if Path(f"/proc/{p}").exists()
                    and "asterisk" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
                    ], "an Asterisk process survived"


def _asterisk_processes_under(state_dir: Path) -> list[int]:
    """PIDs of processes whose command line mentions ``state_dir`` (our runner, Asterisk)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(state_dir) in (proc / "cmdline").read_text(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="session")
def sipp() -> str:
    """The path of SIPp (Debian's sip-tester), the independent SIP client of the live tests."""
    path = shutil.which("sipp")
    if path is None:
        skip_or_fail("sipp is not installed (apt-get install sip-tester)")
    return str(path)


@pytest.fixture(scope="session")
def stand_in() -> dict[str, str]:
    return dict(STAND_IN)


@pytest.fixture(scope="session", name="sip_invite")
def sip_invite_fixture() -> Callable[..., int]:
    return sip_invite


def sip_invite(user: str, *, source: str = TESTER, target: tuple[str, int] = ("127.0.0.1", 5060),
               timeout: float = 5.0) -> int:
    """Send one INVITE for ``user`` from ``source``; return the final status (200: also hang up).

    A tiny UDP SIP client: enough for 404 versus 200, bounded by ``timeout``.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(timeout)
        port = sock.getsockname()[1]
        call_id, tag, branch = uuid.uuid4().hex, uuid.uuid4().hex[:8], uuid.uuid4().hex[:12]
        sdp = (f"v=0\r\no=- 1 1 IN IP4 {source}\r\ns=-\r\nc=IN IP4 {source}\r\nt=0 0\r\n"
               f"m=audio {port + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        uri = f"sip:{user}@{target[0]}:{target[1]}"

        def request(method: str, cseq: int, branch_id: str, to_tag: str = "",
                    body: str = "") -> bytes:
            lines = [f"{method} {uri} SIP/2.0",
                     f"Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK{branch_id};rport",
                     "Max-Forwards: 70", f"From: <sip:tester@{source}>;tag={tag}",
                     f"To: <{uri}>" + (f";tag={to_tag}" if to_tag else ""),
                     f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
                     f"Contact: <sip:tester@{source}:{port}>"]
            if body:
                lines.append("Content-Type: application/sdp")
            lines.append(f"Content-Length: {len(body)}")
            return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

        sock.sendto(request("INVITE", 1, branch, body=sdp), target)
        reply, status = _final_response(sock)
        to = read_message(reply).header("to") or ""
        to_tag = to.split(";tag=", 1)[1].split(";")[0].strip() if ";tag=" in to else ""
        if status < 300:  # ACK is a new transaction for 2xx; then hang up
            sock.sendto(request("ACK", 1, uuid.uuid4().hex[:12], to_tag), target)
            sock.sendto(request("BYE", 2, uuid.uuid4().hex[:12], to_tag), target)
            _final_response(sock, "BYE")
        else:  # ACK of a failure belongs to the INVITE transaction
            sock.sendto(request("ACK", 1, branch, to_tag), target)
        return status


def _final_response(sock: socket.socket, method: str = "INVITE") -> tuple[str, int]:
    """The next final response to ``method``, skipping provisional ones and requests."""
    while True:
        message = sock.recv(65535).decode(errors="replace")
        msg = read_message(message)
        cseq = (msg.header("cseq") or "").split()
        if not msg.start_line.startswith("SIP/2.0 ") or cseq[1:] != [method]:
            continue
        status = int(msg.start_line.split(" ", 2)[1])
        if status >= 200:
            return message, status


# --- the Dockerfile's image, built and run with podman ------------------------------------------

#: podman's docker-compatible CLI as this machine runs it: crun refuses its hybrid cgroups and
#: systemd is not the cgroup manager here (the backend gives explicit --ulimit values itself).
PODMAN = ("podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs")


@pytest.fixture(scope="session")
def docker_image() -> dict[str, object]:
    """The Dockerfile's image, built with podman from a base imported from the cached rootfs.

    Returns the client command and what it took (seconds to import the base, to build, the
    image's size). A second build is the layer cache's: the backend builds on every start.
    """
    from sip_harness import REPOSITORY
    from sip_harness.asterisk import image
    from sip_harness.asterisk.rootfs import ensure_rootfs

    if shutil.which("podman") is None or shutil.which("runc") is None:
        skip_or_fail("podman or runc is not installed (apt-get install podman runc)")
    if read_marker(default_rootfs_path()) is None and shutil.which("mmdebstrap") is None:
        skip_or_fail("no cached Asterisk rootfs to import as the base image and no mmdebstrap "
                     "to build one (apt-get install mmdebstrap)")
    rootfs = ensure_rootfs()
    imported = image.ensure_base(PODMAN, rootfs.path)
    built = image.build(PODMAN, REPOSITORY, base=image.LOCAL_BASE)
    return {"cli": list(PODMAN), "import_seconds": imported, "build_seconds": built,
            "size": image.image_size(PODMAN)}


def forget_scenario(live: Any, stand_in: dict[str, str] | None = None,
                    also: Sequence[tuple[str, str]] = ()) -> None:
    """The session's Asterisk back to no scenario: the AstDB entries ``also`` removed, and with
    ``stand_in`` every routing entry too and the stand-in config applied."""
    running = asterisk.require_running(state_file=live.state_file)
    with running.ami() as ami:
        for family, key in also:
            ami.set_db(family, key, None)
        if stand_in is not None:
            for family, key in read_families(ami, control.FAMILIES):
                ami.set_db(family, key, None)
    if stand_in is not None:
        asterisk.apply_config(running, stand_in, state_file=live.state_file)
    # no scenario recorded: the next move may bring any scenario's carriers
    asterisk.record(running, scenario="", instant="", state_file=live.state_file)


@contextmanager
def pointed_at_the_session(live: Any, stand_in: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                           also: Sequence[tuple[str, str]] = ()) -> Iterator[Any]:
    """Commands pointed at the session's Asterisk (restarted if it died), no scenario on it;
    the stand-in config restored after."""
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(live.state_dir))
    if not asterisk.status(state_file=live.state_file).running:
        asterisk.down(state_file=live.state_file)
        live.start()
    forget_scenario(live, also=also)
    try:
        yield live
    finally:
        if asterisk.status(state_file=live.state_file).running:
            forget_scenario(live, stand_in, also)


@pytest.fixture
def verify_state(live_asterisk: Any, stand_in: dict[str, str],
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`cutover verify` pointed at the session's Asterisk; the stand-in config restored after."""
    with pointed_at_the_session(live_asterisk, stand_in, monkeypatch):
        yield live_asterisk
    assert not multiprocessing.active_children() or all(
        "forkserver" in (p.name or "") for p in multiprocessing.active_children())


@pytest.fixture
def pjsua2() -> None:
    """Skip without pjsua2 (a failure under CI=true: tests/conftest.py)."""
    pytest.importorskip("pjsua2",
                        reason="pjsua2-python is not installed (pip install pjsua2-python)")


def records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines `verify --json` wrote, one dict each."""
    return [json.loads(line) for line in path.read_text().splitlines()]

"""`cutover serve`: in-process for its exits, once as a real process following the simulation."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover.cli.app import main

ROOT = Path(__file__).resolve().parents[4]
UK = str(ROOT / "scenarios" / "uk_gnp_weekend.yaml")
NUMBER = "+441632960001"


def invite(number: str, call: str, port: int) -> bytes:
    return (f"INVITE sip:{number}@127.0.5.21 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.5.22:{port};branch=z9hG4bK{call}\r\n"
            f"From: <sip:q@127.0.5.22>;tag=a\r\nTo: <sip:{number}@127.0.5.21>\r\n"
            f"Call-ID: {call}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()


def test_serve_runs_for_its_duration_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", UK, "--sip", "127.0.5.21:5073", "--at", "2026-11-28T06:00Z",
                 "--duration", "0.3"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "serving uk_gnp_weekend on 127.0.5.21:5073/udp" in err and "3 ported" in err
    report = json.loads(out)
    assert report["first_version"] == report["last_version"] == 1
    assert report["crashed"] == 0


@pytest.mark.parametrize(("args", "message"), [
    # not HOST:PORT
    (["--sip", "127.0.5.21"], "is not HOST:PORT"),
    # an instant the scenario does not have
    (["--sip", "127.0.5.21:5073", "--at", "2030-01-01T00:00Z"], "outside the scenario"),
    # a feed that does not exist
    (["--sip", "127.0.5.21:5073", "--follow", "/nonexistent/feed"], "no such file"),
    # nonsense speed
    (["--sip", "127.0.5.21:5073", "--speed", "0"], "must be positive"),
    # nothing to serve; a DNS address that is not HOST:PORT
    ([], "give --sip HOST:PORT, --dns HOST:PORT or both"),
    (["--dns", "127.0.5.21"], "--dns '127.0.5.21' is not HOST:PORT"),
    # a staleness bound needs a feed that can fall silent
    (["--sip", "127.0.5.21:5073", "--max-staleness", "2"], "needs --follow FILE"),
])
def test_serve_bad_input_exits_2(args: list[str], message: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", UK, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_serve_on_a_busy_port_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.5.21", 0))
        port = busy.getsockname()[1]
        assert main(["serve", UK, "--sip", f"127.0.5.21:{port}", "--duration", "1"]) == 3
    err = capsys.readouterr().err
    assert "already in use" in err and len(err.strip().splitlines()) == 1


def test_serve_follows_the_simulation_through_the_cutover() -> None:
    """A real process: from 23:00 the night before, at half a simulated hour per second, the
    answer for the ported number changes at the cutover, with a newer version (the 2 s before
    it leave a busy machine time for the first answer)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cutover", "serve", UK, "--sip", "127.0.5.21:5074",
         "--at", "2026-11-27T23:00Z", "--follow", "scenario", "--speed", "1800",
         "--duration", "40"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    seen: list[tuple[int, str]] = []
    try:
        assert proc.stderr is not None
        assert "serving uk_gnp_weekend" in proc.stderr.readline()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.5.22", 0))
            sock.settimeout(5)
            deadline = time.monotonic() + 30  # a busy machine; the loop ends at the change
            i = 0
            while time.monotonic() < deadline and (not seen or "rn=" not in seen[-1][1]):
                i += 1
                sock.sendto(invite(NUMBER, f"c{i}", sock.getsockname()[1]), ("127.0.5.21", 5074))
                reply = sock.recv(65535).decode()
                fields = dict(line.split(": ", 1) for line in reply.split("\r\n")[1:]
                              if ": " in line)
                seen.append((int(fields["X-Cutover-Version"]), fields["Contact"]))
                time.sleep(0.01)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert seen[0] == (0, f"<tel:{NUMBER};npdi>")  # before: not ported, bt serves it
    assert seen[-1][1] == f"<tel:{NUMBER};npdi;rn=+44D002>"  # after: callagenix's rn
    assert seen[-1][0] > 0 and [v for v, _ in seen] == sorted(v for v, _ in seen)
    assert json.loads(out)["last_version"] >= seen[-1][0]


def test_serve_answers_sip_and_enum_beside_from_one_snapshot(
        capsys: pytest.CaptureFixture[str]) -> None:
    """--sip and --dns together: the 302 and the NAPTR say the same, at the same version."""
    import threading

    import dns.exception
    import dns.message
    import dns.query

    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(main(
        ["serve", UK, "--sip", "127.0.5.21:5075", "--dns", "127.0.5.21:5076",
         "--at", "2026-11-28T06:00Z", "--duration", "6"])))
    thread.start()
    query = dns.message.make_query("1.0.0.0.6.9.2.3.6.1.4.4.e164.arpa.", "NAPTR")
    deadline, got = time.monotonic() + 20, None  # start-up on a busy machine
    while got is None and time.monotonic() < deadline:
        try:
            got = dns.query.udp(query, "127.0.5.21", port=5076, timeout=0.5)
        except (dns.exception.Timeout, OSError):
            time.sleep(0.05)
    reply = ""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.5.22", 0))
        sock.settimeout(0.5)
        while not reply and time.monotonic() < deadline:  # UDP: asked again if unanswered
            sock.sendto(invite(NUMBER, "both", sock.getsockname()[1]), ("127.0.5.21", 5075))
            try:
                reply = sock.recv(65535).decode()
            except TimeoutError:
                continue
    thread.join(30)
    assert codes == [0] and got is not None and reply
    regexp = got.answer[0][0].regexp.decode()
    assert regexp == f"!^.*$!tel:{NUMBER};npdi;rn=+44D002!"
    assert f"Contact: <tel:{NUMBER};npdi;rn=+44D002>" in reply
    err = capsys.readouterr().err
    assert "127.0.5.21:5075/udp (SIP)" in err and "127.0.5.21:5076/udp (DNS)" in err

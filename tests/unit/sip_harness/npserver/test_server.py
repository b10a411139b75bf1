"""sip_harness.npserver.server: addresses, the server on a socket following a feed, socket fuzz.

The answers themselves: test_answers.py; the feed's records: test_feed.py.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.routing import RoutingCore
from sip_harness.npserver import server as npserver
from sip_harness.npserver.server import parse_address

from .conftest import PORTED, RNS, VALID, headers, make_core, request


@pytest.mark.parametrize(("text", "address"), [
    ("127.0.5.1:5070", ("127.0.5.1", 5070)),
    ("::1:5070", ("::1", 5070)),
])
def test_parse_address(text: str, address: tuple[str, int]) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["127.0.0.1", ":5070", "h:0", "h:99999", "h:x"])
def test_parse_address_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address(text)


# -- the server on a socket -------------------------------------------------------------------

ADDRESS = ("127.0.5.11", 5071)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[RoutingCore, Path, list[npserver.ServeReport]]]:
    """A server in a thread on ADDRESS for at most 20 s, following a FIFO feed."""
    core = make_core()
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    reports: list[npserver.ServeReport] = []
    servers: list[npserver.QueryServer] = []
    thread = threading.Thread(target=lambda: reports.append(npserver.serve(
        core, RNS, host=ADDRESS[0], port=ADDRESS[1], feed=str(fifo), duration=20.0,
        ready=servers.append)), daemon=True)
    thread.start()
    with fifo.open("w"):  # opened once the server reads the feed
        try:
            yield core, fifo, reports
        finally:
            deadline = time.monotonic() + 10
            while not servers and time.monotonic() < deadline:
                time.sleep(0.01)
            for server in servers:
                server.stop()
            thread.join(10)
    assert reports and reports[0].crashed == 0


def exchange(sock: socket.socket, data: bytes) -> dict[str, str]:
    sock.sendto(data, ADDRESS)
    return headers(sock.recv(65535))


def test_answers_follow_the_feed_in_version_order(
        live: tuple[RoutingCore, Path, list[npserver.ServeReport]]) -> None:
    core, fifo, _ = live
    # each change's expected Contact, by the version that publishes it
    flips = [("vodafone", ";rn=+44D003"), ("bt", ""), ("callagenix", ";rn=+44D002")] * 20
    expected = {0: f"<tel:{PORTED};npdi;rn=+44D002>"}
    expected.update({v: f"<tel:{PORTED};npdi{rn}>" for v, (_, rn) in enumerate(flips, 1)})
    seen: list[tuple[int, str]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, fifo.open("w") as out:
        sock.bind(("127.0.5.12", 0))
        sock.settimeout(5)
        for i, (carrier, _) in enumerate(flips):
            out.write(json.dumps({"number": PORTED, "carrier": carrier}) + "\n")
            out.flush()
            for j in range(3):
                got = exchange(sock, request(f"sip:{PORTED}@h", call=f"c{i}-{j}"))
                seen.append((int(got["x-cutover-version"]), got["contact"]))
        deadline = time.monotonic() + 5
        while core.version < len(flips) and time.monotonic() < deadline:
            time.sleep(0.01)
        last = exchange(sock, request(f"sip:{PORTED}@h", call="last"))
    versions = [v for v, _ in seen]
    assert versions == sorted(versions)  # never an older snapshot after a newer one
    assert all(contact == expected[v] for v, contact in seen)  # each answer is whole
    assert int(last["x-cutover-version"]) == len(flips)
    assert last["contact"] == f"<tel:{PORTED};npdi;rn=+44D002>"


# -- fuzz: malformed datagrams get 400 or nothing, never an exception --------------------------


def test_fuzz_on_the_socket_never_stops_the_server(
        live: tuple[RoutingCore, Path, list[npserver.ServeReport]]) -> None:
    import random

    rng = random.Random(5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.5.12", 0))
        for _ in range(2000):
            data = bytearray(VALID)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            sock.sendto(bytes(data[:rng.randint(0, len(data))]), ADDRESS)
        sock.sendto(b"", ADDRESS)
        sock.sendto(bytes(range(256)) * 200, ADDRESS)
        sock.settimeout(5)
        while True:  # the server is still there and answers whole
            got = exchange(sock, request(f"sip:{PORTED}@h", call="after-fuzz"))
            if got.get("call-id") == "after-fuzz":
                break
    assert got["contact"] == f"<tel:{PORTED};npdi;rn=+44D002>"


def test_a_feed_change_is_explained_at_the_simulated_instant(tmp_path: Path) -> None:
    """--follow FILE while serving 2026-11-28T06:00Z: the change is said to happen then, not
    on the wall clock's day."""
    from datetime import UTC, datetime

    from sim.scenario import load_scenario

    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"number": "+441632960002", "carrier": "vodafone"}\n')
    address = ("127.0.5.13", 5073)
    servers: list[npserver.QueryServer] = []
    scenario = load_scenario(Path(__file__).parents[4] / "scenarios" / "uk_gnp_weekend.yaml")
    thread = threading.Thread(target=lambda: npserver.serve_scenario(
        scenario, host=address[0], port=address[1], at=datetime(2026, 11, 28, 6, tzinfo=UTC),
        follow=str(feed), duration=10.0, ready=lambda server, core: servers.append(server)),
        daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 8
        while not servers and time.monotonic() < deadline:
            time.sleep(0.02)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            got: dict[str, str] = {}
            while time.monotonic() < deadline and "vodafone" not in got.get("warning", ""):
                time.sleep(0.05)
                sock.sendto(request("sip:+441632960002@h", call="clock"), address)
                got = headers(sock.recv(65535))
        assert "ported from bt to vodafone at 2026-11-28T06:00Z" in got["warning"]
    finally:
        for server in servers:
            server.stop()
        thread.join(10)


def test_a_replica_whose_feed_falls_silent_refuses_rather_than_answers(tmp_path: Path) -> None:
    """--max-staleness: answers while the feed speaks (changes or heartbeats), SIP 503 and
    DNS SERVFAIL once it has been silent past the bound, answers again when it speaks."""
    import dns.message
    import dns.query
    import dns.rcode

    from sip_harness.npserver.enum_answers import enum_name

    core, fifo = make_core(), tmp_path / "feed"
    os.mkfifo(fifo)
    sip, dns_at = ("127.0.5.14", 5077), ("127.0.5.14", 5078)
    servers: list[npserver.QueryServer] = []
    thread = threading.Thread(target=lambda: npserver.serve(
        core, RNS, host=sip[0], port=sip[1], dns=dns_at, feed=str(fifo), duration=20.0,
        ready=servers.append, max_staleness=0.3), daemon=True)
    thread.start()
    query = dns.message.make_query(enum_name(PORTED), "NAPTR")

    def answers() -> tuple[str, int]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            sock.sendto(request(f"sip:{PORTED}@h", call=f"s{time.monotonic()}"), sip)
            got = headers(sock.recv(65535))
        return got["status"], dns.query.udp(query, dns_at[0], port=dns_at[1], timeout=2).rcode()

    try:
        with os.fdopen(os.open(fifo, os.O_RDWR), "w") as feed:
            deadline = time.monotonic() + 10
            while len(servers) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            feed.write('{"heartbeat": 1}\n')
            feed.flush()
            assert answers() == ("SIP/2.0 302 Moved Temporarily", dns.rcode.NOERROR)
            time.sleep(0.6)  # silent past the bound
            assert answers() == ("SIP/2.0 503 Service Unavailable", dns.rcode.SERVFAIL)
            feed.write('{"heartbeat": 2}\n')
            feed.flush()
            time.sleep(0.15)
            assert answers() == ("SIP/2.0 302 Moved Temporarily", dns.rcode.NOERROR)
    finally:
        for server in servers:
            server.stop()
        thread.join(10)

"""The number-portability query server: answers, rn/npdi, versions across applies, feeds, fuzz.

The answers are sip_harness.npserver.answers's, the socket and the feed
sip_harness.npserver.server's.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.routing import PortChange, RoutingCore
from sip_harness.npserver import answers as npquery
from sip_harness.npserver import server as npserver
from sip_harness.npserver.answers import QueryService
from sip_harness.npserver.feed import FeedInterpreter
from sip_harness.npserver.server import parse_address
from sip_harness.sip_message import MalformedRequest, parse_everyday, parse_request

CARRIERS = ("bt", "callagenix", "vodafone")
RNS = {"bt": "D001", "callagenix": "D002", "vodafone": "D003"}
PORTED = "+441632960001"


def make_core() -> RoutingCore:
    return RoutingCore(CARRIERS, [("vodafone", "bt"), ("bt", "callagenix")],
                       [("+44163296", "bt"), ("+447700900", "vodafone")],
                       ported=[(PORTED, "callagenix")])


@pytest.fixture
def service() -> QueryService:
    return QueryService(make_core(), RNS)


def request(uri: str, method: str = "INVITE", *, port: int = 5090, call: str = "c1") -> bytes:
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call};rport\r\n"
            f"From: <sip:q@127.0.0.1>;tag=a\r\nTo: <{uri}>\r\nCall-ID: {call}\r\n"
            f"CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def headers(reply: bytes | None) -> dict[str, str]:
    assert reply is not None
    lines = reply.decode().split("\r\n")
    out = {"status": lines[0]}
    out.update((k.lower(), v.strip()) for k, _, v in (x.partition(":") for x in lines[1:] if x))
    return out


@pytest.mark.parametrize(("uri", "status", "contact", "warning"), [
    # ported: rn of the serving carrier, and npdi
    (f"sip:{PORTED}@127.0.0.1;user=phone", "SIP/2.0 302 Moved Temporarily",
     f"<tel:{PORTED};rn=D002;npdi>", "ported from bt to callagenix"),
    # the same number as a tel URI with visual separators
    ("tel:+44-1632-960001", "SIP/2.0 302 Moved Temporarily", f"<tel:{PORTED};rn=D002;npdi>",
     "ported from bt to callagenix"),
    # not ported: no rn, npdi all the same
    ("sip:+441632960002@h", "SIP/2.0 302 Moved Temporarily", "<tel:+441632960002;npdi>",
     "not ported; range holder bt serves it"),
    # unallocated
    ("sip:+442079460000@h", "SIP/2.0 404 Not Found", None, "not in any allocated range"),
    # a user part that is no global number
    ("sip:alice@h", "SIP/2.0 404 Not Found", None, "names no global number"),
    # a scheme the server does not serve
    ("im:+441632960001@h", "SIP/2.0 416 Unsupported URI Scheme", None, "only sip"),
])
def test_invite_answers(service: QueryService, uri: str, status: str, contact: str | None,
                        warning: str) -> None:
    got = headers(service.answer(request(uri), ("127.0.0.1", 5090)))
    assert got["status"] == status
    assert got.get("contact") == contact
    assert warning in got["warning"] and got["warning"].startswith('399 cutover "')
    assert got["x-cutover-version"] == "0"
    assert ";tag=" in got["to"] and got["call-id"] == "c1"
    assert got["via"].endswith("received=127.0.0.1;rport=5090")


@pytest.mark.parametrize("uri", [f"sip:{PORTED}@127.0.0.1;user=phone", "tel:+44-1632-960001",
                                 "sip:+441632960002@h", "sip:+442079460000@h", "sip:alice@h",
                                 "im:+441632960001@h"])
def test_everyday_path_answers_as_the_strict_path(uri: str) -> None:
    core = make_core()
    fast, strict = QueryService(core, RNS), QueryService(core, RNS)
    strict._tag = fast._tag
    data = request(uri, call="e1").replace(b";rport", b"")
    assert parse_everyday(data) is not None
    for change in (None, "bt", "vodafone"):
        if change is not None:  # a new snapshot: the cached wire answer must follow it
            core.apply([PortChange(PORTED, change)])
        for _ in range(2):  # computed, then from the cache
            with mock.patch.object(npquery, "parse_everyday", lambda data: None):
                want = strict.answer(data)
            assert fast.answer(data) == want
    assert fast.answered == strict.answered


def test_options_cancel_and_other_methods(service: QueryService) -> None:
    assert headers(service.answer(request("sip:np@h", "OPTIONS")))["status"] == "SIP/2.0 200 OK"
    assert headers(service.answer(request("sip:np@h", "CANCEL")))["status"] == "SIP/2.0 200 OK"
    bye = headers(service.answer(request("sip:np@h", "BYE")))
    assert bye["status"] == "SIP/2.0 405 Method Not Allowed" and "INVITE" in bye["allow"]


def test_ack_and_responses_are_dropped(service: QueryService) -> None:
    assert service.answer(request(f"sip:{PORTED}@h", "ACK")) is None
    assert service.answer(b"SIP/2.0 200 OK\r\n\r\n") is None
    assert service.dropped == 2


def test_malformed_gets_400_with_the_reason(service: QueryService) -> None:
    bad = request(f"sip:{PORTED}@h").replace(b"Max-Forwards: 70", b"Max-Forwards: 999")
    got = headers(service.answer(bad))
    assert got["status"] == "SIP/2.0 400 Bad Request"
    assert "Max-Forwards is not 0-255" in got["warning"]
    # without a readable CSeq there is no response to build: dropped
    assert service.answer(bad.replace(b"CSeq: 1", b"CSeq: one")) is None


def test_version_header_orders_answers_across_an_apply(service: QueryService) -> None:
    before = headers(service.answer(request(f"sip:{PORTED}@h")))
    service.core.apply([PortChange(441632960001, "vodafone", note="activation")])
    after = headers(service.answer(request(f"sip:{PORTED}@h")))
    service.core.apply([PortChange(441632960001, "bt", note="rollback")])
    back = headers(service.answer(request(f"sip:{PORTED}@h")))
    assert [int(h["x-cutover-version"]) for h in (before, after, back)] == [0, 1, 2]
    assert [h["contact"] for h in (before, after, back)] == [
        f"<tel:{PORTED};rn=D002;npdi>", f"<tel:{PORTED};rn=D003;npdi>", f"<tel:{PORTED};npdi>"]


def test_cached_answers_follow_announced_and_unannounced_applies(service: QueryService) -> None:
    other = "+441632960002"
    contact = lambda n: headers(service.answer(request(f"sip:{n}@h")))["contact"]  # noqa: E731
    assert (contact(PORTED), contact(other)) == (f"<tel:{PORTED};rn=D002;npdi>",
                                                 f"<tel:{other};npdi>")
    # announced: only the changed number is evicted, the other stays cached and right
    change = [PortChange(441632960001, "vodafone", note="activation")]
    service.forget(change, service.core.apply(change).version)
    assert (contact(PORTED), contact(other)) == (f"<tel:{PORTED};rn=D003;npdi>",
                                                 f"<tel:{other};npdi>")
    # not announced (the simulation followed, another writer): the cache starts afresh
    service.core.apply([PortChange(441632960002, "callagenix", note="activation")])
    assert contact(other) == f"<tel:{other};rn=D002;npdi>"
    # announced after an unannounced one: a version gap empties the cache too
    change = [PortChange(441632960001, "bt", note="rollback")]
    service.core.apply([PortChange(441632960002, "bt", note="rollback")])
    service.forget(change, service.core.apply(change).version)
    assert (contact(PORTED), contact(other)) == (f"<tel:{PORTED};npdi>", f"<tel:{other};npdi>")


def test_every_carrier_needs_a_routing_number() -> None:
    with pytest.raises(ValueError, match="vodafone"):
        QueryService(make_core(), {"bt": "D001", "callagenix": "D002"})


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


# -- feeds ----------------------------------------------------------------------------------

def test_feed_lines_and_events_jsonl() -> None:
    core = make_core()
    feed = FeedInterpreter(core)
    assert [(c.number, c.carrier) for c in feed.changes(
        '{"number": "+441632960002", "carrier": "vodafone"}')] == [(441632960002, "vodafone")]
    events = [
        {"event": "submitted", "port": "p1", "numbers": ["+441632960003"], "losing": "bt",
         "gaining": "callagenix"},
        {"event": "activating", "port": "p1", "numbers": ["+441632960003"]},
        {"event": "active", "port": "p1", "numbers": ["+441632960003"]},
        {"event": "rolled_back", "port": "p1", "numbers": ["+441632960003"]},
        {"event": "returned", "port": "p1", "numbers": ["+441632960003"]},
    ]
    got = [[(c.carrier, c.note) for c in feed.changes(json.dumps(e))] for e in events]
    assert got == [[], [], [("callagenix", "activation")], [("bt", "rollback")],
                   [("bt", "return")]]
    for bad in ("not json", "[1]", '{"number": "01632 960001", "carrier": "bt"}',
                '{"number": "+441632960002", "carrier": "nobody"}',
                '{"event": "active", "port": "p9", "numbers": ["+441632960002"]}'):
        assert feed.changes(bad) == []
    assert feed.rejected == 5 and "p9" in feed.last_rejection


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
    flips = [("vodafone", ";rn=D003"), ("bt", ""), ("callagenix", ";rn=D002")] * 20
    expected = {0: f"<tel:{PORTED};rn=D002;npdi>"}
    expected.update({v: f"<tel:{PORTED}{rn};npdi>" for v, (_, rn) in enumerate(flips, 1)})
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
    assert last["contact"] == f"<tel:{PORTED};rn=D002;npdi>"


# -- fuzz: malformed datagrams get 400 or nothing, never an exception --------------------------

VALID = request(f"sip:{PORTED}@127.0.0.1")


def mutations() -> st.SearchStrategy[bytes]:
    """Valid requests cut, spliced, with bytes flipped or lines duplicated; and random bytes."""
    cut = st.integers(0, len(VALID)).map(lambda i: VALID[:i])
    flip = st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)).map(
        lambda t: VALID[:t[0]] + bytes([t[1]]) + VALID[t[0] + 1:])
    splice = st.tuples(st.integers(0, len(VALID)), st.binary(max_size=40)).map(
        lambda t: VALID[:t[0]] + t[1] + VALID[t[0]:])
    lines = st.lists(st.sampled_from(VALID.split(b"\r\n")), max_size=12).map(
        lambda ls: b"\r\n".join(ls) + b"\r\n\r\n")
    return st.one_of(st.binary(max_size=300), cut, flip, splice, lines)


@pytest.mark.slow  # 600 examples: about 2 s on two busy cores
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations())
def test_fuzz_answers_400_or_drops_and_never_raises(data: bytes) -> None:
    service = QueryService(make_core(), RNS)
    reply = service._answer(data, ("127.0.0.1", 5090))  # the unguarded path: must not raise
    try:
        parse_request(data)
        malformed = False
    except MalformedRequest:
        malformed = True
    if reply is not None:
        assert reply.startswith(b"SIP/2.0 ")
        status = int(reply.split(b" ", 2)[1])
        assert status == 400 if malformed else status in (200, 302, 404, 405, 416)
    assert headers(service.answer(VALID))["contact"] == f"<tel:{PORTED};rn=D002;npdi>"


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
    assert got["contact"] == f"<tel:{PORTED};rn=D002;npdi>"

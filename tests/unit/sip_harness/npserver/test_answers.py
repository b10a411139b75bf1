"""sip_harness.npserver.answers: rn/npdi, methods, malformed requests, versions, fuzz."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.routing import PortChange
from sip_harness.npserver import answers as npquery
from sip_harness.npserver.answers import QueryService
from sip_harness.sip_message import MalformedRequest, parse_everyday, parse_request

from .conftest import PORTED, RNS, VALID, headers, make_core, request


@pytest.fixture
def service() -> QueryService:
    return QueryService(make_core(), RNS)


@pytest.mark.parametrize(("uri", "status", "contact", "warning"), [
    # ported: rn of the serving carrier, and npdi
    (f"sip:{PORTED}@127.0.0.1;user=phone", "SIP/2.0 302 Moved Temporarily",
     f"<tel:{PORTED};npdi;rn=+44D002>", "ported from bt to callagenix"),
    # the same number as a tel URI with visual separators
    ("tel:+44-1632-960001", "SIP/2.0 302 Moved Temporarily", f"<tel:{PORTED};npdi;rn=+44D002>",
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
    fast, strict = (QueryService(core, RNS, tag_key=b"k" * 16),
                    QueryService(core, RNS, tag_key=b"k" * 16))
    data = request(uri, call="e1").replace(b";rport", b"")
    assert parse_everyday(data) is not None
    for change in (None, "bt", "vodafone"):
        if change is not None:  # a new snapshot: the cached wire answer must follow it
            core.apply([PortChange(PORTED, change)])
        for _ in range(2):  # computed, then from the cache
            for source in (("127.0.0.1", 5090), ("127.0.0.9", 5090), None):  # received or not
                with mock.patch.object(npquery, "parse_everyday", lambda data: None):
                    want = strict.answer(data, source)
                assert fast.answer(data, source) == want
    assert fast.answered == strict.answered


def test_options_cancel_and_other_methods(service: QueryService) -> None:
    assert headers(service.answer(request("sip:np@h", "OPTIONS")))["status"] == "SIP/2.0 200 OK"
    assert headers(service.answer(request("sip:np@h", "CANCEL")))["status"] == "SIP/2.0 200 OK"
    bye = headers(service.answer(request("sip:np@h", "BYE")))
    assert bye["status"] == "SIP/2.0 405 Method Not Allowed" and "INVITE" in bye["allow"]
    odd = headers(service.answer(request("sip:np@h", "FROB")))
    assert odd["status"] == "SIP/2.0 501 Not Implemented" and "INVITE" in odd["allow"]


def test_ack_and_responses_are_dropped(service: QueryService) -> None:
    assert service.answer(request(f"sip:{PORTED}@h", "ACK")) is None
    assert service.answer(b"SIP/2.0 200 OK\r\n\r\n") is None
    assert service.dropped == 2


def test_malformed_gets_400_with_the_reason(service: QueryService) -> None:
    bad = request(f"sip:{PORTED}@h").replace(b"Max-Forwards: 70", b"Max-Forwards: 999")
    got = headers(service.answer(bad))
    assert got["status"] == "SIP/2.0 400 Bad Request"
    assert "Max-Forwards is not 0-255" in got["warning"]
    assert got["x-cutover-version"] == "0"
    # an unreadable CSeq is echoed as it came
    worse = headers(service.answer(bad.replace(b"CSeq: 1", b"CSeq: one")))
    assert worse["status"] == "SIP/2.0 400 Bad Request" and worse["cseq"] == "one INVITE"
    # without a Via nothing says a SIP element sent it: dropped
    assert service.answer(b"junk\r\n\r\n") is None


def test_version_header_orders_answers_across_an_apply(service: QueryService) -> None:
    before = headers(service.answer(request(f"sip:{PORTED}@h")))
    service.core.apply([PortChange(441632960001, "vodafone", note="activation")])
    after = headers(service.answer(request(f"sip:{PORTED}@h")))
    service.core.apply([PortChange(441632960001, "bt", note="rollback")])
    back = headers(service.answer(request(f"sip:{PORTED}@h")))
    assert [int(h["x-cutover-version"]) for h in (before, after, back)] == [0, 1, 2]
    assert [h["contact"] for h in (before, after, back)] == [
        f"<tel:{PORTED};npdi;rn=+44D002>", f"<tel:{PORTED};npdi;rn=+44D003>",
        f"<tel:{PORTED};npdi>"]


def test_cached_answers_follow_announced_and_unannounced_applies(service: QueryService) -> None:
    other = "+441632960002"
    contact = lambda n: headers(service.answer(request(f"sip:{n}@h")))["contact"]  # noqa: E731
    assert (contact(PORTED), contact(other)) == (f"<tel:{PORTED};npdi;rn=+44D002>",
                                                 f"<tel:{other};npdi>")
    # announced: only the changed number is evicted, the other stays cached and right
    change = [PortChange(441632960001, "vodafone", note="activation")]
    service.forget(change, service.core.apply(change).version)
    assert (contact(PORTED), contact(other)) == (f"<tel:{PORTED};npdi;rn=+44D003>",
                                                 f"<tel:{other};npdi>")
    # not announced (the simulation followed, another writer): the cache starts afresh
    service.core.apply([PortChange(441632960002, "callagenix", note="activation")])
    assert contact(other) == f"<tel:{other};npdi;rn=+44D002>"
    # announced after an unannounced one: a version gap empties the cache too
    change = [PortChange(441632960001, "bt", note="rollback")]
    service.core.apply([PortChange(441632960002, "bt", note="rollback")])
    service.forget(change, service.core.apply(change).version)
    assert (contact(PORTED), contact(other)) == (f"<tel:{PORTED};npdi>", f"<tel:{other};npdi>")


def test_every_carrier_needs_a_routing_number() -> None:
    with pytest.raises(ValueError, match="vodafone"):
        QueryService(make_core(), {"bt": "+44D001", "callagenix": "+44D002"})


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
        assert status in (400, 505) if malformed else status in (
            200, 302, 404, 405, 415, 416, 420, 501)
    assert headers(service.answer(VALID))["contact"] == f"<tel:{PORTED};npdi;rn=+44D002>"


def test_a_stale_service_refuses_invites_on_either_path(service: QueryService) -> None:
    service.stale = True
    for data in (VALID.replace(b";rport", b""), VALID):  # the everyday path, the long way
        got = headers(service.answer(data))
        assert got["status"] == "SIP/2.0 503 Service Unavailable"
        assert got["retry-after"] == "1" and "staleness bound" in got["warning"]
    assert headers(service.answer(request("sip:np@h", "OPTIONS")))["status"] == "SIP/2.0 200 OK"
    service.stale = False
    assert headers(service.answer(VALID))["contact"] == f"<tel:{PORTED};npdi;rn=+44D002>"

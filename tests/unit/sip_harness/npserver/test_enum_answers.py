"""sip_harness.npserver.enum_answers: ENUM NAPTR answers read back with dnspython, the rcodes DNS
requires, the same snapshot as the SIP answers, and fuzz."""

from __future__ import annotations

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.routing import PortChange
from sip_harness.npserver.answers import QueryService
from sip_harness.npserver.enum_answers import EnumService, enum_name

from .conftest import PORTED, RNS, make_core


@pytest.fixture
def enum() -> EnumService:
    return EnumService(QueryService(make_core(), RNS))


def ask(enum: EnumService, name: str, rdtype: str = "NAPTR", **kw: object) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, **kw)  # type: ignore[arg-type]
    reply = enum._answer(query.to_wire())
    assert reply is not None
    got = dns.message.from_wire(reply)
    assert got.id == query.id and got.flags & dns.flags.QR and got.flags & dns.flags.AA
    return got


def naptrs(msg: dns.message.Message) -> list[tuple[int, int, bytes, bytes, bytes, str]]:
    return [(r.order, r.preference, r.flags, r.service, r.regexp, r.replacement.to_text())
            for rrset in msg.answer for r in rrset]


@pytest.mark.parametrize(("number", "rcode", "regexp"), [
    # ported: the pstn enumservice with npdi and the serving carrier's rn (RFC 4769, 4694)
    (PORTED, dns.rcode.NOERROR, f"!^.*$!tel:{PORTED};npdi;rn=+44D002!"),
    # not ported: npdi alone (the number is where its range holder has it)
    ("+441632960002", dns.rcode.NOERROR, "!^.*$!tel:+441632960002;npdi!"),
    # unallocated: no such name
    ("+442079460000", dns.rcode.NXDOMAIN, None),
])
def test_naptr_answers(enum: EnumService, number: str, rcode: int, regexp: str | None) -> None:
    got = ask(enum, enum_name(number))
    assert got.rcode() == rcode
    assert got.question[0].name == dns.name.from_text(enum_name(number))
    if regexp is None:
        assert got.answer == []
    else:
        assert naptrs(got) == [(10, 100, b"u", b"E2U+pstn:tel", regexp.encode(), ".")]
        assert got.answer[0].ttl == 0


@pytest.mark.parametrize(("name", "rdtype", "rcode", "records"), [
    ("example.com.", "NAPTR", dns.rcode.REFUSED, 0),          # not our zone
    ("e164.arpa.", "NAPTR", dns.rcode.NOERROR, 0),            # the apex: no data
    ("x.4.4.e164.arpa.", "NAPTR", dns.rcode.NXDOMAIN, 0),     # a label that is no digit
    ("12.4.4.e164.arpa.", "NAPTR", dns.rcode.NXDOMAIN, 0),    # two digits in a label
    (enum_name(PORTED), "A", dns.rcode.NOERROR, 0),           # another type: no data
    (enum_name(PORTED), "ANY", dns.rcode.NOERROR, 1),         # ANY: the NAPTR
    (enum_name(PORTED).upper(), "NAPTR", dns.rcode.NOERROR, 1),  # names are case-blind
])
def test_other_names_and_types(enum: EnumService, name: str, rdtype: str, rcode: int,
                               records: int) -> None:
    got = ask(enum, name, rdtype)
    assert got.rcode() == rcode and len(naptrs(got)) == records


def test_edns_is_answered_with_edns_and_a_bad_version_with_badvers(enum: EnumService) -> None:
    got = ask(enum, enum_name(PORTED), use_edns=0)
    assert got.edns == 0 and got.payload == 1232 and len(naptrs(got)) == 1
    bad = ask(enum, enum_name(PORTED), use_edns=1)
    assert bad.rcode() == dns.rcode.BADVERS and bad.answer == []


def test_rd_and_cd_are_copied_and_other_opcodes_not_implemented(enum: EnumService) -> None:
    query = dns.message.make_query(enum_name(PORTED), "NAPTR")
    query.flags |= dns.flags.CD
    got = dns.message.from_wire(enum._answer(query.to_wire()))  # type: ignore[arg-type]
    assert got.flags & dns.flags.RD and got.flags & dns.flags.CD
    assert not got.flags & dns.flags.RA
    query.set_opcode(dns.opcode.STATUS)
    assert dns.message.from_wire(enum._answer(  # type: ignore[arg-type]
        query.to_wire())).rcode() == dns.rcode.NOTIMP


@pytest.mark.parametrize("wire", [
    bytes.fromhex("1234 0100 0002 0000 0000 0000") + b"\x00\x00\x23\x00\x01" * 2,  # 2 questions
    bytes.fromhex("1234 0100 0001 0000 0000 0000") + b"\x03e16",                   # cut short
    bytes.fromhex("1234 0100 0001 0000 0000 0000") + b"\xc0\x0c\x00\x23\x00\x01",  # a pointer
    bytes.fromhex("1234 0100 0001 0000 0000 0000") + b"\x00\x00\x23\x00\x01junk",  # trailing
    bytes.fromhex("1234 0100 0001 0001 0000 0000") + b"\x00\x00\x23\x00\x01",      # an answer
    bytes.fromhex("1234 0100 0001 0000 0000 0001") + b"\x00\x00\x23\x00\x01\x00\x00\x01",
])
def test_unreadable_queries_get_formerr(enum: EnumService, wire: bytes) -> None:
    got = dns.message.from_wire(enum._answer(wire), question_only=True)  # type: ignore[arg-type]
    assert got.id == 0x1234 and got.rcode() == dns.rcode.FORMERR


def test_responses_and_scraps_are_not_answered(enum: EnumService) -> None:
    query = dns.message.make_query(enum_name(PORTED), "NAPTR")
    response = dns.message.make_response(query).to_wire()
    assert enum._answer(response) is None and enum._answer(b"\x12\x34") is None
    assert enum.dropped == 2


def test_enum_and_sip_share_the_snapshot(enum: EnumService) -> None:
    enum.sip.core.apply([PortChange(441632960001, "vodafone", note="activation")])
    regexp = naptrs(ask(enum, enum_name(PORTED)))[0][4]
    assert regexp == f"!^.*$!tel:{PORTED};npdi;rn=+44D003!".encode()
    assert enum.sip.tel(PORTED) == (1, f"tel:{PORTED};npdi;rn=+44D003")


names = st.lists(st.sampled_from("0123456789"), min_size=1, max_size=15).map(
    lambda ds: ".".join(ds) + ".e164.arpa.")


@settings(max_examples=300, deadline=None)
@given(name=st.one_of(names, st.just(enum_name(PORTED))),
       rdtype=st.sampled_from(["NAPTR", "ANY", "A", "TXT"]), edns=st.sampled_from([-1, 0]),
       rd=st.booleans())
def test_every_query_dnspython_writes_is_answered_as_dnspython_reads_it(
        name: str, rdtype: str, edns: int, rd: bool) -> None:
    """The fast codec against dnspython: its queries parsed, our answers read back whole."""
    service = EnumService(QueryService(make_core(), RNS))
    query = dns.message.make_query(name, rdtype, use_edns=edns)
    if not rd:
        query.flags &= ~dns.flags.RD
    got = dns.message.from_wire(service._answer(query.to_wire()))  # type: ignore[arg-type]
    assert got.id == query.id and bool(got.flags & dns.flags.RD) == rd
    assert got.question == query.question and (got.edns == 0) == (edns == 0)
    number = "+" + "".join(reversed(name.split(".")[:-3]))
    _, tel = service.sip.tel(number)
    if tel is None:
        assert got.rcode() == dns.rcode.NXDOMAIN and got.answer == []
    elif rdtype in ("NAPTR", "ANY"):
        assert naptrs(got) == [(10, 100, b"u", b"E2U+pstn:tel", f"!^.*$!{tel}!".encode(), ".")]
    else:
        assert got.rcode() == dns.rcode.NOERROR and got.answer == []


def mutations() -> st.SearchStrategy[bytes]:
    valid = dns.message.make_query(enum_name(PORTED), "NAPTR", use_edns=0).to_wire()
    flip = st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)).map(
        lambda t: valid[:t[0]] + bytes([t[1]]) + valid[t[0] + 1:])
    cut = st.integers(0, len(valid)).map(lambda i: valid[:i])
    splice = st.tuples(st.integers(0, len(valid)), st.binary(max_size=30)).map(
        lambda t: valid[:t[0]] + t[1] + valid[t[0]:])
    return st.one_of(st.binary(max_size=120), flip, cut, splice)


@pytest.mark.slow  # 1000 examples: about 2 s
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations())
def test_fuzz_never_raises_and_every_answer_is_a_dns_message(data: bytes) -> None:
    service = EnumService(QueryService(make_core(), RNS))
    reply = service._answer(data)  # the unguarded path: must not raise
    if reply is None:
        assert len(data) < 12 or data[2] & 0x80
        return
    got = dns.message.from_wire(reply, question_only=True)
    assert got.id == int.from_bytes(data[:2], "big") and got.flags & dns.flags.QR


def test_a_stale_replica_answers_servfail_for_numbers(enum: EnumService) -> None:
    enum.sip.stale = True
    assert ask(enum, enum_name(PORTED)).rcode() == dns.rcode.SERVFAIL
    assert ask(enum, "example.com.").rcode() == dns.rcode.REFUSED  # still not our zone

"""The strict SIP request parser, the lenient header reader and the response builder
(sip_harness.sip_message)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sip_harness.sip_message import (
    COMPACT_FORMS,
    MalformedRequest,
    echo_headers,
    error_response,
    header_key,
    parse_everyday,
    parse_request,
    read_message,
    request_number,
    response,
    transaction_key,
)

HEADERS = ("Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1\r\n"
           "From: <sip:q@127.0.0.1>;tag=a\r\nTo: <sip:+441632960001@127.0.0.1>\r\n"
           "Call-ID: c1\r\nCSeq: 1 INVITE\r\n")


def invite(headers: str = HEADERS, *, line: str = "INVITE sip:+441632960001@127.0.0.1 SIP/2.0",
           body: str = "", length: int | None = 0) -> bytes:
    cl = "" if length is None else f"Content-Length: {length}\r\n"
    return f"{line}\r\n{headers}{cl}\r\n{body}".encode()


@pytest.mark.parametrize(("data", "method", "checks"), [
    # the plain case
    (invite(), "INVITE", {"call-id": ["c1"], "cseq": ["1 INVITE"]}),
    # compact forms, lower case names, no space after the colon
    (b"INVITE tel:+441632960001 SIP/2.0\r\nv:SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@h>;tag=1"
     b"\r\nt: <tel:+441632960001>\r\ni: c2\r\ncseq: 7 INVITE\r\nl: 0\r\n\r\n", "INVITE",
     {"via": ["SIP/2.0/UDP h;branch=z9hG4bKx"], "to": ["<tel:+441632960001>"],
      "call-id": ["c2"], "content-length": ["0"]}),
    # a folded header line is joined to the previous one
    (invite("Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>\r\n ;tag=9\r\n"
            "To: <sip:b@h>\r\nCall-ID: c3\r\nCSeq: 1 INVITE\r\n"), "INVITE",
     {"from": ["<sip:a@h> ;tag=9"]}),
    # two Via lines keep their order; space before the colon is allowed
    (invite("Via: SIP/2.0/UDP p;branch=z9hG4bK2\r\nVia : SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
            "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c4\r\nCSeq: 1 INVITE\r\n"),
     "INVITE", {"via": ["SIP/2.0/UDP p;branch=z9hG4bK2", "SIP/2.0/UDP h;branch=z9hG4bK1"]}),
    # no Content-Length on UDP: the body is the rest of the datagram
    (invite(body="v=0\r\n", length=None), "INVITE", {}),
    # OPTIONS for health
    (invite(HEADERS.replace("1 INVITE", "2 OPTIONS"), line="OPTIONS sip:np@h SIP/2.0"),
     "OPTIONS", {"cseq": ["2 OPTIONS"]}),
])
def test_valid_requests(data: bytes, method: str, checks: dict[str, list[str]]) -> None:
    req = parse_request(data)
    assert req.method == method
    for name, values in checks.items():
        assert req.headers[name] == values


def test_body_is_cut_to_content_length() -> None:
    req = parse_request(invite(body="v=0\r\nextra", length=5))
    assert req.body == b"v=0\r\n"
    assert req.header("l") == "5" and req.header("Call-ID") == "c1"


@pytest.mark.parametrize(("data", "why"), [
    # no blank line after the headers
    (invite()[:-2], "no empty line"),
    # not UTF-8
    (invite().replace(b"c1", b"\xff\xfe"), "not UTF-8"),
    # request line: another version (505), extra space, junk in the method token
    (invite(line="INVITE sip:+44@h SIP/3.0"), "SIP version 3.0 is not supported"),
    (invite(line="INVITE sip:+44@h SIP/x"), "request line"),
    (invite(line="INVITE  sip:+44@h SIP/2.0"), "request line"),
    (invite(line="IN{VITE sip:+44@h SIP/2.0"), "request line"),
    # a Request-URI without a scheme, or with angle brackets
    (invite(line="INVITE +441632960001 SIP/2.0"), "Request-URI"),
    (invite(line="INVITE <sip:+44@h> SIP/2.0"), "Request-URI"),
    # a header line without a colon, a continuation first
    (invite(HEADERS + "Garbage\r\n"), "not a header line"),
    (invite(" folded\r\n" + HEADERS), "continuation"),
    # each required header missing
    (invite(HEADERS.replace("Call-ID: c1\r\n", "")), "no Call-ID"),
    (invite(HEADERS.replace("CSeq: 1 INVITE\r\n", "")), "no CSeq"),
    (invite(HEADERS.split("\r\n", 1)[1]), "no Via"),
    # a Via that is not SIP/2.0/transport, or with an empty parameter
    (invite(HEADERS.replace("SIP/2.0/UDP", "HTTP/1.1")), "not a Via"),
    (invite(HEADERS.replace("SIP/2.0/UDP", "SIP/3.0/UDP")), "a Via of SIP/3.0"),
    (invite(HEADERS.replace(";branch", ";;branch")), "not a Via"),
    # From or To not an address: an unbalanced quote, spaces inside the brackets
    (invite(HEADERS.replace("To: <", 'To: "Bob <')), "To is not an address"),
    (invite(HEADERS.replace("From: <sip:q@127.0.0.1>", "From: < sip:q@h >")), "From is not"),
    # a CSeq of 2**31 or more (RFC 3261 8.1.1.5)
    (invite(HEADERS.replace("1 INVITE", "2147483648 INVITE")), "not below 2"),
    # headers in a SIP Request-URI
    (invite(line="INVITE sip:+44@h?Route=x SIP/2.0"), "with headers"),
    # repeated single headers
    (invite(HEADERS + "Call-ID: c2\r\n"), "call-id is given 2 times"),
    # CSeq not number+method, or another method
    (invite(HEADERS.replace("1 INVITE", "x INVITE")), "CSeq is not"),
    (invite(HEADERS.replace("1 INVITE", "1 BYE")), "CSeq method BYE"),
    # Content-Length not a number, or longer than the body
    (invite(length=None, headers=HEADERS + "Content-Length: -1\r\n"), "not a number"),
    (invite(body="v=0", length=10), "shorter than Content-Length"),
    # Max-Forwards out of range
    (invite(HEADERS + "Max-Forwards: 256\r\n"), "Max-Forwards"),
])
def test_malformed_requests(data: bytes, why: str) -> None:
    with pytest.raises(MalformedRequest, match=why):
        parse_request(data)


@pytest.mark.parametrize(("uri", "number"), [
    ("sip:+441632960001@127.0.0.1", "+441632960001"),           # E.164 user part with '+'
    ("sip:+441632960001;npdi@h;user=phone", "+441632960001"),   # user parameters dropped
    ("SIPS:+15555550100@h", "+15555550100"),                     # scheme in any case
    ("tel:+44-1632-(960)001", "+441632960001"),                  # visual separators
    ("tel:+441632960001;npdi;rn=+44D002", "+441632960001"),     # tel parameters dropped
    ("sip:%2B441632960001@h", "+441632960001"),                 # an escaped '+'
    ("sip:%2b44%31632960001@h", "+441632960001"),               # escapes in any case
    ("sip:441632960001@h", None),                                # no '+': not global
    ("sip:alice@h", None),                                       # not a number
    ("sip:h", None),                                             # no user part at all
    ("tel:+44x1", None),                                         # junk in a tel URI
    ("mailto:+44@h", None),                                      # another scheme
])
def test_request_number(uri: str, number: str | None) -> None:
    assert request_number(uri) == number


def test_response_copies_headers_tags_to_and_fills_rport() -> None:
    req = parse_request(invite(HEADERS.replace("z9hG4bK-1", "z9hG4bK-1;rport")))
    text = response(req, 302, "Moved Temporarily", to_tag="t1", extra=["Contact: <tel:+4>"],
                    source=("127.0.0.9", 5099)).decode()
    lines = text.split("\r\n")
    assert lines[0] == "SIP/2.0 302 Moved Temporarily"
    assert lines[1] == ("Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1;"
                        "received=127.0.0.9;rport=5099")
    assert "To: <sip:+441632960001@127.0.0.1>;tag=t1" in lines
    assert lines[-3:] == ["Content-Length: 0", "", ""]
    assert "Contact: <tel:+4>" in lines and "CSeq: 1 INVITE" in lines


def test_response_keeps_an_existing_to_tag() -> None:
    req = parse_request(invite(HEADERS.replace("127.0.0.1>\r\n", "127.0.0.1>;tag=x\r\n")))
    assert b";tag=x\r\n" in response(req, 200, "OK", to_tag="t1")


def test_error_response_echoes_what_it_can_and_needs_a_via() -> None:
    with pytest.raises(MalformedRequest) as bye:
        parse_request(invite(HEADERS.replace("1 INVITE", "1 BYE")))
    reply = error_response(bye.value, to_tag="t", extra=("X-V: 3",))
    assert reply is not None and reply.startswith(b"SIP/2.0 400 Bad Request\r\n")
    assert b'Warning: 399 cutover "CSeq method BYE is not INVITE"\r\nX-V: 3\r\n' in reply
    with pytest.raises(MalformedRequest) as no_call_id:
        parse_request(invite(HEADERS.replace("Call-ID: c1\r\n", "")))
    reply = error_response(no_call_id.value, to_tag="t")
    assert reply is not None and b"\r\nCall-ID:" not in reply and b"CSeq: 1 INVITE" in reply
    with pytest.raises(MalformedRequest) as no_via:
        parse_request(invite(HEADERS.split("\r\n", 1)[1]))
    assert error_response(no_via.value, to_tag="t") is None  # nothing says SIP sent it
    with pytest.raises(MalformedRequest) as version:
        parse_request(invite(line="INVITE sip:+44@h SIP/3.0"))
    assert error_response(version.value, to_tag="t").startswith(  # type: ignore[union-attr]
        b"SIP/2.0 505 Version Not Supported\r\n")


# -- the everyday fast path agrees with the strict parser ---------------------------------------

SIPP_INVITE = (b"INVITE sip:+441632960001@127.0.5.1:5070;user=phone SIP/2.0\r\n"
               b"Via: SIP/2.0/UDP 127.0.5.2:5090;branch=z9hG4bK-1-1-0\r\n"
               b"From: <sip:np-query@127.0.5.2:5090>;tag=1q1\r\n"
               b"To: <sip:+441632960001@127.0.5.1:5070;user=phone>\r\n"
               b"Call-ID: 1-1@127.0.5.2\r\nCSeq: 1 INVITE\r\n"
               b"Contact: <sip:np-query@127.0.5.2:5090>\r\nMax-Forwards: 70\r\n"
               b"Content-Length: 0\r\n\r\n")
# Header lines a sender might write, well formed or not, to splice into the request.
VARIANTS = [b"Via: SIP/2.0/UDP p;branch=z9hG4bK9", b"Via: SIP/2.0/UDP h;rport;branch=z9hG4bK8",
            b"Via:  SIP/2.0/UDP h;branch=z9hG4bK7 ", b"v: SIP/2.0/UDP h;branch=z9hG4bK6",
            b"Via: TCP h", b"From: <sip:a@h>;tag=2", b"From:", b"To: <sip:b@h>;tag=x",
            b"To: <sip:b@h> ; TAG=y", b"Call-ID: c9", b"Call-ID:\t c9\t", b"CSeq: 2 OPTIONS",
            b"CSeq: 99999999999 INVITE", b"CSeq: 1  INVITE", b"Max-Forwards: 256",
            b"Max-Forwards: 0", b"Max-Forwards: -1", b"Content-Length: 5",
            b"Content-Length: 00", b"Content-Length: x", b"Contact :<sip:a@h>",
            b"User-Agent: \xc3\xa9", b" folded", b"\tfolded", b"Bogus", b"X-Other: 1",
            b"Subject: a: b", b"Via: SIP/2.0/UDP h\rx", b"Via: SIP/2.0/UDP h\nx",
            b"Via: SIP / 2.0 / UDP h;branch=z9hG4bK5", b"Via: SIP/2.0/UDP h;;branch=z9hG4bK4",
            b"Via: SIP/2.0/UDP -h;branch=z9hG4bK3", b"Via: SIP/2.0/UDP h:0;branch=z9hG4bK2",
            b"Via: SIP/2.0/UDP h:99999", b'To: "Bob <sip:b@h>', b"To: <sip:b@h>;tag",
            b"To: <sip:b@h>;;tag=1", b"From: < sip:a@h >;tag=3", b"To: sip:b@h;tag=4",
            b"CSeq: 2147483648 INVITE", b"CSeq: 2147483647 INVITE", b"Require: 100rel",
            b"Content-Type: application/sdp", b"To: <sip:b@h;tag=u>"]


def everyday_mutations() -> st.SearchStrategy[bytes]:
    """The SIPp request with header lines replaced, added, removed, or bytes flipped."""
    lines = SIPP_INVITE[:-4].split(b"\r\n")

    def edit(ops: list[tuple[int, int, int]]) -> bytes:
        out = list(lines)
        for kind, where, what in ops:
            i = 1 + where % max(1, len(out) - 1)
            if kind == 0 and len(out) > 1:
                out[min(i, len(out) - 1)] = VARIANTS[what % len(VARIANTS)]
            elif kind == 1:
                out.insert(i, VARIANTS[what % len(VARIANTS)])
            elif kind == 2 and len(out) > 1:
                del out[min(i, len(out) - 1)]
        return b"\r\n".join(out) + b"\r\n\r\n"

    op = st.tuples(st.integers(0, 2), st.integers(0, 20), st.integers(0, 100))
    flip = st.tuples(st.integers(0, len(SIPP_INVITE) - 1), st.integers(0, 255)).map(
        lambda t: SIPP_INVITE[:t[0]] + bytes([t[1]]) + SIPP_INVITE[t[0] + 1:])
    line = st.sampled_from([b"INVITE tel:+441632960001 SIP/2.0", b"OPTIONS sip:np@h SIP/2.0",
                            b"INVITE sip:+441632960001@h SIP/2.1", b"INVITE  sip:a@h SIP/2.0",
                            b"INV\xc3\x89TE sip:a@h SIP/2.0", b"INVITE <sip:a@h> SIP/2.0"])
    relined = st.tuples(line, st.lists(op, max_size=3).map(edit)).map(
        lambda t: t[0] + t[1][t[1].index(b"\r\n"):])
    return st.one_of(st.lists(op, max_size=4).map(edit), flip, relined)


def test_everyday_takes_the_sipp_shape_and_leaves_the_rest() -> None:
    got = parse_everyday(SIPP_INVITE)
    assert got is not None and got.method == b"INVITE" and got.cseq == b"1 INVITE"
    for other in (invite("Via: SIP/2.0/UDP p;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP h\r\n"
                         "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
                         "CSeq: 1 INVITE\r\n"),  # two Vias
                  SIPP_INVITE.replace(b"Call-ID:", b"i:"),  # a compact form
                  SIPP_INVITE.replace(b"-1-1-0", b"-1-1-0;rport"),  # rport to fill in
                  SIPP_INVITE.replace(b"Max-Forwards", b"Require: x\r\nMax-Forwards"),  # 420
                  SIPP_INVITE.replace(b"Content-Length: 0", b"Content-Length: 3") + b"v=0",
                  SIPP_INVITE.replace(b"To: <", b'To: "Bob" <'),  # a display name
                  SIPP_INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 1 ACK")):  # malformed
        assert parse_everyday(other) is None


@pytest.mark.slow  # 1500 examples: 2-4 s on two busy cores
@settings(max_examples=1500, deadline=None)
@given(data=everyday_mutations())
def test_everyday_agrees_with_the_strict_parser(data: bytes) -> None:
    got = parse_everyday(data)
    if got is None:
        return
    strict = parse_request(data)  # accepted by the fast path: the strict parser accepts it too
    assert (got.method.decode(), got.uri.decode()) == (strict.method, strict.uri)
    assert [v.decode() for v in got.vias] == strict.headers["via"]
    assert got.key == transaction_key(strict.headers)  # the same To tag either way
    for source in (("127.0.5.2", 9), ("127.0.0.7", 9)):  # received added or not
        slow = response(strict, 302, "Moved Temporarily", to_tag="t1", extra=["X: 1"],
                        source=source)
        received = None if got.host.decode() == source[0] else source[0].encode()
        fast = (b"SIP/2.0 302 Moved Temporarily\r\n" + echo_headers(got, b"t1", received)
                + b"X: 1\r\nContent-Length: 0\r\n\r\n")
        assert fast == slow


# -- header names, and the lenient reader agrees with the strict parser ------------------------

@pytest.mark.parametrize(("name", "key"), [
    ("Call-ID", "call-id"),          # as senders usually spell it
    ("CALL-ID", "call-id"),          # any case
    ("i", "call-id"),                # a compact form
    ("I", "call-id"),                # in upper case too
    ("X-Cutover-Path", "x-cutover-path"),  # a name of our own
])
def test_header_key(name: str, key: str) -> None:
    assert header_key(name) == key


def test_every_compact_form_expands_and_the_long_forms_stay() -> None:
    for short, long in COMPACT_FORMS.items():
        assert header_key(short) == header_key(short.upper()) == header_key(long) == long


def test_read_message_reads_a_response() -> None:
    msg = read_message("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                       "X-Cutover-Version: 7\r\nl: 0\r\n\r\n")
    assert msg.start_line == "SIP/2.0 200 OK"
    assert msg.header("x-cutover-version") == "7" and msg.header("Content-Length") == "0"
    assert msg.header("Contact") is None


@settings(max_examples=1500, deadline=None)
@given(data=everyday_mutations())
def test_read_message_agrees_with_the_strict_parser(data: bytes) -> None:
    try:
        strict = parse_request(data)
    except MalformedRequest:
        return
    lenient = read_message(data.decode())
    assert lenient.start_line == f"{strict.method} {strict.uri} SIP/2.0"
    assert lenient.headers == strict.headers

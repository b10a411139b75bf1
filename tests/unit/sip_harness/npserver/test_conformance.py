"""The query server as a SIP element: RFC 4475's torture messages and RFC 3261's rules for a
stateless UAS (8.2, 8.2.7, 18.2), one row per case naming the rule it checks.

Each answer is what the RFC says a robust element (here a redirect server answering every
request at once, RFC 3261 8.3) should do; where RFC 4475 allows either, the row says which.
"""

from __future__ import annotations

import pytest

from sip_harness.npserver.answers import QueryService
from sip_harness.sip_message import read_message

from .conftest import PORTED, RNS, make_core, request
from .torture import MESSAGES

SOURCE = ("192.0.2.200", 5060)  # another host than every Via below names


@pytest.fixture
def service() -> QueryService:
    return QueryService(make_core(), RNS, tag_key=b"k" * 16)


def answer(service: QueryService, data: bytes) -> tuple[int | None, dict[str, list[str]]]:
    reply = service._answer(data, SOURCE)  # the unguarded path: nothing may raise
    if reply is None:
        return None, {}
    msg = read_message(reply.decode("utf-8", "surrogateescape"))
    return int(msg.start_line.split(" ")[1]), msg.headers


# (name in RFC 4475, status or None for no answer, a header that must be there, the rule)
TORTURE = [
    # 3.1.1 valid messages: all elements treat them as well formed
    ("wsinv", 404, ("to", "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"),
     "3.1.1.1 folding, LWS around '/' in Via, mixed forms: well formed (the URI names no number)"),
    ("intmeth", 501, ("allow", "INVITE, ACK, CANCEL, OPTIONS"),
     "3.1.1.2 an unknown method of all token characters: endpoints answer 501 with Allow"),
    ("esc01", 404, None, "3.1.1.3 % escapes in the URIs: well formed"),
    ("escnull", 405, ("allow", "INVITE, ACK, CANCEL, OPTIONS"),
     "3.1.1.4 escaped NULs: well formed; REGISTER is not served (RFC 3261 8.2.1)"),
    ("esc02", 501, None, "3.1.1.5 RE%47IST%45R is an unknown method, not REGISTER: 501"),
    ("lwsdisp", 200, None, "3.1.1.6 no LWS before '<' in From: accepted"),
    ("longreq", 404, None, "3.1.1.7 very long values and 34 Vias: well formed"),
    ("dblreq", 405, None, "3.1.1.8 octets after Content-Length are ignored (RFC 3261 18.3)"),
    ("semiuri", 200, None, "3.1.1.9 ';' in the user part of the Request-URI: well formed"),
    ("transports", 200, None, "3.1.1.10 every transport in Via, an unknown one too"),
    ("unreason", None, None, "3.1.1.12 a response (UTF-8 reason): a UAS does not answer it"),
    ("noreason", None, None, "3.1.1.13 a response without reason phrase: not answered"),
    # 3.1.2 invalid messages
    ("badinv01", 400, None, "3.1.2 empty Via and Contact parameters: 400"),
    ("clerr", 400, None, "3.1.2 Content-Length longer than the UDP body: 400"),
    ("ncl", 400, None, "3.1.2 a negative Content-Length: an error (400)"),
    ("scalar02", 400, None, "3.1.2 CSeq over 2**32-1 (and Max-Forwards over 255): 400"),
    ("scalarlg", None, None, "3.1.2 a response with out-of-range scalars: discarded"),
    ("quotbal", 400, ("to", '"Mr. J. User <sip:j.user@example.com>'),
     "3.1.2 an unterminated quote in To: 400, the To echoed untouched (no tag inside the quote)"),
    ("ltgtruri", 400, None, "3.1.2 the Request-URI in '<>': 400"),
    ("lwsruri", 400, None, "3.1.2 LWS inside the Request-URI: 400"),
    ("lwsstart", 400, None, "3.1.2 several SP in the start line: rejecting is acceptable"),
    ("trws", 400, None, "3.1.2 SP after the SIP-Version: rejecting is acceptable"),
    ("escruri", 400, None, "3.1.2 escaped headers in the Request-URI: 400 is acceptable"),
    ("baddate", 404, None, "3.1.2 a non-GMT Date the server never reads: not refused for it"),
    ("regbadct", 405, None, "3.1.2 a bad Contact in a REGISTER: refused as REGISTER first (8.2.1)"),
    ("badaspec", 400, None, "3.1.2 spaces inside the To addr-spec: 400"),
    ("baddn", 400, None, "3.1.2 unquoted non-token display names: 400"),
    ("badvers", 505, ("x-cutover-version", "0"), "3.1.2 SIP/7.0: 505 Version Not Supported"),
    ("mismatch01", 400, None, "3.1.2 request method and CSeq method differ: 400"),
    ("mismatch02", 501, None, "3.1.2 an unknown method with another CSeq method: 501 preferred"),
    ("bigcode", None, None, "3.1.2 a response code over 699: dropped"),
    # 3.2 transaction layer
    ("badbranch", 200, None, "3.2 'z9hG4bK' alone as branch: must not break; accepted"),
    # 3.3 application layer
    ("insuf", 400, ("cseq", "193942 INVITE"),
     "3.3 no Call-ID, From or To: 400 all the same, with what the request has"),
    ("unkscm", 416, None, "3.3 OPTIONS for an unknown URI scheme: 416 (RFC 3261 8.2.2.1)"),
    ("novelsc", 416, None, "3.3 a novel URI scheme: 416"),
    ("unksm2", 405, None, "3.3 non-SIP URIs in To and From of a REGISTER: 405 first"),
    ("bext01", 420, ("unsupported", "nothingSupportsThis, nothingSupportsThisEither"),
     "3.3 Require of unknown extensions: 420 listing them; Proxy-Require ignored by a UAS"),
    ("invut", 415, ("accept", "application/sdp, multipart/mixed, multipart/alternative, "
                    "application/isup, application/qsig"),
     "3.3 an INVITE body of unknown type: an endpoint answers 415 (RFC 3261 8.2.3)"),
    ("regaut01", 405, None, "3.3 an unknown authorization scheme in a REGISTER: 405"),
    ("multi01", 400, None, "3.3 several To, From, Call-ID, CSeq: 400"),
    ("mcl01", 400, None, "3.3 two Content-Length headers: 400"),
    ("bcast", None, None, "3.3 a response with a broadcast Via: not answered"),
    ("zeromf", 200, None, "3.3 Max-Forwards 0 at a UAS: answered (it forwards nothing)"),
    ("cparam01", 405, None, "3.3 REGISTER with a Contact parameter: 405"),
    ("cparam02", 405, None, "3.3 the same in name-addr form: 405"),
    ("regescrt", 405, None, "3.3 escaped headers in a REGISTER Contact: 405"),
    ("sdp01", 404, None, "3.3 Accept without SDP: our answers have no body to constrain"),
    # 3.4 backward compatibility
    ("inv2543", 404, None, "3.4 an RFC 2543 INVITE (no branch, no Max-Forwards): answered"),
]


@pytest.mark.parametrize(("name", "status", "header", "rule"), TORTURE,
                         ids=[row[0] for row in TORTURE])
def test_rfc4475_torture_message(service: QueryService, name: str, status: int | None,
                                 header: tuple[str, str] | None, rule: str) -> None:
    got, headers = answer(service, MESSAGES[name])
    assert got == status, rule
    if status is None:
        return
    assert headers["x-cutover-version"] == ["0"], "every answer names its snapshot"
    if header is not None:
        assert headers[header[0]] == [header[1]], rule


def test_every_bundled_torture_message_has_a_row() -> None:
    assert sorted(MESSAGES) == sorted(row[0] for row in TORTURE)


def test_wsinv_echoes_every_via_in_order_and_adds_received(service: QueryService) -> None:
    _, headers = answer(service, MESSAGES["wsinv"])
    assert headers["via"] == [
        "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw;received=192.0.2.200",  # unfolded
        "SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , "
        "SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239"]
    _, longreq = answer(service, MESSAGES["longreq"])
    assert len(longreq["via"]) == 34


def invite(uri: str = f"sip:{PORTED}@127.0.0.1", *, method: str = "INVITE",
           via: str = "SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK1", to: str | None = None,
           extra: str = "", cseq: str = "1", version: str = "SIP/2.0", body: str = "") -> bytes:
    return (f"{method} {uri} {version}\r\nVia: {via}\r\nFrom: <sip:q@h>;tag=a\r\n"
            f"To: {to or '<' + uri + '>'}\r\nCall-ID: c1\r\nCSeq: {cseq} {method}\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


# (request, status, header that must be there or absent (value None), rule of RFC 3261)
RULES = [
    (invite(), 302, ("contact", f"<tel:{PORTED};npdi;rn=+44D002>"),
     "8.3 a redirect: 302 with the number's tel URI, npdi and rn (RFC 4694, RFC 3966 order)"),
    (invite(method="BYE"), 405, ("allow", "INVITE, ACK, CANCEL, OPTIONS"),
     "8.2.1 a known method not served: 405 with Allow"),
    (invite(method="FROBNICATE"), 501, ("allow", "INVITE, ACK, CANCEL, OPTIONS"),
     "8.2.1 an unknown method: 501"),
    (invite("im:alice@h", method="OPTIONS"), 416, None,
     "8.2.2.1 OPTIONS for a Request-URI scheme not served: 416"),
    (invite(extra="Require: 100rel\r\n"), 420, ("unsupported", "100rel"),
     "8.2.2.3 Require of an extension not supported: 420 with Unsupported"),
    (invite(method="CANCEL", extra="Require: x\r\n"), 200, None,
     "8.2.2.3 a CANCEL's Require is not looked at"),
    (invite(extra="Proxy-Require: x\r\n"), 302, None, "8.2.2.3 Proxy-Require is for proxies"),
    (invite(version="SIP/3.0"), 505, None, "7.1 another SIP version: 505"),
    (invite(cseq=str(2**31)), 400, None, "8.1.1.5 a CSeq of 2**31 or more: 400"),
    (invite(cseq=str(2**31 - 1)), 302, None, "8.1.1.5 2**31 - 1 is the largest CSeq"),
    (invite(f"sip:%2B{PORTED[1:]}@h"), 302, ("contact", f"<tel:{PORTED};npdi;rn=+44D002>"),
     "19.1.2 an escaped '+' (%2B) in the user part names the same number"),
    (invite(via="SIP / 2.0 / UDP 192.0.2.200:5060;branch=z9hG4bK1"), 302, None,
     "25.1 LWS around '/' in Via's sent-protocol (SLASH = SWS '/' SWS)"),
    (invite(via="SIP/2.0/UDP 192.0.2.200:5060;;branch=z9hG4bK1"), 400, None,
     "25.1 an empty Via parameter: 400"),
    (invite(to='"Bob <sip:+441632960001@h>'), 400, ("to", '"Bob <sip:+441632960001@h>'),
     "25.1 an unbalanced quote in To: 400, never a 302, the To left untagged"),
    (invite(via="SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bK1"), 302,
     ("via", "SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bK1;received=192.0.2.200"),
     "18.2.1 sent-by another host than the packet's source: received added"),
    (invite(via="SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK1"), 302,
     ("via", "SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK1"),
     "18.2.1 sent-by the source itself: Via copied as it is"),
    (invite(via="SIP/2.0/UDP h.example.com;rport;branch=z9hG4bK1"), 302,
     ("via", "SIP/2.0/UDP h.example.com;received=192.0.2.200;rport=5060;branch=z9hG4bK1"),
     "18.2.1 and RFC 3581: an empty rport filled, received added"),
    (invite(to=f"<sip:{PORTED}@h>;tag=x1"), 302, ("to", f"<sip:{PORTED}@h>;tag=x1"),
     "8.2.6.2 a To that has a tag keeps it"),
    (invite(body="v=0\r\n", extra="Content-Type: application/sdp\r\n"), 302, None,
     "8.2.3 an SDP body is accepted (and not needed)"),
    (invite(body="x", extra="Content-Type: text/x-odd\r\n"
                             "Content-Disposition: render;handling=optional\r\n"), 302, None,
     "8.2.3 an optional body of an unknown type is ignored"),
    (invite(method="ACK"), None, None, "17.2.1 an ACK is not answered"),
]


@pytest.mark.parametrize(("data", "status", "header", "rule"), RULES,
                         ids=[row[3].split(" ", 1)[0] + "-" + str(i) for i, row in
                              enumerate(RULES)])
def test_rfc3261_stateless_uas_rule(service: QueryService, data: bytes, status: int | None,
                                    header: tuple[str, str] | None, rule: str) -> None:
    got, headers = answer(service, data)
    assert got == status, rule
    if header is not None:
        assert headers[header[0]] == [header[1]], rule
    if status is not None and status != 400:
        assert all(";tag=" in t for t in headers["to"]), "8.2.6.2 the To is tagged"


def test_a_retransmission_gets_the_same_to_tag_another_request_another(
        service: QueryService) -> None:
    """8.2.7: a stateless UAS gives the same tag to the same request, on either path."""
    first = answer(service, invite())[1]["to"]
    again = answer(service, invite())[1]["to"]
    # the same transaction read the long way (a header the fast path leaves to it)
    strict = answer(service, invite(extra="Subject: the long way\r\n"))[1]["to"]
    other = answer(service, invite(via="SIP/2.0/UDP 192.0.2.200:5060;branch=z9hG4bK2"))[1]["to"]
    assert first == again == strict and first != other
    tags = {answer(QueryService(make_core(), RNS, tag_key=b"k" * 16), request(
        f"sip:{PORTED}@h", call="r1"))[1]["to"][0] for _ in range(3)}
    assert len(tags) == 1  # processes sharing the key agree

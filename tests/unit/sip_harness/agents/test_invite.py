"""What an agent reads from an INVITE that reached its UA (sip_harness.agents.invite)."""

from __future__ import annotations

import pytest

from sip_harness.agents.invite import parse_invite, user_part
from sip_harness.sip_message import parse_request

# An INVITE as Asterisk 22's chan_pjsip sends it down a carrier trunk, body and all.
ASTERISK_INVITE = (
    "INVITE sip:+441632960001@127.0.1.2:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKPj0b2d6f3e-8a51-4d6e-9a0e-1c2b3d4e5f60\r\n"
    'From: "+447700900001" <sip:+447700900001@127.0.0.1>;tag=6f1f5b0c-5d2e-4c1f-9d7f-3b1a\r\n'
    "To: <sip:+441632960001@127.0.1.2>\r\n"
    "Contact: <sip:asterisk@127.0.0.1:5060>\r\n"
    "Call-ID: 1c9a4e4a-6f0d-4f36-9a35-7a3e9c1d2b10\r\n"
    "CSeq: 27011 INVITE\r\n"
    "Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, "
    "PRACK, INFO, MESSAGE, REFER\r\n"
    "Supported: 100rel, timer, replaces, norefersub, histinfo\r\n"
    "Session-Expires: 1800\r\n"
    "Min-SE: 90\r\n"
    'P-Asserted-Identity: "+447700900001" <sip:+447700900001@127.0.0.1>\r\n'
    "Max-Forwards: 70\r\n"
    "User-Agent: Asterisk PBX 22.10.1~dfsg+~cs6.15.60671435-1\r\n"
    "X-Cutover-Path: vodafone,bt,callagenix\r\n"
    "X-Cutover-Origin: vodafone\r\n"
    "X-Cutover-Holder: bt\r\n"
    "X-Cutover-Serving: callagenix\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length:   128\r\n"
    "\r\n"
    "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=Asterisk\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 10000 RTP/AVP 0 8 3\r\na=sendrecv\r\nx: not a header\r\n"
)


def test_parse_invite_reads_uri_and_headers() -> None:
    message = ("INVITE sip:+441632960001@127.0.1.1:5060 SIP/2.0\r\n"
               "f: <sip:+447700900001@127.0.0.1>;tag=a\r\n"
               "P-Asserted-Identity: <sip:+447700900001@127.0.0.1>\r\n"
               "X-Cutover-Serving: bt\r\n\r\nv=0\r\n")
    uri, headers = parse_invite(message)
    assert uri == "sip:+441632960001@127.0.1.1:5060"
    assert headers["from"].startswith("<sip:+447700900001@")
    assert headers["x-cutover-serving"] == "bt"


def test_asterisk_invite_reads_as_the_strict_parser_reads_it() -> None:
    uri, headers = parse_invite(ASTERISK_INVITE)
    strict = parse_request(ASTERISK_INVITE.encode())
    assert uri == strict.uri == "sip:+441632960001@127.0.1.2:5060"
    assert headers == {name: values[0] for name, values in strict.headers.items()}
    assert headers["x-cutover-path"] == "vodafone,bt,callagenix"
    assert headers["content-length"] == "128"
    assert "x" not in headers  # the body is not read


@pytest.mark.parametrize(("message", "expected"), [
    # every compact form of RFC 3261 7.3.3 and the registry, as the strict parser expands them
    ("INVITE sip:a@h SIP/2.0\r\nv: SIP/2.0/UDP h\r\ni: c1\r\nm: <sip:b@h>\r\nk: timer\r\n"
     "s: hi\r\nl: 0\r\n\r\n",
     {"via": "SIP/2.0/UDP h", "call-id": "c1", "contact": "<sip:b@h>", "supported": "timer",
      "subject": "hi", "content-length": "0"}),
    # LF line ends alone, a name in any case, blanks around the colon
    ("INVITE sip:a@h SIP/2.0\nCALL-ID :  c2 \nx-Cutover-Origin:bt\n\n",
     {"call-id": "c2", "x-cutover-origin": "bt"}),
    # a folded line continues the header before it
    ("INVITE sip:a@h SIP/2.0\r\nFrom: <sip:a@h>\r\n ;tag=9\r\n\r\n",
     {"from": "<sip:a@h> ;tag=9"}),
    # a repeated header: the first value; a line without a colon: skipped
    ("INVITE sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP p\r\nnonsense\r\nv: SIP/2.0/UDP h\r\n\r\n",
     {"via": "SIP/2.0/UDP p"}),
    # a value that is empty, or holds colons itself
    ("INVITE sip:a@h SIP/2.0\r\nSubject:\r\nContact: <sip:b@h:5070>\r\n\r\n",
     {"subject": "", "contact": "<sip:b@h:5070>"}),
], ids=["compact-forms", "lf-case-blanks", "folded", "repeated-and-junk", "empty-and-colons"])
def test_parse_invite_is_lenient(message: str, expected: dict[str, str]) -> None:
    assert parse_invite(message) == ("sip:a@h", expected)


def test_a_start_line_without_a_uri() -> None:
    assert parse_invite("INVITE\r\nTo: <sip:b@h>\r\n\r\n") == ("", {"to": "<sip:b@h>"})


@pytest.mark.parametrize(("value", "user"), [
    ('"Ann" <sip:+447700900001@127.0.0.1>;tag=a', "+447700900001"),  # a From header
    ("sip:+441632960001@127.0.1.1:5060", "+441632960001"),          # a Request-URI
    ("<SIPS:0141@h>", "0141"),                                      # sips, any case
    ("tel:+441632960001", ""),                                      # no SIP URI
])
def test_user_part(value: str, user: str) -> None:
    assert user_part(value) == user

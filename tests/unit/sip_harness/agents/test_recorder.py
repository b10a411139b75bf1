"""sip_harness.agents.recorder: an INVITE at a trunk address is recorded once and answered 486."""

from __future__ import annotations

import socket

from sip_harness.agents.recorder import REJECT, TrunkRecorder
from sip_harness.sip_message import read_message

INVITE = (
    "INVITE sip:+441632960002@127.1.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1;rport\r\n"
    "From: <sip:+447700900001@127.0.0.1>;tag=a\r\n"
    "To: <sip:+441632960002@127.1.0.1>\r\n"
    "Call-ID: c1@test\r\n"
    "CSeq: 1 INVITE\r\n"
    "P-Asserted-Identity: <sip:+447700900001@127.0.0.1>\r\n"
    "X-Cutover-Call: before.0.in\r\n"
    "Content-Length: 0\r\n\r\n")


def _exchange(sock: socket.socket, to: tuple[str, int], data: str) -> str:
    sock.sendto(data.encode(), to)
    return sock.recv(65535).decode()


def test_an_invite_is_recorded_with_its_headers_and_rejected_busy_once() -> None:
    with TrunkRecorder({"pbx-acme-callagenix": ("127.0.0.1", 0)}) as trunks, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.bind(("127.0.0.1", 0))
        where = trunks.address("pbx-acme-callagenix")
        answer = read_message(_exchange(sock, where, INVITE))
        assert answer.start_line == f"SIP/2.0 {REJECT} Busy Here"
        assert answer.headers["call-id"] == ["c1@test"]
        assert ";tag=" in answer.headers["to"][0]
        # a retransmission is answered again and recorded once; an ACK is not answered
        assert _exchange(sock, where, INVITE).startswith("SIP/2.0 486")
        sock.sendto(b"ACK sip:+441632960002@127.1.0.1 SIP/2.0\r\n\r\n", where)
        options = INVITE.replace("INVITE sip", "OPTIONS sip").replace("1 INVITE", "1 OPTIONS")
        assert _exchange(sock, where, options).startswith("SIP/2.0 200 OK")
        (arrival,) = trunks.arrivals(user="+441632960002")
        assert arrival["ua"] == "pbx-acme-callagenix"
        assert arrival["from_user"] == arrival["pai_user"] == "+447700900001"
        assert arrival["headers"]["to"] == "<sip:+441632960002@127.1.0.1>"
        assert trunks.by_tag("before.0.in") == arrival
        assert trunks.by_tag("before.1.in") is None
        trunks.forget()
        assert trunks.count() == 0


def test_an_address_in_use_is_a_harness_error() -> None:
    import pytest

    from sim.errors import HarnessError

    with TrunkRecorder({"bt": ("127.0.0.1", 0)}) as first:
        with pytest.raises(HarnessError, match="cannot bind other's trunk"):
            TrunkRecorder({"other": first.address("bt")})

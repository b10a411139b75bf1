"""Shared by the number-portability server tests: a routing core, its routing numbers, SIP requests.

Plain values, imported by the test modules (``from .conftest import make_core``).
"""

from __future__ import annotations

from sim.routing import RoutingCore

CARRIERS = ("bt", "callagenix", "vodafone")


RNS = {"bt": "+44D001", "callagenix": "+44D002", "vodafone": "+44D003"}


PORTED = "+441632960001"


def make_core() -> RoutingCore:
    return RoutingCore(CARRIERS, [("vodafone", "bt"), ("bt", "callagenix")],
                       [("+44163296", "bt"), ("+447700900", "vodafone")],
                       ported=[(PORTED, "callagenix")])


def request(uri: str, method: str = "INVITE", *, port: int = 5090, call: str = "c1") -> bytes:
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call};rport\r\n"
            f"From: <sip:q@127.0.0.1>;tag=a\r\nTo: <{uri}>\r\nCall-ID: {call}\r\n"
            f"CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def headers(reply: bytes | None) -> dict[str, str]:
    assert reply is not None
    lines = reply.decode("utf-8", "replace").split("\r\n")  # a 400 echoes what it got
    out = {"status": lines[0]}
    out.update((k.lower(), v.strip()) for k, _, v in (x.partition(":") for x in lines[1:] if x))
    return out


VALID = request(f"sip:{PORTED}@127.0.0.1")

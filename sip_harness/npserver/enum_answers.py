"""ENUM answers to number-portability queries: one DNS datagram in, one response out.

A NAPTR query for ``<the number's digits reversed, dot-separated>.e164.arpa`` (RFC 6116) gets
one NAPTR record of the pstn enumservice (RFC 4769): ``10 100 "u" "E2U+pstn:tel"
"!^.*$!tel:+N;npdi;rn=RN!" .`` for a ported number, the same without ``;rn=`` for a number not
ported (the tel URI the SIP answers carry, from the same snapshot and cache:
:meth:`QueryService.tel`); NXDOMAIN when no range holds the number; NOERROR without records
for another type at an allocated number, and for the zone's apex. FORMERR for a query that
cannot be read (RFC 1035 4.1.1), REFUSED for a name outside e164.arpa or a class other than
IN, NOTIMP for an opcode other than QUERY, BADVERS for an EDNS version other than 0, SERVFAIL
for a number while the replica is stale (its feed silent past the staleness bound: no answer
rather than a wrong one)
(RFC 6891); a query carrying EDNS gets an OPT record back. A response, or fewer than 12
bytes, is not answered. Answers are authoritative (AA) with TTL 0: a port may move the number
at any moment, so nobody should keep the answer.

The codec is written here for speed (no objects per query); the tests hold it to dnspython's
reading of the same bytes.
"""

from __future__ import annotations

__all__ = ["EnumService", "NAPTR_SERVICE", "enum_name"]

import struct
from collections import Counter

from sip_harness.npserver.answers import QueryService

NAPTR_SERVICE = b"E2U+pstn:tel"
_ZONE = (b"e164", b"arpa")
_NAPTR, _OPT, _ANY, _IN = 35, 41, 255, 1
_NOERROR, _FORMERR, _SERVFAIL, _NXDOMAIN, _NOTIMP, _REFUSED = 0, 1, 2, 3, 4, 5
_BADVERS = 16  # extended: 1 in the OPT record's high rcode byte, 0 in the header
_UDP_SIZE = 1232  # what we say we take (the DNS flag day's figure)
_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_DIGITS = frozenset(b"0123456789")


def enum_name(number: str) -> str:
    """The ENUM domain of ``number`` ('+' and digits), RFC 6116 section 2.4.

    >>> enum_name("+441632960001")
    '1.0.0.0.6.9.2.3.6.1.4.4.e164.arpa.'
    """
    return ".".join(reversed(number[1:])) + ".e164.arpa."


class _Refused(Exception):
    """The query is answered with this rcode (and no records)."""

    def __init__(self, rcode: int, question: bool = True):
        self.rcode, self.question = rcode, question


class EnumService:
    """Answers DNS datagrams from the same routing snapshots as a :class:`QueryService`."""

    def __init__(self, sip: QueryService) -> None:
        self.sip = sip
        self.answered: Counter[int] = Counter()  # by rcode
        self.dropped = 0
        self.crashed = 0  # answers that raised: never expected, counted, never fatal

    def forget(self, changes: object, version: int) -> None:
        """Nothing of its own to forget: the routing cache is the SIP service's."""

    def answer(self, data: bytes, source: tuple[str, int] | None = None) -> bytes | None:
        """The response to datagram ``data``, or None to drop it. Never raises."""
        try:
            return self._answer(data)
        except Exception:  # noqa: BLE001 - one bad datagram must never stop the server
            self.crashed += 1
            return None

    def _answer(self, data: bytes) -> bytes | None:
        if len(data) < 12 or data[2] & 0x80:
            self.dropped += 1  # not even a header, or a response
            return None
        ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
        # QR, opcode copied, AA set, RD and CD copied; TC, RA, Z, AD clear.
        base = 0x8400 | (flags & 0x7900) | (flags & 0x0010)
        if (flags >> 11) & 0xF != 0:
            return self._reply(ident, base, _NOTIMP, b"", 0, b"", None)
        end, labels = _name(data, 12) if qdcount == 1 else (0, None)
        if labels is None or end + 4 > len(data) or ancount or nscount or arcount > 1:
            return self._reply(ident, base, _FORMERR, b"", 0, b"", None)
        qtype, qclass = struct.unpack_from("!HH", data, end)
        question = data[12:end + 4]
        edns = None
        pos = end + 4
        if arcount:
            pos, edns = _opt(data, pos)
            if edns is None:
                return self._reply(ident, base, _FORMERR, b"", 0, b"", None)
        if pos != len(data):
            return self._reply(ident, base, _FORMERR, b"", 0, b"", None)
        if edns is not None and edns != 0:
            return self._reply(ident, base, _BADVERS, question, 0, b"", 0)
        if qclass != _IN or len(labels) < 2 or \
                tuple(label.lower() for label in labels[-2:]) != _ZONE:
            return self._reply(ident, base, _REFUSED, question, 0, b"", edns)
        digits = labels[:-2]
        if not digits:
            return self._reply(ident, base, _NOERROR, question, 0, b"", edns)  # the apex
        if not all(len(d) == 1 and d[0] in _DIGITS for d in digits) or len(digits) > 15:
            return self._reply(ident, base, _NXDOMAIN, question, 0, b"", edns)
        if self.sip.stale:
            return self._reply(ident, base, _SERVFAIL, question, 0, b"", edns)
        number = "+" + b"".join(reversed(digits)).decode()
        _, tel = self.sip.tel(number)
        if tel is None:
            return self._reply(ident, base, _NXDOMAIN, question, 0, b"", edns)
        if qtype not in (_NAPTR, _ANY):
            return self._reply(ident, base, _NOERROR, question, 0, b"", edns)
        return self._reply(ident, base, _NOERROR, question, 1, _naptr(tel), edns)

    def _reply(self, ident: int, base: int, rcode: int, question: bytes, ancount: int,
               answers: bytes, edns: int | None) -> bytes:
        self.answered[rcode] += 1
        header = _HEADER.pack(ident, base | (rcode & 0xF), 1 if question else 0, ancount, 0,
                              0 if edns is None else 1)
        if edns is None:
            return header + question + answers
        # OPT: root name, type 41, our UDP size as class, extended rcode and version 0.
        opt = b"\x00" + _RR_FIXED.pack(_OPT, _UDP_SIZE, (rcode >> 4) << 24, 0)
        return header + question + answers + opt


def _name(data: bytes, pos: int) -> tuple[int, list[bytes] | None]:
    """The uncompressed name at ``pos``: (the offset past it, its labels), None if malformed."""
    labels: list[bytes] = []
    size = 0
    while pos < len(data):
        length = data[pos]
        if length == 0:
            return pos + 1, labels
        if length > 63 or pos + 1 + length > len(data):
            return pos, None  # a compression pointer (none belongs in a question) or cut short
        size += length + 1
        if size > 254:
            return pos, None
        labels.append(data[pos + 1:pos + 1 + length])
        pos += 1 + length
    return pos, None


def _opt(data: bytes, pos: int) -> tuple[int, int | None]:
    """The one additional record, which must be EDNS's OPT: (offset past it, its version)."""
    if pos + 11 > len(data) or data[pos] != 0:
        return pos, None
    rtype, _, ttl, rdlength = _RR_FIXED.unpack_from(data, pos + 1)
    end = pos + 11 + rdlength
    if rtype != _OPT or end > len(data):
        return pos, None
    return end, (ttl >> 16) & 0xFF


def _naptr(tel: str) -> bytes:
    """One NAPTR answer (its owner the question's name, by a pointer to offset 12)."""
    regexp = f"!^.*$!{tel}!".encode()
    rdata = (struct.pack("!HH", 10, 100) + b"\x01u" + bytes([len(NAPTR_SERVICE)])
             + NAPTR_SERVICE + bytes([len(regexp)]) + regexp + b"\x00")
    return b"\xc0\x0c" + _RR_FIXED.pack(_NAPTR, _IN, 0, len(rdata)) + rdata

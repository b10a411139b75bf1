"""Answers to number-portability queries: one SIP datagram in, one response out.

An INVITE for a number (all-call query, RFC 3482) gets ``302 Moved Temporarily`` whose Contact
is ``<tel:+NUMBER;npdi;rn=RN>`` (RFC 4694; ``rn`` is the routing number of the serving carrier
and is left out when the number is not ported, ``npdi`` is always there; parameters in RFC
3966's lexicographic order), ``404`` when no range
holds the number, ``400`` when the request is malformed. OPTIONS gets 200 (health). Every answer
carries ``X-Cutover-Version``, the version of the one snapshot it was computed from, and a
``Warning`` with the routing core's explanation. Nothing is kept per call.

As a stateless UAS (RFC 3261 8.2, 8.2.7, 18.2): 505 for another SIP version, 501 for an unknown
method and 405 for a known one it does not serve (with Allow), 416 for a Request-URI scheme
other than sip, sips and tel, 420 with Unsupported for any Require, 415 for an INVITE body of
a type it cannot take; the To tag is a keyed hash of the request (Call-ID, From, CSeq, top
Via), so a retransmission gets the same tag; ``received`` is added to the top Via when the
packet came from another host than the Via names.

A replica that has fallen behind its change feed (``stale``, set by the server when nothing,
not even a heartbeat, arrived within its staleness bound) refuses INVITEs with ``503 Service
Unavailable`` and ``Retry-After`` rather than answer from data that may be wrong.

The routing part of each answer (status, Contact, Warning) is cached per queried number for
the snapshot version it was computed at: an apply announced through :meth:`QueryService.forget`
evicts the numbers it changed and moves the cache to the new version; any other version change
(the simulation followed, a change made elsewhere) empties it. A cached answer is therefore
always the one the current snapshot gives.
"""

from __future__ import annotations

__all__ = ["QueryService", "VERSION_HEADER"]

import hashlib
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from sim.errors import BadInputError, NumberFormatError, UnknownNumberError
from sim.routing import PortChange, RoutingCore, RoutingSnapshot, to_int
from sip_harness.sip_fields import split_list
from sip_harness.sip_message import (
    KNOWN_METHODS,
    REASONS,
    Everyday,
    MalformedRequest,
    Request,
    echo_headers,
    error_response,
    parse_everyday,
    parse_request,
    request_number,
    response,
    transaction_key,
)

VERSION_HEADER = "X-Cutover-Version"
_ALLOW = "Allow: INVITE, ACK, CANCEL, OPTIONS"
_SCHEMES = ("sip", "sips", "tel")
_SERVED = ("INVITE", "CANCEL", "OPTIONS")
# Body types an INVITE may carry (ignored: a redirect needs none of them); another is refused
# with 415 unless its Content-Disposition says handling=optional (RFC 3261 8.2.3).
_BODIES = ("application/sdp", "multipart/mixed", "multipart/alternative", "application/isup",
           "application/qsig")
_ACCEPT = "Accept: " + ", ".join(_BODIES)
_CACHE_MAX = 1 << 18  # cached answers (numbers) before the cache starts afresh


class _Routed(NamedTuple):
    """The routing part of an INVITE's answer, also as wire bytes (status line; header lines)."""

    status: int
    reason: str
    lines: tuple[str, ...]
    status_line: bytes
    wire: bytes
    tel: str | None  # the answer as a tel URI (302), None when there is none (404, 416)


class QueryService:
    """Answers one datagram at a time from the routing core's current snapshot."""

    def __init__(self, core: RoutingCore, routing_numbers: Mapping[str, str], *,
                 agent: str = "cutover", tag_key: bytes | None = None) -> None:
        missing = sorted(set(core.carrier_ids) - set(routing_numbers))
        if missing:
            raise BadInputError(f"no routing number for carrier(s) {', '.join(missing)}")
        self.core = core
        self._rn = {c: f";rn={rn}" for c, rn in routing_numbers.items()}
        self._agent = agent
        self.answered: Counter[int] = Counter()
        self.stale = False  # set by the server: the feed is silent past the staleness bound
        self.dropped = 0
        self.crashed = 0  # answers that raised: never expected, counted, never fatal
        # Processes sharing a port share the key, so a retransmission gets the same To tag
        # whichever of them reads it.
        self._tag_key = secrets.token_bytes(16) if tag_key is None else tag_key
        # '+digits' (or a URI naming no number) -> its answer at version
        # self._cached_version; see the module docstring.
        self._cache: dict[str, _Routed] = {}
        self._cached_version = core.version
        # Request-URI as received -> (as text, the number it names): facts of the URI, not
        # of a version.
        self._keys: dict[bytes, tuple[str, str | None]] = {}
        self._version_line = b""
        self._version_of_line = -1

    def forget(self, changes: Sequence[PortChange], version: int) -> None:
        """Snapshot ``version`` was published by applying ``changes`` to the one before it."""
        if version != self._cached_version + 1:
            self._cache.clear()
        else:
            pop = self._cache.pop
            for change in changes:
                try:
                    pop(f"+{to_int(change.number)}", None)
                except NumberFormatError:  # the apply refused it; nothing to evict
                    pass
        self._cached_version = version

    def _to_tag(self, key: bytes) -> str:
        """The To tag for the request whose :func:`transaction_key` is ``key``."""
        return hashlib.blake2b(key, key=self._tag_key, digest_size=6).hexdigest()

    def answer(self, data: bytes, source: tuple[str, int] | None = None) -> bytes | None:
        """The response to datagram ``data`` from ``source``, or None to drop it.

        Never raises: an unexpected failure is counted in ``crashed`` and the datagram dropped.
        """
        try:
            return self._answer(data, source)
        except Exception:  # noqa: BLE001 - one bad datagram must never stop the server
            self.crashed += 1
            return None

    def _answer(self, data: bytes, source: tuple[str, int] | None) -> bytes | None:
        if data[:4] == b"ACK " or data[:8] == b"SIP/2.0 ":
            self.dropped += 1  # ACK of our final response; a stray response
            return None
        everyday = parse_everyday(data)
        if everyday is not None and everyday.method == b"INVITE" and not self.stale:
            return self._answer_everyday(everyday, source)
        snap = self._snapshot()  # the one read of the current snapshot: all below uses it
        version = f"{VERSION_HEADER}: {snap.version}"
        try:
            req = parse_request(data)
        except MalformedRequest as exc:
            reply = error_response(exc, to_tag=self._to_tag(transaction_key(exc.headers)),
                                   source=source, extra=(version,))
            if reply is None:
                self.dropped += 1
            else:
                self.answered[exc.status] += 1
            return reply
        if req.method == "ACK":
            self.dropped += 1
            return None
        status, extra = self._status(req)
        if status == 302:
            number = request_number(req.uri)
            routed = self._cache.get(number or req.uri) or self._route(snap, req.uri, number)
            status, extra = routed.status, list(routed.lines)
        self.answered[status] += 1
        return response(req, status, REASONS[status],
                        to_tag=self._to_tag(transaction_key(req.headers)),
                        extra=[*extra, version], source=source)

    def _status(self, req: Request) -> tuple[int, list[str]]:
        """RFC 3261 8.2's checks in its order: the status and header lines of the answer, or
        302 for an INVITE to route."""
        method = req.method
        if method not in KNOWN_METHODS:
            return 501, [_ALLOW]
        if method not in _SERVED:
            return 405, [_ALLOW]
        if method == "CANCEL":  # every INVITE was answered at once: nothing left to cancel
            return 200, []
        if req.uri.partition(":")[0].lower() not in _SCHEMES:
            return 416, [self._warning("only sip, sips and tel")]
        required = [t.strip(" \t") for v in req.headers.get("require", ()) for t in
                    split_list(v) if t.strip(" \t")]
        if required:
            return 420, [f"Unsupported: {', '.join(required)}"]
        if method == "OPTIONS":
            return 200, [_ALLOW, _ACCEPT]
        if self.stale:
            return 503, ["Retry-After: 1",
                         self._warning("routing data older than the staleness bound")]
        kind = (req.header("content-type") or "").partition(";")[0].strip(" \t").lower()
        disposition = (req.header("content-disposition") or "").replace(" ", "").lower()
        if req.body and kind not in _BODIES and "handling=optional" not in disposition:
            return 415, [_ACCEPT]
        return 302, []

    def _answer_everyday(self, request: Everyday, source: tuple[str, int] | None) -> bytes:
        """:meth:`_answer` for an INVITE :func:`parse_everyday` read: the same bytes, built
        from the raw header values and the cached answer's wire form."""
        snap = self._snapshot()
        version = snap.version
        if version != self._version_of_line:
            self._version_line = f"{VERSION_HEADER}: {version}\r\n".encode()
            self._version_of_line = version
        known = self._keys.get(request.uri)
        if known is None:
            if len(self._keys) >= _CACHE_MAX:
                self._keys.clear()
            uri = request.uri.decode("ascii")
            known = self._keys[request.uri] = (uri, request_number(uri))
        uri, number = known
        routed = self._cache.get(number or uri) or self._route(snap, uri, number)
        self.answered[routed.status] += 1
        received = None
        if source is not None and request.host.decode() != source[0]:
            received = source[0].encode()
        tag = self._to_tag(request.key).encode()
        return b"".join((routed.status_line, echo_headers(request, tag, received),
                         routed.wire, self._version_line, b"Content-Length: 0\r\n\r\n"))

    def _snapshot(self) -> RoutingSnapshot:
        """The current snapshot, the answer cache moved to it: a version published without
        :meth:`forget` (the simulation followed, a change made elsewhere) empties the cache."""
        snap = self.core.snapshot
        if snap.version != self._cached_version:
            self._cache.clear()
            self._cached_version = snap.version
        return snap

    def _route(self, snap: RoutingSnapshot, uri: str, number: str | None) -> _Routed:
        """Work out the answer for ``uri`` (naming ``number``) and cache it for ``snap``."""
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        status, reason, lines = self._query(snap, uri, number)
        tel = lines[0][len("Contact: <"):-1] if status == 302 else None
        routed = self._cache[number or uri] = _Routed(
            status, reason, tuple(lines), f"SIP/2.0 {status} {reason}\r\n".encode(),
            "".join(f"{line}\r\n" for line in lines).encode(), tel)
        return routed

    def tel(self, number: str) -> tuple[int, str | None]:
        """The current snapshot's answer for ``number`` ('+' and digits): its version and the
        tel URI a 302 would carry (``tel:+N;npdi;rn=RN``, ``tel:+N;npdi``), or None when no
        range holds it. The same cache and snapshot as the SIP answers (ENUM uses it)."""
        snap = self._snapshot()
        routed = self._cache.get(number) or self._route(snap, f"tel:{number}", number)
        return snap.version, routed.tel

    def _query(self, snap: RoutingSnapshot, uri: str, number: str | None
               ) -> tuple[int, str, list[str]]:
        if number is None:
            if uri.partition(":")[0].lower() not in _SCHEMES:
                return 416, "Unsupported URI Scheme", [self._warning("only sip, sips and tel")]
            return 404, "Not Found", [self._warning(f"{uri[:60]} names no global number")]
        try:
            route = snap.route(number)
        except (UnknownNumberError, NumberFormatError) as exc:
            return 404, "Not Found", [self._warning(str(exc))]
        rn = self._rn[route.carrier] if route.ported else ""
        text = route.reason.partition("; originates on")[0]
        return 302, "Moved Temporarily", [f"Contact: <tel:{route.number};npdi{rn}>",
                                          self._warning(text)]

    def _warning(self, text: str) -> str:
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'Warning: 399 {self._agent} "{quoted}"'

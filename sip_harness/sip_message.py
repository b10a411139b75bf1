"""SIP messages: a small, strict request parser (RFC 3261 section 7), a lenient reader of a
whole message's headers, and a response builder.

The strict parser (:func:`parse_request`, with :func:`parse_everyday` its fast path) is what a
stateless server needs: the request line, every header (folded lines joined, compact forms
expanded), the body cut to Content-Length. A request that is not well formed raises
:class:`MalformedRequest`, which says why and carries enough of the headers, when they could be
read, to answer ``400 Bad Request``. :func:`read_message` reads the start line and headers of a
message another SIP stack has already accepted (an INVITE pjsua2 hands over, a response), and
checks nothing. Both name headers as :func:`header_key` does: long forms, lower case.

>>> req = parse_request(b"OPTIONS sip:np@127.0.0.1 SIP/2.0\\r\\nVia: SIP/2.0/UDP 127.0.0.1:5090"
...     b";branch=z9hG4bK1\\r\\nFrom: <sip:a@x>;tag=1\\r\\nTo: <sip:np@127.0.0.1>\\r\\n"
...     b"Call-ID: c1\\r\\nCSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n")
>>> response(req, 200, "OK", to_tag="s1").split(b"\\r\\n")[0]
b'SIP/2.0 200 OK'
"""

from __future__ import annotations

__all__ = ["Request", "MalformedRequest", "parse_request", "response", "error_response",
           "request_number", "COMPACT_FORMS", "REQUIRED", "KNOWN_METHODS", "Everyday",
           "parse_everyday", "echo_headers", "header_key", "Message", "read_message",
           "transaction_key", "REASONS"]

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from sim.errors import HarnessError
from sip_harness.sip_fields import TOKEN, address, sent_by, split_list, via_problem

#: Compact header names (RFC 3261 7.3.3 and the registry) and their long forms, lower case.
COMPACT_FORMS = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
                 "l": "content-length", "c": "content-type", "e": "content-encoding",
                 "k": "supported", "s": "subject", "o": "event", "r": "refer-to",
                 "u": "allow-events", "x": "session-expires", "b": "referred-by",
                 "a": "accept-contact", "j": "reject-contact", "d": "request-disposition",
                 "y": "identity", "n": "identity-info"}
#: Headers every request must carry (Max-Forwards is the business of proxies, not ours).
REQUIRED = ("via", "from", "to", "call-id", "cseq")
#: Methods of RFC 3261 and its registered extensions: another is answered 501, not 405
#: (RFC 3261 8.2.1).
KNOWN_METHODS = frozenset(("INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REGISTER", "INFO",
                           "PRACK", "SUBSCRIBE", "NOTIFY", "UPDATE", "MESSAGE", "REFER",
                           "PUBLISH"))
#: Reason phrases of the statuses this module and the query server answer with.
REASONS = {200: "OK", 302: "Moved Temporarily", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 415: "Unsupported Media Type",
           416: "Unsupported URI Scheme", 420: "Bad Extension", 501: "Not Implemented",
           503: "Service Unavailable", 505: "Version Not Supported"}
_CSEQ_LIMIT = 1 << 31  # RFC 3261 8.1.1.5: the sequence number is below 2**31
_SINGLE = frozenset(("from", "to", "call-id", "cseq", "content-length", "max-forwards"))
# RFC 3261 25.1 token: method and header names.
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_CSEQ = re.compile(r"([0-9]+)[ \t]+([A-Za-z0-9.!%*_+`'~-]+)")
_DIGITS = re.compile(r"[0-9]{1,10}")
# One whole header line: a token name, optional blanks, a colon, the value (to the line end).
_PAIR = re.compile(r"^([A-Za-z0-9.!%*_+`'~-]+)[ \t]*:[ \t]*([^\r\n]*)\r?$", re.MULTILINE)
_FOLD = re.compile(r"[ \t]*\r\n[ \t]+")
_FOLD_LF = re.compile(r"[ \t]*\n[ \t]+")  # the same, once line ends are LF alone
# A Request-URI: a scheme, a colon, then no blanks, no angle brackets or quotes, ASCII only.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-~]+")
_VERSION = re.compile(r"SIP/[0-9]+\.[0-9]+")
# Visual separators a tel URI (RFC 3966) may put between the digits of a global number.
_VISUAL = str.maketrans("", "", "-.()")
# Header names as senders usually spell them (and compact forms) -> long lower-case names:
# one dict look-up instead of lower() and COMPACT_FORMS on the hot path.
_USUAL = ("Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
          "Content-Type", "User-Agent", "Allow", "Supported", "Accept", "Route", "Record-Route",
          "Expires", "Subject", "Date", "Organization", "Call-Info", "Require", "Proxy-Require")
_CANONICAL = ({n: n.lower() for n in _USUAL} | {n.lower(): n.lower() for n in _USUAL}
              | COMPACT_FORMS | {k.upper(): v for k, v in COMPACT_FORMS.items()})


def header_key(name: str) -> str:
    """The long lower-case name of header ``name`` (any case, compact or long form).

    >>> header_key("Call-ID"), header_key("i"), header_key("X-Cutover-Path")
    ('call-id', 'call-id', 'x-cutover-path')
    """
    key = _CANONICAL.get(name)
    return _expanded(name) if key is None else key


def _expanded(name: str) -> str:
    key = name.lower()
    return COMPACT_FORMS.get(key, key)


_NAMES = {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq"}
MAX_DATAGRAM = 65535
# The same patterns over bytes, for parse_everyday.
_TOKEN_B = re.compile(_TOKEN.pattern.encode())
_CSEQ_B = re.compile(_CSEQ.pattern.encode())
_DIGITS_B = re.compile(_DIGITS.pattern.encode())
_URI_B = re.compile(_URI.pattern.encode())
_TOK_B = TOKEN.encode() + b"+"
# Header names parse_everyday takes, spelled exactly so (anything else goes the long way:
# Require and Proxy-Require too, so that the long way answers 420).
_EVERYDAY_NAMES = frozenset(n.encode() for n in _USUAL if not n.endswith("Require"))
# The everyday shapes of a Via (no rport to fill in) and of a From or To (a URI in angle
# brackets, then token parameters): always accepted by sip_fields, checked in one match.
_EVERYDAY_VIA = re.compile(rb"SIP/2\.0/[A-Za-z]+ ([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?)"
                           rb"(?::([0-9]{1,5}))?(?:;%s(?:=%s)?)*" % (_TOK_B, _TOK_B))
_EVERYDAY_ADDRESS = re.compile(rb"<%s>(?:;%s(?:=%s)?)*" % (_URI.pattern.encode(), _TOK_B,
                                                            _TOK_B))
_TO_TAG = re.compile(rb">.*;tag(?:[=;]|$)", re.IGNORECASE)


class MalformedRequest(HarnessError, ValueError):
    """A datagram is not a well-formed SIP request; ``reason`` says why.

    ``headers`` holds what could be read (long lower-case names -> values), so the caller can
    answer ``status`` (400, or 505 for another SIP version) whenever there is a Via to answer,
    echoing what is there; ``bad`` names the headers that are missing or malformed.
    """

    def __init__(self, reason: str, headers: dict[str, list[str]] | None = None, *,
                 status: int = 400, bad: frozenset[str] = frozenset()):
        self.reason = reason
        self.headers = headers or {}
        self.status = status
        self.bad = bad
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Request:
    """A parsed request: method, Request-URI, headers by long lower-case name, body."""

    method: str
    uri: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The (first) value of header ``name`` (long or compact, any case), or None."""
        values = self.headers.get(header_key(name))
        return values[0] if values else None


def parse_request(data: bytes) -> Request:
    """Parse one SIP request datagram.

    Raises
    ------
    MalformedRequest
        Not UTF-8, no blank line after the headers, a bad request line, a header line
        without a name, a missing or repeated Via/From/To/Call-ID/CSeq, a CSeq whose method
        is not the request's, or a body shorter than its Content-Length.
    """
    head, blank, rest = data.partition(b"\r\n\r\n")
    # Undecodable bytes are kept as surrogates: the headers can still be read (and echoed
    # byte for byte in a 400) when the datagram is refused below.
    text = head.decode("utf-8", "surrogateescape")
    request_line, _, block = text.partition("\r\n")
    if not blank:
        raise MalformedRequest("no empty line after the headers", _loose(block))
    if not head.isascii():
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequest("the headers are not UTF-8", _loose(block)) from None
    if text.count("\n") != text.count("\r\n") or text.count("\r") != text.count("\n"):
        raise MalformedRequest("a bare CR or LF in the headers", _loose(block))
    if block[:1] in (" ", "\t"):
        raise MalformedRequest("a header continuation with no header before it",
                               _loose(block))
    if "\r\n " in block or "\r\n\t" in block:
        block = _FOLD.sub(" ", block)  # a folded line continues the previous header
    headers: dict[str, list[str]] = {}
    pairs = _PAIR.findall(block)
    repeated = False  # a header of _SINGLE given more than once (checked below)
    canonical = _CANONICAL.get
    for name, value in pairs:
        key = canonical(name)
        if key is None:
            key = _expanded(name)
        if key in headers:
            headers[key].append(value.rstrip(" \t"))
            repeated = repeated or key in _SINGLE
        else:
            headers[key] = [value.rstrip(" \t")]
    # _PAIR takes whole lines only, at most one a line: every line is a header line if
    # there are as many pairs as lines.
    if len(pairs) != block.count("\r\n") + 1:
        bad = next((x for x in block.split("\r\n") if _PAIR.fullmatch(x) is None), block)
        raise MalformedRequest(f"not a header line: {bad[:40]!r}", headers)
    parts = request_line.split(" ")
    if len(parts) == 3 and parts[2] != "SIP/2.0" and _VERSION.fullmatch(parts[2]):
        raise MalformedRequest(f"SIP version {parts[2][4:]} is not supported (SIP/2.0 is)",
                               headers, status=505)
    if len(parts) != 3 or parts[2] != "SIP/2.0" or _TOKEN.fullmatch(parts[0]) is None:
        raise MalformedRequest(f"not a SIP/2.0 request line: {request_line[:60]!r}", headers)
    method, uri = parts[0], parts[1]
    if _URI.fullmatch(uri) is None:
        raise MalformedRequest(f"not a Request-URI: {uri[:60]!r}", headers)
    if uri[:4].lower() in ("sip:", "sips") and "?" in uri.rpartition("@")[2]:
        raise MalformedRequest("a SIP Request-URI with headers ('?', RFC 3261 19.1.5)", headers)
    for name in REQUIRED:
        values = headers.get(name)
        if values is None or not values[0]:
            raise MalformedRequest(f"no {_NAMES[name]} header", headers,
                                   bad=frozenset((name,)))
    for name in _SINGLE if repeated else ():
        values = headers.get(name)
        if values is not None and len(values) > 1:
            raise MalformedRequest(f"{name} is given {len(values)} times", headers)
    for value in headers["via"]:
        problem = via_problem(value)
        if problem is not None:
            raise MalformedRequest(problem, headers, bad=frozenset(("via",)))
    for name in ("from", "to"):
        if address(headers[name][0]) is None:
            raise MalformedRequest(f"{_NAMES[name]} is not an address (name-addr or addr-spec "
                                   f"with parameters): {headers[name][0][:40]!r}", headers,
                                   bad=frozenset((name,)))
    cseq = _CSEQ.fullmatch(headers["cseq"][0])
    if cseq is None:
        raise MalformedRequest("CSeq is not a number and a method", headers)
    if int(cseq.group(1)) >= _CSEQ_LIMIT:
        raise MalformedRequest(f"CSeq {cseq.group(1)} is not below 2**31 (RFC 3261 8.1.1.5)",
                               headers)
    if cseq.group(2) != method and method in KNOWN_METHODS:
        raise MalformedRequest(f"CSeq method {cseq.group(2)} is not {method}", headers)
    forwards = headers.get("max-forwards")
    if forwards is not None and (_DIGITS.fullmatch(forwards[0]) is None
                                 or int(forwards[0]) > 255):
        raise MalformedRequest("Max-Forwards is not 0-255", headers)
    length = headers.get("content-length")
    if length is not None:
        if _DIGITS.fullmatch(length[0]) is None:
            raise MalformedRequest("Content-Length is not a number", headers)
        size = int(length[0])
        if size > len(rest):
            raise MalformedRequest(f"body shorter than Content-Length {size}", headers)
        rest = rest[:size]  # UDP: bytes past Content-Length are discarded (RFC 3261 18.3)
    return Request(method, uri, headers, rest)


def _loose(block: str) -> dict[str, list[str]]:
    """The headers :func:`read_message` reads in ``block``: for answering a refused request."""
    return read_message("\n" + block).headers


class Message(NamedTuple):
    """The start line and headers of a whole SIP message, as :func:`read_message` read them."""

    start_line: str
    #: Long lower-case names (see :func:`header_key`) -> values, in the order given.
    headers: dict[str, list[str]]

    def header(self, name: str) -> str | None:
        """The (first) value of header ``name`` (long or compact, any case), or None."""
        values = self.headers.get(header_key(name))
        return values[0] if values else None


def read_message(text: str) -> Message:
    """The start line and every header of a SIP message (request or response), leniently.

    For a message another SIP stack has already accepted: nothing is checked and nothing is
    refused. Lines end in CRLF or LF alone; the headers end at the first empty line (the body
    is not read); a line that starts with a blank continues the header before it; a line
    without a colon is skipped. Names as :func:`header_key` gives them, values without
    surrounding blanks, every value of a repeated header in order. Whenever
    :func:`parse_request` accepts a datagram, this gives the same headers for its text.

    >>> msg = read_message("INVITE sip:+441632960001@h SIP/2.0\\nf: <sip:a@h>;tag=1\\n\\nv=0")
    >>> msg.start_line, msg.headers
    ('INVITE sip:+441632960001@h SIP/2.0', {'from': ['<sip:a@h>;tag=1']})
    """
    head = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    start_line, _, block = head.partition("\n")
    if "\n " in block or "\n\t" in block:
        block = _FOLD_LF.sub(" ", block)
    headers: dict[str, list[str]] = {}
    for line in block.split("\n"):
        name, colon, value = line.partition(":")
        name = name.strip(" \t")
        if colon and name:
            headers.setdefault(header_key(name), []).append(value.strip(" \t"))
    return Message(start_line, headers)


class Everyday(NamedTuple):
    """A request of the everyday shape, as :func:`parse_everyday` read it: raw header values."""

    method: bytes
    uri: bytes
    vias: list[bytes]
    from_: bytes
    to: bytes
    call_id: bytes
    cseq: bytes
    host: bytes  # the top Via's sent-by host
    tagged: bool  # the To has a tag

    @property
    def key(self) -> bytes:
        """:func:`transaction_key` of the same request."""
        return b"\0".join((self.call_id, self.from_, self.cseq, self.vias[0]))


def parse_everyday(data: bytes) -> Everyday | None:
    """The fast path of :func:`parse_request` for requests of the everyday shape, else None.

    Everyday: ASCII headers, each once (one Via), each name spelled as senders usually do
    (``Via``, ``Call-ID``; no compact forms) and followed by ``': '``, no folded lines, no
    ``rport`` in the Via.
    Such a request is checked exactly as :func:`parse_request` checks it, on bytes and without
    building every header: None when it is not everyday *or* not well formed, so the caller
    then takes :func:`parse_request`, which parses it or says why not. When it returns a
    request, :func:`parse_request` accepts the same datagram with the same values (a property
    test holds the two to that).
    """
    head, blank, rest = data.partition(b"\r\n\r\n")
    if not blank or not head.isascii():
        return None
    lines = head.split(b"\r\n")
    breaks = len(lines) - 1
    if head.count(b"\r") != breaks or head.count(b"\n") != breaks:
        return None  # a bare CR or LF
    try:
        fields = dict([line.split(b": ", 1) for line in lines[1:]])
    except ValueError:
        return None  # a line without ': ' (or with the blank elsewhere): the long way
    if len(fields) != breaks or not fields.keys() <= _EVERYDAY_NAMES:
        return None  # a header given twice (even Via), or a name spelled otherwise
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2] != b"SIP/2.0" or _TOKEN_B.fullmatch(parts[0]) is None \
            or _URI_B.fullmatch(parts[1]) is None or b"?" in parts[1]:
        return None
    get = fields.get
    via, from_, to = get(b"Via", b"").strip(b" \t"), get(b"From", b"").strip(b" \t"), \
        get(b"To", b"").strip(b" \t")
    call_id, cseq = get(b"Call-ID", b"").strip(b" \t"), get(b"CSeq", b"").strip(b" \t")
    if not call_id or b";rport" in via:
        return None
    sent = _EVERYDAY_VIA.fullmatch(via)
    if sent is None or (sent.group(2) is not None and not 0 < int(sent.group(2)) < 65536) \
            or _EVERYDAY_ADDRESS.fullmatch(from_) is None \
            or _EVERYDAY_ADDRESS.fullmatch(to) is None:
        return None
    got = _CSEQ_B.fullmatch(cseq)
    if got is None or got.group(2) != parts[0] or int(got.group(1)) >= _CSEQ_LIMIT:
        return None
    forwards = get(b"Max-Forwards")
    if forwards is not None:
        forwards = forwards.strip(b" \t")
        if _DIGITS_B.fullmatch(forwards) is None or int(forwards) > 255:
            return None
    length = get(b"Content-Length")
    size = len(rest) if length is None else -1
    if length is not None:
        length = length.strip(b" \t")
        if _DIGITS_B.fullmatch(length) is None or int(length) > len(rest):
            return None
        size = int(length)
    if size:
        return None  # a body: its type is checked the long way (415)
    return Everyday(parts[0], parts[1], [via], from_, to, call_id, cseq, sent.group(1),
                    _TO_TAG.search(to) is not None)


def echo_headers(request: Everyday, to_tag: bytes, received: bytes | None = None) -> bytes:
    """The header lines every response to ``request`` copies (see :func:`response`), as wire
    bytes: its Vias (the top one with ``;received=`` when given), From, To (tagged with
    ``to_tag`` unless it has a tag), Call-ID, CSeq."""
    to = request.to if request.tagged else request.to + b";tag=" + to_tag
    top = request.vias[0] if received is None else request.vias[0] + b";received=" + received
    vias = b"".join([b"Via: " + v + b"\r\n" for v in (top, *request.vias[1:])])
    return b"%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n" % (
        vias, request.from_, to, request.call_id, request.cseq)


def transaction_key(headers: dict[str, list[str]]) -> bytes:
    """What makes a request itself (Call-ID, From, CSeq, top Via): a retransmission has the
    same key, any other request another one. :meth:`Everyday.key` gives the same bytes."""
    values = [(headers.get(name) or [""])[0] for name in ("call-id", "from", "cseq", "via")]
    return "\0".join(values).encode("utf-8", "surrogateescape")


def request_number(uri: str) -> str | None:
    """The global number a Request-URI names, as '+' and digits, or None.

    ``sip:+441632960001@host;user=phone``, ``sips:...`` and ``tel:+44-1632-960001`` give
    ``'+441632960001'``, and so does ``sip:%2B441632960001@host`` (escaped, RFC 3261 19.1.2);
    a user part that is not a global number gives None.
    """
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "tel":
        user = rest
    elif scheme in ("sip", "sips"):
        user, at, _ = rest.partition("@")
        if not at:
            return None
    else:
        return None
    number = user.split(";", 1)[0]
    if "%" in number:
        number = unquote(number)
    number = number.translate(_VISUAL)
    if number[:1] != "+" or not number[1:].isdigit() or not number.isascii():
        return None
    return number


def response(request: Request, status: int, reason: str, *, to_tag: str,
             extra: Sequence[str] = (), source: tuple[str, int] | None = None) -> bytes:
    """A response to ``request``: its Vias, From, To (tagged), Call-ID and CSeq copied,
    then the ``extra`` header lines and ``Content-Length: 0``.

    ``source`` (the address the request came from) adds ``received`` to the top Via when its
    sent-by host is another (RFC 3261 18.2.1) and fills an empty ``rport`` (RFC 3581); the
    response goes back to that address.
    """
    return _build(request.headers, status, reason, to_tag, extra, source)


def error_response(error: MalformedRequest, *, to_tag: str,
                   source: tuple[str, int] | None = None,
                   extra: Sequence[str] = ()) -> bytes | None:
    """``error.status`` (400, 505) with a Warning saying why, echoing the headers that could
    be read; None when there is no Via (nothing says a SIP element sent it: dropped). A To
    that is missing or malformed is echoed as it came, without a tag."""
    headers = error.headers
    if not headers.get("via"):
        return None
    warning = 'Warning: 399 cutover "' + _quoted(error.reason) + '"'
    tag = None if "to" in error.bad else to_tag
    return _build(headers, error.status, REASONS[error.status], tag, (warning, *extra), source)


def _quoted(text: str) -> str:
    """``text`` made safe inside a SIP quoted-string on one line."""
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ")
            .replace("\n", " "))


def _build(headers: dict[str, list[str]], status: int, reason: str, to_tag: str | None,
           extra: Sequence[str], source: tuple[str, int] | None) -> bytes:
    vias = headers["via"]
    top = vias[0] if source is None else _received(vias[0], source)
    lines = [f"SIP/2.0 {status} {reason}", f"Via: {top}"]
    lines += [f"Via: {v}" for v in vias[1:]]
    for name, label in (("from", "From"), ("to", "To"), ("call-id", "Call-ID"),
                        ("cseq", "CSeq")):
        values = headers.get(name)
        if values:
            value = values[0]
            if name == "to" and to_tag is not None:
                to = address(value)
                if to is not None and all(k != "tag" for k, _ in to.params):
                    value = f"{value};tag={to_tag}"
            lines.append(f"{label}: {value}")
    lines += [*extra, "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("utf-8", "surrogateescape")


_RPORT = re.compile(r";[ \t]*rport(?=[ \t]*(?:;|$))", re.IGNORECASE)


def _received(top: str, source: tuple[str, int]) -> str:
    """The top Via value with what RFC 3261 18.2.1 and RFC 3581 add for a response to
    ``source``: ``received`` when the sent-by host is not the source address (or rport is
    asked for), and an empty ``rport`` filled with the source port."""
    via = sent_by(top)
    if via is None:
        return top
    first = split_list(top)[0]
    rest = top[len(first):]
    first = first.rstrip(" \t")
    if any(k == "rport" and v is None for k, v in via.params):
        first = _RPORT.sub(f";received={source[0]};rport={source[1]}", first, count=1)
    elif via.host.strip("[]") != source[0]:
        first = f"{first};received={source[0]}"
    return first + rest

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
           "request_number", "COMPACT_FORMS", "REQUIRED", "Everyday", "parse_everyday",
           "echo_headers", "header_key", "Message", "read_message"]

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sim.errors import HarnessError

#: Compact header names (RFC 3261 7.3.3 and the registry) and their long forms, lower case.
COMPACT_FORMS = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
                 "l": "content-length", "c": "content-type", "e": "content-encoding",
                 "k": "supported", "s": "subject", "o": "event", "r": "refer-to",
                 "u": "allow-events", "x": "session-expires", "b": "referred-by",
                 "a": "accept-contact", "j": "reject-contact", "d": "request-disposition",
                 "y": "identity", "n": "identity-info"}
#: Headers every request must carry (Max-Forwards is the business of proxies, not ours).
REQUIRED = ("via", "from", "to", "call-id", "cseq")
_SINGLE = frozenset(("from", "to", "call-id", "cseq", "content-length", "max-forwards"))
# RFC 3261 25.1 token: method and header names.
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_CSEQ = re.compile(r"([0-9]{1,10})[ \t]+([A-Za-z0-9.!%*_+`'~-]+)")
_DIGITS = re.compile(r"[0-9]{1,10}")
# One whole header line: a token name, optional blanks, a colon, the value (to the line end).
_PAIR = re.compile(r"^([A-Za-z0-9.!%*_+`'~-]+)[ \t]*:[ \t]*([^\r\n]*)\r?$", re.MULTILINE)
_FOLD = re.compile(r"[ \t]*\r\n[ \t]+")
_FOLD_LF = re.compile(r"[ \t]*\n[ \t]+")  # the same, once line ends are LF alone
# A Request-URI: a scheme, a colon, then no blanks, no angle brackets or quotes, ASCII only.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-~]+")
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
# Header names parse_everyday takes, spelled exactly so (anything else goes the long way).
_EVERYDAY_NAMES = frozenset(n.encode() for n in _USUAL)


class MalformedRequest(HarnessError, ValueError):
    """A datagram is not a well-formed SIP request; ``reason`` says why.

    ``headers`` holds what could be read (long lower-case names -> values), so the caller can
    answer 400 when Via, From, To, Call-ID and CSeq are among them, and drop it otherwise.
    """

    def __init__(self, reason: str, headers: dict[str, list[str]] | None = None):
        self.reason = reason
        self.headers = headers or {}
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
    if not blank:
        raise MalformedRequest("no empty line after the headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("the headers are not UTF-8") from None
    if text.count("\n") != text.count("\r\n") or text.count("\r") != text.count("\n"):
        raise MalformedRequest("a bare CR or LF in the headers")
    request_line, _, block = text.partition("\r\n")
    if block[:1] in (" ", "\t"):
        raise MalformedRequest("a header continuation with no header before it")
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
    if len(parts) != 3 or parts[2] != "SIP/2.0" or _TOKEN.fullmatch(parts[0]) is None:
        raise MalformedRequest(f"not a SIP/2.0 request line: {request_line[:60]!r}", headers)
    method, uri = parts[0], parts[1]
    if _URI.fullmatch(uri) is None:
        raise MalformedRequest(f"not a Request-URI: {uri[:60]!r}", headers)
    for name in REQUIRED:
        values = headers.get(name)
        if values is None or not values[0]:
            raise MalformedRequest(f"no {_NAMES[name]} header", _without(headers, name))
    for name in _SINGLE if repeated else ():
        values = headers.get(name)
        if values is not None and len(values) > 1:
            raise MalformedRequest(f"{name} is given {len(values)} times",
                                   _without(headers, name))
    for value in headers["via"]:
        if value[:8].upper() != "SIP/2.0/":
            raise MalformedRequest(f"not a Via: {value[:40]!r}", _without(headers, "via"))
    cseq = _CSEQ.fullmatch(headers["cseq"][0])
    if cseq is None:
        raise MalformedRequest("CSeq is not a number and a method", _without(headers, "cseq"))
    if cseq.group(2) != method:
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
            or _URI_B.fullmatch(parts[1]) is None:
        return None
    get = fields.get
    via, from_, to = get(b"Via", b"").strip(b" \t"), get(b"From", b"").strip(b" \t"), \
        get(b"To", b"").strip(b" \t")
    call_id, cseq = get(b"Call-ID", b"").strip(b" \t"), get(b"CSeq", b"").strip(b" \t")
    if not (from_ and to and call_id) or via[:8].upper() != b"SIP/2.0/" or b";rport" in via:
        return None
    got = _CSEQ_B.fullmatch(cseq)
    if got is None or got.group(2) != parts[0]:
        return None
    forwards = get(b"Max-Forwards")
    if forwards is not None:
        forwards = forwards.strip(b" \t")
        if _DIGITS_B.fullmatch(forwards) is None or int(forwards) > 255:
            return None
    length = get(b"Content-Length")
    if length is not None:
        length = length.strip(b" \t")
        if _DIGITS_B.fullmatch(length) is None or int(length) > len(rest):
            return None
    return Everyday(parts[0], parts[1], [via], from_, to, call_id, cseq)


def echo_headers(request: Everyday, to_tag: bytes) -> bytes:
    """The header lines every response to ``request`` copies (see :func:`response`), as wire
    bytes: its Vias, From, To (tagged with ``to_tag`` unless it has a tag), Call-ID, CSeq."""
    to = request.to
    if b";tag=" not in to.replace(b" ", b"").lower():
        to = to + b";tag=" + to_tag
    vias = b"".join([b"Via: " + v + b"\r\n" for v in request.vias])
    return b"%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n" % (
        vias, request.from_, to, request.call_id, request.cseq)


def _without(headers: dict[str, list[str]], name: str) -> dict[str, list[str]]:
    return {k: v for k, v in headers.items() if k != name}


def request_number(uri: str) -> str | None:
    """The global number a Request-URI names, as '+' and digits, or None.

    ``sip:+441632960001@host;user=phone``, ``sips:...`` and ``tel:+44-1632-960001`` give
    ``'+441632960001'``; a user part that is not a global number gives None.
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
    number = user.split(";", 1)[0].translate(_VISUAL)
    if number[:1] != "+" or not number[1:].isdigit() or not number.isascii():
        return None
    return number


def response(request: Request, status: int, reason: str, *, to_tag: str,
             extra: Sequence[str] = (), source: tuple[str, int] | None = None) -> bytes:
    """A response to ``request``: its Vias, From, To (tagged), Call-ID and CSeq copied,
    then the ``extra`` header lines and ``Content-Length: 0``.

    ``source`` (the address the request came from) fills an empty ``rport`` in the top Via
    and adds ``received`` (RFC 3581); the response goes back to that address.
    """
    return _build(request.headers, status, reason, to_tag, extra, source)


def error_response(error: MalformedRequest, *, to_tag: str,
                   source: tuple[str, int] | None = None) -> bytes | None:
    """``400 Bad Request`` with a Warning for a malformed request, or None when the headers
    a response needs could not be read (the datagram is then dropped)."""
    headers = error.headers
    for name in REQUIRED:
        values = headers.get(name)
        if not values or not all(values) or (name != "via" and len(values) > 1):
            return None
    warning = 'Warning: 399 cutover "' + _quoted(error.reason) + '"'
    try:
        return _build(headers, 400, "Bad Request", to_tag, (warning,), source)
    except UnicodeEncodeError:
        return None


def _quoted(text: str) -> str:
    """``text`` made safe inside a SIP quoted-string on one line."""
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ")
            .replace("\n", " "))


def _build(headers: dict[str, list[str]], status: int, reason: str, to_tag: str,
           extra: Sequence[str], source: tuple[str, int] | None) -> bytes:
    vias = headers["via"]
    top = vias[0]
    if source is not None and ";rport" in top:
        first, comma, others = top.partition(",")
        params = first.split(";")
        if "rport" in params:
            params[params.index("rport")] = f"received={source[0]};rport={source[1]}"
            top = ";".join(params) + comma + others
    to = headers["to"][0]
    if ";tag=" not in to.replace(" ", "").lower():
        to = f"{to};tag={to_tag}"
    lines = [f"SIP/2.0 {status} {reason}", f"Via: {top}"]
    lines += [f"Via: {v}" for v in vias[1:]]
    lines += [f"From: {headers['from'][0]}", f"To: {to}", f"Call-ID: {headers['call-id'][0]}",
              f"CSeq: {headers['cseq'][0]}", *extra, "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("utf-8")

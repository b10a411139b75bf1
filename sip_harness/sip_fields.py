"""The grammar of the header fields a stateless SIP server reads (RFC 3261 section 25.1): Via,
the From/To address (name-addr or addr-spec with parameters), and lists split at commas.

Values are taken as :func:`sip_harness.sip_message.parse_request` hands them over: folded lines
already joined, so linear white space is blanks and tabs.

>>> via = sent_by("SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw")
>>> via.host, via.port, via.params
('192.0.2.2', None, (('branch', '390skdjuw'),))
>>> address('"Mr. J. User <sip:j.user@example.com>') is None    # an unbalanced quote
True
>>> address("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").tag
'1918181833n'
"""

from __future__ import annotations

__all__ = ["Via", "Address", "sent_by", "via_problem", "address", "split_list", "TOKEN",
           "ADDR_SPEC_URI"]

import re
from typing import NamedTuple

#: RFC 3261 25.1 token (method and header names, parameter names and most values).
TOKEN = r"[A-Za-z0-9.!%*_+`'~-]+"
# Possessive (Python 3.11): a long run that fails to match is given up on at once, not
# retried at every split, so a hostile 64 kB header costs linear time.
_TOK = TOKEN + "+"
_LWS = r"[ \t]*+"
# A quoted string: quoted-pairs (a backslash and any one character) or anything but '"' and '\'.
_QUOTED = r'"(?:[^"\\]|\\.)*+"'
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?)"
_VALUE = rf"(?>{_TOK}|{_HOST}|{_QUOTED})"
_PARAM = rf"{_LWS};{_LWS}({_TOK})(?:{_LWS}={_LWS}({_VALUE}))?"
_PARAMS = re.compile(rf"(?:{_PARAM})*{_LWS}", re.DOTALL)
_ONE_PARAM = re.compile(_PARAM, re.DOTALL)
_VIA = re.compile(rf"({_TOK}){_LWS}/{_LWS}({_TOK}){_LWS}/{_LWS}({_TOK})[ \t]+({_HOST})"
                  rf"(?:{_LWS}:{_LWS}([0-9]{{1,5}}))?(.*)", re.DOTALL)
#: An absolute URI as an addr-spec may write it outside angle brackets: no ',', ';' or '?'
#: (RFC 3261 20.10), no blanks, quotes or angle brackets.
ADDR_SPEC_URI = r"[A-Za-z][A-Za-z0-9+.-]*:[!#-+\--:=@-~]+"
_URI_IN_BRACKETS = r"[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-~]+"
_NAME_ADDR = re.compile(
    rf"{_LWS}(?:({_QUOTED})|({_TOK}(?:[ \t]++{_TOK})*+))?{_LWS}<({_URI_IN_BRACKETS})>(.*)",
    re.DOTALL)
_ADDR_SPEC = re.compile(rf"{_LWS}({ADDR_SPEC_URI})(.*)", re.DOTALL)


class Via(NamedTuple):
    """One via-parm: protocol, transport, sent-by host and port, parameters in order."""

    protocol: str  # 'SIP/2.0'
    transport: str
    host: str
    port: int | None
    params: tuple[tuple[str, str | None], ...]


class Address(NamedTuple):
    """A From or To value: its URI and header parameters (names in lower case)."""

    uri: str
    params: tuple[tuple[str, str | None], ...]

    @property
    def tag(self) -> str | None:
        """The tag parameter's value, or None when there is none."""
        return next((v for k, v in self.params if k == "tag"), None)


def split_list(value: str) -> list[str]:
    """``value`` split at the commas outside quoted strings and angle brackets."""
    parts, start, quoted, bracket, escaped = [], 0, False, False, False
    for i, c in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            escaped = c == "\\"
            quoted = c != '"'
        elif c == '"':
            quoted = True
        elif c in "<>":
            bracket = c == "<"
        elif c == "," and not bracket:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def _params(text: str) -> tuple[tuple[str, str | None], ...] | None:
    if _PARAMS.fullmatch(text) is None:
        return None
    return tuple((m.group(1).lower(), m.group(2)) for m in _ONE_PARAM.finditer(text))


def sent_by(value: str) -> Via | None:
    """The first via-parm of a Via header value, or None when it is not well formed."""
    return _via(split_list(value)[0])


def _via(part: str) -> Via | None:
    got = _VIA.fullmatch(part.strip(" \t"))
    if got is None:
        return None
    params = _params(got.group(6))
    if params is None:
        return None
    port = got.group(5)
    return Via(f"{got.group(1)}/{got.group(2)}", got.group(3), got.group(4),
               None if port is None else int(port), params)


def via_problem(value: str) -> str | None:
    """What is wrong with a Via header value (every via-parm in it), or None."""
    for part in split_list(value):
        via = _via(part)
        if via is None:
            return f"not a Via: {part.strip()[:40]!r}"
        if via.protocol.upper() != "SIP/2.0":
            return f"a Via of {via.protocol}, not SIP/2.0"
        if via.port is not None and not 0 < via.port < 65536:
            return f"a Via port of {via.port}"
    return None


def address(value: str) -> Address | None:
    """A From or To value (name-addr or addr-spec, then parameters), or None if malformed."""
    got = _NAME_ADDR.fullmatch(value)
    if got is not None:
        uri, rest = got.group(3), got.group(4)
    else:
        spec = _ADDR_SPEC.fullmatch(value)
        if spec is None:
            return None
        uri, rest = spec.group(1), spec.group(2)
    params = _params(rest)
    return None if params is None else Address(uri, params)

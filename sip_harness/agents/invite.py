"""An INVITE that reached an agent's UA, read from the whole SIP message (no pjsua2 here).

The trunks and phones record what arrived (Request-URI, From, P-Asserted-Identity, every
header) as an :class:`Arrival`; :func:`parse_invite` reads the message text pjsua2 hands over.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sip_harness.sip_message import read_message

__all__ = ["Arrival", "parse_invite", "user_part"]


@dataclass
class Arrival:
    """An INVITE that reached one of this agent's UAs, read from the whole message."""

    ua: str                       # the UA (carrier id or number) whose address it reached
    uri: str                      # Request-URI
    user: str                     # its user part: the dialled number
    from_user: str                # the caller ID the callee sees (From user part)
    pai_user: str | None          # P-Asserted-Identity user part, if any
    source: str                   # where it came from (host:port)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> value
    call: int | None = None       # the incoming call's id here
    answered: int = 0             # the status the UA answered with
    at: float = 0.0               # time.monotonic() when it arrived (0.0: not kept)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_URI_USER = re.compile(r"<?\s*sips?:([^@;>\s]+)@", re.IGNORECASE)


def user_part(value: str) -> str:
    """The user part of the first SIP(S) URI in a header value or URI, or ``''``.

    >>> user_part('"Ann" <sip:+447700900001@127.0.0.1>;tag=a')
    '+447700900001'
    """
    match = _URI_USER.search(value)
    return match.group(1) if match else ""


def parse_invite(message: str) -> tuple[str, dict[str, str]]:
    """The Request-URI and headers of a SIP request's whole text: long lower-case names (compact
    forms expanded, as :func:`sip_harness.sip_message.header_key` names them) -> the first value.

    Lenient (:func:`sip_harness.sip_message.read_message`): pjsua2 has already accepted the
    INVITE, so nothing in it is refused; a start line without a URI gives ``''``.
    """
    head = read_message(message)
    parts = head.start_line.split(" ")
    uri = parts[1] if len(parts) > 1 else ""
    return uri, {name: values[0] for name, values in head.headers.items()}

"""An INVITE that reached an agent's UA, read from the whole SIP message (no pjsua2 here).

The trunks and phones record what arrived (Request-URI, From, P-Asserted-Identity, every
header) as an :class:`Arrival`; :func:`parse_invite` reads the message text pjsua2 hands over.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



_URI_USER = re.compile(r"<?\s*sips?:([^@;>\s]+)@", re.IGNORECASE)


def user_part(value: str) -> str:
    match = _URI_USER.search(value)
    return match.group(1) if match else ""


def parse_invite(message: str) -> tuple[str, dict[str, str]]:
    """Request-URI and headers (lower-case names; compact forms expanded) of a SIP request."""
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    lines = head.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ")
    uri = parts[1] if len(parts) > 1 else ""
    compact = {"f": "from", "t": "to", "i": "call-id", "m": "contact", "v": "via"}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers.setdefault(compact.get(key, key), value.strip())
    return uri, headers

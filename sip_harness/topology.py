"""Where everything sits on loopback: Asterisk, its AMI, each carrier's trunk, customer phones.

Asterisk plays the network. Each carrier of a scenario is a PJSIP trunk told apart by its own
loopback address (the whole 127.0.0.0/8 is loopback on Linux): a SIP client that sends from
``send_from`` is seen as that carrier, and Asterisk delivers that carrier's calls to
``deliver_to``. Customer phones (extensions of the gaining provider's hosted service) get
addresses of their own in 127.0.2.0/24. Numbers travel in the Request-URI user part in E.164
with the leading plus: ``sip:+441632960001@127.0.0.1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ASTERISK_HOST",
    "SIP_PORT",
    "AMI_PORT",
    "TrunkAddress",
    "PhoneAddress",
    "carrier_addresses",
    "phone_addresses",
]

ASTERISK_HOST = "127.0.0.1"
SIP_PORT = 5060
AMI_PORT = 5038
_CARRIER_NET = "127.0.1."
_PHONE_NET = "127.0.2."
_MAX_HOSTS = 254


@dataclass(frozen=True)
class TrunkAddress:
    """A carrier's trunk: where its calls come from and where Asterisk sends them."""

    carrier: str
    host: str
    port: int = SIP_PORT

    @property
    def send_from(self) -> str:
        return self.host

    @property
    def deliver_to(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class PhoneAddress:
    """A customer's phone (an extension of the hosted service) for one number."""

    number: str
    extension: str
    host: str
    port: int = SIP_PORT

    @property
    def contact(self) -> str:
        return f"sip:{self.extension}@{self.host}:{self.port}"


def carrier_addresses(carrier_ids: Iterable[str]) -> dict[str, TrunkAddress]:
    """One loopback address per carrier, in scenario order: 127.0.1.1, 127.0.1.2, ...

    Raises ValueError beyond 254 carriers (one /24).
    """
    ids = list(carrier_ids)
    if len(ids) > _MAX_HOSTS:
        raise ValueError(f"at most {_MAX_HOSTS} carriers fit on 127.0.1.0/24, got {len(ids)}")
    return {c: TrunkAddress(c, f"{_CARRIER_NET}{i}") for i, c in enumerate(ids, start=1)}


def phone_addresses(numbers: Iterable[str]) -> dict[str, PhoneAddress]:
    """One loopback address per customer number with a phone: 127.0.2.1, 127.0.2.2, ...

    The extension is the number's digits without the plus (``441632960001``).
    """
    nums = list(numbers)
    if len(nums) > _MAX_HOSTS:
        raise ValueError(f"at most {_MAX_HOSTS} phones fit on 127.0.2.0/24, got {len(nums)}")
    return {n: PhoneAddress(n, n.lstrip("+"), f"{_PHONE_NET}{i}")
            for i, n in enumerate(nums, start=1)}

"""Where everything sits on loopback: Asterisk, its AMI, each carrier's trunk, customer phones.

Asterisk plays the network. Each carrier of a scenario is a PJSIP trunk told apart by its own
loopback address (the whole 127.0.0.0/8 is loopback on Linux): a SIP client that sends from
``send_from`` is seen as that carrier, and Asterisk delivers that carrier's calls to
``deliver_to``. A customer's DDI numbers land on the customer's PBX trunk (one per customer
site at its gaining provider), from 127.1.0.1 on; customer phones (the declared extensions of
the gaining provider's hosted service) get addresses of their own from 127.2.0.1 on. Both are
counted through whole /24s (host parts 1-254), so :data:`MAX_PHONES` phones and as many PBX
trunks fit: a scenario of 100,000 numbers has at most 100,000 of either. Numbers travel in the
Request-URI user part in E.164 with the leading plus: ``sip:+441632960001@127.0.0.1``.
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
    "PbxAddress",
    "MAX_PHONES",
    "carrier_addresses",
    "phone_addresses",
    "pbx_addresses",
    "pbx_endpoint",
    "loopback_host",
]

ASTERISK_HOST = "127.0.0.1"
SIP_PORT = 5060
AMI_PORT = 5038
_CARRIER_NET = "127.0.1."
_MAX_HOSTS = 254
#: Phones (and PBX trunks) that fit: 127.2.0.0 to 127.9.255.255 (127.1.0.0 to 127.1.255.255 for
#: PBX trunks, 65,024 of them), 254 a /24.
MAX_PHONES = 8 * 256 * _MAX_HOSTS
_PHONE_BASE = 2   # second octet of the first phone address
_PBX_BASE = 1     # second octet of the first PBX trunk address
_MAX_PBXS = 256 * _MAX_HOSTS


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


@dataclass(frozen=True)
class PbxAddress:
    """A customer site's PBX trunk at its gaining carrier: receives every DDI of the site and
    places its outbound calls (presenting the DDI in From)."""

    name: str        # the Asterisk endpoint: pbx-<customer>-<carrier>
    customer: str
    carrier: str
    host: str
    port: int = SIP_PORT

    @property
    def deliver_to(self) -> str:
        return f"{self.host}:{self.port}"


def pbx_endpoint(customer: str, carrier: str) -> str:
    """The name of a customer's PBX trunk at a carrier (its Asterisk endpoint and agent UA)."""
    return f"pbx-{customer}-{carrier}"


def loopback_host(base: int, index: int) -> str:
    """The ``index``-th (0-based) loopback address counted from ``127.<base>.0.1`` through whole
    /24s, skipping host parts 0 and 255.

    >>> loopback_host(2, 0), loopback_host(2, 253), loopback_host(2, 254), loopback_host(2, 65024)
    ('127.2.0.1', '127.2.0.254', '127.2.1.1', '127.3.0.1')
    """
    block, host = divmod(index, _MAX_HOSTS)
    return f"127.{base + block // 256}.{block % 256}.{host + 1}"


def carrier_addresses(carrier_ids: Iterable[str]) -> dict[str, TrunkAddress]:
    """One loopback address per carrier, in scenario order: 127.0.1.1, 127.0.1.2, ...

    Raises ValueError beyond 254 carriers (one /24).
    """
    ids = list(carrier_ids)
    if len(ids) > _MAX_HOSTS:
        raise ValueError(f"at most {_MAX_HOSTS} carriers fit on 127.0.1.0/24, got {len(ids)}")
    return {c: TrunkAddress(c, f"{_CARRIER_NET}{i}") for i, c in enumerate(ids, start=1)}


def phone_addresses(numbers: Iterable[str]) -> dict[str, PhoneAddress]:
    """One loopback address per customer number with a phone: 127.2.0.1, 127.2.0.2, ...

    The extension is the number's digits without the plus (``441632960001``).
    Raises ValueError beyond :data:`MAX_PHONES` phones.
    """
    nums = list(numbers)
    if len(nums) > MAX_PHONES:
        raise ValueError(f"at most {MAX_PHONES:,} phones fit on 127.{_PHONE_BASE}.0.0-"
                         f"127.{_PHONE_BASE + 7}.255.255, got {len(nums):,}")
    return {n: PhoneAddress(n, n.lstrip("+"), loopback_host(_PHONE_BASE, i))
            for i, n in enumerate(nums)}


def pbx_addresses(sites: Iterable[tuple[str, str]]) -> dict[tuple[str, str], PbxAddress]:
    """One loopback address per PBX trunk, keyed by (customer id, carrier id), in order:
    127.1.0.1, 127.1.0.2, ... Raises ValueError beyond 65,024 trunks."""
    keys = list(dict.fromkeys(sites))
    if len(keys) > _MAX_PBXS:
        raise ValueError(f"at most {_MAX_PBXS:,} PBX trunks fit on 127.{_PBX_BASE}.0.0/16, "
                         f"got {len(keys):,}")
    return {(c, k): PbxAddress(pbx_endpoint(c, k), c, k, loopback_host(_PBX_BASE, i))
            for i, (c, k) in enumerate(keys)}

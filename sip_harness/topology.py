"""Where everything sits on loopback: Asterisk, its AMI, each carrier's trunk, customer phones.

Asterisk plays the network. Each carrier of a scenario is a PJSIP trunk told apart by its own
loopback address (the whole 127.0.0.0/8 is loopback on Linux): a SIP client that sends from
``send_from`` is seen as that carrier, and Asterisk delivers that carrier's calls to
``deliver_to``. A customer's DDI numbers land on the PBX trunk of the customer's site they are
on (one per site and gaining provider: :class:`PbxSite`), from 127.1.0.1 on; customer phones
(the declared extensions of the gaining provider's hosted service) get addresses of their own
from 127.2.0.1 on. Both are counted through whole /24s (host parts 1-254): :data:`MAX_PHONES`
phones and :data:`MAX_PBX_TRUNKS` PBX trunks fit, so a scenario of 100,000 numbers fits
whether they are phones or DDI numbers on any number of sites up to 65,024. Numbers travel in the
Request-URI user part in E.164 with the leading plus: ``sip:+441632960001@127.0.0.1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ASTERISK_HOST",
    "SIP_PORT",
    "AMI_PORT",
    "TrunkAddress",
    "PhoneAddress",
    "PbxAddress",
    "PbxSite",
    "MAX_PHONES",
    "MAX_PBX_TRUNKS",
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
#: PBX trunks that fit: 127.1.0.0 to 127.1.255.255, 254 a /24.
MAX_PBX_TRUNKS = 256 * _MAX_HOSTS


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


class PbxSite(NamedTuple):
    """Whose PBX trunk: a customer's site at the carrier hosting its DDI numbers (``site``
    None: the customer's main site, which has every number on no named site)."""

    customer: str
    carrier: str
    site: str | None = None


@dataclass(frozen=True)
class PbxAddress:
    """A customer site's PBX trunk at its gaining carrier: receives every DDI of the site and
    places its outbound calls (presenting the DDI in From)."""

    name: str        # the Asterisk endpoint (pbx_endpoint)
    customer: str
    carrier: str
    host: str
    port: int = SIP_PORT
    site: str | None = None  # None: the customer's main site

    @property
    def deliver_to(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def key(self) -> PbxSite:
        return PbxSite(self.customer, self.carrier, self.site)


def pbx_endpoint(customer: str, carrier: str, site: str | None = None) -> str:
    """The name of a customer site's PBX trunk at a carrier (its Asterisk endpoint and agent
    UA): the main site's ``pbx-<customer>-<carrier>``, another site's
    ``pbx-<customer>-<site>-<carrier>``.

    >>> pbx_endpoint("northwind", "callagenix"), pbx_endpoint("northwind", "callagenix", "depot")
    ('pbx-northwind-callagenix', 'pbx-northwind-depot-callagenix')
    """
    return f"pbx-{customer}-{carrier}" if site is None else f"pbx-{customer}-{site}-{carrier}"


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


def pbx_addresses(sites: Iterable[PbxSite | tuple[str, str]]) -> dict[PbxSite, PbxAddress]:
    """One loopback address per PBX trunk, keyed by its :class:`PbxSite` (a (customer,
    carrier) pair is the customer's main site), in order of first appearance: 127.1.0.1,
    127.1.0.2, ... Raises ValueError beyond :data:`MAX_PBX_TRUNKS` trunks.
    """
    keys = list(dict.fromkeys(PbxSite(*s) for s in sites))
    if len(keys) > MAX_PBX_TRUNKS:
        raise ValueError(f"at most {MAX_PBX_TRUNKS:,} PBX trunks fit on "
                         f"127.{_PBX_BASE}.0.0/16, got {len(keys):,}")
    return {key: PbxAddress(pbx_endpoint(*key), key.customer, key.carrier,
                            loopback_host(_PBX_BASE, i), site=key.site)
            for i, key in enumerate(keys)}

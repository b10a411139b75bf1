"""sip_harness.topology: every carrier and phone on its own loopback address, within limits."""

from __future__ import annotations

import ipaddress

import pytest

from sip_harness.topology import (
    AMI_PORT,
    ASTERISK_HOST,
    SIP_PORT,
    carrier_addresses,
    phone_addresses,
)

CARRIERS = ["bt", "callagenix", "vodafone"]
NUMBERS = ["+441632960001", "+441632960002"]


def test_carriers_get_distinct_loopback_addresses_in_order() -> None:
    trunks = carrier_addresses(CARRIERS)
    assert list(trunks) == CARRIERS
    hosts = [t.host for t in trunks.values()]
    assert hosts == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]
    assert all(ipaddress.ip_address(h).is_loopback for h in hosts)
    bt = trunks["bt"]
    assert (bt.carrier, bt.send_from, bt.deliver_to) == ("bt", "127.0.1.1", f"127.0.1.1:{SIP_PORT}")


def test_phones_are_apart_from_carriers_and_asterisk() -> None:
    phones = phone_addresses(NUMBERS)
    trunks = carrier_addresses(CARRIERS)
    hosts = {p.host for p in phones.values()}
    assert len(hosts) == len(NUMBERS)
    assert not hosts & {t.host for t in trunks.values()} and ASTERISK_HOST not in hosts
    assert all(ipaddress.ip_address(h).is_loopback for h in hosts)
    phone = phones["+441632960001"]
    assert phone.extension == "441632960001"  # the digits without the plus
    assert phone.contact == f"sip:441632960001@127.0.2.1:{SIP_PORT}"


def test_asterisk_listens_on_loopback() -> None:
    assert ipaddress.ip_address(ASTERISK_HOST).is_loopback
    assert SIP_PORT != AMI_PORT


@pytest.mark.parametrize(("make", "what"), [
    (carrier_addresses, "carriers fit on 127.0.1.0/24"),
    (phone_addresses, "phones fit on 127.0.2.0/24"),
])
def test_at_most_254_per_network(make, what: str) -> None:  # type: ignore[no-untyped-def]
    assert len(make([f"+4416329{i:05d}" for i in range(254)])) == 254
    with pytest.raises(ValueError, match=f"at most 254 {what}, got 255"):
        make([f"+4416329{i:05d}" for i in range(255)])

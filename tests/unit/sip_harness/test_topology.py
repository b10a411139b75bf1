"""sip_harness.topology: every carrier and phone on its own loopback address, within limits."""

from __future__ import annotations

import ipaddress

import pytest

from sip_harness.topology import (
    AMI_PORT,
    ASTERISK_HOST,
    MAX_PBX_TRUNKS,
    MAX_PHONES,
    SIP_PORT,
    PbxSite,
    carrier_addresses,
    pbx_addresses,
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
    assert phone.contact == f"sip:441632960001@127.2.0.1:{SIP_PORT}"


def test_asterisk_listens_on_loopback() -> None:
    assert ipaddress.ip_address(ASTERISK_HOST).is_loopback
    assert SIP_PORT != AMI_PORT


def test_carriers_fit_on_one_network_of_254() -> None:
    assert len(carrier_addresses([f"c{i}" for i in range(254)])) == 254
    with pytest.raises(ValueError, match="at most 254 carriers fit on 127.0.1.0/24, got 255"):
        carrier_addresses([f"c{i}" for i in range(255)])


def test_a_hundred_thousand_phones_get_distinct_loopback_addresses_apart_from_the_rest() -> None:
    phones = phone_addresses(f"+4416329{i:05d}" for i in range(100_000))
    hosts = [p.host for p in phones.values()]
    assert len(set(hosts)) == 100_000
    assert hosts[:2] == ["127.2.0.1", "127.2.0.2"] and hosts[254] == "127.2.1.1"
    octets = {tuple(int(x) for x in h.split(".")) for h in hosts}
    assert all(a == 127 and 2 <= b <= 9 and 1 <= d <= 254 for a, b, _, d in octets)
    pbx = pbx_addresses((f"cust{i}", "callagenix") for i in range(300))
    assert not {p.host for p in pbx.values()} & set(hosts)
    assert pbx[PbxSite("cust0", "callagenix")].name == "pbx-cust0-callagenix"
    assert pbx[PbxSite("cust299", "callagenix")].deliver_to == f"127.1.1.46:{SIP_PORT}"


def test_every_site_of_every_customer_gets_its_own_pbx_trunk_address() -> None:
    # 20,000 customers with three sites each (the main one, a warehouse, a depot), at one carrier
    keys = [PbxSite(f"cust{i}", "callagenix", site) for i in range(20_000)
            for site in (None, "warehouse", "depot")]
    pbx = pbx_addresses(keys)
    assert list(pbx) == keys
    hosts = [p.host for p in pbx.values()]
    assert len(set(hosts)) == 60_000 and hosts[:3] == ["127.1.0.1", "127.1.0.2", "127.1.0.3"]
    assert all(h.startswith("127.1.") and not h.endswith((".0", ".255")) for h in hosts)
    assert len({p.name for p in pbx.values()}) == 60_000
    depot = pbx[PbxSite("cust7", "callagenix", "depot")]
    assert (depot.name, depot.site, depot.key) == ("pbx-cust7-depot-callagenix", "depot",
                                                   PbxSite("cust7", "callagenix", "depot"))
    # a (customer, carrier) pair is the main site
    assert list(pbx_addresses([("cust0", "bt")])) == [PbxSite("cust0", "bt", None)]


def test_beyond_the_pbx_network_is_refused() -> None:
    assert len(pbx_addresses(PbxSite("c", "k", f"s{i}") for i in range(MAX_PBX_TRUNKS))) == (
        MAX_PBX_TRUNKS)
    with pytest.raises(ValueError, match=f"at most {MAX_PBX_TRUNKS:,} PBX trunks fit on "
                                         r"127\.1\.0\.0/16, got 65,025"):
        pbx_addresses(PbxSite("c", "k", f"s{i}") for i in range(MAX_PBX_TRUNKS + 1))


def test_beyond_the_phone_networks_is_refused() -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_PHONES:,} phones"):
        phone_addresses(f"+44{i}" for i in range(MAX_PHONES + 1))

"""The routing state at an instant as Asterisk needs it: ported numbers, hosted phones and
mailboxes, presented caller IDs, and what a misconfigure fault does to them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from sim.errors import BadInputError, HarnessError
from sim.model import simulate
from sim.routing import RoutingCore
from sip_harness.config import astdb_entries, hosted_phones, mailbox_pin, routing_view
from sip_harness.config.view import hosted_pbxs
from sip_harness.topology import PbxSite

from .configs import AFTER, BEFORE, UK, scenario, two_sites, uk_with, view, view_of


def test_uk_checkpoints_are_the_instants_of_the_issue() -> None:
    assert scenario(UK).checkpoint("before").at == BEFORE
    assert scenario(UK).checkpoint("after_cutover").at == AFTER


def test_direct_scenario_ports_straight_to_the_serving_carrier() -> None:
    v = view("pt_mobile_pvc", "after_cutover")
    assert v.ported == {
        "+351912345678": "nos",
        **{f"+3512100001{i:02d}": "nos" for i in range(10)},
        "+351210000200": "vodafone_pt", "+351210000201": "vodafone_pt",
        "+351210000300": "nos",
    }
    assert v.voicemail == {"+351210000300": "2100300"}


@pytest.mark.parametrize("checkpoint, number, presented", [
    ("before", "+12125550141", "+16465550190"),         # before the port: the temporary number
    ("before", "+12125550143", "+16465550190"),
    ("after_cutover", "+12125550141", "+12125550141"),  # port active: the ported number
    ("after_cutover", "+12125550143", "+12125550143"),
    ("before", "+12125550150", "+12125550150"),         # no temporary number: its own
    ("after_cutover", "+12125550150", "+12125550150"),  # lost to early cancellation: its own
])
def test_us_caller_id_is_temporary_then_ported(checkpoint: str, number: str,
                                               presented: str) -> None:
    v = view("us_foc_temporary_number", checkpoint)
    assert v.callerid[number] == presented
    assert astdb_entries(v)[("cutover-callerid", number)] == presented


@pytest.mark.parametrize("fault, at, number, expected", [
    # after the port: the faulty number stays on the old trunk (bt, the range holder: unported)
    ('{kind: misconfigure, number: "01632 960002"}', AFTER, "+441632960002", None),
    # the other numbers of the order are right
    ('{kind: misconfigure, number: "01632 960002"}', AFTER, "+441632960001", "callagenix"),
    # before the port nothing is wrong yet
    ('{kind: misconfigure, number: "01632 960002"}', BEFORE, "+441632960002", None),
    # without a number: the order's first number
    ("{kind: misconfigure}", AFTER, "+441632960001", None),
])
def test_misconfigure_fault_leaves_the_number_on_the_losing_carrier(
        fault: str, at: datetime, number: str, expected: str | None) -> None:
    s = uk_with(port_order_extra=f"    faults:\n      - {fault}\n")
    v = view_of(s, at)
    assert astdb_entries(v).get(("cutover-ported", number)) == expected
    assert v.callerid[number] == number  # only the inbound routing is wrong
    if at == AFTER and expected is None:
        assert v.misconfigured == {number: "bt"}
        # the routing core, which the checks' expectations come from, says callagenix
        assert simulate(s, until=at).routing.serving_carrier(number) == "callagenix"


def test_misconfigure_to_a_losing_carrier_that_is_not_the_range_holder() -> None:
    s = uk_with("    authorised_signers: [Jane Holt]\n",
                "    authorised_signers: [Jane Holt]\n    carrier: vodafone\n",
                '    faults:\n      - {kind: misconfigure, number: "01632 960003"}\n')
    # vodafone is not the range holder: 10 working days at least, so Saturday 5 December
    after = datetime(2026, 12, 5, 6, tzinfo=UTC)
    core = simulate(s, until=after).routing
    assert core.serving_carrier("+441632960003") == "callagenix"  # ported from vodafone
    v = routing_view(s, core.snapshot, at=after)
    assert v.ported["+441632960003"] == "vodafone"
    assert v.ported["+441632960001"] == "callagenix"


@pytest.mark.parametrize("box, pin", [
    ("960001", "0001"),   # last four digits
    ("0141", "0141"),     # exactly four
    ("12", "0012"),       # zero-padded
])
def test_mailbox_pin(box: str, pin: str) -> None:
    assert mailbox_pin(box) == pin


def test_view_of_other_carriers_is_refused() -> None:
    core = RoutingCore(["bt", "callagenix"], [("bt", "callagenix")], [("+44163296", "bt")])
    with pytest.raises(HarnessError, match="routing carriers"):
        routing_view(scenario(UK), core.snapshot)


def test_a_snapshot_is_the_input_and_a_core_is_read_through_its_snapshot() -> None:
    s = scenario(UK)
    core = simulate(s, until=AFTER).routing
    assert routing_view(s, core.snapshot, at=AFTER) == routing_view(s, core, at=AFTER)
    assert routing_view(s, core.snapshot, at=AFTER) == view(UK, "after_cutover")


def test_phones_are_the_declared_extensions_and_mailboxes_the_rest_lands_on_the_pbx() -> None:
    s = scenario(UK)  # one mailbox on +441632960001, no extensions declared
    assert list(hosted_phones(s)) == ["+441632960001"]
    before = view(UK, "before")
    assert before.phones == ("+441632960001",)
    assert before.pbx == {"+441632960002": PbxSite("acme", "callagenix"),
                          "+441632960003": PbxSite("acme", "callagenix")}
    trunks, endpoint = hosted_pbxs(s)
    assert list(trunks) == [PbxSite("acme", "callagenix")]
    assert endpoint == {"+441632960002": "pbx-acme-callagenix",
                        "+441632960003": "pbx-acme-callagenix"}


def test_declared_extensions_get_phones_too() -> None:
    s = uk_with("    authorised_signers: [Jane Holt]\n",
                "    authorised_signers: [Jane Holt]\n    extensions: [\"01632 960003\"]\n")
    assert list(hosted_phones(s)) == ["+441632960001", "+441632960003"]
    assert list(hosted_pbxs(s)[1]) == ["+441632960002"]


def test_a_sites_ddi_numbers_land_on_that_sites_pbx_trunk_the_rest_on_the_main_one() -> None:
    s = two_sites()
    v = view_of(s, AFTER)
    assert v.pbx == {"+441632960002": PbxSite("acme", "callagenix"),
                     "+441632960003": PbxSite("acme", "callagenix", "depot")}
    trunks, endpoint = hosted_pbxs(s)
    assert {k: (t.name, t.host) for k, t in trunks.items()} == {
        PbxSite("acme", "callagenix"): ("pbx-acme-callagenix", "127.1.0.1"),
        PbxSite("acme", "callagenix", "depot"): ("pbx-acme-depot-callagenix", "127.1.0.2")}
    assert endpoint == {"+441632960002": "pbx-acme-callagenix",
                        "+441632960003": "pbx-acme-depot-callagenix"}


def test_a_number_with_a_phone_stays_a_phone_whatever_site_it_is_on() -> None:
    s = two_sites('      - {id: depot, numbers: ["01632 960001", "01632 960003"]}\n')
    assert list(hosted_phones(s)) == ["+441632960001"]  # its mailbox: a phone
    assert hosted_pbxs(s)[1] == {"+441632960002": "pbx-acme-callagenix",
                                 "+441632960003": "pbx-acme-depot-callagenix"}


def test_a_site_of_phones_only_has_no_pbx_trunk() -> None:
    s = two_sites('      - {id: reception, numbers: ["01632 960001"]}\n')
    assert [t.name for t in hosted_pbxs(s)[0].values()] == ["pbx-acme-callagenix"]


def test_two_pbx_trunks_of_one_name_are_bad_input() -> None:
    # customer acme's site "x" at callagenix, and a customer "acme-x" (its main site) there too
    s = two_sites('      - {id: x, numbers: ["01632 960003"]}\n')
    acme, order = s.customers[0], s.port_orders[0]
    other = dataclasses.replace(acme, id="acme-x", numbers=("+441632960004",), voicemail=(),
                                sites=())
    s = dataclasses.replace(s, customers=(acme, other), port_orders=(order, dataclasses.replace(
        order, id="x", customer="acme-x", numbers=("+441632960004",))))
    with pytest.raises(BadInputError, match=r"PBX trunk pbx-acme-x-callagenix would be both "
                       r"customer 'acme'.s site 'x' at callagenix and customer 'acme-x'.s "
                       r"main site at callagenix: rename a customer or site id"):
        hosted_pbxs(s)

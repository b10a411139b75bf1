"""sim.scenario.customers: the customers' keys, their sites (PBX per site) in particular."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import BASE, errors_of, load, mutate

# a customer with 2 single numbers and a DDI block of 10: +441632960001-2, +441632961000-9
BLOCK = {"first": "01632 961000", "count": 10}


def with_sites(*sites: Any) -> dict[str, Any]:
    def change(d: dict[str, Any]) -> None:
        d["customers"][0]["numbers"].append(BLOCK)
        d["customers"][0]["sites"] = list(sites)
    return mutate(change)


def test_a_customer_without_sites_has_only_its_main_site() -> None:
    customer = load(BASE).customers[0]
    assert customer.sites == () and customer.site_of == {}


def test_sites_take_numbers_and_blocks_as_numbers_does() -> None:
    customer = load(with_sites(
        {"id": "warehouse", "numbers": [{"first": "01632 961000", "count": 4}]},
        {"id": "branch.leeds", "numbers": ["01632 960002", "+44 1632 961009"]})).customers[0]
    assert [(s.id, s.numbers) for s in customer.sites] == [
        ("warehouse", ("+441632961000", "+441632961001", "+441632961002", "+441632961003")),
        ("branch.leeds", ("+441632960002", "+441632961009"))]
    assert customer.site_of["+441632961003"] == "warehouse"
    assert customer.site_of["+441632960002"] == "branch.leeds"
    # the rest (+441632960001, +441632961004-8) are the main site's
    assert "+441632961004" not in customer.site_of and "+441632960001" not in customer.site_of


@pytest.mark.parametrize(("sites", "expected"), [
    # a number that is not the customer's (alone, then in a block: the first, and how many)
    ([{"id": "hq", "numbers": ["01632 969999"]}],
     "customers[0].sites[0].numbers[0] (line 32): +441632969999 is not one of the customer's "
     "numbers"),
    ([{"id": "hq", "numbers": [{"first": "01632 961008", "count": 5}]}],
     "customers[0].sites[0].numbers[0] (line 32): +441632961010 is not one of the customer's "
     "numbers (and 2 more of this block)"),
    # a number on two sites, and twice on one
    ([{"id": "hq", "numbers": [BLOCK]},
      {"id": "depot", "numbers": ["01632 960002", "01632 961005"]}],
     "customers[0].sites[1].numbers[1] (line 37): +441632961005 is already on site 'hq'"),
    ([{"id": "hq", "numbers": ["01632 960002", "+441632960002"]}],
     "customers[0].sites[0].numbers[1] (line 33): +441632960002 is already on site 'hq'"),
    # two sites with one id
    ([{"id": "hq", "numbers": ["01632 960001"]}, {"id": "hq", "numbers": ["01632 960002"]}],
     "customers[0].sites[1].id (line 33): duplicate site id 'hq'"),
    # an id that cannot name the site's PBX trunk (a SIP endpoint)
    ([{"id": "head office", "numbers": ["01632 960001"]}],
     "customers[0].sites[0].id (line 30): site id 'head office' cannot name a SIP endpoint"),
    ([{"id": "-hq", "numbers": ["01632 960001"]}],
     "customers[0].sites[0].id (line 30): site id '-hq' cannot name a SIP endpoint"),
    ([{"id": "hq;x=1", "numbers": ["01632 960001"]}],
     "customers[0].sites[0].id (line 30): site id 'hq;x=1' cannot name a SIP endpoint"),
    # a site with no numbers, or none given, or no id
    ([{"id": "hq", "numbers": []}],
     "customers[0].sites[0].numbers (line 31): a site needs at least one number"),
    ([{"id": "hq"}], "customers[0].sites[0].numbers (line 30): required key is missing"),
    ([{"numbers": ["01632 960001"]}], "customers[0].sites[0].id (line 30): required key is "
                                      "missing"),
    # a key a site does not have, and a site that is no mapping
    ([{"id": "hq", "numbers": ["01632 960001"], "trunk": "x"}],
     "customers[0].sites[0].trunk (line 33): unknown key 'trunk' (allowed: id, numbers)"),
    (["hq"], "customers[0].sites[0] (line 30): expected a mapping, got text"),
])
def test_bad_sites_are_reported_with_their_path_and_line(sites: list[Any], expected: str) -> None:
    errors = errors_of(with_sites(*sites))
    assert any(e.startswith(expected) for e in errors), errors


def test_every_bad_site_is_reported_in_one_go() -> None:
    errors = errors_of(with_sites({"id": "hq", "numbers": []},
                                  {"id": "a b", "numbers": ["01632 969999"]}))
    assert [e.split(" (line")[0] for e in errors] == [
        "customers[0].sites[0].numbers", "customers[0].sites[1].id",
        "customers[0].sites[1].numbers[0]"]

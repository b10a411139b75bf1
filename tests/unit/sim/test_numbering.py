"""Tests for sim.numbering: parsing, number types, service types, portability."""

from __future__ import annotations

import re

import pytest

from sim.errors import NumberFormatError
from sim.numbering import (
    NATIONAL_PLANS,
    NumberType,
    country_for,
    is_portable,
    normalise,
    number_type,
    service_type,
)


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("01632 960001", "GB", "+441632960001"),  # UK national format, fiction range
        ("01632 960001", "uk", "+441632960001"),  # regime name instead of ISO code
        ("+44 1632 960001", None, "+441632960001"),  # international, no country needed
        ("  +44 (0)1632 960001 ", None, "+441632960001"),  # UK (0) trunk prefix, whitespace
        ("07700 900123", "GB", "+447700900123"),  # fiction mobile: invalid but possible
        ("0808 157 0123", "GB", "+448081570123"),  # fiction freephone
        ("00351 912 345 678", None, "+351912345678"),  # 00 read as + with no country
        ("00351 912 345 678", "us", "+351912345678"),  # ... even where the IDD is 011
        ("00 44 1632 960001", "PT", "+441632960001"),  # 00 then a space
        ("+351912345678", None, "+351912345678"),  # already E.164
        ("212 345 678", "pt", "+351212345678"),  # PT fixed, national
        ("(212) 555-0123", "US", "+12125550123"),  # US national format
        ("+1 800 555 0123", None, "+18005550123"),  # US toll-free
    ],
)
def test_normalise(text: str, country: str | None, expected: str) -> None:
    assert normalise(text, country=country) == expected


@pytest.mark.parametrize(
    ("text", "country", "message"),
    [
        ("0163", "GB", "'0163' is not a possible phone number for GB"),  # too short
        ("+351 1820", None, "'+351 1820' is not a possible phone number for PT"),  # short code
        ("01632 960001", None, "no country given and no international prefix"),  # ambiguous
        ("hello", "GB", "'hello' is not a phone number"),  # not digits at all
        # letters are not digits: libphonenumber would read these as +441632962222 and
        # +18003569377 (vanity letters), and drop an extension
        ("01632 96abc2", "GB", "'01632 96abc2' is not a phone number: 'a' is a letter"),
        ("1-800-FLOWERS", "US", "'F' is a letter, and numbers are digits"),
        ("01632 960001 ext. 12", "GB", "'e' is a letter"),
        ("+44 1632 96000\u039f", None, "is a letter"),  # a Greek capital omicron is no 0
        ("", "GB", "'' is not a phone number"),  # empty
        ("+44 1632 960001 1234567", None, "is not a possible phone number"),  # too long
    ],
)
def test_normalise_rejects(text: str, country: str | None, message: str) -> None:
    with pytest.raises(NumberFormatError, match=re.escape(message)):
        normalise(text, country=country)


def test_number_format_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalise("0163", country="GB")


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("uk", "GB"),  # regime name
        ("UK", "GB"),  # regime names are case-insensitive
        ("gb", "GB"),  # ISO code, any case
        ("pt", "PT"),  # regime and ISO code coincide
        ("US", "US"),  # ISO code
    ],
)
def test_country_for(country: str, expected: str) -> None:
    assert country_for(country) == expected


def test_unknown_country_is_value_error() -> None:
    with pytest.raises(ValueError, match="unknown country 'XX'"):
        normalise("01632 960001", country="XX")


NT = NumberType


@pytest.mark.parametrize(
    ("number", "regime", "kind", "service", "portable"),
    [
        ("+441632960001", "uk", NT.GEOGRAPHIC, "fixed", True),  # 01 geographic (fiction)
        ("+442079460000", "uk", NT.GEOGRAPHIC, "fixed", True),  # 02 London
        ("+443001234567", "uk", NT.NON_GEOGRAPHIC, "non_geographic", True),  # 03
        ("+447700900123", "uk", NT.MOBILE, "mobile", True),  # 07 mobile (fiction)
        ("+448081570123", "uk", NT.NON_GEOGRAPHIC, "non_geographic", True),  # 0808 freephone
        ("+449098765432", "uk", NT.NON_GEOGRAPHIC, "non_geographic", True),  # 09 premium
        ("+445612345678", "uk", NT.OTHER, "other", False),  # 056 VoIP: not in the UK list
        ("+351212345678", "pt", NT.FIXED, "fixed", True),  # 2 fixed (Lisbon)
        ("+351912345678", "pt", NT.MOBILE, "mobile", True),  # 91 mobile
        ("+351922345678", "pt", NT.MOBILE, "mobile", True),  # 92 mobile
        ("+351932345678", "pt", NT.MOBILE, "mobile", True),  # 93 mobile
        ("+351962345678", "pt", NT.MOBILE, "mobile", True),  # 96 mobile
        ("+351300123456", "pt", NT.NOMADIC_VOIP, "nomadic", True),  # 30 nomadic VoIP
        ("+351800123456", "pt", NT.NON_GEOGRAPHIC, "non_geographic", True),  # 800 freephone
        ("+351808123456", "pt", NT.NON_GEOGRAPHIC, "non_geographic", True),  # 808 shared cost
        ("+351707123456", "pt", NT.NON_GEOGRAPHIC, "non_geographic", True),  # 707
        ("+3511820", "pt", NT.OTHER, "other", False),  # 18xx short code: not portable
        ("+351760123456", "pt", NT.OTHER, "other", False),  # 760 premium: not in the list
        ("+12125550123", "us", NT.GEOGRAPHIC, "fixed", True),  # NYC geographic
        ("+18005550123", "us", NT.TOLL_FREE, "non_geographic", True),  # 800 toll-free
        ("+18885550123", "us", NT.TOLL_FREE, "non_geographic", True),  # 888 toll-free
        ("+19005550123", "us", NT.OTHER, "other", False),  # 900 premium
        ("+351912345678", "uk", NT.OTHER, "other", False),  # another country's number
        ("+441632960001", "GB", NT.GEOGRAPHIC, "fixed", True),  # ISO code as regime
    ],
)
def test_number_type_service_and_portability(
    number: str, regime: str, kind: NumberType, service: str, portable: bool
) -> None:
    assert number_type(number, regime) is kind
    assert service_type(number, regime) == service
    assert is_portable(number, regime) is portable


@pytest.mark.parametrize(
    ("a", "b", "switch"),
    [
        ("+351212345678", "+351912345678", True),  # fixed <-> mobile
        ("+351300123456", "+351212345678", True),  # nomadic VoIP <-> fixed
        ("+351300123456", "+351912345678", True),  # nomadic VoIP <-> mobile
        ("+351912345678", "+351962345678", False),  # mobile <-> mobile
    ],
)
def test_pt_service_type_switch(a: str, b: str, switch: bool) -> None:
    assert (service_type(a, "pt") != service_type(b, "pt")) is switch


def test_number_type_unknown_regime() -> None:
    with pytest.raises(ValueError, match="known regimes are"):
        number_type("+441632960001", "fr")


def test_number_type_unparseable() -> None:
    with pytest.raises(NumberFormatError):
        number_type("not a number", "uk")


def test_every_portable_type_has_a_prefix() -> None:
    for plan in NATIONAL_PLANS.values():
        listed = {kind for _, kind in plan.prefixes} | {plan.default}
        assert plan.portable <= listed

"""Phone numbers: parsing to E.164, number types per regime, portability and service type."""

from __future__ import annotations

__all__ = [
    "REGIME_COUNTRIES",
    "NumberType",
    "ServiceType",
    "NationalPlan",
    "NATIONAL_PLANS",
    "normalise",
    "display",
    "country_for",
    "number_type",
    "service_type",
    "is_portable",
    "routing_number_problem",
    "default_routing_number",
]

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from sim.errors import NumberFormatError
from sim.routing.number_plan import PrefixMap

#: Regime names (as in scenarios) to the ISO 3166 country whose number plan they use.
REGIME_COUNTRIES: dict[str, str] = {"uk": "GB", "pt": "PT", "us": "US"}

ServiceType = Literal["fixed", "mobile", "nomadic", "non_geographic", "other"]


class NumberType(StrEnum):
    """What kind of number a national number plan says this is."""

    GEOGRAPHIC = "geographic"  # UK 01/02, US ordinary NPA-NXX
    FIXED = "fixed"  # PT 2...
    MOBILE = "mobile"  # UK 07, PT 91/92/93/96
    NOMADIC_VOIP = "nomadic_voip"  # PT 30
    NON_GEOGRAPHIC = "non_geographic"  # UK 03/08/09, PT 800/808/707
    TOLL_FREE = "toll_free"  # US 8xx toll-free NPAs
    OTHER = "other"  # anything else: short codes, premium, other countries' numbers


@dataclass(frozen=True)
class NationalPlan:
    """One country's national number plan as data: national-number prefixes to types.

    Not the routing core's :class:`sim.routing.NumberPlan` (E.164 ranges to range holders),
    though the longest-prefix match is that plan's.
    """

    country: str
    prefixes: tuple[tuple[str, NumberType], ...]
    default: NumberType
    portable: frozenset[NumberType]

    @cached_property
    def _types(self) -> PrefixMap[NumberType]:
        return PrefixMap(self.prefixes)

    def classify(self, national: str) -> NumberType:
        """The type of a national significant number (digits after the country code).

        Returns the type of the longest listed prefix ``national`` starts with, else the
        plan's default.

        >>> NATIONAL_PLANS["pt"].classify("912345678")
        <NumberType.MOBILE: 'mobile'>
        """
        kind = self._types.get(national)
        return self.default if kind is None else kind


_NT = NumberType

#: Per-regime plans. UK and PT prefixes are DOMAIN.md's lists (UK provider page; ANACOM FAQ 3);
#: US toll-free NPAs are the NANP's 8xx toll-free codes, and the checklist seed lists toll-free
#: numbers among those to port.
NATIONAL_PLANS: dict[str, NationalPlan] = {
    "uk": NationalPlan(
        country="GB",
        prefixes=(
            ("1", _NT.GEOGRAPHIC),
            ("2", _NT.GEOGRAPHIC),
            ("3", _NT.NON_GEOGRAPHIC),
            ("7", _NT.MOBILE),
            ("8", _NT.NON_GEOGRAPHIC),
            ("9", _NT.NON_GEOGRAPHIC),
        ),
        default=_NT.OTHER,
        portable=frozenset({_NT.GEOGRAPHIC, _NT.NON_GEOGRAPHIC, _NT.MOBILE}),
    ),
    "pt": NationalPlan(
        country="PT",
        prefixes=(
            ("2", _NT.FIXED),
            ("91", _NT.MOBILE),
            ("92", _NT.MOBILE),
            ("93", _NT.MOBILE),
            ("96", _NT.MOBILE),
            ("30", _NT.NOMADIC_VOIP),
            ("800", _NT.NON_GEOGRAPHIC),
            ("808", _NT.NON_GEOGRAPHIC),
            ("707", _NT.NON_GEOGRAPHIC),
        ),
        default=_NT.OTHER,
        portable=frozenset({_NT.FIXED, _NT.MOBILE, _NT.NOMADIC_VOIP, _NT.NON_GEOGRAPHIC}),
    ),
    "us": NationalPlan(
        country="US",
        prefixes=tuple(
            (npa, _NT.TOLL_FREE) for npa in ("800", "833", "844", "855", "866", "877", "888")
        )
        + (("900", _NT.OTHER),),  # premium rate: not a business line the harness ports
        default=_NT.GEOGRAPHIC,
        portable=frozenset({_NT.GEOGRAPHIC, _NT.TOLL_FREE}),
    ),
}

_SERVICE_TYPES: dict[NumberType, ServiceType] = {
    _NT.GEOGRAPHIC: "fixed",
    _NT.FIXED: "fixed",
    _NT.MOBILE: "mobile",
    _NT.NOMADIC_VOIP: "nomadic",
    _NT.NON_GEOGRAPHIC: "non_geographic",
    _NT.TOLL_FREE: "non_geographic",
    _NT.OTHER: "other",
}


def country_for(country: str) -> str:
    """The ISO 3166 region for an ISO code or a regime name ('uk' -> 'GB').

    Raises
    ------
    ValueError
        If ``country`` is neither a regime name nor a region libphonenumber knows.
    """
    if country.lower() in REGIME_COUNTRIES:
        return REGIME_COUNTRIES[country.lower()]
    if country.upper() in phonenumbers.SUPPORTED_REGIONS:
        return country.upper()
    raise ValueError(
        f"unknown country {country!r}: use an ISO code or one of {sorted(REGIME_COUNTRIES)}"
    )


def normalise(text: str, *, country: str | None = None) -> str:
    """Parse a phone number written any usual way and return it in E.164.

    A leading ``00`` is read as ``+`` whatever the country. Numbers are digits: a letter
    anywhere is an error, never a vanity-letter conversion (libphonenumber would turn
    ``"01632 96abc2"`` into +441632962222). Numbers must be *possible*
    (right length for the plan), not *valid*: the ranges reserved for fiction
    (+44 1632 960xxx, +44 7700 900xxx) are invalid to libphonenumber but possible.

    >>> normalise("01632 960001", country="uk")
    '+441632960001'

    Raises
    ------
    NumberFormatError
        If the text has a letter, cannot be parsed, or is not a possible number.
    ValueError
        If ``country`` is unknown (see :func:`country_for`).
    """
    letter = next((c for c in text if c.isalpha()), None)
    if letter is not None:
        raise NumberFormatError(
            f"{text!r} is not a phone number: {letter!r} is a letter, and numbers are digits"
        )
    region = country_for(country) if country is not None else None
    candidate = text.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    where = f" for {region}" if region else ""
    try:
        parsed = phonenumbers.parse(candidate, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and region is None:
            raise NumberFormatError(
                f"{text!r} is not a phone number: no country given and no international prefix"
            ) from exc
        raise NumberFormatError(f"{text!r} is not a phone number{where}: {exc._msg}") from exc
    if phonenumbers.is_possible_number_with_reason(parsed) != ValidationResult.IS_POSSIBLE:
        number_region = phonenumbers.region_code_for_number(parsed) or region
        where = f" for {number_region}" if number_region else ""
        raise NumberFormatError(f"{text!r} is not a possible phone number{where}")
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """An E.164 number written for people, in international form (the text unchanged when it
    is no number phonenumbers can read).

    >>> display("+441632960000"), display("+351210000100")
    ('+44 1632 960000', '+351 21 000 0100')
    """
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                          PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164


def _plan(regime: str) -> NationalPlan:
    key = regime.lower()
    if key not in NATIONAL_PLANS:
        # Accept an ISO code too ('GB' -> 'uk').
        by_country = {plan.country: name for name, plan in NATIONAL_PLANS.items()}
        key = by_country.get(regime.upper(), "")
    if key not in NATIONAL_PLANS:
        raise ValueError(f"unknown regime {regime!r}: known regimes are {sorted(NATIONAL_PLANS)}")
    return NATIONAL_PLANS[key]


def number_type(e164: str, regime: str) -> NumberType:
    """The type of an E.164 number under a regime's number plan.

    A number from another country, or one that is not even a possible number (a short
    code such as PT 18xx), is :attr:`NumberType.OTHER`.

    >>> number_type("+351912345678", "pt")
    <NumberType.MOBILE: 'mobile'>

    Raises
    ------
    NumberFormatError
        If ``e164`` cannot be parsed at all.
    ValueError
        If ``regime`` is unknown.
    """
    if len(e164) > 9 and e164[0] == "+" and e164[1:].isdigit():
        # The type depends only on the country code, the leading national digits and the
        # length, so clean E.164 input is classified once per (prefix, length): the model
        # asks this for every number of every port order.
        key = (e164[:9], len(e164), regime)
        kind = _TYPE_BY_PREFIX.get(key)
        if kind is None:
            kind = _TYPE_BY_PREFIX[key] = _number_type(e164, regime)
        return kind
    return _number_type(e164, regime)


_TYPE_BY_PREFIX: dict[tuple[str, int, str], NumberType] = {}


def _number_type(e164: str, regime: str) -> NumberType:
    plan = _plan(regime)
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException as exc:
        raise NumberFormatError(f"{e164!r} is not an E.164 number: {exc._msg}") from exc
    if parsed.country_code != phonenumbers.country_code_for_region(plan.country):
        return NumberType.OTHER
    if not phonenumbers.is_possible_number(parsed):
        return NumberType.OTHER
    return plan.classify(phonenumbers.national_significant_number(parsed))


def service_type(e164: str, regime: str) -> ServiceType:
    """The service a number belongs to, for the PT "switch of service type" rule.

    Returns 'fixed', 'mobile', 'nomadic' or 'non_geographic' ('other' for numbers the plan
    does not cover). A port that changes this (fixed <-> mobile, nomadic VoIP <-> fixed or
    mobile) is refused in PT (ANACOM FAQ 1). US geographic numbers are 'fixed': NANP numbers
    do not say whether they are wireless.

    Raises
    ------
    NumberFormatError, ValueError
        As :func:`number_type`.
    """
    return _SERVICE_TYPES[number_type(e164, regime)]


def is_portable(e164: str, regime: str) -> bool:
    """Whether the regime lets this number be ported at all, judged from the number alone.

    Temporary accesses and numbers inactive for over 3 months (PT) are not portable either,
    but that is not visible from the number; the port order's validation checks it.

    Raises
    ------
    NumberFormatError, ValueError
        As :func:`number_type`.
    """
    plan = _plan(regime)
    return number_type(e164, regime) in plan.portable


# RFC 4694 section 4 (with RFC 3966's visual separators and domain names):
#   global-rn = "+" 1*3DIGIT *hex-phonedigit;   hex-phonedigit = HEXDIG / "-" / "." / "(" / ")"
#   local-rn  = 1*hex-phonedigit ";rn-context=" (domainname / global-hex-digits)
_HEX_PHONEDIGITS = r"[0-9A-Fa-f.()-]"
_GLOBAL_RN = re.compile(rf"\+[0-9]{{1,3}}{_HEX_PHONEDIGITS}*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*"
                     r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?")
_LOCAL_RN = re.compile(rf"({_HEX_PHONEDIGITS}*[0-9A-Fa-f]{_HEX_PHONEDIGITS}*)"
                       r";rn-context=(.+)")


def routing_number_problem(text: str) -> str | None:
    """What makes ``text`` not an RFC 4694 routing number (``rn`` value), or None if it is one.

    Global: ``+``, a country code, then hex digits (``+44D002``); local: hex digits then
    ``;rn-context=`` and a domain name or a global prefix (``D002;rn-context=+44``).

    >>> routing_number_problem("+44D002") is None, routing_number_problem("D002;rn-context=+44")
    (True, None)
    >>> routing_number_problem("D002").split(" (")[0]
    "'D002' is neither a global routing number"
    """
    if _GLOBAL_RN.fullmatch(text) is not None:
        return None
    local = _LOCAL_RN.fullmatch(text)
    if local is not None:
        context = local.group(2)
        if _GLOBAL_RN.fullmatch(context) is not None or _DOMAIN.fullmatch(context) is not None:
            return None
        return (f"{text!r}: rn-context {context!r} is neither a domain name nor a global "
                f"prefix like +44")
    return (f"{text!r} is neither a global routing number ('+', a country code, hex digits: "
            f"+44D002) nor a local one with ';rn-context=' (D002;rn-context=+44)")


def default_routing_number(country: str, index: int) -> str:
    """The routing number a carrier gets when its scenario names none: the country's calling
    code, ``D`` and the carrier's position from 1 (a valid global routing number).

    >>> default_routing_number("GB", 0), default_routing_number("PT", 11)
    ('+44D001', '+351D012')
    """
    return f"+{phonenumbers.country_code_for_region(country)}D{index + 1:03d}"

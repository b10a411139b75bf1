"""Reading the customers: their numbers (and DDI blocks), voicemail boxes, extensions, sites,
terms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.routing.number_plan import PrefixMap
from sim.scenario.account import read_account
from sim.scenario.fields import FieldReader, key_path
from sim.scenario.types import Customer, Mailbox, NumberRange, Site

if TYPE_CHECKING:
    from sim.regimes.base import Regime

__all__ = ["CustomerBook", "read_customers", "range_holders"]


@dataclass
class CustomerBook:
    """The customers read, by id, and what the port orders' checks need besides."""

    customers: dict[str, Customer] = field(default_factory=dict)
    #: customer id -> its DDI blocks (each block's numbers)
    ddi_blocks: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    #: customer id -> its path in the scenario (``customers[i]``)
    paths: dict[str, str] = field(default_factory=dict)


def read_customers(r: FieldReader, raw: Any, ranges: tuple[NumberRange, ...],
                   regime: Regime | None) -> CustomerBook:
    """The ``customers`` list ``raw`` read into a CustomerBook; issues go to ``r``.

    ``ranges`` are the scenario's (every number must be in one; the holder of the first number
    is the customer's carrier by default).
    """
    book = CustomerBook()
    owner: dict[str, str] = {}
    holders = range_holders(ranges)
    for i, item in enumerate(r.seq(raw, "customers")):
        p = f"customers[{i}]"
        d = r.mapping(item, p, "customer")
        if d is None:
            continue
        cid = r.get(d, "id", p, r.ident)
        blocks: list[frozenset[str]] = []
        numbers, block = r.numbers(d.get("numbers"), key_path(p, "numbers"), blocks)
        if block:
            book.ddi_blocks[str(cid)] = blocks
        if not numbers and "numbers" in d:
            r.err(key_path(p, "numbers"), "a customer needs at least one number")
        elif "numbers" not in d:
            r.err(key_path(p, "numbers"), "required key is missing")
        for n in numbers:
            if n in owner:
                r.err(key_path(p, "numbers"), f"{n} already belongs to customer {owner[n]!r}")
            owner[n] = str(cid)
            if ranges and holders(n) is None:
                r.err(key_path(p, "numbers"), f"{n} is not in any allocated range")
        holder = holders(numbers[0]) if numbers and ranges else None
        carrier = r.get(d, "carrier", p, r.carrier_ref, holder)
        mailboxes = _mailboxes(r, d, p, numbers)
        extensions = _extensions(r, d, p, numbers)
        sites = _sites(r, d, p, numbers)
        name = r.get(d, "name", p, r.text)
        reseller = r.get(d, "reseller", p, r.text, None)
        signers = tuple(r.get(d, "authorised_signers", p, r.texts, ()) or ())
        if not signers:
            signers = tuple(s for s in (reseller or name,) if s)
        pvc = r.get(d, "pvc", p, r.text, None)
        if pvc is not None and not re.fullmatch(r"\d{12}", pvc):
            r.err(key_path(p, "pvc"), f"a PVC has 12 digits, not {pvc!r}")
        if cid in book.customers:
            r.err(key_path(p, "id"), f"duplicate customer id {cid!r}")
        account = read_account(r, d, p, numbers, regime)
        # default: a line per number outside a DDI block (a block shares its lines)
        lines = max(1, len(numbers) - sum(len(b) for b in blocks))
        if cid and name and carrier and numbers:
            book.customers[cid] = Customer(
                id=cid, name=name, account=r.get(d, "account", p, r.text, "") or "",
                address=r.get(d, "address", p, r.text, "") or "", carrier=carrier,
                numbers=numbers, pin=r.get(d, "pin", p, r.text, None), pvc=pvc,
                authorised_signers=signers, reseller=reseller,
                pending_order=r.get(d, "pending_order", p, r.boolean, False),
                contract_restriction=r.get(d, "contract_restriction", p, r.boolean, False),
                inactive_since=r.get(d, "inactive_since", p, r.time, None),
                temporary_number=r.get(d, "temporary_number", p, r.number, None),
                voicemail=mailboxes,
                **account,
                extensions=extensions, sites=sites,
                installation_lines=r.get(d, "installation_lines", p,
                                         r.positive_integer, lines) or lines,
            )
            book.paths[cid] = p
    return book


def _mailboxes(r: FieldReader, d: dict[str, Any], p: str,
               numbers: tuple[str, ...]) -> tuple[Mailbox, ...]:
    mailboxes = []
    for j, m in enumerate(r.seq(d.get("voicemail"), key_path(p, "voicemail"))):
        mp = f"{p}.voicemail[{j}]"
        md = r.mapping(m, mp, "mailbox") or {}
        box = r.get(md, "box", mp, r.text)
        num = r.get(md, "number", mp, r.number)
        if num and num not in numbers:
            r.err(key_path(mp, "number"), f"{num} is not one of the customer's numbers")
        if box and num:
            mailboxes.append(Mailbox(box, num))
    return tuple(mailboxes)


def _extensions(r: FieldReader, d: dict[str, Any], p: str,
                numbers: tuple[str, ...]) -> tuple[str, ...]:
    extensions, _ = r.numbers(d.get("extensions"), key_path(p, "extensions"))
    known = set(numbers)
    for n in extensions:
        if n not in known:
            r.err(key_path(p, "extensions"), f"{n} is not one of the customer's numbers")
    return tuple(dict.fromkeys(extensions))


# A site's id names its PBX trunk (a SIP endpoint, pbx-<customer>-<site>-<carrier>).
_SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def _sites(r: FieldReader, d: dict[str, Any], p: str,
           numbers: tuple[str, ...]) -> tuple[Site, ...]:
    """The customer's ``sites``: each an id and some of the customer's numbers (numbers and
    DDI blocks, as the customer's ``numbers`` are written), each number on one site at most."""
    sp = key_path(p, "sites")
    known = set(numbers)
    on_site: dict[str, str] = {}  # number -> the site it is on
    out: list[Site] = []
    ids: set[str] = set()
    for j, item in enumerate(r.seq(d.get("sites"), sp)):
        ip = f"{sp}[{j}]"
        sd = r.mapping(item, ip, "site")
        if sd is None:
            continue
        sid = r.get(sd, "id", ip, r.text)
        if sid is not None and not _SITE_ID.match(sid):
            r.err(key_path(ip, "id"), f"site id {sid!r} cannot name a SIP endpoint (the "
                  "site's PBX trunk): letters, digits, '_', '-' and '.', first a letter or digit")
            sid = None
        elif sid is not None and sid in ids:
            r.err(key_path(ip, "id"), f"duplicate site id {sid!r}")
            sid = None
        elif sid is not None:
            ids.add(sid)
        np = key_path(ip, "numbers")
        mine: dict[str, None] = {}  # this site's numbers, in order
        for item_path, block, _ in r.number_items(sd.get("numbers"), np):
            unknown = [n for n in block if n not in known]
            taken = [n for n in block if n in on_site or n in mine]
            if unknown:
                r.err(item_path, f"{unknown[0]} is not one of the customer's numbers"
                      + _more(len(unknown) - 1))
            elif taken:
                where = on_site.get(taken[0], sid)
                r.err(item_path, f"{taken[0]} is already on "
                      + (f"site {where!r}" if where else "this site") + _more(len(taken) - 1))
            else:
                mine.update(dict.fromkeys(block))
        if sd.get("numbers") is None:
            r.err(np, "required key is missing")
        elif isinstance(sd["numbers"], list) and not sd["numbers"]:
            r.err(np, "a site needs at least one number")
        if sid is not None and mine:
            on_site.update(dict.fromkeys(mine, sid))
            out.append(Site(sid, tuple(mine)))
    return tuple(out)


def _more(count: int) -> str:
    return f" (and {count:,} more of this block)" if count else ""


def range_holders(ranges: tuple[NumberRange, ...]) -> Callable[[str], str | None]:
    """A lookup giving the holder of the longest range prefix an E.164 number starts with.

    The lookup returns None for a number in no range (or not ``+`` and digits). ``ranges``
    are the reader's: valid prefixes, each given once.
    """
    by_prefix = PrefixMap((r.prefix[1:], r.holder) for r in ranges)

    def holder(number: str) -> str | None:
        return by_prefix.get(number[1:]) if number[:1] == "+" else None

    return holder

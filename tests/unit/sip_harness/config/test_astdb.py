"""The live part of the routing state: AstDB entries, moving AstDB between two instants, and
when the config text needs a reload."""

from __future__ import annotations

from sip_harness.ami import AMIClient
from sip_harness.ami.astdb import sync
from sip_harness.ami.testing import FakeAMI
from sip_harness.config import (
    CALLERID_FAMILY,
    CONFIG_FILES,
    FAMILIES,
    PORTED_FAMILY,
    astdb_entries,
    needs_reload,
    render,
)

from .configs import BEFORE, NESTED_RANGES, UK, UK_RANGES, scenario, uk_with, view, view_of


def test_the_families_are_the_ones_the_dialplan_reads() -> None:
    assert FAMILIES == (PORTED_FAMILY, CALLERID_FAMILY) == ("cutover-ported", "cutover-callerid")
    for checkpoint in ("before", "after_cutover"):
        assert {family for family, _ in astdb_entries(view(UK, checkpoint))} <= set(FAMILIES)


def test_uk_astdb_before_and_after_cutover() -> None:
    numbers = ("+441632960001", "+441632960002", "+441632960003")
    own = {(CALLERID_FAMILY, n): n for n in numbers}
    assert astdb_entries(view(UK, "before")) == own  # nothing ported
    assert astdb_entries(view(UK, "after_cutover")) == {
        **{(PORTED_FAMILY, n): "callagenix" for n in numbers}, **own}


def test_cutover_is_live_only_and_rollback_is_its_inverse() -> None:
    before, after = view(UK, "before"), view(UK, "after_cutover")
    a, b = render(before, scenario(UK)), render(after, scenario(UK))
    for file in CONFIG_FILES:  # only the header's instant differs: no reload needed
        assert a[file].splitlines()[1:] == b[file].splitlines()[1:]
    assert not needs_reload(before, after)
    with FakeAMI() as fake, AMIClient.connect("127.0.0.1", fake.port, "cutover",
                                              fake.secret) as ami:
        assert sync(ami, FAMILIES, astdb_entries(before)).puts == astdb_entries(before)
        cutover = sync(ami, FAMILIES, astdb_entries(after))
        assert cutover.puts == {(PORTED_FAMILY, f"+44163296000{i}"): "callagenix"
                                for i in (1, 2, 3)}
        assert cutover.deletes == ()
        rollback = sync(ami, FAMILIES, astdb_entries(before))
        assert rollback.puts == {}
        assert sorted(rollback.deletes) == [(PORTED_FAMILY, f"+44163296000{i}")
                                            for i in (1, 2, 3)]
        assert fake.db == astdb_entries(before)


def test_reload_needed_when_the_number_plan_changes() -> None:
    s = uk_with(UK_RANGES, NESTED_RANGES)
    assert needs_reload(view(UK, "before"), view_of(s, BEFORE))

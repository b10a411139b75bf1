"""AstDB over AMI without Asterisk: families read back, all-or-nothing sync."""

from __future__ import annotations

import pytest

from sim.errors import AMIError
from sip_harness.ami.astdb import read_families, sync

FAMILIES = ("cutover-ported", "cutover-callerid")


class StubAMI:
    """Holds AstDB in a dict; refuses to write the key named ``refuse``."""

    def __init__(self, db: dict[tuple[str, str], str], refuse: str | None = None):
        self.db, self.refuse = dict(db), refuse

    def set_db(self, family: str, key: str, value: str | None) -> None:
        if key == self.refuse and value is not None:
            raise AMIError(f"AMI refused DBPut {family}/{key}: Failed to update entry")
        if value is None:
            self.db.pop((family, key), None)
        else:
            self.db[(family, key)] = value

    def command(self, text: str) -> str:
        family = text.rsplit(" ", 1)[1]
        lines = [f"/{f}/{k}    : {v}" for (f, k), v in self.db.items() if f == family]
        return "\n".join(lines + [f"{len(lines)} results found."])


def test_refused_change_undoes_what_was_done() -> None:
    live = {("cutover-ported", "+1"): "bt", ("cutover-ported", "+2"): "bt"}
    ami = StubAMI(live, refuse="+3")
    target = {("cutover-ported", "+1"): "callagenix", ("cutover-ported", "+3"): "callagenix"}
    with pytest.raises(AMIError, match="refused DBPut cutover-ported/\\+3"):
        sync(ami, FAMILIES, target)  # type: ignore[arg-type]
    assert ami.db == live


def test_change_puts_and_deletes_to_reach_the_target() -> None:
    ami = StubAMI({("cutover-ported", "+1"): "bt", ("cutover-callerid", "+2"): "+2"})
    target = {("cutover-ported", "+1"): "callagenix", ("cutover-callerid", "+2"): "+2"}
    done = sync(ami, FAMILIES, target)  # type: ignore[arg-type]
    assert done.puts == {("cutover-ported", "+1"): "callagenix"} and done.deletes == ()
    assert ami.db == target




def test_read_families_reads_only_the_families_asked_for() -> None:
    ami = StubAMI({("cutover-ported", "+1"): "bt", ("other", "x"): "y"})
    assert read_families(ami, FAMILIES) == {("cutover-ported", "+1"): "bt"}  # type: ignore[arg-type]

"""Live control without Asterisk: instants, and all-or-nothing AstDB changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sim.errors import AMIError, BadInputError
from sim.scenario import load_scenario
from sip_harness.asterisk import live as control

UK = Path(__file__).resolve().parents[4] / "scenarios" / "uk_gnp_weekend.yaml"


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
        control._change(ami, control.live_entries(ami), target)  # type: ignore[arg-type]
    assert ami.db == live


def test_change_puts_and_deletes_to_reach_the_target() -> None:
    ami = StubAMI({("cutover-ported", "+1"): "bt", ("cutover-callerid", "+2"): "+2"})
    target = {("cutover-ported", "+1"): "callagenix", ("cutover-callerid", "+2"): "+2"}
    puts, deletes = control._change(ami, control.live_entries(ami), target)  # type: ignore[arg-type]
    assert puts == {("cutover-ported", "+1"): "callagenix"} and deletes == ()
    assert ami.db == target


@pytest.mark.parametrize(("at", "checkpoint", "expected"), [
    # a named checkpoint
    (None, "after_cutover", datetime(2026, 11, 28, 6, tzinfo=UTC)),
    # nothing given: the scenario's start
    (None, None, datetime(2026, 11, 23, tzinfo=UTC)),
])
def test_resolve_instant(at: datetime | None, checkpoint: str | None, expected: datetime) -> None:
    assert load_scenario(UK).instant(at=at, checkpoint=checkpoint) == expected


@pytest.mark.parametrize(("at", "checkpoint", "message"), [
    (datetime(2030, 1, 1, tzinfo=UTC), None, "outside"),
    (None, "lunch", "unknown checkpoint 'lunch'"),
    (datetime(2026, 11, 24, tzinfo=UTC), "before", "not both"),
])
def test_resolve_instant_refuses(at: datetime | None, checkpoint: str | None,
                                 message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        load_scenario(UK).instant(at=at, checkpoint=checkpoint)

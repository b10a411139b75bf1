"""AstDB over AMI against the fake AMI server: families read back, pipelined all-or-nothing sync,
and the client's pipeline itself (window, order, refusals, a dropped connection)."""

from __future__ import annotations

from typing import Any

import pytest

from sim.errors import AMIError, HarnessTimeout
from sip_harness.ami.astdb import read_families, sync, write
from sip_harness.ami.client import AMIClient
from sip_harness.ami.testing import DISCONNECT, SILENCE, FakeAMI

FAMILIES = ("cutover-ported", "cutover-callerid")
PORTED = "cutover-ported"


def sent(fake: FakeAMI, action: str) -> list[dict[str, str]]:
    return [a for a in fake.received if a.get("Action") == action]


def many(n: int, value: str = "callagenix") -> dict[tuple[str, str], str]:
    return {(PORTED, f"+4416329{i:05d}"): value for i in range(n)}


# --- sync --------------------------------------------------------------------------------------

def test_sync_puts_what_differs_and_deletes_what_is_extra(ami: AMIClient, fake: FakeAMI) -> None:
    fake.db.update({(PORTED, "+1"): "bt", ("cutover-callerid", "+2"): "+2",
                    (PORTED, "+9"): "bt", ("other", "x"): "y"})
    target = {(PORTED, "+1"): "callagenix", ("cutover-callerid", "+2"): "+2"}
    done = sync(ami, FAMILIES, target)
    assert done.puts == {(PORTED, "+1"): "callagenix"} and done.deletes == ((PORTED, "+9"),)
    assert fake.db == {**target, ("other", "x"): "y"}   # other families are not ours
    # only the changes were sent, and confirmed by reading the families back, not per entry
    assert [a["Key"] for a in sent(fake, "DBPut")] == ["+1"]
    assert [a["Key"] for a in sent(fake, "DBDel")] == ["+9"]
    assert sent(fake, "DBGet") == []
    assert [a["Command"] for a in sent(fake, "Command")] == [
        f"database show {f}" for f in FAMILIES * 2]


def test_sync_of_what_asterisk_already_holds_sends_no_change(ami: AMIClient,
                                                            fake: FakeAMI) -> None:
    fake.db.update(many(50))
    assert sync(ami, FAMILIES, many(50)) == sync(ami, FAMILIES, many(50))
    assert sent(fake, "DBPut") == [] and sent(fake, "DBDel") == []
    assert len(sent(fake, "Command")) == 2 * len(FAMILIES)   # read once each time, no read-back


def test_sync_of_thousands_of_entries_holds_every_one(ami: AMIClient, fake: FakeAMI) -> None:
    target = many(3000)
    done = sync(ami, FAMILIES, target, window=64)
    assert fake.db == target and len(done.puts) == 3000
    assert read_families(ami, FAMILIES) == target


def test_a_refused_change_undoes_every_change_and_names_the_refusal(ami: AMIClient,
                                                                   fake: FakeAMI) -> None:
    live = {(PORTED, "+1"): "bt", (PORTED, "+2"): "bt", (PORTED, "+5"): "bt"}
    fake.db.update(live)
    put = fake.handlers["DBPut"]
    fake.handlers["DBPut"] = lambda a: ([{"Response": "Error", "Message": "Failed to update"}]
                                        if a["Key"] == "+3" else put(a))
    target = {(PORTED, "+1"): "callagenix", (PORTED, "+3"): "callagenix",
              (PORTED, "+4"): "callagenix"}
    with pytest.raises(AMIError, match=r"AMI refused DBPut cutover-ported/\+3: Failed to update"):
        sync(ami, FAMILIES, target)
    assert fake.db == live   # +1 and +4 (sent after the refusal, and done) put back, +5 back


def test_a_change_that_does_not_read_back_is_undone(ami: AMIClient, fake: FakeAMI) -> None:
    fake.db[(PORTED, "+1")] = "bt"
    put = fake.handlers["DBPut"]
    # Asterisk says Success for +2 but holds something else
    fake.handlers["DBPut"] = lambda a: put({**a, "Val": "bt"} if a["Key"] == "+2" else a)
    with pytest.raises(AMIError, match=r"read-back of cutover-ported/\+2 gave 'bt', expected "
                                       "'callagenix'"):
        sync(ami, FAMILIES, {(PORTED, "+1"): "callagenix", (PORTED, "+2"): "callagenix"})
    assert fake.db == {(PORTED, "+1"): "bt"}


def test_a_delete_refused_for_a_key_already_gone_is_no_failure(ami: AMIClient,
                                                              fake: FakeAMI) -> None:
    fake.db[(PORTED, "+9")] = "bt"
    delete = fake.handlers["DBDel"]

    def gone_meanwhile(a: dict[str, str]) -> Any:
        delete(a)   # someone else deleted it just before: Asterisk refuses ours
        return [{"Response": "Error", "Message": "Database entry could not be deleted"}]
    fake.handlers["DBDel"] = gone_meanwhile
    assert sync(ami, FAMILIES, {}).deletes == ((PORTED, "+9"),)
    assert fake.db == {}


# --- the pipeline ------------------------------------------------------------------------------

def test_write_keeps_at_most_the_window_unanswered(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["DBPut"] = lambda a: SILENCE
    with pytest.raises(HarnessTimeout, match="AMI DBPut cutover-ported/.*: no response"):
        write(ami, many(100), window=20)
    ami.ping()   # answered after every action sent before it: they have all been read
    assert len(sent(fake, "DBPut")) == 20   # sent without waiting, and no more than 20


def test_pipeline_answers_in_order_and_a_refusal_does_not_stop_the_rest(
        ami: AMIClient, fake: FakeAMI) -> None:
    put = fake.handlers["DBPut"]
    fake.handlers["DBPut"] = lambda a: ([{"Response": "Error", "Message": "Failed to update"}]
                                        if a["Key"] == "k3" else put(a))
    answers = ami.pipeline([("DBPut", {"Family": PORTED, "Key": f"k{i}", "Val": str(i)},
                             f"{PORTED}/k{i}") for i in range(10)], window=4)
    assert [isinstance(a, AMIError) for a in answers] == [i == 3 for i in range(10)]
    assert str(answers[3]) == "AMI refused DBPut cutover-ported/k3: Failed to update"
    assert fake.db == {(PORTED, f"k{i}"): str(i) for i in range(10) if i != 3}
    assert ami.ping() is None   # the session goes on


def test_pipeline_refuses_a_line_break_before_sending_anything(ami: AMIClient,
                                                               fake: FakeAMI) -> None:
    with pytest.raises(ValueError, match="field Val contains a line break"):
        ami.pipeline([("DBPut", {"Family": PORTED, "Key": "a", "Val": "1"}, None),
                      ("DBPut", {"Family": PORTED, "Key": "b", "Val": "x\ny"}, None)])
    with pytest.raises(ValueError, match="window must be at least 1, got 0"):
        ami.pipeline([], window=0)
    assert ami.pipeline([]) == []
    ami.ping()
    assert sent(fake, "DBPut") == []


def test_a_connection_dropped_mid_pipeline_is_an_ami_error(ami: AMIClient, fake: FakeAMI) -> None:
    put = fake.handlers["DBPut"]
    fake.handlers["DBPut"] = lambda a: DISCONNECT if a["Key"].endswith("00040") else put(a)
    with pytest.raises(AMIError, match="AMI DBPut cutover-ported/.*(closed|before response)"):
        write(ami, many(100), window=16)

"""The AMI client against a fake AMI server replaying Asterisk 22's traffic."""

from __future__ import annotations

import re
import socket
import threading

import pytest

from sim.errors import AMIError, HarnessError, HarnessTimeout
from sip_harness.ami.client import ERROR_MAP, AMIClient, MailboxCount, translate_error
from sip_harness.ami.testing import DISCONNECT, SILENCE, FakeAMI

FAMILY, KEY = "cutover-ported", "+441632960001"


def test_login_and_the_fully_booted_event_sent_with_it(ami: AMIClient) -> None:
    assert ami.banner.startswith("Asterisk Call Manager/")
    assert ami.wait_event("FullyBooted", after=0, timeout=1.0)["Status"] == "Fully Booted"


def test_wrong_secret_is_refused_with_asterisks_message(fake: FakeAMI) -> None:
    with pytest.raises(AMIError, match="AMI refused Login login as cutover: Authentication "
                                       "failed"):
        AMIClient.connect("127.0.0.1", fake.port, "cutover", "wrong", timeout=1.0)


def test_astdb_round_trip_confirmed_by_read_back(ami: AMIClient, fake: FakeAMI) -> None:
    assert ami.db_get(FAMILY, KEY) is None
    ami.set_db(FAMILY, KEY, "callagenix")
    assert ami.db_get(FAMILY, KEY) == "callagenix"
    assert fake.db == {(FAMILY, KEY): "callagenix"}
    ami.set_db(FAMILY, KEY, None)
    assert ami.db_get(FAMILY, KEY) is None
    ami.set_db(FAMILY, KEY, None)  # absent already: still fine
    with pytest.raises(AMIError, match="could not be deleted"):
        ami.db_del(FAMILY, KEY)


def test_response_error_names_the_action_and_the_object(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["DBPut"] = lambda a: [{"Response": "Error", "Message": "Failed to update"}]
    expected = re.escape(f"AMI refused DBPut {FAMILY}/{KEY}: Failed to update")
    with pytest.raises(AMIError, match=expected):
        ami.set_db(FAMILY, KEY, "callagenix")


def test_read_back_mismatch_is_an_error(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["DBGet"] = lambda a: [
        {"Response": "Success", "EventList": "start", "Message": "Result will follow"},
        {"Event": "DBGetResponse", "Family": FAMILY, "Key": KEY, "Val": "bt"},
        {"Event": "DBGetComplete", "EventList": "Complete", "ListItems": "1"}]
    with pytest.raises(AMIError, match="read-back of .* gave 'bt', expected 'callagenix'"):
        ami.set_db(FAMILY, KEY, "callagenix")


def test_no_answer_is_a_timeout_within_the_limit(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["DBPut"] = lambda a: SILENCE
    with pytest.raises(HarnessTimeout, match=re.escape(f"AMI DBPut {FAMILY}/{KEY}: no response")
                        + " from AMI .* within 0.2 s"):
        ami.action("DBPut", timeout=0.2, describe=f"{FAMILY}/{KEY}", Family=FAMILY, Key=KEY,
                   Val="x")
    assert isinstance(HarnessTimeout("x"), TimeoutError)


def test_on_a_busy_machine_the_limit_is_stretched_and_says_so(
        ami: AMIClient, fake: FakeAMI, monkeypatch: pytest.MonkeyPatch) -> None:
    from sip_harness import patience

    monkeypatch.setattr(patience, "load_factor", lambda: 3.0)  # 6 tasks want 2 CPUs
    fake.handlers["DBPut"] = lambda a: SILENCE
    with pytest.raises(HarnessTimeout) as caught:
        ami.action("DBPut", timeout=0.1, describe=f"{FAMILY}/{KEY}", Family=FAMILY, Key=KEY,
                   Val="x")
    assert str(caught.value).endswith("within 0.1 s (waited 0.3 s: the machine is busy)")


def test_disconnect_in_the_middle_of_an_action(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["Command"] = lambda a: DISCONNECT
    with pytest.raises(AMIError, match="closed the connection before response"):
        ami.command("dialplan reload")
    assert not ami.connected
    with pytest.raises(AMIError, match="closed the connection"):
        ami.ping()


def test_disconnect_while_waiting_for_an_event(ami: AMIClient, fake: FakeAMI) -> None:
    threading.Timer(0.1, fake.close).start()
    with pytest.raises(AMIError, match="while waiting for event Hangup"):
        ami.wait_event("Hangup", timeout=2.0)


def test_wait_event_sees_only_matching_later_events(ami: AMIClient, fake: FakeAMI) -> None:
    mark = ami.mark()
    fake.send_event({"Event": "Hangup", "Channel": "PJSIP/bt-1"})
    fake.send_event({"Event": "Hangup", "Channel": "PJSIP/callagenix-2"})
    event = ami.wait_event("Hangup", lambda e: "callagenix" in e["Channel"], after=mark)
    assert event["Channel"] == "PJSIP/callagenix-2"
    with pytest.raises(HarnessTimeout, match="no Hangup event within 0.1 s"):
        ami.wait_event("Hangup", timeout=0.1)  # both came before this call


def test_command_output_and_mailbox_count(ami: AMIClient) -> None:
    assert ami.command("dialplan reload") == "Dialplan reloaded."
    assert ami.mailbox_count("1000") == MailboxCount(new=1, old=2, urgent=0)


def test_unknown_action_and_line_breaks_in_fields(ami: AMIClient) -> None:
    with pytest.raises(AMIError, match="Invalid/unknown command: Bogus"):
        ami.action("Bogus")
    with pytest.raises(ValueError, match="line break"):
        ami.db_put(FAMILY, KEY, "a\r\nAction: Command")


def test_connection_refused() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(AMIError, match=f"AMI connect to 127.0.0.1:{port}: connection refused"):
        AMIClient.connect("127.0.0.1", port, "u", "s", timeout=1.0)


def test_a_server_that_never_answers_login_times_out(fake: FakeAMI) -> None:
    fake.handlers["Login"] = lambda a: SILENCE
    with pytest.raises(HarnessTimeout):
        AMIClient.connect("127.0.0.1", fake.port, "cutover", fake.secret, timeout=0.2)


@pytest.mark.parametrize(("kind", "ours", "words"), ERROR_MAP,
                         ids=[k.__name__ for k, _, _ in ERROR_MAP])
def test_every_mapped_error_becomes_ours(kind: type[BaseException], ours: type[HarnessError],
                                         words: str) -> None:
    exc: BaseException = (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")
                          if kind is UnicodeDecodeError else kind("boom"))
    mapped = translate_error(exc, "AMI DBPut")
    assert type(mapped) is ours
    assert str(mapped).startswith(f"AMI DBPut: {words}")


@pytest.mark.parametrize("exc", [
    ValueError("odd"),                 # anything unforeseen still becomes an AMIError
    AMIError("already ours"),          # ours pass through unchanged
])
def test_unlisted_errors_never_escape_unmapped(exc: Exception) -> None:
    mapped = translate_error(exc, "AMI Ping")
    assert isinstance(mapped, AMIError)
    if isinstance(exc, HarnessError):
        assert mapped is exc


def test_a_session_without_events_logs_in_with_events_off_and_still_reads_astdb(
        fake: FakeAMI) -> None:
    with AMIClient.connect("127.0.0.1", fake.port, fake.username, fake.secret, timeout=1.0,
                           events=False) as quiet, \
            AMIClient.connect("127.0.0.1", fake.port, fake.username, fake.secret,
                              timeout=1.0) as loud:
        logins = [a for a in fake.received if a["Action"] == "Login"]
        assert [a["Events"] for a in logins] == ["off", "on"]
        quiet.set_db(FAMILY, KEY, "callagenix")  # a list action's events still come back
        fake.send_event({"Event": "Hangup", "Channel": "PJSIP/bt-1"})
        loud.wait_event("Hangup", after=0, timeout=1.0)
        quiet.ping()
        assert quiet.mark() == 0  # no event came to it (its DBGet's answer went to the DBGet)
        assert loud.mark() == 2   # FullyBooted, then the Hangup


def test_a_response_that_comes_after_its_action_timed_out_is_not_kept(
        ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["Ping"] = lambda a: SILENCE
    with pytest.raises(HarnessTimeout):
        ami.ping(timeout=0.1)
    late = next(a for a in reversed(fake.received) if a["Action"] == "Ping")
    fake.send_block({"Response": "Success", "Ping": "Pong", "ActionID": late["ActionID"]})
    ami.command("dialplan reload")  # answered after the late block: it has been read
    assert ami._responses == {}


def test_the_answers_of_list_actions_stay_out_of_the_event_stream(ami: AMIClient) -> None:
    ami.set_db(FAMILY, KEY, "callagenix")
    mark = ami.mark()
    for _ in range(5):  # a watch reads the replay clock like this every round, for hours
        assert ami.db_get(FAMILY, KEY) == "callagenix"
    assert ami.mark() == mark
    with pytest.raises(HarnessTimeout):
        ami.wait_event("DBGetResponse", after=0, timeout=0.1)

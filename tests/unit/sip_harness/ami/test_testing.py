"""The FakeAMI itself, through the real AMIClient: login, AstDB, commands, scripted faults."""

from __future__ import annotations

import socket

import pytest

from sim.errors import AMIError, HarnessTimeout
from sip_harness.ami import AMIClient
from sip_harness.ami.testing import BANNER, DISCONNECT, SILENCE, FakeAMI

FAMILY = "cutover-ported"


def test_the_banner_is_sent_on_connect(fake: FakeAMI) -> None:
    with socket.create_connection(("127.0.0.1", fake.port), timeout=1.0) as raw:
        assert raw.recv(100) == BANNER.encode() + b"\r\n"


def test_login_with_the_right_secret_is_accepted_and_followed_by_fully_booted(
        ami: AMIClient, fake: FakeAMI) -> None:
    assert ami.banner == BANNER
    booted = ami.wait_event("FullyBooted", after=0, timeout=1.0)
    assert booted["Status"] == "Fully Booted"
    assert "ActionID" not in booted  # an unsolicited event carries no ActionID
    login = fake.received[0]
    assert (login["Action"], login["Username"], login["Secret"]) == (
        "Login", "cutover", "test-secret")


@pytest.mark.parametrize(("username", "secret"), [
    ("cutover", "wrong"),         # the right user, a wrong secret
    ("admin", "test-secret"),     # the right secret for another user
    ("cutover", ""),              # no secret at all
])
def test_login_with_wrong_credentials_is_refused(fake: FakeAMI, username: str, secret: str
                                                 ) -> None:
    with pytest.raises(AMIError, match="Authentication failed"):
        AMIClient.connect("127.0.0.1", fake.port, username, secret, timeout=1.0)


def test_custom_credentials() -> None:
    with FakeAMI(username="ops", secret="s3") as fake:
        with AMIClient.connect("127.0.0.1", fake.port, "ops", "s3", timeout=1.0) as ami:
            ami.ping()
        with pytest.raises(AMIError, match="Authentication failed"):
            AMIClient.connect("127.0.0.1", fake.port, "cutover", "test-secret", timeout=1.0)


def test_db_put_stores_in_the_in_memory_db(ami: AMIClient, fake: FakeAMI) -> None:
    ami.db_put(FAMILY, "+441632960001", "callagenix")
    ami.db_put(FAMILY, "+441632960001", "bt")  # overwrites
    ami.db_put("cutover-callerid", "+441632960001", "+441632970001")
    assert fake.db == {(FAMILY, "+441632960001"): "bt",
                       ("cutover-callerid", "+441632960001"): "+441632970001"}


def test_db_get_reads_what_is_in_the_db(ami: AMIClient, fake: FakeAMI) -> None:
    fake.db[FAMILY, "+441632960002"] = "vodafone"
    assert ami.db_get(FAMILY, "+441632960002") == "vodafone"
    assert ami.db_get(FAMILY, "+441632960009") is None  # "Database entry not found"
    assert ami.db_get("other", "+441632960002") is None  # the family is part of the key


def test_db_get_answers_as_a_list_with_one_result(ami: AMIClient, fake: FakeAMI) -> None:
    fake.db[FAMILY, "k"] = "v"
    response, events = ami.action_list("DBGet", Family=FAMILY, Key="k")
    assert response["Response"] == "Success"
    assert [(e["Event"], e["Val"]) for e in events] == [("DBGetResponse", "v")]
    # the list ends as Asterisk ends it (the client consumes the Complete event)
    reply = fake.handlers["DBGet"]({"Family": FAMILY, "Key": "k"})
    assert isinstance(reply, list)
    assert reply[-1] == {"Event": "DBGetComplete", "EventList": "Complete", "ListItems": "1"}


def test_db_del_removes_and_refuses_a_missing_key(ami: AMIClient, fake: FakeAMI) -> None:
    fake.db[FAMILY, "k"] = "v"
    fake.db[FAMILY, "other"] = "w"
    ami.db_del(FAMILY, "k")
    assert fake.db == {(FAMILY, "other"): "w"}
    with pytest.raises(AMIError, match="Database entry could not be deleted"):
        ami.db_del(FAMILY, "k")


def test_database_show_lists_one_family_sorted_as_asterisk_prints_it(ami: AMIClient,
                                                                     fake: FakeAMI) -> None:
    fake.db.update({(FAMILY, "+441632960002"): "bt", (FAMILY, "+441632960001"): "callagenix",
                    ("cutover-callerid", "+441632960001"): "+441632960001"})
    lines = ami.command(f"database show {FAMILY}").splitlines()
    assert lines == [f"/{FAMILY}/{'+441632960001':<30}: callagenix",
                     f"/{FAMILY}/{'+441632960002':<30}: bt",
                     "2 results found."]


def test_database_show_of_an_empty_family(ami: AMIClient, fake: FakeAMI) -> None:
    fake.db["cutover-callerid", "x"] = "y"
    assert ami.command(f"database show {FAMILY}") == "0 results found."


@pytest.mark.parametrize("cli", [
    "dialplan reload",                 # any other command: a plain success
    "database show",                   # without a family: not the AstDB listing
    "database show a b",               # too many words
])
def test_other_commands_answer_with_a_canned_success(ami: AMIClient, cli: str) -> None:
    assert ami.command(cli) == "Dialplan reloaded."


def test_ping_and_mailbox_count(ami: AMIClient) -> None:
    ami.ping()
    count = ami.mailbox_count("960001", "cutover")
    assert (count.new, count.old, count.urgent) == (1, 2, 0)


def test_every_action_is_recorded_in_order(ami: AMIClient, fake: FakeAMI) -> None:
    ami.ping()
    ami.db_put(FAMILY, "k", "v")
    assert [a["Action"] for a in fake.received] == ["Login", "Ping", "DBPut"]
    assert fake.received[2]["Val"] == "v"
    assert all(a.get("ActionID") for a in fake.received)


def test_an_unknown_action_is_refused_like_asterisk_does(ami: AMIClient) -> None:
    with pytest.raises(AMIError, match="Invalid/unknown command: Frobnicate"):
        ami.action("Frobnicate")


def test_a_handler_can_be_replaced_to_script_a_refusal(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["DBPut"] = lambda a: [{"Response": "Error", "Message": "Failed to update"}]
    with pytest.raises(AMIError, match="Failed to update"):
        ami.db_put(FAMILY, "k", "v")
    assert fake.db == {}


def test_silence_never_answers_but_keeps_the_session(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["Ping"] = lambda a: SILENCE
    with pytest.raises(HarnessTimeout):
        ami.ping(timeout=0.2)
    assert ami.connected
    assert ami.command("dialplan reload") == "Dialplan reloaded."  # the session still works


def test_disconnect_drops_the_session_mid_action(ami: AMIClient, fake: FakeAMI) -> None:
    fake.handlers["DBGet"] = lambda a: DISCONNECT
    with pytest.raises(AMIError, match="closed the connection"):
        ami.db_get(FAMILY, "k")
    assert not ami.connected
    with AMIClient.connect("127.0.0.1", fake.port, fake.username, fake.secret,
                           timeout=1.0) as again:  # the server itself still serves
        again.ping()


def test_send_event_reaches_connected_clients(ami: AMIClient, fake: FakeAMI) -> None:
    mark = ami.mark()
    fake.send_event({"Event": "MessageWaiting", "Mailbox": "960001@cutover", "New": "1"})
    event = ami.wait_event("MessageWaiting", timeout=1.0, after=mark)
    assert event["Mailbox"] == "960001@cutover"


def test_close_stops_accepting_connections() -> None:
    fake = FakeAMI()
    port = fake.port
    fake.close()
    with pytest.raises(AMIError):
        AMIClient.connect("127.0.0.1", port, "cutover", "test-secret", timeout=0.5)

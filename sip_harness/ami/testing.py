"""A fake AMI server on loopback that replays canned Asterisk 22 traffic, for tests.

The replies below were recorded from the Asterisk 22.10 this project runs (same keys, same
messages). Handlers can be replaced per action to script refusals, silence (a timeout) or a
disconnect in the middle of an action.

>>> from sip_harness.ami.client import AMIClient
>>> with FakeAMI() as fake:
...     fake.handlers["DBGet"] = lambda action: [{"Response": "Error", "Message": "boom"}]
...     with AMIClient.connect("127.0.0.1", fake.port, "cutover", fake.secret) as ami:
...         ami.db_get("cutover-ported", "+441632960001")
Traceback (most recent call last):
  ...
sim.errors.AMIError: AMI refused DBGet cutover-ported/+441632960001: boom
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

__all__ = ["FakeAMI", "Reply", "SILENCE", "DISCONNECT", "BANNER"]

BANNER = "Asterisk Call Manager/11.0.0"
Reply = list[dict[str, str]] | str
"""Blocks to send back (ActionID is added), or SILENCE or DISCONNECT."""
SILENCE = "silence"
DISCONNECT = "disconnect"

# Events Asterisk sends on its own, without the ActionID of the action that preceded them.
_UNSOLICITED = {"FullyBooted"}
FULLY_BOOTED = {"Event": "FullyBooted", "Privilege": "system,all", "Uptime": "8",
                "LastReload": "8", "Status": "Fully Booted"}


class FakeAMI:
    """A threaded AMI server on 127.0.0.1 with an ephemeral port and an in-memory AstDB.

    ``handlers`` maps an action name to ``action dict -> Reply``; ``received`` lists every
    action block received, in order.
    """

    def __init__(self, *, username: str = "cutover", secret: str = "test-secret"):
        self.username = username
        self.secret = secret
        self.db: dict[tuple[str, str], str] = {}
        self.received: list[dict[str, str]] = []
        self.handlers: dict[str, Callable[[dict[str, str]], Reply]] = {
            "Login": self._login, "Logoff": lambda a: [{"Response": "Goodbye",
                                                         "Message": "Thanks for all the fish."}],
            "Ping": lambda a: [{"Response": "Success", "Ping": "Pong"}],
            "DBPut": self._db_put, "DBGet": self._db_get, "DBDel": self._db_del,
            "Command": self._command,
            "MailboxCount": lambda a: [{"Response": "Success", "Message": "Mailbox Message Count",
                                        "Mailbox": a.get("Mailbox", ""), "UrgMessages": "0",
                                        "NewMessages": "1", "OldMessages": "2"}],
        }
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._quiet: set[socket.socket] = set()  # sessions logged in with Events: off
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-ami")
        self._thread.start()

    def _command(self, a: dict[str, str]) -> Reply:
        # `database show FAMILY` answers from the in-memory AstDB as Asterisk 22 prints it
        words = a.get("Command", "").split()
        if words[:2] == ["database", "show"] and len(words) == 3:
            rows = [f"/{f}/{k:<30}: {v}" for (f, k), v in sorted(self.db.items())
                    if f == words[2]]
            output = "\n".join(rows + [f"{len(rows)} results found."])
        else:
            output = "Dialplan reloaded."
        return [{"Response": "Success", "Message": "Command output follows", "Output": output}]

    def __enter__(self) -> FakeAMI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        try:  # wakes the accept() in _serve at once; close() alone leaves it blocked
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._thread.join(timeout=2)

    def send_event(self, event: dict[str, str]) -> None:
        """Send an unsolicited event to every connected client that takes events (as Asterisk,
        none to a session logged in with ``Events: off``)."""
        for conn in self._conns:
            if conn not in self._quiet:
                conn.sendall(_block(event))

    def send_block(self, block: dict[str, str]) -> None:
        """Send any block (a late response, say) to every connected client."""
        for conn in self._conns:
            conn.sendall(_block(block))

    # --- canned behaviour ----------------------------------------------------------------

    def _login(self, a: dict[str, str]) -> Reply:
        if a.get("Username") == self.username and a.get("Secret") == self.secret:
            return [{"Response": "Success", "Message": "Authentication accepted"}, FULLY_BOOTED]
        return [{"Response": "Error", "Message": "Authentication failed"}]

    def _db_put(self, a: dict[str, str]) -> Reply:
        self.db[a["Family"], a["Key"]] = a.get("Val", "")
        return [{"Response": "Success", "Message": "Updated database successfully"}]

    def _db_get(self, a: dict[str, str]) -> Reply:
        key = (a["Family"], a["Key"])
        if key not in self.db:
            return [{"Response": "Error", "Message": "Database entry not found"}]
        return [{"Response": "Success", "EventList": "start", "Message": "Result will follow"},
                {"Event": "DBGetResponse", "Family": key[0], "Key": key[1], "Val": self.db[key]},
                {"Event": "DBGetComplete", "EventList": "Complete", "ListItems": "1"}]

    def _db_del(self, a: dict[str, str]) -> Reply:
        if self.db.pop((a["Family"], a["Key"]), None) is None:
            return [{"Response": "Error", "Message": "Database entry could not be deleted"}]
        return [{"Response": "Success", "Message": "Key deleted successfully"}]

    # --- the server ----------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            conn.sendall(BANNER.encode() + b"\r\n")
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    raw, _, buffer = buffer.partition(b"\r\n\r\n")
                    action = dict(line.split(": ", 1) for line in raw.decode().split("\r\n")
                                  if ": " in line)
                    self.received.append(action)
                    handler = self.handlers.get(action.get("Action", ""))
                    reply: Reply = handler(action) if handler else [
                        {"Response": "Error", "Message": "Invalid/unknown command: "
                         f"{action.get('Action')}. Use Action: ListCommands to show available "
                         "commands."}]
                    if reply == DISCONNECT:
                        conn.shutdown(socket.SHUT_RDWR)
                        conn.close()
                        return
                    if isinstance(reply, str):  # SILENCE: never answer
                        continue
                    quiet = action.get("Action") == "Login" and action.get("Events") == "off"
                    if quiet:
                        self._quiet.add(conn)
                    for block in reply:
                        if block.get("Event") in _UNSOLICITED and quiet:
                            continue
                        if block.get("Event") not in _UNSOLICITED:
                            block = {**block, "ActionID": action.get("ActionID", "")}
                        conn.sendall(_block(block))
        except OSError:
            return


def _block(message: dict[str, str]) -> bytes:
    # a value of several lines goes out as the key repeated, once per line (as Output does)
    return "".join(f"{k}: {line}\r\n" for k, v in message.items()
                   for line in v.split("\n")).encode() + b"\r\n"

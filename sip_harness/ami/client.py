"""A small Asterisk Manager Interface (AMI) client; errors become the project's own exceptions.

AMI is a line protocol over TCP: the client sends blocks of ``Key: Value`` lines ended by a
blank line, Asterisk answers each action with a ``Response:`` block carrying the same
``ActionID`` and sends ``Event:`` blocks at any time. One reader thread parses blocks; callers
wait on a condition for their response or for an event, each wait bounded by a timeout, never
a sleep loop. Every timeout is stretched by the machine's load (:mod:`sip_harness.patience`):
a busy machine is not a silent Asterisk.

Why not pyst2: it works against this Asterisk, but its timeouts are per socket read rather than
per action, events arrive through callbacks on its own thread, and ``close()`` after
``logoff()`` raises. The protocol is simple enough that 300 lines here, with one place that maps
socket errors, are easier to make robust and to test against a fake server
(:mod:`sip_harness.ami.testing`).

Against the fake server (a real Asterisk listens on 127.0.0.1:5038, with the run's secret):

>>> from sip_harness.ami.testing import FakeAMI
>>> with FakeAMI() as fake, AMIClient.connect("127.0.0.1", fake.port, "cutover",
...                                           fake.secret) as ami:
...     ami.set_db("cutover-ported", "+441632960001", "callagenix")
...     ami.command("dialplan reload")
'Dialplan reloaded.'
"""

from __future__ import annotations

import functools
import itertools
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from sim.errors import AMIError, HarnessError, HarnessTimeout
from sip_harness.patience import patience, stretched

__all__ = ["AMIClient", "MailboxCount", "Message", "Action", "ERROR_MAP", "translate_error",
           "PIPELINE_WINDOW"]

Message = dict[str, str]
"""One AMI block: keys as Asterisk spells them; repeated keys (``Output``) joined by newlines."""

_T = TypeVar("_T")
DEFAULT_TIMEOUT = 5.0
_EVENT_BUFFER = 2000
#: Actions :meth:`AMIClient.pipeline` keeps unanswered at once.
PIPELINE_WINDOW = 200
#: An action for :meth:`AMIClient.pipeline`: its name, its fields and what it is about.
Action = tuple[str, dict[str, str | int], str | None]

# The one place where socket and decoding errors become ours, most specific first. A test checks
# that every entry is reachable and that nothing else escapes.
ERROR_MAP: tuple[tuple[type[BaseException], type[HarnessError], str], ...] = (
    (TimeoutError, HarnessTimeout, "timed out"),
    (ConnectionRefusedError, AMIError,
     "connection refused: is Asterisk running with AMI enabled on that address?"),
    (ConnectionResetError, AMIError, "connection reset by Asterisk"),
    (ConnectionAbortedError, AMIError, "connection aborted"),
    (BrokenPipeError, AMIError, "connection closed by Asterisk"),
    (EOFError, AMIError, "connection closed by Asterisk"),
    (socket.gaierror, AMIError, "unknown host"),
    (UnicodeDecodeError, AMIError, "the peer does not speak AMI (undecodable bytes)"),
    (OSError, AMIError, "network error"),
)


def translate_error(exc: BaseException, doing: str) -> HarnessError:
    """The project's exception for ``exc`` raised while ``doing`` (use with ``raise ... from``).

    ``HarnessError`` instances pass through unchanged.
    """
    if isinstance(exc, HarnessError):
        return exc
    for kind, ours, words in ERROR_MAP:
        if isinstance(exc, kind):
            detail = f" ({exc})" if str(exc) and kind is OSError else ""
            return ours(f"{doing}: {words}{detail}")
    return AMIError(f"{doing}: {type(exc).__name__}: {exc}")


class MailboxCount(NamedTuple):
    """Messages in a voicemail box."""

    new: int
    old: int
    urgent: int


class AMIClient:
    """A logged-in AMI session. Thread-safe; one reader thread per connection.

    Use :meth:`connect` to open one. Every call takes ``timeout`` (seconds, default the one
    given at connect) and raises :class:`HarnessTimeout` when it expires, :class:`AMIError`
    when Asterisk answers ``Response: Error`` or the connection drops.
    """

    def __init__(self, sock: socket.socket, address: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.address = address
        self.timeout = timeout
        self.banner = ""
        self._sock = sock
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._responses: dict[str, Message] = {}
        self._waiting: set[str] = set()  # actions sent whose response nobody has taken yet
        self._lists: dict[str, list[Message]] = {}
        self._events: deque[tuple[int, Message]] = deque(maxlen=_EVENT_BUFFER)
        self._seq = 0
        self._closed: str | None = None
        self._reader = threading.Thread(target=self._read_loop, name=f"ami-{address}",
                                        daemon=True)
        self._reader.start()

    # --- opening and closing -------------------------------------------------------------

    @classmethod
    def connect(cls, host: str, port: int, username: str, secret: str, *,
                timeout: float = DEFAULT_TIMEOUT, events: bool = True) -> AMIClient:
        """Connect and log in. Raises AMIError (refused, bad credentials) or HarnessTimeout.

        ``events=False`` logs in with ``Events: off``: Asterisk then sends this session only
        the answers to its actions (list actions' events included), not every call's dozens
        of events, which a session that never waits for one (the watcher's, for hours) would
        only read, parse and drop.
        """
        address = f"{host}:{port}"
        try:
            sock = socket.create_connection((host, port), timeout=patience(timeout))
        except Exception as exc:
            raise translate_error(exc, f"AMI connect to {address}") from exc
        sock.settimeout(None)  # the reader blocks; waits are bounded by the condition instead
        client = cls(sock, address, timeout=timeout)
        try:
            client.action("Login", describe=f"login as {username}", Username=username,
                          Secret=secret, Events="on" if events else "off")
        except BaseException:
            client.close(logoff=False)
            raise
        return client

    def close(self, *, logoff: bool = True) -> None:
        """Log off (best effort) and close the socket. Safe to call twice."""
        if logoff and self._closed is None:
            try:
                self.action("Logoff", timeout=1.0)
            except HarnessError:
                pass
        with self._cond:
            if self._closed is None:
                self._closed = "closed by the client"
            self._cond.notify_all()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=2.0)

    def __enter__(self) -> AMIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._closed is None

    # --- actions -------------------------------------------------------------------------

    def action(self, name: str, *, timeout: float | None = None, describe: str | None = None,
               **fields: str | int) -> Message:
        """Send action ``name`` with ``fields``; return its response block.

        ``describe`` names the object in error messages ("DBPut cutover-ported/+44...").
        Raises AMIError on ``Response: Error`` (with Asterisk's message) or a lost connection,
        HarnessTimeout when no response arrives in time, ValueError for a field with a newline.
        """
        response, _ = self._exchange(name, timeout, describe, fields, collect=False)
        return response

    def action_list(self, name: str, *, timeout: float | None = None,
                    describe: str | None = None,
                    **fields: str | int) -> tuple[Message, list[Message]]:
        """Send a list action (``EventList: start`` ... ``Complete``); return response, events."""
        return self._exchange(name, timeout, describe, fields, collect=True)

    def pipeline(self, actions: Sequence[Action], *, window: int = PIPELINE_WINDOW,
                 timeout: float | None = None) -> list[Message | AMIError]:
        """Send ``actions`` (name, fields, describe) without waiting for each answer: at most
        ``window`` unanswered at once, matched by ActionID. Returns, in order, each one's
        response, or the AMIError of a ``Response: Error`` (the others still run).

        For many small actions (a whole AstDB family): one round trip per action would make
        20,000 of them take seconds. Raises HarnessTimeout when an action gets no response
        within ``timeout`` of being sent, AMIError when the connection drops, ValueError for a
        field with a newline (before anything is sent).
        """
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        prepared = [self._prepare(name, fields, describe) for name, fields, describe in actions]
        with self._cond:
            self._waiting.update(action_id for action_id, _, _ in prepared)
        limit, words = stretched(self.timeout if timeout is None else timeout)
        results: list[Message | AMIError | None] = [None] * len(prepared)
        waiting: deque[tuple[int, float]] = deque()   # (index, deadline), oldest first
        sent = 0
        try:
            while sent < len(prepared) or waiting:
                first, batch = sent, []
                while sent < len(prepared) and len(waiting) < window:
                    waiting.append((sent, time.monotonic() + limit))
                    batch.append(prepared[sent][2])
                    sent += 1
                if batch:
                    more = f" (and {len(batch) - 1} more)" if len(batch) > 1 else ""
                    self._send(b"".join(batch), prepared[first][1] + more)
                with self._cond:
                    index, deadline = waiting[0]
                    action_id, what, _ = prepared[index]
                    self._await(functools.partial(self._responses.get, action_id), deadline,
                                what, words, "response")
                    while waiting and prepared[waiting[0][0]][0] in self._responses:
                        index, _ = waiting.popleft()
                        action_id, what, _ = prepared[index]
                        results[index] = _refusal(self._responses.pop(action_id), what)
        finally:
            for action_id, _, _ in prepared:
                self._forget(action_id)
        return [r for r in results if r is not None]

    def command(self, cli: str, *, timeout: float | None = None) -> str:
        """Run an Asterisk CLI command (``dialplan reload``); return its output text."""
        return self.action("Command", timeout=timeout, describe=repr(cli),
                           Command=cli).get("Output", "")

    def ping(self, *, timeout: float | None = None) -> None:
        """Round trip to Asterisk; raises if it does not answer."""
        self.action("Ping", timeout=timeout)

    # --- AstDB ---------------------------------------------------------------------------

    def db_put(self, family: str, key: str, value: str) -> None:
        """Store ``value`` at ``family/key`` in AstDB."""
        self.action("DBPut", describe=f"{family}/{key}", Family=family, Key=key, Val=value)

    def db_get(self, family: str, key: str) -> str | None:
        """The value at ``family/key``, or None when there is none."""
        try:
            response, events = self.action_list("DBGet", describe=f"{family}/{key}",
                                                Family=family, Key=key)
        except AMIError as exc:
            if "not found" in str(exc).lower():
                return None
            raise
        for event in events:
            if event.get("Event") == "DBGetResponse":
                return event.get("Val", "")
        return response.get("Val")

    def db_del(self, family: str, key: str) -> None:
        """Delete ``family/key``; AMIError when Asterisk refuses (for example: no such key)."""
        self.action("DBDel", describe=f"{family}/{key}", Family=family, Key=key)

    def set_db(self, family: str, key: str, value: str | None) -> None:
        """Make ``family/key`` hold ``value`` (None: absent) and confirm it by reading it back.

        Raises AMIError when Asterisk refuses the change or the read-back differs.
        """
        refusal: AMIError | None = None
        if value is None:
            try:
                self.db_del(family, key)
            except AMIError as exc:  # absent already is fine; the read-back decides
                refusal = exc
        else:
            self.db_put(family, key, value)
        seen = self.db_get(family, key)
        if seen != value:
            wanted = "absent" if value is None else repr(value)
            why = f" ({refusal})" if refusal else ""
            raise AMIError(f"AMI read-back of {family}/{key} gave {seen!r}, expected "
                           f"{wanted}{why}")

    # --- voicemail -----------------------------------------------------------------------

    def mailbox_count(self, box: str, context: str = "default") -> MailboxCount:
        """New, old and urgent messages in voicemail box ``box@context``."""
        r = self.action("MailboxCount", describe=f"{box}@{context}", Mailbox=f"{box}@{context}")
        try:
            return MailboxCount(int(r.get("NewMessages", 0)), int(r.get("OldMessages", 0)),
                                int(r.get("UrgMessages", 0)))
        except ValueError as exc:
            raise AMIError(f"AMI MailboxCount {box}@{context}: unreadable counts {r}") from exc

    # --- events --------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the event stream; pass it as ``after`` to see only later events."""
        with self._cond:
            return self._seq

    def wait_event(self, name: str, predicate: Callable[[Message], bool] | None = None, *,
                   timeout: float | None = None, after: int | None = None) -> Message:
        """Wait for an event called ``name`` (for which ``predicate`` holds) and return it.

        ``after``: only events after this :meth:`mark`; None means after the call (0: any
        event still buffered, such as the FullyBooted sent right after login).
        Raises HarnessTimeout, or AMIError if the connection drops while waiting.
        """
        limit, words = stretched(self.timeout if timeout is None else timeout)
        deadline = time.monotonic() + limit
        with self._cond:
            start = self._seq if after is None else after
            while True:
                for seq, event in self._events:
                    if seq > start and event.get("Event") == name and (
                            predicate is None or predicate(event)):
                        return event
                if self._events:
                    start = max(start, self._events[-1][0])
                if self._closed is not None:
                    raise AMIError(f"AMI {self.address} {self._closed} while waiting for "
                                   f"event {name}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessTimeout(f"AMI {self.address}: no {name} event within "
                                         f"{words}")
                self._cond.wait(remaining)

    # --- internals -----------------------------------------------------------------------

    def _prepare(self, name: str, fields: dict[str, str | int], describe: str | None
                 ) -> tuple[str, str, bytes]:
        """An action's ActionID, its words for messages (``AMI DBPut fam/key``) and bytes."""
        what = f"AMI {name}" + (f" {describe}" if describe else "")
        action_id = f"cutover-{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        for key, value in fields.items():
            text = str(value)
            if "\r" in text or "\n" in text:
                raise ValueError(f"{what}: field {key} contains a line break")
            lines.append(f"{key}: {text}")
        return action_id, what, ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _send(self, payload: bytes, what: str) -> None:
        with self._cond:
            if self._closed is not None:
                raise AMIError(f"{what}: AMI {self.address} {self._closed}")
        try:
            with self._send_lock:
                self._sock.sendall(payload)
        except Exception as exc:
            raise translate_error(exc, f"{what} to {self.address}") from exc

    def _exchange(self, name: str, timeout: float | None, describe: str | None,
                  fields: dict[str, str | int], *, collect: bool) -> tuple[Message, list[Message]]:
        action_id, what, payload = self._prepare(name, fields, describe)
        limit, words = stretched(self.timeout if timeout is None else timeout)
        deadline = time.monotonic() + limit
        with self._cond:
            self._waiting.add(action_id)
            if collect:
                self._lists[action_id] = []
        try:
            self._send(payload, what)
        except HarnessError:
            self._forget(action_id)
            raise
        with self._cond:
            try:
                response = self._await(lambda: self._responses.pop(action_id, None),
                                       deadline, what, words, "response")
                refused = _refusal(response, what)
                if isinstance(refused, AMIError):
                    raise refused
                events: list[Message] = []
                if collect and response.get("EventList", "").lower() == "start":
                    done = self._lists[action_id]
                    self._await(lambda: done if done and done[-1].get(
                        "EventList", "").lower() == "complete" else None,
                        deadline, what, words, "the end of its event list")
                    events = done[:-1]
                return response, events
            finally:
                self._lists.pop(action_id, None)
                self._waiting.discard(action_id)
                self._responses.pop(action_id, None)  # one that came too late stays nowhere

    def _await(self, ready: Callable[[], _T | None], deadline: float, what: str, limit: str,
               thing: str) -> _T:
        """Wait on the condition (held) until ``ready()`` gives a value."""
        while True:
            value = ready()
            if value is not None:
                return value
            if self._closed is not None:
                raise AMIError(f"{what}: AMI {self.address} {self._closed} before {thing}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HarnessTimeout(f"{what}: no {thing} from AMI {self.address} within "
                                     f"{limit}")
            self._cond.wait(remaining)

    def _forget(self, action_id: str) -> None:
        with self._cond:
            self._lists.pop(action_id, None)
            self._responses.pop(action_id, None)
            self._waiting.discard(action_id)

    def _read_loop(self) -> None:
        buffer = b""
        reason = "closed the connection"
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                if not self.banner and b"\r\n" in buffer:
                    line, _, rest = buffer.partition(b"\r\n")
                    if b":" not in line or line.startswith(b"Asterisk Call Manager"):
                        self.banner = line.decode("utf-8", "replace")
                        buffer = rest
                while b"\r\n\r\n" in buffer:
                    block, _, buffer = buffer.partition(b"\r\n\r\n")
                    if block.strip():
                        self._dispatch(_parse(block.decode("utf-8", "replace")))
        except OSError as exc:
            reason = f"connection failed ({exc})"
        finally:
            with self._cond:
                if self._closed is None:
                    self._closed = reason
                self._cond.notify_all()

    def _dispatch(self, message: Message) -> None:
        with self._cond:
            action_id = message.get("ActionID", "")
            if "Response" in message:
                if action_id in self._waiting:  # a late answer to a timed-out action: dropped
                    self._responses[action_id] = message
            elif "Event" in message:
                if action_id in self._lists:
                    # a list action's answer (DBGetResponse): its caller's, not the stream's,
                    # which a session reading AstDB every round would otherwise fill with them
                    self._lists[action_id].append(message)
                else:
                    self._seq += 1
                    self._events.append((self._seq, message))
            self._cond.notify_all()


def _refusal(response: Message, what: str) -> Message | AMIError:
    """``response``, or the AMIError it stands for (``Response: Error``, Asterisk's words)."""
    if response.get("Response", "").lower() != "error":
        return response
    return AMIError(f"{what.replace('AMI ', 'AMI refused ', 1)}: "
                    f"{response.get('Message', 'no reason given')}")


def _parse(block: str) -> Message:
    # a repeated key's values joined once at the end: ``database show`` of a family of 10,000
    # entries is one block of 10,000 Output lines (adding them one by one was quadratic)
    values: dict[str, list[str]] = {}
    for line in block.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep:
            continue
        values.setdefault(key.strip(), []).append(value.strip())
    return {key: "\n".join(parts) for key, parts in values.items()}

"""Carrier trunks and customers' PBX trunks as UDP sockets that record every INVITE and reject it.

A carrier trunk (and a PBX trunk, for signalling checks) does one thing in a verification: it
records what arrived (Request-URI, To, From, P-Asserted-Identity, every header) and answers
``486 Busy Here`` at once, so the call never holds anything. pjsua2 does the same job at a few
calls a second per process (a call slot and media sockets per call); a plain UDP socket read
by one thread does it at thousands, which is what a DDI block of thousands of numbers needs.

Stateless, like :mod:`sip_harness.npserver.server`: each INVITE gets its final answer once (a
retransmission is answered again, and recorded once); the ACK of a 486 has nothing to
acknowledge and is dropped; any other request (OPTIONS, BYE, CANCEL) gets ``200 OK``. Messages
are read with the project's one SIP parser (:mod:`sip_harness.sip_message`).

>>> with TrunkRecorder({"bt": ("127.0.1.1", 0)}) as trunks:            # doctest: +SKIP
...     trunks.arrivals(user="+441632960001")
[]
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
import zlib
from collections.abc import Mapping
from typing import Any

from sim.errors import HarnessError
from sip_harness.agents.invite import Arrival, user_part
from sip_harness.sip_message import MalformedRequest, parse_request, response

__all__ = ["TrunkRecorder", "REJECT"]

#: What every recording trunk answers: Busy Here (the caller's call ends at once).
REJECT = 486
_RCVBUF = 4 << 20


class TrunkRecorder:
    """One UDP socket per place (name -> (host, port)), read by one thread. Thread-safe.

    ``arrivals(**match)`` and ``wait_arrival`` have the same meaning as a pjsua2 agent's
    (:class:`~sip_harness.agents.callboard.CallBoard`): dicts of
    :class:`~sip_harness.agents.invite.Arrival`. Arrivals carrying an ``X-Cutover-Call`` tag
    are also found by it (``by_tag``). Use as a context manager; ``close`` is idempotent.
    Raises HarnessError when an address cannot be bound.
    """

    def __init__(self, places: Mapping[str, tuple[str, int]]) -> None:
        self._cond = threading.Condition()
        self._arrivals: list[Arrival] = []
        self._tagged: dict[str, Arrival] = {}
        self._seen: set[tuple[str, str]] = set()
        self._selector = selectors.DefaultSelector()
        self._socks: dict[str, socket.socket] = {}
        self._stop = threading.Event()
        try:
            for name, (host, port) in places.items():
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._socks[name] = sock
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
                    sock.bind((host, port))
                except OSError as exc:
                    raise HarnessError(f"cannot bind {name}'s trunk on {host}:{port}/udp "
                                       f"({exc.strerror or exc})") from exc
                sock.setblocking(False)
                self._selector.register(sock, selectors.EVENT_READ, name)
        except BaseException:
            self.close()
            raise
        self._thread = threading.Thread(target=self._serve, name="trunk-recorder", daemon=True)
        self._thread.start()

    def __enter__(self) -> TrunkRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def address(self, name: str) -> tuple[str, int]:
        """Where ``name``'s socket is bound (host, port): the port when 0 was asked for."""
        host, port = self._socks[name].getsockname()[:2]
        return str(host), int(port)

    # --- what arrived --------------------------------------------------------------------

    def arrivals(self, **match: str) -> list[dict[str, Any]]:
        """What arrived so far whose fields equal ``match`` (for example user=, from_user=)."""
        with self._cond:
            return [a.as_dict() for a in self._arrivals
                    if all(getattr(a, k) == v for k, v in match.items())]

    def by_tag(self, tag: str) -> dict[str, Any] | None:
        """The arrival whose ``X-Cutover-Call`` header is ``tag``, or None."""
        with self._cond:
            found = self._tagged.get(tag)
            return found.as_dict() if found is not None else None

    def count(self) -> int:
        with self._cond:
            return len(self._arrivals)

    def forget(self) -> None:
        """Drop every arrival recorded so far (between checkpoints)."""
        with self._cond:
            self._arrivals.clear()
            self._tagged.clear()
            self._seen.clear()

    # --- the socket thread ---------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                while True:
                    try:
                        data, source = sock.recvfrom(65535)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        if self._stop.is_set():
                            return
                        break
                    answer = self._answer(str(key.data), sock, data, source)
                    if answer is not None:
                        try:
                            sock.sendto(answer, source)
                        except OSError:
                            pass  # the caller retransmits; nothing to do here

    def _answer(self, name: str, sock: socket.socket, data: bytes,
                source: tuple[str, int]) -> bytes | None:
        if data[:4] == b"ACK " or data[:8] == b"SIP/2.0 " or not data.strip():
            return None  # an ACK of a 486, or a response (nothing here sends requests)
        try:
            request = parse_request(data)
        except MalformedRequest:
            return None
        call_id = request.header("call-id") or ""
        tag = f"{zlib.crc32(call_id.encode()):08x}"
        if request.method != "INVITE":
            return response(request, 200, "OK", to_tag=tag, source=source)
        key = (call_id, request.header("cseq") or "")
        headers = {k: v[0] for k, v in request.headers.items() if v}
        pai = headers.get("p-asserted-identity")
        arrival = Arrival(ua=name, uri=request.uri, user=user_part(request.uri) or request.uri,
                          from_user=user_part(headers.get("from", "")),
                          pai_user=user_part(pai) if pai else None,
                          source=f"{source[0]}:{source[1]}", headers=headers, call=None,
                          answered=REJECT, at=time.monotonic())
        with self._cond:
            if key not in self._seen:
                self._seen.add(key)
                self._arrivals.append(arrival)
                call_tag = headers.get("x-cutover-call")
                if call_tag:
                    self._tagged[call_tag] = arrival
                self._cond.notify_all()
        return response(request, REJECT, "Busy Here", to_tag=tag, source=source)

    def close(self) -> None:
        self._stop.set()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        for sock in self._socks.values():
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        self._socks.clear()
        self._selector.close()

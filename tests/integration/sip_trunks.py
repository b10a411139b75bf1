"""Far ends on loopback that record where calls arrive: one UDP socket per carrier or phone.

Each listener answers an INVITE with 486 Busy Here (enough to end the call at once) and records
the Request-URI, the source and the headers the call carried, so a test can say which trunk a
call reached. Bounded: a daemon thread, sockets closed on exit.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from sip_harness.sip_message import read_message


@dataclass
class Arrival:
    """One INVITE that reached a listener."""

    at: str            # the listener's name (carrier id or phone number)
    uri: str           # Request-URI
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> str:
        return self.uri.split(":", 1)[1].split("@", 1)[0]


class TrunkListeners:
    """Listen on ``addresses`` (name -> (host, port)) while the ``with`` block runs."""

    def __init__(self, addresses: Mapping[str, tuple[str, int]]):
        self.addresses = dict(addresses)
        self.arrivals: list[Arrival] = []
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TrunkListeners:
        for name, (host, port) in self.addresses.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, name)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for key in list(self._selector.get_map().values()):
            self._selector.unregister(key.fileobj)
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Arrival]:
        """The arrivals so far, once there are ``count`` of them (or when ``timeout`` ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.arrivals) >= count:
                    return list(self.arrivals)
            time.sleep(0.02)
        with self._lock:
            return list(self.arrivals)

    def clear(self) -> None:
        with self._lock:
            self.arrivals.clear()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data, source = sock.recvfrom(65535)
                except OSError:
                    continue
                self._handle(key.data, sock, data.decode(errors="replace"), source)

    def _handle(self, name: str, sock: socket.socket, message: str,
                source: tuple[str, int]) -> None:
        msg = read_message(message)
        if not msg.start_line.startswith("INVITE "):
            return  # ACKs and retransmitted responses need nothing
        headers = {name: values[0] for name, values in msg.headers.items()}
        with self._lock:
            self.arrivals.append(Arrival(name, msg.start_line.split(" ")[1], headers))
        reply = ["SIP/2.0 486 Busy Here"]
        for key, spelt in (("via", "Via"), ("from", "From"), ("call-id", "Call-ID"),
                           ("cseq", "CSeq")):
            reply += [f"{spelt}: {value}" for value in msg.headers.get(key, [])]
        to = msg.header("to") or "<>"
        reply += [f"To: {to};tag=busy{abs(hash(headers.get('call-id', ''))) % 10**8}",
                  "Content-Length: 0"]
        sock.sendto(("\r\n".join(reply) + "\r\n\r\n").encode(), source)

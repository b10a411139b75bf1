"""A stand-in for the query server that does next to nothing: the floor SIPp measures here.

It answers each INVITE of the load with the 302 the load expects, from a table built before
the run (request line's number -> Contact), copying the dialog headers without checking them,
and drops everything else but OPTIONS. No parsing beyond splitting lines, no routing core, no
changes. Run with the same SIPp set-up as cutover's server, its response times are what SIPp,
the kernel and this machine add by themselves: the floor under cutover's figures.
"""

from __future__ import annotations

__all__ = ["echo_responder"]

import socket

_COPIED = (b"Via:", b"From:", b"Call-ID:", b"CSeq:")


def echo_responder(rows: list[tuple[str, str]], address: tuple[str, int]) -> None:
    """Serve ``address`` until killed, answering each row's number with its 302."""
    contacts = {number.encode(): (f"Contact: <tel:{number};npdi;rn={rn}>\r\n" if rn
                                  else f"Contact: <tel:{number};npdi>\r\n").encode()
                for number, rn in rows}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(address)
    recv, send = sock.recvfrom, sock.sendto
    while True:
        data, source = recv(65535)
        lines = data.split(b"\r\n")
        method = lines[0][:8]
        if method.startswith(b"INVITE "):
            number = lines[0].split(b":", 2)[1].split(b"@", 1)[0]
            status, extra = b"SIP/2.0 302 Moved Temporarily", contacts.get(number, b"")
        elif method.startswith(b"OPTIONS "):
            status, extra = b"SIP/2.0 200 OK", b"X-Cutover-Version: 0\r\n"
        else:
            continue
        out = [status]
        for line in lines[1:]:
            if line.startswith(_COPIED):
                out.append(line)
            elif line.startswith(b"To:"):
                out.append(line + b";tag=echo")
        send(b"\r\n".join(out) + b"\r\n" + extra + b"Content-Length: 0\r\n\r\n", source)

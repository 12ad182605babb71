"""One test's HTTP conversation with its endpoint: h11 frames it, over sockets the test controls.

The sockets come from :class:`core.wire.Channel`, so every wait is bounded by the test's deadline and ended at once
by a cancel; answers are capped at ``MAX_RESPONSE_BYTES``. Like a well-kept client (and unlike a hand-written one):
- a connection the server said it would close, or closed, is never used again;
- an idle connection that turns out closed (or talking out of turn) is replaced before a request is sent on it;
- a request sent on a reused connection that gets no byte of an answer is sent once more on a fresh one — openwsman
  resets the connection its 401 left open — unless the request belongs to its connection (the second leg of an
  NTLM or Kerberos handshake, which a fresh connection would not know);
- Content-Length, chunked and close-delimited bodies, and any reason phrase (openwsman says ``200 (null)``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from typing import NamedTuple

import h11

from core.errors import Problem
from core.wire import MAX_RESPONSE_BYTES, Channel, Closed, StopReason, receive, send_all, still_open

USER_AGENT = "TestConnection/0.1"
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"


class Reply(NamedTuple):
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # names in lower case, in the order received
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name``."""
        return next((value for key, value in self.headers if key == name.lower()), None)

    def all(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (``WWW-Authenticate`` comes once per scheme)."""
        return tuple(value for key, value in self.headers if key == name.lower())

    @property
    def header_map(self) -> dict[str, str]:
        return dict(reversed(self.headers))  # the first of a repeated header wins


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.protocol = h11.Connection(h11.CLIENT)
        self.reused = False  # whether an earlier request on it was answered


class _NoAnswer(Exception):
    """The connection closed before any byte of the answer arrived."""


class HttpClient:
    """POSTs to one endpoint over the channel's connections, keeping one alive between requests where allowed."""

    def __init__(self, channel: Channel, host_header: str, path: str) -> None:
        self.channel = channel
        self.host_header = host_header
        self.path = path
        self._idle: _Connection | None = None
        self.answered = False  # any byte of the answer in flight has arrived: a partial answer, not silence
        self.answered_any = False  # some request of this test got a whole answer: an HTTP service is there
        self.requests_sent = 0
        self._until: float | None = None  # a share of the deadline for the request in flight

    def adopt(self, sock: socket.socket) -> None:
        """Take the connection the earlier stages opened, for the first request."""
        self._idle = _Connection(sock)

    def post(
        self, body: bytes, headers: Mapping[str, str], *, bound: bool = False, within: float | None = None
    ) -> Reply:
        """POST ``body`` and read the whole answer.

        ``bound``: the request belongs to the connection it is sent on (never retried on another). ``within``: give
        up after this many seconds, before the deadline (:class:`Timeout` either way).
        """
        self._until = None if within is None else time.monotonic() + within
        try:
            connection = self._take()
            try:
                return self._exchange(connection, body, headers)
            except _NoAnswer:
                if bound or not connection.reused:
                    raise Problem("http.closed") from None
            try:
                return self._exchange(_Connection(self.channel.open()), body, headers)
            except _NoAnswer:
                raise Problem("http.closed") from None
        finally:
            self._until = None

    def close(self) -> None:
        if self._idle is not None:
            self._drop(self._idle)
            self._idle = None

    # --- one exchange -----------------------------------------------------------------------------------------

    def _take(self) -> _Connection:
        connection, self._idle = self._idle, None
        if connection is not None and connection.reused and not still_open(connection.sock):
            self._drop(connection)
            connection = None
        return connection if connection is not None else _Connection(self.channel.open())

    def _exchange(self, connection: _Connection, body: bytes, headers: Mapping[str, str]) -> Reply:
        self.answered = False
        self.requests_sent += 1
        protocol = connection.protocol
        names = {name.lower() for name in headers}
        fields = [
            ("Host", self.host_header),
            ("User-Agent", USER_AGENT),
            ("Accept-Encoding", "identity"),
            *([] if "content-type" in names else [("Content-Type", SOAP_CONTENT_TYPE)]),
            *headers.items(),
            ("Content-Length", str(len(body))),
        ]
        request = protocol.send(h11.Request(method="POST", target=self.path, headers=fields)) or b""
        request += (protocol.send(h11.Data(data=body)) or b"") if body else b""
        request += protocol.send(h11.EndOfMessage()) or b""
        try:
            self._send(connection.sock, request)
            reply = self._receive(connection)
        except BaseException:
            self._drop(connection)
            raise
        if protocol.our_state is h11.DONE and protocol.their_state is h11.DONE:
            protocol.start_next_cycle()
            connection.reused = True
            self._idle = connection
        else:  # the server said it closes (or closed, for a close-delimited body): never reuse it
            self._drop(connection)
        self.answered_any = True
        return reply

    def _timeout(self) -> float:
        remaining = self.channel.deadline.remaining()
        if self._until is not None:
            remaining = min(remaining, self._until - time.monotonic())
        return max(remaining, 0.001)

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            send_all(sock, data, self._timeout())
        except Closed:
            # What closed it may still be waiting to be read: a TLS 1.3 server's "certificate required" alert.
            receive(sock, self._timeout())
            raise _NoAnswer() from None

    def _receive(self, connection: _Connection) -> Reply:
        protocol, sock = connection.protocol, connection.sock
        head: h11.Response | None = None
        body = bytearray()
        start = b""  # the first bytes of the answer, to tell a banner from HTTP at once
        received = 0
        while True:
            try:
                event = protocol.next_event()
            except h11.RemoteProtocolError as exc:
                raise self._broken(exc, received, start) from None
            if event is h11.NEED_DATA:
                chunk = receive(sock, self._timeout())
                if not chunk and not received:
                    raise _NoAnswer()
                received += len(chunk)
                self.answered = self.answered or bool(chunk)
                if received > MAX_RESPONSE_BYTES:
                    self.channel.interrupter.interrupt(StopReason.OVERSIZED)
                    raise Problem("http.oversized")
                if len(start) < 64:
                    start = (start + chunk)[:64]
                    if not _may_be_http(start):  # another protocol's greeting: no need to wait for more of it
                        raise _not_http(start)
                protocol.receive_data(chunk)
            elif isinstance(event, h11.Response):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
            # h11.InformationalResponse (100 Continue and the like) carries nothing for us.
        if head is None:
            raise Problem("http.closed")
        return Reply(
            status=head.status_code,
            reason=head.reason.decode("latin-1"),
            headers=tuple((bytes(k).decode("latin-1"), bytes(v).decode("latin-1")) for k, v in head.headers),
            body=bytes(body),
        )

    def _broken(self, exc: h11.RemoteProtocolError, received: int, start: bytes) -> Problem:
        if received == 0:
            return Problem("http.closed")
        if not start.startswith(b"HTTP/"):
            return _not_http(start)
        return Problem("http.broken", reason=str(exc) or type(exc).__name__)

    def _drop(self, connection: _Connection) -> None:
        self.channel.interrupter.forget(connection.sock)
        connection.sock.close()


def _may_be_http(start: bytes) -> bool:
    return start.startswith(b"HTTP/") or b"HTTP/".startswith(start)


def _not_http(start: bytes) -> Problem:
    return Problem("http.not_http", banner=start.split(b"\n", 1)[0].decode("latin-1", "replace").strip()[:60])


__all__ = ["SOAP_CONTENT_TYPE", "USER_AGENT", "HttpClient", "Reply"]

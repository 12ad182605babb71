"""A loopback TCP server whose answer to each connection is whatever the test sets: for fuzzing the client.

One connection at a time: it reads the HTTP request (headers and a Content-Length body, briefly), sends
``reply`` (bytes) in one go, optionally resets instead of closing politely, and closes. It never keeps a
connection open, so no answer can make the client wait for the deadline unless ``hold`` asks for it. ``script``
holds replies for the next connections, one each, before ``reply`` takes over (a conversation of several requests).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

HOST = "127.0.0.1"


class HostileServer:
    def __init__(self) -> None:
        self.reply: bytes = b""
        self.reset: bool = False  # close with RST (SO_LINGER 0) instead of FIN
        self.read_request: bool = True  # False: answer (or close) before reading anything
        self.hold: float = 0.0  # seconds to keep the connection open after the reply
        self.script: list[bytes] = []  # the next connections' replies, in order; then ``reply`` again
        self.connections = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hostile-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/wsman"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            try:
                self._answer(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        if self.read_request:
            _read_request(conn)
        reply = self.script.pop(0) if self.script else self.reply
        if reply:
            conn.sendall(reply)
        if self.hold:
            self._stop.wait(self.hold)
        if self.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    while len(body) < min(length, 65536):
        chunk = conn.recv(4096)
        if not chunk:
            return
        body += chunk

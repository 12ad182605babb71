"""A lab endpoint that can be switched off and on, as a machine that reboots: a loopback TCP forwarder in front of
a running lab endpoint. The watch tests and the watch screenshot (gui/screenshots.py) use it.

Down, nothing listens on its port (a connection is refused, as from a machine whose WinRM service stopped); up,
it listens on the same port again and passes every byte both ways. Real sockets only, on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class Switchable:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self._host = host
        self._target = target_port
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        probe = socket.socket()
        probe.bind((host, 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.up()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://{self._host}:{self.port}/wsman"

    def up(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._host, self.port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # switched off
            try:
                server = socket.create_connection((self._host, self._target), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def __enter__(self) -> Switchable:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.down()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

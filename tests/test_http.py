"""The test's HTTP client against a scripted server on loopback: framing, closing and retrying as real servers need."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from core.errors import Problem
from core.http import HttpClient
from core.wire import Channel, Deadline, Interrupter

OK_5 = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


class ScriptedServer:
    """Serves connection i with script[i]: each entry answers one request (bytes), or "reset" / "close" it;
    "close-now" closes without waiting for another request."""

    def __init__(self, *scripts: list[bytes | str]) -> None:
        self.scripts = list(scripts)
        self.accepted = 0
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            script = self.scripts[self.accepted] if self.accepted < len(self.scripts) else []
            self.accepted += 1
            threading.Thread(target=self._connection, args=(conn, script), daemon=True).start()

    def _connection(self, conn: socket.socket, script: list[bytes | str]) -> None:
        with conn:
            for step in script:
                if step == "close-now":
                    return
                request = self._read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                if step == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if step == "close":
                    return
                assert isinstance(step, bytes)
                conn.sendall(step)
            conn.recv(1)  # hold the connection open until the client closes it

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(
            b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return head

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def client_for() -> Iterator[object]:
    made: list[tuple[ScriptedServer, HttpClient, Interrupter]] = []

    def make(*scripts: list[bytes | str]) -> tuple[ScriptedServer, HttpClient]:
        server = ScriptedServer(*scripts)
        interrupter = Interrupter()
        channel = Channel([(socket.AF_INET, ("127.0.0.1", server.port))], "127.0.0.1", None, Deadline(5), interrupter)
        client = HttpClient(channel, f"127.0.0.1:{server.port}", "/wsman")
        made.append((server, client, interrupter))
        return server, client

    yield make
    for server, client, interrupter in made:
        client.close()
        interrupter.close_all()
        server.close()


def test_a_chunked_answer_is_read_whole(client_for) -> None:  # type: ignore[no-untyped-def]
    _, client = client_for([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"])
    reply = client.post(b"x", {})
    assert (reply.status, reply.body) == (200, b"hello")


def test_a_close_delimited_answer_is_read_whole_and_its_connection_never_reused(client_for) -> None:  # type: ignore[no-untyped-def]
    server, client = client_for([b"HTTP/1.0 200 OK\r\n\r\nhello", "close-now"], [OK_5])
    first = client.post(b"", {})
    second = client.post(b"", {})
    assert first.body == second.body == b"hello"
    assert server.accepted == 2


def test_openwsmans_status_line_and_connection_close_are_understood(client_for) -> None:  # type: ignore[no-untyped-def]
    server, client = client_for(
        [b"HTTP/1.1 200 (null)\r\nConnection: Close\r\nContent-Length: 5\r\n\r\nhello"], [OK_5]
    )
    reply = client.post(b"", {})
    assert (reply.status, reply.reason) == (200, "(null)")
    client.post(b"", {})
    assert server.accepted == 2  # the closed connection was not tried again


def test_a_kept_connection_reset_before_any_answer_is_retried_once_on_a_fresh_one(client_for) -> None:  # type: ignore[no-untyped-def]
    server, client = client_for([OK_5, "reset"], [OK_5])
    client.post(b"", {})
    reply = client.post(b"again", {"Authorization": "Basic x"})
    assert reply.status == 200
    assert server.accepted == 2 and len(server.requests) == 3


def test_a_fresh_connection_that_resets_is_not_retried(client_for) -> None:  # type: ignore[no-untyped-def]
    server, client = client_for(["reset"], [OK_5])
    with pytest.raises(Problem) as found:
        client.post(b"", {})
    assert found.value.kind == "http.closed"
    assert server.accepted == 1


def test_a_request_bound_to_its_connection_is_never_sent_on_another(client_for) -> None:  # type: ignore[no-untyped-def]
    server, client = client_for([OK_5, "reset"], [OK_5])
    client.post(b"", {})
    with pytest.raises(Problem) as found:
        client.post(b"authenticate", {}, bound=True)
    assert found.value.kind == "http.closed"
    assert server.accepted == 1


def test_the_retry_happens_once_only(client_for) -> None:  # type: ignore[no-untyped-def]
    server, client = client_for([OK_5, "reset"], ["reset"], [OK_5])
    client.post(b"", {})
    with pytest.raises(Problem):
        client.post(b"", {})
    assert server.accepted == 2


def test_banner_bytes_are_not_http(client_for) -> None:  # type: ignore[no-untyped-def]
    _, client = client_for([b"SSH-2.0-OpenSSH_9.6\r\n"])
    with pytest.raises(Problem) as found:
        client.post(b"", {})
    assert found.value.kind == "http.not_http" and found.value.facts["banner"] == "SSH-2.0-OpenSSH_9.6"

"""The lab's servers: one asyncio event loop on one thread serves every endpoint and every connection.

One loop (not a thread per connection) keeps hundreds of concurrent clients cheap, makes `latency` a sleep
instead of a blocked thread, and makes stop() simple: cancel the tasks, stop the loop, join one thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import ssl
import struct
import threading
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from core.lab import _xml
from core.lab._flavours import FLAVOURS
from core.lab._http import HTTPAPI, Refuse, Request, RequestReader, Response, html_page
from core.lab._scenarios import Scenario
from core.lab._shells import ShellTable
from core.lab._winrm import SOAP_TYPE, ConnState, WinRMListener

if TYPE_CHECKING:
    from core.lab._kerberos import KerberosService

log = logging.getLogger(__name__)
T = TypeVar("T")

OVERSIZED_BYTES = 64 * 1024 * 1024
TRICKLE_INTERVAL = 0.25
TRICKLE_FOR = 60.0
SILENT_FOR = 60.0  # how long OMI holds a connection that never authenticates
SSH_BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"
# HTTP.sys's own page for a Host header no listener is bound to (it is never localised).
INVALID_HOSTNAME = (
    b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    b"<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n"
    b'<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    b"<BODY><h2>Bad Request - Invalid Hostname</h2>\r\n<hr><p>HTTP Error 400. The request hostname is invalid.</p>\r\n"
    b"</BODY></HTML>\r\n"
)


class Endpoint:
    """Serves one scenario's connections."""

    def __init__(
        self,
        scenario: Scenario,
        users: Mapping[str, str],
        latency: float,
        tls: ssl.SSLContext | None,
        shells: ShellTable,
        kerberos: KerberosService | None = None,
        shell_latency: float = 0.0,
    ) -> None:
        self.scenario = scenario
        self.latency = latency
        self.tls = tls
        flavour = FLAVOURS[scenario.flavour]
        self.listener = WinRMListener(scenario, flavour, users, tls is not None, shells, kerberos, shell_latency)

    # ---- connection level -------------------------------------------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        kind = self.scenario.kind
        if self.tls is not None:
            await writer.start_tls(self.tls, ssl_handshake_timeout=10.0)
        if kind == "silent":
            while await reader.read(65536):
                pass
        elif kind == "reset":
            await reader.read(1)
            _reset(writer)
        elif kind == "not-http":
            writer.write(SSH_BANNER)
            await writer.drain()
            # An SSH server waits for the client's banner, then gives up on garbage.
            await asyncio.wait_for(reader.read(65536), timeout=30.0)
        else:
            await self._http(reader, writer)

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests = RequestReader(reader)
        state = ConnState()
        while True:
            try:
                request = await requests.request()
            except Refuse as refused:
                writer.write(refused.response.head() + refused.response.body)
                await writer.drain()
                return
            if request is None:
                return
            if state.challenged and self.listener.flavour.reset_after_challenge:
                _reset(writer)  # openwsman: the 401 said nothing of closing, yet the next request is reset
                return
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            if self.scenario.kind == "trickle":
                await self._trickle(writer)
                return
            if self.scenario.kind == "oversized":
                await self._oversized(writer)
                return
            response = self.respond(state, request)
            if response is None:  # OMI: no answer to a request that does not authenticate
                await asyncio.wait_for(reader.read(), timeout=SILENT_FOR)
                return
            if response.delay:
                await asyncio.sleep(response.delay)
            writer.write(response.head() + response.body)
            await writer.drain()
            state.challenged = response.status == 401 and not response.close
            if response.close or (request.header("connection") or "").lower() == "close":
                return

    async def _trickle(self, writer: asyncio.StreamWriter) -> None:
        body = _xml.windows_identify("OS: 0.0.0 SP: 0.0 Stack: 3.0")
        response = Response(200, "OK", [("Server", HTTPAPI), ("Content-Type", SOAP_TYPE)], body)
        writer.write(response.head())
        await writer.drain()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TRICKLE_FOR
        for i in range(len(body)):
            if loop.time() >= deadline:
                return
            writer.write(body[i : i + 1])
            await writer.drain()
            await asyncio.sleep(TRICKLE_INTERVAL)

    async def _oversized(self, writer: asyncio.StreamWriter) -> None:
        head, tail, filler = _xml.oversized_parts(OVERSIZED_BYTES)
        response = Response(200, "OK", [("Server", HTTPAPI), ("Content-Type", SOAP_TYPE)])
        writer.write(response.head(OVERSIZED_BYTES) + head)
        chunk = b"A" * 65536
        while filler > 0:
            # drain() waits for the client to read, and raises once it has gone: nothing piles up here.
            await writer.drain()
            writer.write(chunk[: min(filler, len(chunk))])
            filler -= len(chunk)
        writer.write(tail)
        await writer.drain()

    # ---- request level (synchronous: nothing here waits) ------------------------------------------------

    def respond(self, state: ConnState, request: Request) -> Response | None:
        kind = self.scenario.kind
        if kind == "iis-404":
            return html_page(404, "Not Found", "Microsoft-IIS/10.0", "404 - File or directory not found.")
        if kind == "invalid-hostname":
            return Response(400, "Bad Request", [("Content-Type", "text/html; charset=us-ascii"),
                                                 ("Server", HTTPAPI)], INVALID_HOSTNAME)
        if kind == "captive-portal":
            response = html_page(302, "Found", "nginx/1.24.0", "Redirecting to the login page")
            response.headers.append(("Location", "http://portal.lab.invalid/login?continue=%2Fwsman"))
            return response
        if kind == "waf-413":
            return html_page(413, "Request Entity Too Large", "BigIP", "The requested URL was rejected.")
        if kind == "proxy-407":
            reason = "Proxy Authentication Required"
            response = html_page(407, reason, "squid/6.6", reason)
            response.headers.append(("Proxy-Authenticate", 'Basic realm="proxy"'))
            return response
        if kind == "bad-gateway":
            return html_page(502, "Bad Gateway", "nginx/1.24.0", "502 Bad Gateway")
        if kind == "xml-bomb":
            return Response(200, "OK", [("Server", HTTPAPI), ("Content-Type", SOAP_TYPE)], _xml.billion_laughs())
        return self.listener.respond(state, request)


def _reset(writer: asyncio.StreamWriter) -> None:
    # SO_LINGER 0 turns close() into an RST instead of an orderly FIN.
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class LoopThread:
    """The event loop thread, the servers on it, and every connection task (so stop() can end them)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(self._quiet)
        self._thread = threading.Thread(target=self._run, name="testconnection-lab")
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @staticmethod
    def _quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Broken handshakes and resets are what the lab is for: not worth a traceback on stderr.
        log.debug("lab: %s", context.get("message"), exc_info=context.get("exception"))

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self) -> None:
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def listen(self, endpoint: Endpoint) -> int:
        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await endpoint.serve(reader, writer)
            except (OSError, TimeoutError, EOFError):
                pass  # the client went away or the handshake failed: both are normal here
            except Exception:
                log.exception("lab %s: unexpected error", endpoint.scenario.name)  # a lab bug: show it
            finally:
                self._tasks.discard(task)
                writer.transport.abort() if task.cancelling() else writer.close()

        server = await asyncio.start_server(connection, host="127.0.0.1", port=0, backlog=1024)
        self._servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        await asyncio.sleep(0)  # let the transports run their close callbacks

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.call(self._close(), timeout=5.0)
        except (concurrent.futures.TimeoutError, RuntimeError):
            log.warning("lab: connections did not close in time")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


class Blackhole:
    """A port whose TCP handshake never completes.

    listen(0) plus our own idle connections fill the accept queue; Linux then drops further SYNs, so a
    client's connect() times out exactly as behind a dropping firewall.
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", self.port))
            self._fillers.append(filler)

    def close(self) -> None:
        for sock in [*self._fillers, self._listener]:
            sock.close()


class CertificateGate:
    """A TLS 1.3 listener that demands a client certificate, on its own thread with blocking sockets.

    Blocking, because OpenSSL then writes its "certificate required" alert to the socket itself, after the
    client's Finished, exactly where a real server's alert arrives; asyncio's TLS drops the connection without it.
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="testconnection-lab-certificate-gate", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            with conn:
                conn.settimeout(5.0)
                try:
                    with self._context.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except (OSError, ssl.SSLError):
                    pass  # the refusal is the point

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5.0)


def free_port() -> int:
    """A loopback port with nothing listening (bound then released: another process could take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

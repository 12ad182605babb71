"""The lab's servers: one asyncio event loop on one thread serves every endpoint and every connection.

One loop (not a thread per connection) keeps hundreds of concurrent clients cheap, makes `latency` a sleep
instead of a blocked thread, and makes stop() simple: cancel the tasks, stop the loop, join one thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hmac
import logging
import re
import socket
import ssl
import struct
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import spnego

from core.lab import _xml
from core.lab._scenarios import Scenario

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
OVERSIZED_BYTES = 64 * 1024 * 1024
TRICKLE_INTERVAL = 0.25
TRICKLE_FOR = 60.0
SSH_BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"
HTTPAPI = "Microsoft-HTTPAPI/2.0"
SOAP_TYPE = "application/soap+xml;charset=UTF-8"
BOUNDARY = b"--Encrypted Boundary"
ENCRYPTED_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
ENCRYPTED_TYPE = f'multipart/encrypted;protocol="{ENCRYPTED_PROTOCOL}";boundary="Encrypted Boundary"'
_METHOD = re.compile(rb"[A-Z]{1,16} ")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    close: bool = False

    def head(self, length: int | None = None) -> bytes:
        size = len(self.body) if length is None else length
        lines = [f"HTTP/1.1 {self.status} {self.reason}", *(f"{k}: {v}" for k, v in self.headers)]
        lines.append(f"Content-Length: {size}")
        if self.close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _html(status: int, reason: str, server: str | None, text: str, close: bool = False) -> Response:
    headers = [("Server", server)] if server else []
    headers.append(("Content-Type", "text/html; charset=us-ascii"))
    body = f"<!DOCTYPE html><html><head><title>{reason}</title></head><body><h2>{text}</h2></body></html>"
    return Response(status, reason, headers, body.encode(), close)


class _Refuse(Exception):
    """The request cannot be served; answer `response` and close."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.reason)
        self.response = response


def _looks_like_http(start: bytes) -> bool:
    """An HTTP method and a space, or so far only the capital letters of one."""
    return bool(_METHOD.match(start)) or (len(start) <= 16 and start.isalpha() and start.isupper())


class _Stream:
    """Reads HTTP/1.1 requests (Content-Length bodies only) from a connection, keep-alive included."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buf = bytearray()

    async def _fill(self) -> bool:
        chunk = await self._reader.read(65536)
        self._buf += chunk
        return bool(chunk)

    async def request(self) -> Request | None:
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            # Decide early: a TLS ClientHello or a banner never contains a blank line, so waiting for one
            # would hang. HTTP.sys answers such bytes with 400 Bad Request, and so do we.
            if self._buf and not _looks_like_http(bytes(self._buf[:17])):
                raise _Refuse(_html(400, "Bad Request", HTTPAPI, "Bad Request - Invalid Verb", close=True))
            if len(self._buf) > MAX_HEAD:
                too_large = _html(431, "Request Header Fields Too Large", HTTPAPI, "Header too large", True)
                raise _Refuse(too_large)
            if not await self._fill():
                return None
        head = bytes(self._buf[:end]).decode("latin-1")
        del self._buf[: end + 4]
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _Refuse(_html(400, "Bad Request", HTTPAPI, "Bad Request", close=True))
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise _Refuse(_html(400, "Bad Request", HTTPAPI, "Bad Request - Invalid Header", close=True))
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        request = Request(parts[0], parts[1], headers)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _Refuse(_html(411, "Length Required", HTTPAPI, "Length Required", close=True))
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise _Refuse(_html(400, "Bad Request", HTTPAPI, "Bad Content-Length", close=True)) from None
        if length > MAX_BODY or length < 0:
            # Not read: a 1 MiB cap protects the lab; closing is what HTTP.sys does with a refused body.
            raise _Refuse(_html(413, "Request Entity Too Large", HTTPAPI, "Request Entity Too Large", True))
        while len(self._buf) < length:
            if not await self._fill():
                return None
        request.body = bytes(self._buf[:length])
        del self._buf[:length]
        return request


@dataclass
class _ConnState:
    """Per TCP connection: NTLM authenticates the connection, not the request (HTTP keep-alive)."""

    ctx: spnego.ContextProxy | None = None
    user: str | None = None


class Endpoint:
    """Serves one scenario's connections."""

    def __init__(
        self, scenario: Scenario, users: Mapping[str, str], latency: float, tls: ssl.SSLContext | None
    ) -> None:
        self.scenario = scenario
        self.users = {name.lower(): (name, password) for name, password in users.items()}
        self.latency = latency
        self.tls = tls

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
            # SO_LINGER 0 turns close() into an RST instead of an orderly FIN.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif kind == "not-http":
            writer.write(SSH_BANNER)
            await writer.drain()
            # An SSH server waits for the client's banner, then gives up on garbage.
            await asyncio.wait_for(reader.read(65536), timeout=30.0)
        else:
            await self._http(reader, writer)

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = _Stream(reader)
        state = _ConnState()
        while True:
            try:
                request = await stream.request()
            except _Refuse as refused:
                writer.write(refused.response.head() + refused.response.body)
                await writer.drain()
                return
            if request is None:
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
            writer.write(response.head() + response.body)
            await writer.drain()
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

    def respond(self, state: _ConnState, request: Request) -> Response:
        kind = self.scenario.kind
        if kind == "iis-404":
            return _html(404, "Not Found", "Microsoft-IIS/10.0", "404 - File or directory not found.")
        if kind == "proxy-407":
            reason = "Proxy Authentication Required"
            response = _html(407, reason, "squid/6.6", reason)
            response.headers.append(("Proxy-Authenticate", 'Basic realm="proxy"'))
            return response
        if kind == "bad-gateway":
            return _html(502, "Bad Gateway", "nginx/1.24.0", "502 Bad Gateway")
        if kind == "xml-bomb":
            return self._soap(200, _xml.billion_laughs())
        return self._winrm(state, request)

    @property
    def _server(self) -> list[tuple[str, str]]:
        flavour = self.scenario.flavour
        if flavour == "omi":
            return []
        return [("Server", "openwsman" if flavour == "openwsman" else HTTPAPI)]

    def _soap(self, status: int, body: bytes) -> Response:
        reason = {200: "OK", 500: "Internal Server Error"}[status]
        return Response(status, reason, [*self._server, ("Content-Type", SOAP_TYPE)], body)

    def _challenge(self) -> Response:
        challenges = [("WWW-Authenticate", scheme) for scheme in self._offers]
        return Response(401, "Unauthorized", [*self._server, *challenges])

    @property
    def _offers(self) -> tuple[str, ...]:
        return self.scenario.offers

    def _offered(self, scheme: str) -> bool:
        return any(s.split(" ")[0].lower() == scheme for s in self._offers)

    def _identify(self, authenticated: bool) -> bytes:
        flavour = self.scenario.flavour
        if flavour == "omi":
            return _xml.OMI_IDENTIFY
        if flavour == "openwsman":
            return _xml.OPENWSMAN_IDENTIFY
        if flavour == "win2008r2":
            if authenticated:
                return _xml.windows_identify("OS: 6.1.7601 SP: 1.0 Stack: 2.0", _xml.WINDOWS_PROFILES, False)
            return _xml.windows_identify("OS: 0.0.0 SP: 0.0 Stack: 2.0", lang=False)
        if authenticated:
            return _xml.windows_identify("OS: 10.0.20348 SP: 0.0 Stack: 3.0", _xml.WINDOWS_PROFILES)
        return _xml.windows_identify("OS: 0.0.0 SP: 0.0 Stack: 3.0")

    def _winrm(self, state: _ConnState, request: Request) -> Response:
        paths = {"/wsman"} | ({"/wsman-anon/identify"} if self.scenario.flavour == "openwsman" else set())
        if request.path.split("?")[0].lower() not in paths:
            return _html(404, "Not Found", HTTPAPI, "Not Found")
        if request.method != "POST":
            response = _html(405, "Method Not Allowed", HTTPAPI, "Method Not Allowed")
            response.headers.append(("Allow", "POST"))
            return response
        authorization = request.header("authorization")
        anonymous = self.scenario.flavour in ("omi", "openwsman") or (
            (request.header("wsmanidentify") or "").strip().lower() == "unauthenticated"
        )
        if anonymous and authorization is None:
            try:
                identify = _xml.is_identify(request.body)
            except _xml.BadRequest:
                return self._soap(500, _xml.SCHEMA_FAULT)
            return self._soap(200, self._identify(False)) if identify else self._challenge()

        extra: list[tuple[str, str]] = []
        basic = False
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() == "basic" and self._offered("basic"):
                if not self._basic_ok(token.strip()):
                    return self._challenge()
                basic = True
            elif scheme.lower() in ("negotiate", "ntlm") and self._offered("negotiate"):
                refused, extra = self._negotiate(state, scheme, token.strip())
                if refused is not None:
                    return refused
            else:
                return self._challenge()
        elif state.user is None:
            return self._challenge()

        body = request.body
        sealed = not basic and ENCRYPTED_PROTOCOL.lower() in (request.header("content-type") or "").lower()
        if sealed:
            assert state.ctx is not None
            try:
                body = _unseal(state.ctx, body)
            except Exception as exc:  # tampered, garbled, or sealed on another connection: 400 like Windows
                # NTLM is connection-bound: a body sealed on one TCP connection cannot be opened on another.
                log.debug("lab %s: cannot unseal the message: %r", self.scenario.name, exc)
                return _html(400, "Bad Request", HTTPAPI, "Bad Request", close=True)
        elif not basic and body and self.tls is None:
            # AllowUnencrypted=false: Windows refuses a readable NTLM message over plain HTTP.
            return self._challenge()
        if not body:
            # pywinrm's empty POST that sets up message encryption.
            return Response(200, "OK", [*self._server, *extra])
        response = self._authenticated(body)
        response.headers.extend(extra)
        if sealed:
            assert state.ctx is not None
            response.body = _seal(state.ctx, response.body)
            response.headers = [
                (k, ENCRYPTED_TYPE if k == "Content-Type" else v) for k, v in response.headers
            ]
        return response

    def _authenticated(self, body: bytes) -> Response:
        try:
            identify = _xml.is_identify(body)
        except _xml.BadRequest:
            return self._soap(500, _xml.SCHEMA_FAULT)
        if not identify:
            return self._soap(500, _xml.ACTION_NOT_SUPPORTED_FAULT)
        if self.scenario.after_auth == "access-denied":
            return self._soap(500, _xml.ACCESS_DENIED_FAULT)
        if self.scenario.after_auth == "timeout-fault":
            return self._soap(500, _xml.TIMED_OUT_FAULT)
        return self._soap(200, self._identify(True))

    def _known(self, principal: str) -> str | None:
        name = principal.rsplit("\\", 1)[-1].split("@", 1)[0]
        entry = self.users.get(name.lower())
        return entry[0] if entry else None

    def _basic_ok(self, token: str) -> bool:
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        name, sep, password = decoded.partition(":")
        user = self._known(name) if sep else None
        if user is None:
            return False
        return hmac.compare_digest(password.encode(), self.users[user.lower()][1].encode())

    def _negotiate(
        self, state: _ConnState, scheme: str, token: str
    ) -> tuple[Response | None, list[tuple[str, str]]]:
        """One step of NTLM (raw or inside SPNEGO): (401 to send, or None when done; headers for the 200)."""
        try:
            raw = base64.b64decode(token, validate=True)
        except binascii.Error:
            return self._challenge(), []
        if state.ctx is None or state.ctx.complete or raw[:1] == b"\x60" or raw.startswith(b"NTLMSSP\0\1"):
            # The first token of a handshake (again, when a client re-authenticates on this connection).
            # pyspnego's own Negotiate/NTLM, never the platform's: on Windows the default is SSPI, which checks
            # the lab user against the PC's real accounts instead of the lab's NTLM user file.
            state.ctx = spnego.server(protocol="negotiate", options=spnego.NegotiateOptions.use_negotiate)
            state.user = None
        try:
            out = state.ctx.step(raw)
        except Exception:  # any malformed token or wrong password is a failed logon, nothing more
            state.ctx = None
            return self._challenge(), []
        headers = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
        if not state.ctx.complete:
            return Response(401, "Unauthorized", [*self._server, *headers]), []
        # The NTLM user file is shared by every live lab: only accept this lab's own users.
        state.user = self._known(state.ctx.client_principal or "")
        if state.user is None:
            state.ctx = None
            return self._challenge(), []
        return None, headers


def _unseal(ctx: spnego.ContextProxy, body: bytes) -> bytes:
    """MS-WSMV 2.2.9.1.1 framing, mirrored from pywinrm's winrm/encryption.py."""
    parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
    match = re.search(rb"Length=(\d+)", parts[0])
    if len(parts) != 2 or match is None:
        raise ValueError("not an encrypted WinRM message")
    payload = parts[1].removesuffix(BOUNDARY + b"--\r\n")
    payload = payload.removeprefix(b"\tContent-Type: application/octet-stream\r\n")
    (sig_len,) = struct.unpack("<I", payload[:4])
    plain: bytes = ctx.unwrap_winrm(payload[4 : 4 + sig_len], payload[4 + sig_len :])
    if len(plain) != int(match.group(1)):
        raise ValueError("encrypted length does not match")
    return plain


def _seal(ctx: spnego.ContextProxy, plain: bytes) -> bytes:
    wrapped = ctx.wrap_winrm(plain)
    return (
        BOUNDARY + b"\r\n"
        b"\tContent-Type: " + ENCRYPTED_PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(plain)).encode() + b"\r\n"
        + BOUNDARY + b"\r\n"
        b"\tContent-Type: application/octet-stream\r\n"
        + struct.pack("<I", len(wrapped.header)) + wrapped.header + wrapped.data
        + BOUNDARY + b"--\r\n"
    )


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


def free_port() -> int:
    """A loopback port with nothing listening (bound then released: another process could take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

"""Sockets for one test: connect, TLS, bounded reads, and interruption from another thread.

Every socket a test opens is registered with its :class:`Interrupter`. Cancelling, hitting the overall deadline
or receiving an oversized answer all end the same way: the socket is shut down, which wakes whatever ``recv`` or
``send`` is blocked on it at once (closing it from another thread would not). The reason is recorded first, so
the classifier knows why the read failed without guessing from exception texts.

The same sockets carry pywinrm's requests: :func:`channel_adapter` plugs into the ``requests`` session that
pywinrm builds, so the authenticated Identify reuses the connection the earlier stages opened, and any new
connection it needs goes through the same deadline, TLS settings and interruption.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import heapq
import io
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from requests.adapters import HTTPAdapter

MAX_RESPONSE_BYTES = 1024 * 1024  # an IdentifyResponse is a few KiB, encrypted or not


class StopReason(enum.Enum):
    CANCELLED = "cancelled"
    DEADLINE = "deadline"
    OVERSIZED = "oversized"


class Interrupted(OSError):
    """Raised when a socket is about to be used after its test was interrupted."""


class Interrupter:
    """Shuts down every socket of one test, from any thread, recording why."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self.reason: StopReason | None = None

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self.reason is None:
                self._sockets.add(sock)
                return
        _shutdown(sock)
        raise Interrupted(f"test {self.reason.value}")

    def forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def interrupt(self, reason: StopReason) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            sock.close()


def _shutdown(sock: socket.socket) -> None:
    # OSError: not connected yet, or already gone: nothing in flight to wake.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class Deadline:
    """One overall deadline for a whole test (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at


class _Timers:
    """One daemon thread that fires every test's deadline: cheaper than a ``threading.Timer`` per test."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()  # scheduled and not yet fired or cancelled: cancel is O(1), no heap scan
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def call_at(self, when: float, callback: Callable[[], None]) -> int:
        with self._cond:
            timer_id = next(self._ids)
            # Wake the timer thread only when this deadline comes before the one it sleeps until: with one timeout
            # for every test it hardly ever does, and a wake-up per test would cost a thread switch per test.
            sooner = not self._heap or when < self._heap[0][0]
            heapq.heappush(self._heap, (when, timer_id, callback))
            self._live.add(timer_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="testconnection-deadlines", daemon=True)
                self._thread.start()
            elif sooner:
                self._cond.notify()
            return timer_id

    def cancel(self, timer_id: int) -> None:
        with self._cond:
            self._live.discard(timer_id)  # its heap entry is skipped when it comes up

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    # Drop cancelled deadlines first, so the thread sleeps until the next live one instead of
                    # waking for every test that has long finished (nearly all of them do, well before their timeout).
                    while self._heap and self._heap[0][1] not in self._live:
                        heapq.heappop(self._heap)
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, timer_id, callback = heapq.heappop(self._heap)
                self._live.discard(timer_id)
            callback()


timers = _Timers()


# --- connecting ---------------------------------------------------------------------------------------------

Address = tuple[int, tuple[Any, ...]]  # (family, sockaddr) as getaddrinfo gives them


def literal_family(host: str) -> int | None:
    """The address family of an address literal, which needs no DNS lookup; None for a name (or a scoped IPv6
    literal, whose scope id getaddrinfo has to work out)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:  # not contextlib.suppress: this runs twice per test, and a with-block costs more than the check
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return family
    return None


def resolve(host: str, port: int) -> list[Address]:
    family = literal_family(host)
    if family == socket.AF_INET:
        return [(family, (host, port))]
    if family == socket.AF_INET6:
        return [(family, (host, port, 0, 0))]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[Address] = []
    for family, _, _, _, sockaddr in infos:
        if (family, sockaddr) not in seen:
            seen.append((family, sockaddr))
    return seen


def connect(addresses: list[Address], deadline: Deadline, interrupter: Interrupter) -> socket.socket:
    """Connect to the first address that accepts, within the deadline. Raises the last error otherwise."""
    last_error: OSError = TimeoutError("no address to connect to")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            interrupter.register(sock)
            sock.settimeout(max(deadline.remaining(), 0.001))
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError as exc:
            interrupter.forget(sock)
            sock.close()
            last_error = exc
            if isinstance(exc, Interrupted) or deadline.expired:
                break
    raise last_error


@dataclass(frozen=True)
class TlsSettings:
    ca_check: bool = True
    cn_check: bool = True
    ca_file: str | None = None
    client_cert: tuple[str, str] | None = None  # (cert PEM, key PEM) for certificate authentication

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # like Windows' own client: nothing older by default
        if self.ca_check:
            context.check_hostname = self.cn_check
            if self.ca_file:
                context.load_verify_locations(cafile=self.ca_file)
            else:
                context.load_default_certs()
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.client_cert:
            context.load_cert_chain(*self.client_cert)
        return context


def start_tls(
    sock: socket.socket,
    settings: TlsSettings,
    context: ssl.SSLContext,
    host: str,
    deadline: Deadline,
    interrupter: Interrupter,
) -> ssl.SSLSocket:
    # Wrapping detaches the plain socket, so the TLS socket is registered before the handshake can block.
    interrupter.forget(sock)
    tls = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    interrupter.register(tls)
    tls.settimeout(max(deadline.remaining(), 0.001))
    tls.do_handshake()
    if not settings.ca_check and settings.cn_check:
        # With the CA check off, OpenSSL cannot check the name for us; do it on the certificate itself.
        check_certificate_name(tls.getpeercert(binary_form=True), host)
    return tls


class CertificateNameError(ssl.SSLError):
    pass


def check_certificate_name(der: bytes | None, host: str) -> None:
    import ipaddress

    from cryptography import x509

    if not der:
        raise CertificateNameError("the server sent no certificate")
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    try:
        wanted_ip: Any = ipaddress.ip_address(host)
    except ValueError:
        wanted_ip = None
    if wanted_ip is not None:
        if wanted_ip in san.get_values_for_type(x509.IPAddress):
            return
    else:
        for name in san.get_values_for_type(x509.DNSName):
            if _dns_name_matches(name.lower(), host.lower()):
                return
    names = [str(v) for v in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)]
    raise CertificateNameError(f"Hostname mismatch, certificate is not valid for '{host}' (it names {names})")


def _dns_name_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.count(".") == pattern.count(".") and host.endswith(pattern[1:])
    return pattern == host


# --- bounded reading ----------------------------------------------------------------------------------------


class _BoundedRaw(socket.SocketIO):
    """A socket reader that stops the test once one response exceeds its byte budget."""

    def __init__(self, sock: socket.socket, budget: int, interrupter: Interrupter) -> None:
        super().__init__(sock, "rb")
        sock._io_refs += 1  # type: ignore[attr-defined]  # as socket.makefile does, so close() is balanced
        self._budget = budget
        self._interrupter = interrupter

    def readinto(self, buffer: Any) -> int | None:
        count = super().readinto(buffer)
        if count:
            self._budget -= count
            if self._budget < 0:
                self._interrupter.interrupt(StopReason.OVERSIZED)
                raise Interrupted("the answer is larger than any WS-Management reply should be")
        return count


class BoundedSocket:
    """Wraps a connected socket: reads through ``makefile`` are capped at ``MAX_RESPONSE_BYTES`` per answer.

    http.client (and so urllib3 and requests) reads every response through ``sock.makefile("rb")``; everything
    else is passed through to the real socket.
    """

    def __init__(self, sock: socket.socket, interrupter: Interrupter) -> None:
        self.real = sock
        self._interrupter = interrupter

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_: Any) -> io.BufferedReader:
        if "w" in mode:
            raise ValueError("write through sendall")
        return io.BufferedReader(_BoundedRaw(self.real, MAX_RESPONSE_BYTES, self._interrupter))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


# --- the channel pywinrm's requests go through --------------------------------------------------------------


class Channel:
    """The connections of one test to one endpoint: the one the stages opened, and any pywinrm needs later."""

    def __init__(
        self,
        addresses: list[Address],
        host: str,
        tls: TlsSettings | None,
        deadline: Deadline,
        interrupter: Interrupter,
    ) -> None:
        self.addresses = addresses
        self.host = host
        self.tls = tls
        self.deadline = deadline
        self.interrupter = interrupter
        self.verified = tls is not None and tls.ca_check
        self.context = tls.context() if tls else None
        self._idle: socket.socket | None = None
        self.connections_opened = 0
        self.last_challenges: tuple[str, ...] = ()  # WWW-Authenticate of the latest 401

    def open(self) -> socket.socket:
        sock = connect(self.addresses, self.deadline, self.interrupter)
        self.connections_opened += 1
        if self.tls is None or self.context is None:
            return sock
        return start_tls(sock, self.tls, self.context, self.host, self.deadline, self.interrupter)

    def keep_idle(self, sock: socket.socket) -> None:
        """Offer a connection whose last response was read to the end, for the next request to reuse."""
        self._idle = sock

    def take(self) -> socket.socket:
        sock, self._idle = self._idle, None
        return sock if sock is not None else self.open()

    def adapter(self) -> HTTPAdapter:
        return channel_adapter(self)


def channel_adapter(channel: Channel) -> HTTPAdapter:
    """A ``requests`` adapter whose every connection comes from ``channel``; no proxies, no retries."""
    return _adapter_class()(channel)


@functools.cache
def _adapter_class() -> Callable[[Channel], HTTPAdapter]:
    # Built on first use: requests and urllib3 cost ~50 ms to import, and only pywinrm's schemes need them, so an
    # anonymous test (and the CLI's cold start) never pays for them.
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class _ChannelConnectionMixin:
        channel: Channel
        sock: Any
        timeout: Any

        def _take(self) -> None:
            self.sock = BoundedSocket(self.channel.take(), self.channel.interrupter)

    class _ChannelHTTPConnection(_ChannelConnectionMixin, HTTPConnection):
        def connect(self) -> None:
            self._take()

    class _ChannelHTTPSConnection(_ChannelConnectionMixin, HTTPSConnection):
        def connect(self) -> None:
            self._take()
            self.is_verified = self.channel.verified

    class _ChannelHTTPPool(HTTPConnectionPool):
        ConnectionCls = _ChannelHTTPConnection
        channel: Channel

        def _new_conn(self) -> Any:
            conn = super()._new_conn()
            conn.channel = self.channel  # type: ignore[attr-defined]
            return conn

    class _ChannelHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _ChannelHTTPSConnection
        channel: Channel

        def _new_conn(self) -> Any:
            conn = super()._new_conn()
            conn.channel = self.channel  # type: ignore[attr-defined]
            return conn

    class ChannelAdapter(HTTPAdapter):
        """A ``requests`` adapter whose every connection comes from a :class:`Channel`; no proxies, no retries.

        It hands out one pool whatever the request's pool key: NTLM is bound to its connection, and a second pool
        would authenticate again on a fresh one.
        """

        def __init__(self, channel: Channel) -> None:
            self.channel = channel
            self._pool: HTTPConnectionPool | None = None
            super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

        def get_connection_with_tls_context(
            self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
        ) -> HTTPConnectionPool:
            if self._pool is None:
                https = self.channel.tls is not None
                pool_class = _ChannelHTTPSPool if https else _ChannelHTTPPool
                port = int(self.channel.addresses[0][1][1]) if self.channel.addresses else (443 if https else 80)
                self._pool = pool_class(self.channel.host, port, maxsize=1, block=False, retries=0)
                self._pool.channel = self.channel
            return self._pool

        def close(self) -> None:
            if self._pool is not None:
                self._pool.close()
            super().close()

        def build_response(self, req: Any, resp: Any) -> Any:
            response = super().build_response(req, resp)
            if response.status_code == 401:
                self.channel.last_challenges = tuple(resp.headers.getlist("WWW-Authenticate"))
            return response

    return ChannelAdapter

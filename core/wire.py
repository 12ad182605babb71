"""Sockets for one test: connect, TLS, bounded reads, and interruption from another thread.

Every socket a test opens is registered with its :class:`Interrupter`. Cancelling, hitting the overall deadline
or receiving an oversized answer all end the same way: the socket is shut down, which wakes whatever ``recv`` or
``send`` is blocked on it at once (closing it from another thread would not). The reason is recorded first, so
the classifier knows why the read failed without guessing from exception texts.

Errors are turned into :class:`core.errors.Problem` here, where they arise: the classifier never sees a socket or
ssl exception. :mod:`core.http` speaks HTTP over these sockets.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import heapq
import itertools
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.errors import Problem, Timeout

if TYPE_CHECKING:

    from core.tls import TlsSettings

MAX_RESPONSE_BYTES = 1024 * 1024  # an IdentifyResponse is a few KiB, encrypted or not


class StopReason(enum.Enum):
    CANCELLED = "cancelled"
    DEADLINE = "deadline"
    OVERSIZED = "oversized"


class Interrupted(OSError):
    """Raised when a socket is about to be used after its test was interrupted."""


class Interrupter:
    """Shuts down every socket of one test, from any thread, recording why; and wakes whatever waits on an event
    instead of a socket (a KDC exchange on a helper thread, see ``core.offload``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._events: set[threading.Event] = set()
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

    def watch(self, event: threading.Event) -> None:
        """Set ``event`` when the test is interrupted; at once if it already was."""
        with self._lock:
            if self.reason is None:
                self._events.add(event)
                return
        event.set()

    def unwatch(self, event: threading.Event) -> None:
        with self._lock:
            self._events.discard(event)

    def interrupt(self, reason: StopReason) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            sockets = list(self._sockets)
            events, self._events = self._events, set()
        for sock in sockets:
            _shutdown(sock)
        for event in events:
            event.set()

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
        self._heap: list[tuple[float, int]] = []
        # Scheduled and not yet fired or cancelled. A cancel drops the callback at once (O(1), no heap scan): it
        # holds the whole finished test, which would otherwise live on until its deadline came up in the heap.
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def call_at(self, when: float, callback: Callable[[], None]) -> int:
        with self._cond:
            timer_id = next(self._ids)
            # Wake the timer thread only when this deadline comes before the one it sleeps until: with one timeout
            # for every test it hardly ever does, and a wake-up per test would cost a thread switch per test.
            sooner = not self._heap or when < self._heap[0][0]
            heapq.heappush(self._heap, (when, timer_id))
            self._callbacks[timer_id] = callback
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="testconnection-deadlines", daemon=True)
                self._thread.start()
            elif sooner:
                self._cond.notify()
            return timer_id

    def cancel(self, timer_id: int) -> None:
        with self._cond:
            self._callbacks.pop(timer_id, None)  # its heap entry is skipped when it comes up

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    # Drop cancelled deadlines first, so the thread sleeps until the next live one instead of
                    # waking for every test that has long finished (nearly all of them do, well before their timeout).
                    while self._heap and self._heap[0][1] not in self._callbacks:
                        heapq.heappop(self._heap)
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, timer_id = heapq.heappop(self._heap)
                callback = self._callbacks.pop(timer_id)
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
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Problem("dns.not_found", reason=exc.strerror) from None
    except UnicodeError as exc:  # a label the IDNA codec refuses (too long, bad characters)
        raise Problem("dns.not_found", reason=str(exc)) from None
    seen: list[Address] = []
    for family, _, _, _, sockaddr in infos:
        if (family, sockaddr) not in seen:
            seen.append((family, sockaddr))
    return seen


def connect(addresses: list[Address], deadline: Deadline, interrupter: Interrupter) -> socket.socket:
    """Connect to the first address that accepts, within the deadline; otherwise raise what the last one said."""
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
    raise _connect_problem(last_error) from None


def _connect_problem(exc: OSError) -> Exception:
    if isinstance(exc, Interrupted):
        return exc  # cancelled or out of time: the interrupter knows which
    if isinstance(exc, TimeoutError):
        return Timeout()
    if isinstance(exc, ConnectionRefusedError):
        return Problem("tcp.refused")
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Problem("tcp.no_route", reason=exc.strerror)
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError):
        return Problem("http.closed")
    return exc


# --- reading and writing --------------------------------------------------------------------------------------

_CLOSED_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ENOTCONN}


class Closed(Exception):
    """The peer closed or reset the connection before a write went through."""


def send_all(sock: socket.socket, data: bytes, timeout: float) -> None:
    """Write ``data``; :class:`Closed` when the peer has closed or reset the connection."""
    sock.settimeout(timeout)
    try:
        sock.sendall(data)
    except TimeoutError:
        raise Timeout() from None
    except OSError as exc:
        if exc.errno in _CLOSED_ERRNOS or _is_tls_eof(exc):
            raise Closed() from None
        raise _tls_read_problem(exc) from None


def receive(sock: socket.socket, timeout: float) -> bytes:
    """The next bytes from ``sock``; ``b""`` when the peer closed or reset the connection."""
    sock.settimeout(timeout)
    try:
        return sock.recv(65536)
    except TimeoutError:
        raise Timeout() from None
    except OSError as exc:
        if exc.errno in _CLOSED_ERRNOS or _is_tls_eof(exc):
            return b""
        raise _tls_read_problem(exc) from None


def _is_tls_eof(exc: OSError) -> bool:
    ssl = sys.modules.get("ssl")  # not imported: no TLS connection exists, so no TLS error either
    return ssl is not None and isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError)


def _tls_read_problem(exc: OSError) -> Exception:
    ssl = sys.modules.get("ssl")
    if ssl is None or not isinstance(exc, ssl.SSLError):
        return exc
    if exc.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED":
        # TLS 1.3 sends this alert after a handshake that looked fine, at the first read: the TLS layer failed,
        # whatever stage noticed it.
        return Problem("tls.client_certificate", stage="tls", reason=exc.reason)
    return Problem("tls.failed", reason=exc.reason or str(exc))


def still_open(sock: socket.socket) -> bool:
    """An idle connection must have nothing to read: readable means closed, or a server talking out of turn."""
    import select

    if getattr(sock, "pending", lambda: 0)():  # TLS bytes already decrypted and waiting
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


# --- the connections of one test ----------------------------------------------------------------------------


class Channel:
    """Opens the connections of one test to one endpoint: TCP, then TLS where asked, within the deadline."""

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
        self.context = tls.context() if tls else None
        self.connections_opened = 0

    def open(self) -> socket.socket:
        sock = connect(self.addresses, self.deadline, self.interrupter)
        self.connections_opened += 1
        if self.tls is None or self.context is None:
            return sock
        from core.tls import start_tls  # here: a test over HTTP never loads TLS (or ssl)

        return start_tls(sock, self.tls, self.context, self.host, self.deadline, self.interrupter)

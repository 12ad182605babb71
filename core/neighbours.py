"""Is the host there at all? When the WinRM port does not connect, a quick look at the ports Windows usually answers on.

A port that accepts or refuses a connection proves the host is up: a refusal is the host's own reset. So "no answer
on 5985" becomes "port 5985 filtered — the host answers on 3389 and 445" (WinRM's firewall rule) or "nothing at this
address answers" (off, asleep, or the wrong address). The look only connects — it sends no byte — to every port at
once, within a short share of the test's deadline; cancel stops it like any other socket of the test.
"""

from __future__ import annotations

import errno
import select
import socket
import time
from typing import Any, NamedTuple

from core.wire import Interrupted, Interrupter

# SMB, the RPC endpoint mapper and Remote Desktop: what a Windows machine answers on even when WinRM is off.
WINDOWS_PORTS = (445, 135, 3389)
WINRM_PORTS = (5985, 5986)
LOOK_SECONDS = 1.5  # a host on a network this PC reaches answers a connect well within this
LOOK_SHARE = 0.15  # and the look never takes more than this share of a test's whole time
_POLL = 0.05  # how often a look in flight checks for cancel, where shutting a connecting socket does not wake it
_REFUSED = {errno.ECONNREFUSED, getattr(errno, "WSAECONNREFUSED", errno.ECONNREFUSED)}
_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, getattr(errno, "WSAEWOULDBLOCK", errno.EAGAIN)}


def usual_ports(tested: int) -> tuple[int, ...]:
    """The ports to look at: 445, 135, 3389 and the WinRM ports, except the one that did not connect."""
    return tuple(port for port in (*WINDOWS_PORTS, *WINRM_PORTS) if port != tested)


def look_seconds(timeout: float) -> float:
    """How long a look may take in a test of ``timeout`` seconds."""
    return min(LOOK_SECONDS, LOOK_SHARE * timeout)


def reserve(timeout: float) -> float:
    """What the tcp stage keeps back from its own connect for a look, and for the verdict after it."""
    return 1.5 * look_seconds(timeout)


class Look(NamedTuple):
    """Which of the ports looked at accepted a connection, refused it, or gave no answer in time."""

    open: tuple[int, ...]
    closed: tuple[int, ...]
    silent: tuple[int, ...]
    seconds: float  # how long the look waited for the silent ones

    @property
    def host_up(self) -> bool:
        return bool(self.open or self.closed)

    @property
    def answering(self) -> str:
        """"3389, 445" (accepting first, then refusing): every port whose answer proves the host is up."""
        return ", ".join(str(port) for port in (*self.open, *self.closed))

    def note(self) -> str:
        """The finding in one sentence, for the diagnosis' notes."""
        said = []
        if self.open:
            said.append(f"{_ports(self.open)} {'accepts' if len(self.open) == 1 else 'accept'} connections")
        if self.closed:
            said.append(f"{_ports(self.closed)} {'refuses' if len(self.closed) == 1 else 'refuse'}")
        if self.silent:
            verb = "does" if len(self.silent) == 1 else "do"
            said.append(f"{_ports(self.silent)} {verb} not answer within {self.seconds:.2g} s")
        verdict = "the host is up" if self.host_up else "nothing at this address answers"
        return f"Other ports: {'; '.join(said)} — {verdict}."


def _ports(ports: tuple[int, ...]) -> str:
    return ", ".join(str(port) for port in ports)


def look(
    family: int, sockaddr: tuple[Any, ...], ports: tuple[int, ...], until: float, interrupter: Interrupter
) -> Look | None:
    """Connect to ``ports`` of the address in ``sockaddr`` (its own port ignored), all at once, until the
    monotonic time ``until``; None when the test was cancelled (or its deadline struck) meanwhile.

    Ports that answer at all answer within about one round trip: once one has, the look waits a few more round
    trips for the others rather than the whole time given.
    """
    started = time.monotonic()
    answers: dict[int, bool] = {}  # port → accepted (True) or refused (False)
    pending: dict[socket.socket, int] = {}
    opened: list[socket.socket] = []
    try:
        for port in ports:
            sock = socket.socket(family, socket.SOCK_STREAM)
            opened.append(sock)
            sock.setblocking(False)
            interrupter.register(sock)
            _answer(sock.connect_ex((sockaddr[0], port, *sockaddr[2:])), sock, port, pending, answers)
        first_answer = 0.0 if answers else None
        while pending and interrupter.reason is None:
            now = time.monotonic()
            end = until if first_answer is None else min(until, started + max(3 * first_answer, 0.1))
            if now >= end:
                break
            waiting = list(pending)
            # A failed connect shows as writable on POSIX and as an exception on Windows.
            _, writable, failed = select.select([], waiting, waiting, min(end - now, _POLL))
            for sock in {*writable, *failed}:
                port = pending.pop(sock)
                _answer(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), sock, port, pending, answers)
            if first_answer is None and answers:
                first_answer = time.monotonic() - started
    except Interrupted:
        return None
    finally:
        for sock in opened:
            interrupter.forget(sock)
            sock.close()
    if interrupter.reason is not None:
        return None
    return Look(
        open=tuple(port for port in ports if answers.get(port) is True),
        closed=tuple(port for port in ports if answers.get(port) is False),
        silent=tuple(port for port in ports if port not in answers),
        seconds=time.monotonic() - started,
    )


def _answer(code: int, sock: socket.socket, port: int, pending: dict[socket.socket, int],
            answers: dict[int, bool]) -> None:
    """File a connect's outcome: accepted, refused, still in flight, or no answer (unreachable: like silence)."""
    if code == 0:
        answers[port] = True
    elif code in _REFUSED:
        answers[port] = False
    elif code in _IN_PROGRESS:
        pending[sock] = port

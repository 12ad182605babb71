"""The first two layers: the name resolves, and the port accepts a TCP connection.

When the port does not connect, a look at other ports (``core.neighbours``) tells a filtered port on a host that is
up from a host that is not there at all; the connect keeps back a short share of the deadline for it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from core import neighbours
from core.errors import Problem, Timeout
from core.stages.base import Stage, fixed
from core.wire import Deadline, connect, resolve

if TYPE_CHECKING:
    from core.probe import Probe


def _dns(probe: Probe) -> str:
    probe.addresses = resolve(probe.endpoint.host, probe.endpoint.port)
    return ", ".join(str(sockaddr[0]) for _, sockaddr in probe.addresses[:3])


def _tcp(probe: Probe) -> str:
    started = time.perf_counter()
    options = probe.options
    deadline = probe.deadline
    if options.port_look:  # the connect ends early enough for the look and its verdict to fit the deadline
        deadline = Deadline(max(deadline.remaining() - neighbours.reserve(options.timeout), 0.001))
    try:
        probe.socket = connect(probe.addresses, deadline, probe.interrupter)
    except Problem as exc:
        if options.port_look and exc.kind in ("timeout", "tcp.refused") and probe.interrupter.reason is None:
            raise _looked_around(probe, exc) from None
        raise
    probe.connect_ms = (time.perf_counter() - started) * 1000  # a round trip: what later waits are scaled by
    try:
        host, port = probe.socket.getpeername()[:2]
    except OSError:  # the peer accepted and reset at once; the next stage's request finds out and says so
        return "connected, then reset"
    return f"{host}:{port}"


def _looked_around(probe: Probe, problem: Problem) -> Problem:
    """What the other ports say about a port that timed out or refused: a note, and for a timeout its kind."""
    if not probe.addresses:
        return problem
    family, sockaddr = probe.addresses[0]  # of several addresses, the one a Windows client tries first
    endpoint, options = probe.endpoint, probe.options
    now = time.monotonic()
    seconds = neighbours.look_seconds(options.timeout)
    until = min(now + seconds, probe.deadline.at - seconds / 2)  # never up to the deadline: the verdict needs time
    ports = options.look_ports or neighbours.usual_ports(endpoint.port)
    found = neighbours.look(family, sockaddr, ports, until, probe.interrupter) if until > now else None
    if found is None:  # cancelled, or no time left to look
        return problem
    probe.notes += (found.note(),)
    if not isinstance(problem, Timeout):
        return problem  # a refusal already proves the host is up; the note says what else it answers on
    if found.host_up:
        return Problem("tcp.filtered", answering=found.answering)
    return Problem("tcp.host_down", looked=", ".join(str(port) for port in ports))


DNS = Stage(
    "dns",
    "DNS",
    "Resolve the host name to addresses (an address needs no lookup).",
    "",
    _dns,
    fixed("dns.timeout"),
    "Name resolution",
)
TCP = Stage(
    "tcp",
    "TCP",
    "Open a TCP connection to the WinRM port.",
    "",
    _tcp,
    fixed("tcp.timeout"),
    "Network (TCP)",
)

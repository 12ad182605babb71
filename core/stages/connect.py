"""The first two layers: the name resolves, and the port accepts a TCP connection."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from core.stages.base import Stage, fixed
from core.wire import connect, resolve

if TYPE_CHECKING:
    from core.probe import Probe


def _dns(probe: Probe) -> str:
    probe.addresses = resolve(probe.endpoint.host, probe.endpoint.port)
    return ", ".join(str(sockaddr[0]) for _, sockaddr in probe.addresses[:3])


def _tcp(probe: Probe) -> str:
    started = time.perf_counter()
    probe.socket = connect(probe.addresses, probe.deadline, probe.interrupter)
    probe.connect_ms = (time.perf_counter() - started) * 1000  # a round trip: what later waits are scaled by
    try:
        host, port = probe.socket.getpeername()[:2]
    except OSError:  # the peer accepted and reset at once; the next stage's request finds out and says so
        return "connected, then reset"
    return f"{host}:{port}"


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

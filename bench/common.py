"""Shared pieces: statistics, tables, goals, the machine description, a lab in its own process, and counters."""

from __future__ import annotations

import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Goal:
    name: str
    passed: bool | None  # None: could not be measured (e.g. the GUI is not there yet)
    detail: str

    @property
    def verdict(self) -> str:
        return "N/A" if self.passed is None else ("PASS" if self.passed else "MISS")


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str = ""  # pyinstrument text where a goal was missed

    def markdown(self) -> str:
        out = [f"## {self.title}", "", table(self.headers, self.rows), ""]
        if self.goals:
            out += [table(["goal", "verdict", "measured"], [[g.name, g.verdict, g.detail] for g in self.goals]), ""]
        out += [f"- {n}" for n in self.notes]
        if self.notes:
            out.append("")
        if self.profile:
            out += [
                "<details><summary>profile (pyinstrument)</summary>",
                "",
                "```",
                self.profile.rstrip(),
                "```",
                "",
                "</details>",
                "",
            ]
        return "\n".join(out)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "-"
    value = seconds * 1000
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms" if value < 1000 else f"{value:,.0f} ms"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "-"


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        ("CPU", cpu),
        ("cores (logical)", str(os.cpu_count())),
        ("RAM", ram),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OS", f"{platform.system()} {platform.release()} ({platform.platform()})"),
        ("load average at start", load),
        ("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
    ]


class LabProcess:
    """`testconnection-lab` in its own process (a server that does not share our interpreter or GIL)."""

    def __init__(self, only: Sequence[str], latency: float = 0.0) -> None:
        args = [str(VENV_BIN / "testconnection-lab"), "--only", ",".join(only)]
        if latency:
            args += ["--latency", str(latency)]
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.urls: dict[str, str] = {}
        self.ca_file = ""
        assert self._proc.stdout is not None
        deadline = time.monotonic() + 30
        for line in self._proc.stdout:
            match = re.match(r"(\S+)\s+((?:http|https)://\S+)", line)
            if match:
                self.urls[match.group(1)] = match.group(2)
            if line.startswith("CA file to trust"):
                self.ca_file = line.split(":", 1)[1].strip()
            if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
                break
        missing = set(only) - set(self.urls)
        if missing:
            self.close()
            raise RuntimeError(f"the lab process did not start {sorted(missing)}")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> LabProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WireCounter:
    """Counts, per lab scenario, the TCP connections the lab accepts and the HTTP requests it answers.

    Installed by wrapping two methods of the lab's (in-process) endpoint class; nothing in core changes.
    """

    def __init__(self) -> None:
        self.connections: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.trace: list[tuple[str, str]] | None = None  # (scenario, "request -> status") while tracing
        self._lock = threading.Lock()

    def snapshot(self, scenario: str) -> tuple[int, int]:
        with self._lock:
            return self.connections[scenario], self.requests[scenario]

    @contextmanager
    def installed(self) -> Iterator[WireCounter]:
        from core.lab import _server

        cls: Any = _server.Endpoint
        serve, respond = cls.serve, cls.respond
        counter = self

        async def counting_serve(endpoint: Any, reader: Any, writer: Any) -> None:
            with counter._lock:
                counter.connections[endpoint.scenario.name] += 1
            await serve(endpoint, reader, writer)

        def counting_respond(endpoint: Any, state: Any, request: Any) -> Any:
            with counter._lock:
                counter.requests[endpoint.scenario.name] += 1
            response = respond(endpoint, state, request)
            if counter.trace is not None:
                auth = (request.header("authorization") or "").split(" ")
                scheme = auth[0] + (" " + _ntlm_type(auth[1]) if len(auth) > 1 and auth[0] == "Negotiate" else "")
                kind = "encrypted" if "multipart/encrypted" in (request.header("content-type") or "") else "SOAP"
                what = f"{request.method} {kind} body {len(request.body)} B, Authorization: {scheme or '(none)'}"
                with counter._lock:
                    status = response.status if response is not None else "no answer"
                    counter.trace.append((endpoint.scenario.name, f"{what} → {status}"))
            return response

        cls.serve, cls.respond = counting_serve, counting_respond
        try:
            yield self
        finally:
            cls.serve, cls.respond = serve, respond


def _ntlm_type(token: str) -> str:
    import base64
    import binascii

    try:
        raw = base64.b64decode(token)
    except (binascii.Error, ValueError):
        return "?"
    if raw.startswith(b"NTLMSSP\0") and len(raw) >= 12:
        return {1: "(NTLM negotiate)", 2: "(NTLM challenge)", 3: "(NTLM authenticate)"}.get(raw[8], "(NTLM ?)")
    return "(SPNEGO)"


@contextmanager
def probe_profiler(enabled: bool) -> Iterator[list[Any]]:
    """Profile every `Probe.run` (the test's worker thread) with pyinstrument; yields the list of sessions."""
    sessions: list[Any] = []
    if not enabled:
        yield sessions
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        yield sessions
        return
    from core import probe

    run = probe.Probe.run

    def profiled(self: Any) -> Any:
        profiler = Profiler(interval=0.0002)
        profiler.start()
        try:
            return run(self)
        finally:
            sessions.append(profiler.stop())

    probe.Probe.run = profiled  # type: ignore[method-assign]
    try:
        yield sessions
    finally:
        probe.Probe.run = run  # type: ignore[method-assign]


def profile_text(sessions: Sequence[Any], limit: int = 60) -> str:
    if not sessions:
        return ""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session as PSession

    combined = sessions[0]
    for s in sessions[1:]:
        combined = PSession.combine(combined, s)
    # Flat (self time per function): the sessions come from many short-lived threads, whose trees do not merge.
    text = ConsoleRenderer(unicode=False, color=False, flat=True, show_all=True).render(combined)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(("  _", " /", "/"))]
    return "\n".join(lines[:limit] + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else []))


def main_thread_profile(fn: Callable[[], object], limit: int = 60) -> str:
    """pyinstrument over `fn` run on this thread."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return "(pyinstrument not installed)"
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        fn()
    finally:
        session = profiler.stop()
    return profile_text([session], limit)


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port

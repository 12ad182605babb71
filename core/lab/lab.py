"""`Lab`: starts the scenario endpoints on loopback and describes what a test connection should find."""

from __future__ import annotations

import shutil
import socket
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

from core.lab import _ntlm_users
from core.lab._certs import Pki, make_pki
from core.lab._scenarios import SCENARIO_TABLE, SCENARIOS, Scenario
from core.lab._server import Blackhole, Endpoint, LoopThread

HOST = "127.0.0.1"  # the lab never listens anywhere else
DEFAULT_USERS: Mapping[str, str] = {"alice": "Lab-Passw0rd!"}
WRONG_PASSWORD = "Not-The-Passw0rd!"  # noqa: S105 - deliberately wrong, for the demo


@dataclass(frozen=True)
class LabEndpoint:
    """One running lab endpoint, and what the demo should try against it and expect."""

    name: str
    url: str
    host: str
    port: int
    transport: str  # "http" / "https", as in the URL
    description: str
    auth: str  # "none", "basic", "ntlm", "negotiate"
    username: str | None
    password: str | None  # for wrong-password: the deliberately wrong one
    expect_ok: bool
    expect_stage: str | None  # "dns", "tcp", "tls", "wsman", "auth"
    expect_result: str  # MI result name, e.g. "MI_RESULT_OK"
    expect_category: str | None  # MI error category name, e.g. "CONNECTION_ERROR"


class Lab:
    """Local WS-Management endpoints that behave like Windows WinRM and like broken machines."""

    def __init__(
        self,
        scenarios: Sequence[str] | None = None,
        users: Mapping[str, str] | None = None,
        latency: float = 0.0,
    ) -> None:
        names = list(SCENARIOS if scenarios is None else scenarios)
        unknown = [n for n in names if n not in SCENARIO_TABLE]
        if unknown:
            raise ValueError(f"unknown lab scenarios: {', '.join(unknown)}")
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self._scenarios = [s for s in SCENARIO_TABLE.values() if s.name in names]  # always SCENARIOS order
        self._users: dict[str, str] = dict(DEFAULT_USERS if users is None else users)
        _ntlm_users.check_usernames(self._users)
        self._latency = latency
        self._tmp: str | None = None
        self._ca_file: str | None = None
        self._loop: LoopThread | None = None
        self._blackholes: list[Blackhole] = []
        self._reserved: list[socket.socket] = []
        self._endpoints: dict[str, LabEndpoint] = {}

    # ---- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._loop is not None:
            raise RuntimeError("lab already started")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self._tmp = tempfile.mkdtemp(prefix="testconnection-lab-")  # 0700, removed on stop
        pki = make_pki(self._tmp)
        self._ca_file = pki.ca_file
        _ntlm_users.register(id(self), self._users)
        self._loop = LoopThread()
        self._loop.start()
        for scenario in self._scenarios:
            if scenario.kind == "refused":
                # Bound and never listening: connections are refused, and no endpoint started after it can take
                # the port (one merely found free was taken again by a later endpoint under Wine).
                reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                reserved.bind(("127.0.0.1", 0))
                self._reserved.append(reserved)
                port = reserved.getsockname()[1]
            elif scenario.kind == "blackhole":
                hole = Blackhole()
                self._blackholes.append(hole)
                port = hole.port
            else:
                endpoint = Endpoint(scenario, self._users, self._latency, _tls_context(pki, scenario))
                port = self._loop.call(self._loop.listen(endpoint))
            self._endpoints[scenario.name] = self._describe(scenario, port)

    def stop(self) -> None:
        """Close every socket and join the lab's thread; safe to call twice."""
        if self._loop is not None:
            self._loop.stop()
            self._loop = None
        for hole in self._blackholes:
            hole.close()
        self._blackholes.clear()
        for reserved in self._reserved:
            reserved.close()
        self._reserved.clear()
        _ntlm_users.unregister(id(self))
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._endpoints.clear()

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- what is running --------------------------------------------------------------------------------

    def endpoint(self, name: str) -> LabEndpoint:
        return self._endpoints[name]

    @property
    def endpoints(self) -> list[LabEndpoint]:
        return list(self._endpoints.values())

    def url(self, name: str) -> str:
        return self.endpoint(name).url

    @property
    def ca_file(self) -> str:
        if self._ca_file is None or self._tmp is None:
            raise RuntimeError("the lab CA exists only while the lab runs")
        return self._ca_file

    @property
    def users(self) -> Mapping[str, str]:
        return dict(self._users)

    def _describe(self, scenario: Scenario, port: int) -> LabEndpoint:
        username = next(iter(self._users), None) if scenario.auth != "none" else None
        password = None
        if username is not None:
            password = WRONG_PASSWORD if scenario.wrong_password else self._users[username]
        return LabEndpoint(
            name=scenario.name,
            url=f"{scenario.scheme}://{HOST}:{port}/wsman",
            host=HOST,
            port=port,
            transport=scenario.scheme,
            description=scenario.description,
            auth=scenario.auth,
            username=username,
            password=password,
            expect_ok=scenario.expect_ok,
            expect_stage=scenario.expect_stage,
            expect_result=scenario.expect_result,
            expect_category=scenario.expect_category,
        )


def _tls_context(pki: Pki, scenario: Scenario) -> ssl.SSLContext | None:
    if scenario.cert is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*getattr(pki, scenario.cert))
    return context

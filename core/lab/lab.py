"""`Lab`: starts the scenario endpoints on loopback and describes what a test connection should find."""

from __future__ import annotations

import shutil
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

from core.failures import KINDS
from core.lab import _ntlm_users
from core.lab._certs import Pki, make_pki
from core.lab._scenarios import SCENARIO_TABLE, SCENARIOS, Scenario
from core.lab._server import Blackhole, CertificateGate, Endpoint, LoopThread, free_port

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
    auth: str  # an AuthType value: "none", "basic", "ntlm", …
    username: str | None
    password: str | None  # for wrong-password: the deliberately wrong one
    allow_unencrypted: bool  # Basic over plain HTTP, where the scenario is about a server that wants it
    timeout: float | None  # the deadline the demo gives this one; None: the demo's own
    expect_ok: bool
    expect_stage: str | None  # "dns", "tcp", "tls", "wsman", "auth"
    expect_kind: str | None  # the failure kind (core.failures), e.g. "tcp.refused"
    # The ports a test should look at when the WinRM port does not connect (DestinationOptions.look_ports); () for
    # the usual ones, which loopback refuses: "host-down" needs other ports that stay silent too.
    look_ports: tuple[int, ...] = ()

    @property
    def expect_result(self) -> str:
        """The MI result name the expected failure kind carries, e.g. "MI_RESULT_ACCESS_DENIED"."""
        return KINDS[self.expect_kind].result.mi_name if self.expect_kind else "MI_RESULT_OK"

    @property
    def expect_category(self) -> str | None:
        return KINDS[self.expect_kind].category.name if self.expect_kind else None


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
        self._side_servers: list[Blackhole | CertificateGate] = []  # those not on the event loop
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
            look_ports: tuple[int, ...] = ()
            if scenario.kind == "refused":
                port = free_port()
            elif scenario.kind in ("blackhole", "host-down"):
                holes = [Blackhole() for _ in range(1 if scenario.kind == "blackhole" else 3)]
                self._side_servers += holes
                port = holes[0].port
                look_ports = tuple(hole.port for hole in holes[1:])
            elif scenario.kind == "certificate-gate":
                gate = CertificateGate(_tls_context(pki, scenario))  # type: ignore[arg-type]
                self._side_servers.append(gate)
                port = gate.port
            else:
                endpoint = Endpoint(scenario, self._users, self._latency, _tls_context(pki, scenario))
                port = self._loop.call(self._loop.listen(endpoint))
            self._endpoints[scenario.name] = self._describe(scenario, port, look_ports)

    def stop(self) -> None:
        """Close every socket and join the lab's thread; safe to call twice."""
        if self._loop is not None:
            self._loop.stop()
            self._loop = None
        for server in self._side_servers:
            server.close()
        self._side_servers.clear()
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

    def _describe(self, scenario: Scenario, port: int, look_ports: tuple[int, ...]) -> LabEndpoint:
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
            allow_unencrypted=scenario.allow_unencrypted,
            timeout=scenario.timeout,
            expect_ok=scenario.expect_ok,
            expect_stage=scenario.expect_stage,
            expect_kind=scenario.expect_kind,
            look_ports=look_ports,
        )


def _tls_context(pki: Pki, scenario: Scenario) -> ssl.SSLContext | None:
    if scenario.cert is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*getattr(pki, scenario.cert))
    if scenario.client_cert_required:
        # TLS 1.3 asks for the certificate inside the handshake but refuses its absence only after the client's
        # Finished: the client learns it at its first read, as with a real listener that demands one.
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=pki.ca_file)
    return context

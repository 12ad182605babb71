"""`Lab`: starts the scenario endpoints on loopback and describes what a test connection should find."""

from __future__ import annotations

import shutil
import socket
import ssl
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

from core.failures import KINDS
from core.lab import _ntlm_users, kdc
from core.lab._certs import Pki, make_pki
from core.lab._realms import Realms
from core.lab._scenarios import KERBEROS_SCENARIOS, SCENARIO_TABLE, SCENARIOS, Scenario
from core.lab._server import Blackhole, CertificateGate, Endpoint, LoopThread
from core.lab._shells import ShellRecord, ShellTable, stale_shells

HOST = "127.0.0.1"  # the lab never listens anywhere else (Kerberos endpoints are named `localhost`, its alias)
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
    username: str | None  # None with auth: the current identity (Kerberos: the ticket cache)
    password: str | None  # for wrong-password: the deliberately wrong one
    allow_unencrypted: bool  # Basic over plain HTTP, where the scenario is about a server that wants it
    open_shell: bool  # the demo turns the session stage on, and opens this shell
    remote_shell: str
    timeout: float | None  # the deadline the demo gives this one; None: the demo's own
    expect_ok: bool
    expect_stage: str | None  # a stage's name (core.stages), e.g. "tcp"
    expect_kind: str | None  # the failure kind (core.failures), e.g. "tcp.refused"
    spn: str | None = None  # the service principal to ask for, when not HTTP/<host>
    expect_code: int | None = None  # what Windows' own client reports (SSPI / NTSTATUS code)
    ticket_cache: str | None = None  # the current user's ticket cache (the lab's user logged on with kinit)
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


def kerberos_unavailable_reason() -> str | None:
    """Why this machine cannot run the Kerberos scenarios, and what to install (None: it can)."""
    return kdc.unavailable_reason()


class Lab:
    """Local WS-Management endpoints that behave like Windows WinRM and like broken machines."""

    def __init__(
        self,
        scenarios: Sequence[str] | None = None,
        users: Mapping[str, str] | None = None,
        latency: float = 0.0,
        kerberos: bool = False,
        shell_latency: float = 0.0,
    ) -> None:
        """`kerberos` adds the Kerberos scenarios to the default set; naming one also starts the lab's KDCs.
        `latency`: seconds before every answer; `shell_latency`: how long opening a remote shell takes on top."""
        default = (*SCENARIOS, *KERBEROS_SCENARIOS) if kerberos else SCENARIOS
        names = list(default if scenarios is None else scenarios)
        unknown = [n for n in names if n not in SCENARIO_TABLE]
        if unknown:
            raise ValueError(f"unknown lab scenarios: {', '.join(unknown)}")
        if latency < 0 or shell_latency < 0:
            raise ValueError("latency must be >= 0")
        self._scenarios = [s for s in SCENARIO_TABLE.values() if s.name in names]  # always SCENARIOS order
        self._users: dict[str, str] = dict(DEFAULT_USERS if users is None else users)
        _ntlm_users.check_usernames(self._users)
        self._latency = latency
        self._shell_latency = shell_latency
        self._tmp: str | None = None
        self._ca_file: str | None = None
        self._loop: LoopThread | None = None
        self._side_servers: list[Blackhole | CertificateGate] = []  # those not on the event loop
        self._reserved: list[socket.socket] = []  # the refused ports: bound, never listening
        self._endpoints: dict[str, LabEndpoint] = {}
        self._realms: Realms | None = None
        self._shells = ShellTable()

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
        if any(s.keys for s in self._scenarios):
            self._realms = Realms(self._tmp, self._users)
            self._realms.start(tickets=any(s.ticket_cache for s in self._scenarios))
        self._loop = LoopThread()
        self._loop.start()
        for scenario in self._scenarios:
            look_ports: tuple[int, ...] = ()
            if scenario.kind == "refused":
                # Bound and never listening: connections are refused, and no endpoint started after it can take
                # the port (one merely found free was taken again by a later endpoint under Wine).
                reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                reserved.bind(("127.0.0.1", 0))
                self._reserved.append(reserved)
                port = reserved.getsockname()[1]
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
                kerberos = None
                if scenario.keys and self._realms:
                    certificate = getattr(pki, scenario.cert)[0] if scenario.cert else None
                    kerberos = self._realms.service(scenario.keys, certificate)
                if scenario.shells == "quota":
                    for record in stale_shells(scenario.name, list(self._users)):
                        self._shells.add(record)
                tls = _tls_context(pki, scenario)
                endpoint = Endpoint(
                    scenario, self._users, self._latency, tls, self._shells, kerberos, self._shell_latency
                )
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
        for reserved in self._reserved:
            reserved.close()
        self._reserved.clear()
        if self._realms is not None:
            self._realms.stop()
            self._realms = None
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

    # ---- remote shells ----------------------------------------------------------------------------------

    def shells(self, name: str | None = None) -> list[ShellRecord]:
        """Every shell a client created on this lab (or on endpoint ``name``), open or deleted, oldest first."""
        return [r for r in self._shells.records() if name is None or r.endpoint == name]

    def open_shells(self, name: str | None = None) -> list[ShellRecord]:
        """The shells clients created and have not deleted."""
        return [r for r in self.shells(name) if r.deleted is None]

    def wait_for_no_open_shells(self, timeout: float = 10.0) -> list[ShellRecord]:
        """Wait until every shell a client created is deleted; what is still open at ``timeout``."""
        ends = time.monotonic() + timeout
        while (still := self.open_shells()) and time.monotonic() < ends:
            time.sleep(0.02)
        return still

    @property
    def kerberos_environ(self) -> dict[str, str]:
        """The environment a Kerberos client of this lab needs: its krb5.conf and an empty ticket cache.

        Every variable by which MIT krb5 finds files points into the lab's own directory, so a client given
        this environment never reads /etc/krb5.conf nor touches the user's own tickets.
        """
        if self._realms is None:
            raise RuntimeError("the lab runs no Kerberos scenario")
        return self._realms.environ

    @property
    def kdc_log(self) -> str:
        """The log of LAB.TEST's KDC: a line per request it answered (so a test can tell none was made)."""
        if self._realms is None:
            raise RuntimeError("the lab runs no Kerberos scenario")
        return self._realms.lab.log_file

    def kinit(self, ccache: str, user: str | None = None) -> str:
        """Log `user` (default: the first) on to the lab's realm into `ccache` with `kinit`; the principal."""
        if self._realms is None:
            raise RuntimeError("the lab runs no Kerberos scenario")
        name = user or next(iter(self._users))
        self._realms.lab.kinit(name, self._users[name], ccache, self._realms.config)
        return self._realms.lab.principal(name)

    def _describe(self, scenario: Scenario, port: int, look_ports: tuple[int, ...]) -> LabEndpoint:
        first = next(iter(self._users), None)
        username = None
        if scenario.auth != "none" and scenario.user is not None and first is not None:
            username = scenario.user.format(user=first)
        password = None
        if username is not None and first is not None:
            password = WRONG_PASSWORD if scenario.wrong_password else self._users[first]
        return LabEndpoint(
            name=scenario.name,
            url=f"{scenario.scheme}://{scenario.host}:{port}/wsman",
            host=scenario.host,
            port=port,
            transport=scenario.scheme,
            description=scenario.description,
            auth=scenario.auth,
            username=username,
            password=password,
            allow_unencrypted=scenario.allow_unencrypted,
            open_shell=scenario.open_shell,
            remote_shell=scenario.remote_shell,
            timeout=scenario.timeout,
            expect_ok=scenario.expect_ok,
            expect_stage=scenario.expect_stage,
            expect_kind=scenario.expect_kind,
            spn=scenario.spn.format(port=port) if scenario.spn else None,
            expect_code=scenario.expect_code,
            ticket_cache=self._realms.tickets if scenario.ticket_cache and self._realms else None,
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

"""The pipeline of one test connection: dns → tcp → tls → wsman → auth, each timed and reported as it ends.

A stage either returns (its report is ``ok`` or ``skipped``) or raises :class:`StageFailed` with a classified
:class:`Failure`; any other exception is classified by :mod:`core.classify` against the stage in flight. The probe
runs on a worker thread or, for a synchronous caller, on the caller's; :mod:`core.operation` owns threads,
deadlines and callbacks.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import http.client
import re
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NoReturn

from core import classify
from core.diagnosis import (
    Diagnosis,
    Failure,
    IdentifyInfo,
    StageReport,
    StageStatus,
    pending_stages,
    with_stage,
)
from core.mi import AuthType, CertificateCredentials, DestinationOptions, UserCredentials
from core.target import Endpoint
from core.wire import (
    Address,
    BoundedSocket,
    Channel,
    Deadline,
    Interrupter,
    TlsSettings,
    connect,
    resolve,
    start_tls,
)
from core.wsman import IDENTIFY_REQUEST, XmlError, parse_fault, parse_identify_response

if TYPE_CHECKING:
    import spnego
    import spnego.channel_bindings
    from winrm.transport import Transport

USER_AGENT = "TestConnection/0.1"
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
_HEADERS = {"Content-Type": SOAP_CONTENT_TYPE, "User-Agent": USER_AGENT}
NOTE_CA_NOT_VERIFIED = "certificate not verified (CA check off)"
NOTE_CN_NOT_VERIFIED = "certificate name not checked (CN check off)"

# pywinrm's names for the authentication types it carries. NTLM and Negotiate do not go through pywinrm but
# through Probe._ntlm, which answers a listener's Negotiate challenge with NTLM (no Kerberos ticket without a
# domain-joined client).
_PYWINRM_TRANSPORT = {
    AuthType.BASIC: "basic",
    AuthType.KERBEROS: "kerberos",
    AuthType.CREDSSP: "credssp",
    AuthType.CERTIFICATE: "certificate",
}

StageListener = Callable[[tuple[StageReport, ...], str | None], None]


class StageFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def check_options(options: DestinationOptions) -> Failure | None:
    """Input errors found before any stage runs, each naming its field."""
    if options.transport not in ("http", "https"):
        return classify.invalid_input("transport", f"must be http or https, not {options.transport!r}")
    if not isinstance(options.timeout, int | float) or not 0 < options.timeout <= 3600:
        return classify.invalid_input("timeout", f"must be between 0 and 3600 seconds, not {options.timeout!r}")
    try:
        auth = AuthType(options.auth)
    except ValueError:
        return classify.invalid_input("auth", f"unknown authentication {options.auth!r}")
    creds = options.credentials
    if auth is AuthType.CERTIFICATE:
        if options.transport != "https":
            return classify.invalid_input("transport", "certificate authentication needs HTTPS")
        if not isinstance(creds, CertificateCredentials):
            return classify.invalid_input("credentials", "certificate authentication needs a certificate and key")
    elif auth not in (AuthType.NONE, AuthType.KERBEROS) and (
        not isinstance(creds, UserCredentials) or not creds.username.strip()
    ):
        return classify.invalid_input("credentials", f"{auth.value} authentication needs a user name")
    if options.ca_file is not None:
        try:
            with open(options.ca_file, "rb"):
                pass
        except OSError as exc:
            return classify.invalid_input("ca_file", f"cannot read {options.ca_file!r} ({exc.strerror})")
    return None


@dataclass
class Probe:
    endpoint: Endpoint
    options: DestinationOptions
    interrupter: Interrupter
    deadline: Deadline
    listener: StageListener | None  # None: nobody follows the stages as they go
    stages: tuple[StageReport, ...] = field(default_factory=pending_stages)
    identify: IdentifyInfo | None = None
    offered: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    running: str | None = None
    addresses: list[Address] = field(default_factory=list)
    started_at: float = 0.0  # time.time() when the test started, for the diagnosis
    stage_started: float = 0.0  # perf_counter() when the stage in flight began
    _started: float = 0.0
    _channel: Channel | None = None
    _socket: socket.socket | None = None

    @property
    def auth(self) -> AuthType:
        return AuthType(self.options.auth)

    def context(self) -> classify.Context:
        return classify.Context(
            host=self.endpoint.host,
            port=self.endpoint.port,
            transport=self.endpoint.transport,
            url_prefix=self.endpoint.url_prefix,
            timeout=self.options.timeout,
            auth=self.auth,
            offered=self.offered,
            stop_reason=self.interrupter.reason,
        )

    def run(self) -> Diagnosis:
        self._started = time.perf_counter()
        failure: Failure | None = None
        steps: list[tuple[str, Callable[[], str | None]]] = [
            ("dns", self._dns),
            ("tcp", self._tcp),
            ("tls", self._tls),
            ("wsman", self._wsman),
            ("auth", self._auth),
        ]
        try:
            for name, step in steps:
                failure = self._run_stage(name, step)
                if failure is not None:
                    break
        finally:
            self.interrupter.close_all()
        return self.diagnosis(failure)

    def diagnosis(self, failure: Failure | None) -> Diagnosis:
        return Diagnosis(
            target=self.endpoint.label,
            endpoint=self.endpoint.url,
            stages=self.stages,
            failure=failure,
            identify=self.identify,
            offered_schemes=self.offered,
            notes=self.notes,
            elapsed_ms=_ms_since(self._started),
            started_at=self.started_at,
            running_stage=self.running,
        )

    def _run_stage(self, name: str, step: Callable[[], str | None]) -> Failure | None:
        self.running = name
        self.stage_started = started = time.perf_counter()
        if self.listener is not None:
            self.listener(self.stages, name)
        try:
            detail = step()
        except StageFailed as exc:
            failure = exc.failure
        except Exception as exc:  # every library error ends here, classified in one place
            failure = classify.classify_exception(exc, name, self.context())
        else:
            status = StageStatus.SKIPPED if detail is None else StageStatus.OK
            self._record(StageReport(name, status, _ms_since(started), detail or self._skip_reason(name)))
            return None
        # The stage in flight is the layer that failed, whatever layer the classifier's wording had in mind.
        self._record(StageReport(name, StageStatus.FAILED, _ms_since(started), failure.detail))
        return replace(failure, stage=name)

    def _record(self, report: StageReport) -> None:
        self.stages = with_stage(self.stages, report)
        self.running = None
        self.stage_started = time.perf_counter()  # a cancel between stages charges the next one from here
        if self.listener is not None:
            self.listener(self.stages, None)

    def _skip_reason(self, name: str) -> str:
        if name == "tls":
            return "http"
        if name == "auth":
            return "no authentication asked"
        return ""

    # --- the stages -------------------------------------------------------------------------------------------

    def _dns(self) -> str:
        self.addresses = resolve(self.endpoint.host, self.endpoint.port)
        return ", ".join(str(sockaddr[0]) for _, sockaddr in self.addresses[:3])

    def _tcp(self) -> str:
        self._socket = connect(self.addresses, self.deadline, self.interrupter)
        peer = self._socket.getpeername()
        return f"{peer[0]}:{peer[1]}"

    def _tls(self) -> str | None:
        tls = None
        if self.endpoint.transport == "https":
            client_cert = None
            creds = self.options.credentials
            if isinstance(creds, CertificateCredentials):
                client_cert = (creds.cert_pem, creds.key_pem)
            tls = TlsSettings(self.options.cert_ca_check, self.options.cert_cn_check, self.options.ca_file, client_cert)
        self._channel = Channel(self.addresses, self.endpoint.host, tls, self.deadline, self.interrupter)
        if tls is None or self._channel.context is None:
            return None
        assert self._socket is not None
        secured = start_tls(
            self._socket, tls, self._channel.context, self.endpoint.host, self.deadline, self.interrupter
        )
        self._socket = secured
        notes = []
        if not tls.ca_check:
            notes.append(NOTE_CA_NOT_VERIFIED)
        elif not tls.cn_check:
            notes.append(NOTE_CN_NOT_VERIFIED)
        self.notes += tuple(notes)
        return "; ".join([secured.version() or "TLS", *notes])

    def _wsman(self) -> str:
        assert self._channel is not None and self._socket is not None
        response, body = self._post_identify(self._socket, {"WSMANIDENTIFY": "unauthenticated"})
        if response.status == 401:
            self.offered = tuple(response.headers.get_all("WWW-Authenticate") or ())
            if not self.offered:
                raise StageFailed(classify.not_wsman("wsman", "HTTP 401 without any authentication scheme"))
            return f"authentication required; offers {classify.describe_offered(self.offered)}"
        if response.status == 500:
            fault = parse_fault(body)
            if fault is not None:
                raise StageFailed(classify.classify_fault("wsman", fault))
        if response.status != 200:
            headers = dict(response.getheaders())
            raise StageFailed(classify.classify_http("wsman", response.status, headers, self.context()))
        self.identify = parse_identify_response(body)
        return "; ".join(filter(None, [self.identify.product_vendor, self.identify.product_version]))

    def _post_identify(self, sock: socket.socket, extra: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
        """POST an Identify without credentials on ``sock``; keep the connection for reuse if it stays open."""
        return self._post(sock, IDENTIFY_REQUEST, extra)

    def _post(self, sock: socket.socket, body: bytes, extra: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
        """POST ``body`` on ``sock`` and read the whole answer; keep the connection for reuse if it stays open."""
        assert self._channel is not None
        host = f"[{self.endpoint.host}]" if ":" in self.endpoint.host else self.endpoint.host
        lines = [
            f"POST /{self.endpoint.url_prefix} HTTP/1.1",
            f"Host: {host}" if self.endpoint.port == 80 else f"Host: {host}:{self.endpoint.port}",
            "Accept-Encoding: identity",
            *(f"{name}: {value}" for name, value in {**_HEADERS, **extra}.items()),
            f"Content-Length: {len(body)}",
        ]
        # The head as http.client writes it, but sent with the body in one write: http.client sends them apart, and
        # the server then wakes up twice per request.
        sock.sendall("\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + body)
        response = http.client.HTTPResponse(BoundedSocket(sock, self.interrupter), method="POST")  # type: ignore[arg-type]
        response.begin()
        answer = response.read()
        if response.will_close:
            self.interrupter.forget(sock)
            sock.close()
        else:
            self._channel.keep_idle(sock)
        return response, answer

    def _challenges(self) -> tuple[str, ...]:
        assert self._channel is not None
        response, _ = self._post_identify(self._channel.take(), {})
        return tuple(response.headers.get_all("WWW-Authenticate") or ()) if response.status == 401 else ()

    def _auth(self) -> str | None:
        auth = self.auth
        if auth is AuthType.NONE:
            return None
        ctx = self.context()
        if self.offered and auth is not AuthType.CERTIFICATE and not classify.scheme_offered(auth, self.offered):
            raise StageFailed(classify.scheme_not_offered(ctx))
        if auth is AuthType.BASIC and self.endpoint.transport == "http" and not self.options.allow_unencrypted:
            # Ask which schemes the listener offers (no credential is sent) to tell the whole story.
            self.offered = self.offered or self._challenges()
            if self.offered and not classify.scheme_offered(auth, self.offered):
                raise StageFailed(classify.scheme_not_offered(self.context()))
            raise StageFailed(classify.basic_in_clear(self.context()))
        assert self._channel is not None
        if auth in (AuthType.NTLM, AuthType.NEGOTIATE):
            return self._ntlm(auth)
        # Imported here: pywinrm pulls in requests, spnego and cryptography (~60 ms), which only authentication needs.
        from winrm.exceptions import InvalidCredentialsError, WinRMTransportError

        transport = self._pywinrm_transport(auth)
        try:
            answer = transport.send_message(IDENTIFY_REQUEST)
        except InvalidCredentialsError:
            self.offered = self._channel.last_challenges or self.offered
            raise StageFailed(classify.rejected(self.context())) from None
        except WinRMTransportError as exc:
            fault = parse_fault(str(exc.response_text).encode())
            if fault is not None:
                raise StageFailed(classify.classify_fault("auth", fault)) from None
            raise StageFailed(classify.classify_http("auth", int(exc.code), {}, ctx)) from None
        finally:
            transport.close_session()
        try:
            self.identify = parse_identify_response(answer, authenticated=True)
        except XmlError as exc:
            raise StageFailed(classify.not_wsman("auth", str(exc))) from None
        user = ""
        if isinstance(self.options.credentials, UserCredentials):
            user = f" as {self.options.credentials.qualified_username}"
        sealed = ", messages encrypted" if transport.encryption is not None else ""
        return f"{auth.value}{user}{sealed}"

    def _ntlm(self, auth: AuthType) -> str:
        """NTLM as Windows' own client does it: the negotiate token, then the authenticate token carrying the Identify.

        Two requests on the connection the earlier stages opened. Over HTTP the Identify is sealed (MS-WSMV 2.2.9.1.1)
        with the context the authenticate message completes, so it can travel with that message; pywinrm (through
        requests_ntlm) would spend two more round trips: a credential-less request to learn the scheme, which the
        ``wsman`` stage already knows, and an empty POST to finish the handshake before sending anything sealed.
        """
        import spnego  # imported here: only NTLM needs it (~40 ms with cryptography)

        assert self._channel is not None
        creds = self.options.credentials
        assert isinstance(creds, UserCredentials)  # check_options saw to it
        scheme = (
            "NTLM" if self.offered and not classify.scheme_offered(AuthType.NEGOTIATE, self.offered) else "Negotiate"
        )
        sock = self._channel.take()
        client = spnego.client(
            creds.qualified_username,
            creds.password,
            hostname=self.endpoint.host,
            service="http",
            protocol="ntlm",
            channel_bindings=_channel_bindings(sock),
            # As requests_ntlm: with a password, always pure NTLM, never the platform's cached logon.
            options=spnego.NegotiateOptions.use_ntlm if creds.password else spnego.NegotiateOptions.none,
        )
        # Nothing can be sealed before the handshake ends, so the negotiate message goes with an empty body.
        response, _ = self._post(sock, b"", {"Authorization": f"{scheme} {_b64(client.step())}"})
        challenges = tuple(response.headers.get_all("WWW-Authenticate") or ())
        challenge = _token(challenges, scheme)
        if challenge is None:
            if response.status == 401:
                self.offered = challenges or self.offered
                if challenges and classify.scheme_offered(auth, challenges):
                    raise StageFailed(classify.no_ntlm_challenge())
                raise StageFailed(classify.rejected(self.context()))
            self._refused(response, b"")
        authenticate = _b64(client.step(challenge))
        seal = self.endpoint.transport == "http"  # over HTTPS, TLS protects the message (pywinrm's "auto")
        headers = {"Authorization": f"{scheme} {authenticate}"}
        body = IDENTIFY_REQUEST
        if seal:
            headers["Content-Type"] = _SEALED_TYPE
            body = _seal(client, IDENTIFY_REQUEST)
        response, answer = self._post(self._channel.take(), body, headers)
        if response.status == 401:
            self.offered = tuple(response.headers.get_all("WWW-Authenticate") or ()) or self.offered
            raise StageFailed(classify.rejected(self.context()))
        if _SEALED_PROTOCOL.lower() in (response.headers.get("Content-Type") or "").lower():
            try:
                answer = _unseal(client, answer)
            except Exception as exc:  # spnego's errors or a broken frame: the answer cannot be trusted either way
                raise StageFailed(
                    classify.not_wsman("auth", f"the encrypted answer cannot be opened ({exc})")
                ) from None
        if response.status != 200:
            self._refused(response, answer)
        try:
            self.identify = parse_identify_response(answer, authenticated=True)
        except XmlError as exc:
            raise StageFailed(classify.not_wsman("auth", str(exc))) from None
        sealed = ", messages encrypted" if seal else ""
        return f"{auth.value} as {creds.qualified_username}{sealed}"

    def _refused(self, response: http.client.HTTPResponse, body: bytes) -> NoReturn:
        """The service's answer to an authenticated request was neither a challenge nor the IdentifyResponse."""
        fault = parse_fault(body) if response.status == 500 else None
        if fault is not None:
            raise StageFailed(classify.classify_fault("auth", fault))
        raise StageFailed(classify.classify_http("auth", response.status, dict(response.getheaders()), self.context()))

    def _pywinrm_transport(self, auth: AuthType) -> Transport:
        assert self._channel is not None
        creds = self.options.credentials
        kwargs: dict[str, Any] = {}
        if isinstance(creds, UserCredentials):
            kwargs.update(username=creds.qualified_username, password=creds.password)
        elif isinstance(creds, CertificateCredentials):
            kwargs.update(cert_pem=creds.cert_pem, cert_key_pem=creds.key_pem)
        return _channel_transport_class()(
            self._channel,
            endpoint=self.endpoint.url,
            auth_method=_PYWINRM_TRANSPORT[auth],
            server_cert_validation="validate" if self.options.cert_ca_check else "ignore",
            ca_trust_path=self.options.ca_file,
            read_timeout_sec=max(1, int(self.deadline.remaining()) + 1),
            message_encryption="auto",
            proxy=None,
            **kwargs,
        )


@functools.cache
def _channel_transport_class() -> Callable[..., Transport]:
    from winrm.transport import Transport

    class _ChannelTransport(Transport):
        """pywinrm's transport, with every request going through the probe's :class:`Channel`."""

        def __init__(self, channel: Channel, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._channel = channel
            self._mounted: Any = None

        def build_session(self) -> Any:
            if self.session:
                return self.session
            session = super().build_session()  # may call setup_encryption(), which mounts first
            self._mount(session)
            return session

        def setup_encryption(self, session: Any) -> None:
            self._mount(session)
            super().setup_encryption(session)

        def _mount(self, session: Any) -> None:
            # Once only: NTLM is bound to its connection, and a second adapter would open a fresh one.
            if self._mounted is session:
                return
            self._mounted = session
            session.trust_env = False  # no proxy, netrc or CA bundle from the environment
            session.proxies = {}
            adapter = self._channel.adapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)

    return _ChannelTransport


_SEALED_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
_SEALED_TYPE = f'multipart/encrypted;protocol="{_SEALED_PROTOCOL}";boundary="Encrypted Boundary"'
_BOUNDARY = b"--Encrypted Boundary"


def _seal(context: spnego.ContextProxy, plain: bytes) -> bytes:
    """The MS-WSMV 2.2.9.1.1 encrypted body, as pywinrm's ``winrm.encryption`` frames it for NTLM."""
    wrapped = context.wrap_winrm(plain)
    return b"".join(
        [
            _BOUNDARY + b"\r\n",
            b"\tContent-Type: " + _SEALED_PROTOCOL.encode() + b"\r\n",
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(plain),
            _BOUNDARY + b"\r\n",
            b"\tContent-Type: application/octet-stream\r\n",
            struct.pack("<I", len(wrapped.header)) + wrapped.header + wrapped.data,
            _BOUNDARY + b"--\r\n",
        ]
    )


def _unseal(context: spnego.ContextProxy, body: bytes) -> bytes:
    parts = [p for p in body.split(_BOUNDARY + b"\r\n") if p]
    length = re.search(rb"Length=(\d+)", parts[0]) if parts else None
    if len(parts) != 2 or length is None:
        raise ValueError("not an MS-WSMV encrypted message")
    payload = parts[1].removesuffix(_BOUNDARY + b"--\r\n")
    payload = payload.removeprefix(b"\tContent-Type: application/octet-stream\r\n")
    (header_length,) = struct.unpack("<I", payload[:4])
    plain = context.unwrap_winrm(payload[4 : 4 + header_length], payload[4 + header_length :])
    if len(plain) != int(length.group(1)):
        raise ValueError("the decrypted length does not match the declared one")
    return plain


def _b64(token: bytes | None) -> str:
    return base64.b64encode(token or b"").decode()


def _token(challenges: tuple[str, ...], scheme: str) -> bytes | None:
    """The token of ``scheme`` in a 401's ``WWW-Authenticate`` headers (None when it carries none)."""
    for challenge in challenges:
        name, _, token = challenge.strip().partition(" ")
        if name.lower() == scheme.lower() and token.strip():
            try:
                return base64.b64decode(token.strip(), validate=True)
            except binascii.Error:
                return None
    return None


def _channel_bindings(sock: socket.socket) -> spnego.channel_bindings.GssChannelBindings | None:
    """RFC 5929 ``tls-server-end-point`` of the listener's certificate, for Windows' Extended Protection."""
    der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
    if not der:
        return None
    import spnego.channel_bindings
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        algorithm = x509.load_der_x509_certificate(der).signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError):
        return None
    name = algorithm.name if algorithm is not None and algorithm.name not in ("md5", "sha1") else "sha256"
    digest = hashlib.new(name, der).digest()
    return spnego.channel_bindings.GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


__all__ = ["Probe", "StageFailed", "check_options"]

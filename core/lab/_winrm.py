"""A WinRM-like listener's answers to one request: who may ask what, with which scheme, and what it says back.

Basic checks the lab's users; NTLM (alone or inside Negotiate) and CredSSP are pyspnego's own acceptors (never the
platform's: on Windows that would be SSPI, checking the lab user against the machine's real accounts), reading users
from the lab's NTLM user file. A listener given a Kerberos service (core/lab/_kerberos.py) also accepts Kerberos,
alone or inside Negotiate, with its keytab. Over HTTP, messages after a handshake are sealed (MS-WSMV) in the
protocol the client chose. An authenticated request is an Identify, or a Create or Delete of a remote shell
(``_shells``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import spnego

from core import sealing
from core.lab import _shells, _xml
from core.lab._flavours import Anonymous, Flavour
from core.lab._http import HTTPAPI, Request, Response, html_page
from core.lab._scenarios import Scenario

if TYPE_CHECKING:
    from core.lab._kerberos import KerberosService

log = logging.getLogger(__name__)
SOAP_TYPE = "application/soap+xml;charset=UTF-8"
_SCHEMES = {"negotiate": "Negotiate", "ntlm": "NTLM", "kerberos": "Kerberos", "credssp": "CredSSP"}


@dataclass
class ConnState:
    """Per TCP connection: NTLM and CredSSP authenticate the connection, not the request (HTTP keep-alive)."""

    ctx: spnego.ContextProxy | None = None
    user: str | None = None
    challenged: bool = False  # the last answer on this connection was a 401 that left it open
    logon: str = ""  # the authenticated user as the client wrote it (".\\alice", "LAB\\alice"): who opens shells


class WinRMListener:
    def __init__(
        self,
        scenario: Scenario,
        flavour: Flavour,
        users: Mapping[str, str],
        tls: bool,
        shells: _shells.ShellTable,
        kerberos: KerberosService | None = None,
        shell_latency: float = 0.0,
    ) -> None:
        self.scenario = scenario
        self.shells = shells
        self.shell_latency = shell_latency  # how long a Create takes (a PowerShell endpoint starting its process)
        self.flavour = flavour
        self.users = {name.lower(): (name, password) for name, password in users.items()}
        self.tls = tls
        self.kerberos = kerberos
        self.offers = scenario.offers if scenario.offers is not None else flavour.offers

    def respond(self, state: ConnState, request: Request) -> Response | None:
        """The answer to ``request``; None: stay silent (OMI with a request that does not authenticate)."""
        paths = {"/wsman"} | ({"/wsman-anon/identify"} if self.flavour.name == "openwsman" else set())
        if request.path.split("?")[0].lower() not in paths:
            return html_page(404, "Not Found", HTTPAPI, "Not Found")
        if request.method != "POST":
            response = html_page(405, "Method Not Allowed", HTTPAPI, "Method Not Allowed")
            response.headers.append(("Allow", "POST"))
            return response
        authorization = request.header("authorization")
        if authorization is None and state.user is None:
            return self._anonymous(request)
        extra: list[tuple[str, str]] = []
        basic = ""
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            name = scheme.lower()
            if name == "basic" and self._offered("basic"):
                basic = self._basic_logon(token.strip())
                if not basic:
                    return self._failed_logon()
            elif name in _SCHEMES and self._accepts(name):
                refused, extra = self._handshake(state, _SCHEMES[name], token.strip())
                if refused is not None:
                    return refused
            else:
                return self._challenge()
        return self._authenticated_request(state, request, basic, extra)

    # --- without credentials ----------------------------------------------------------------------------------

    def _anonymous(self, request: Request) -> Response | None:
        anonymous = self.flavour.anonymous
        if anonymous is Anonymous.SILENT:
            return None
        asked = (request.header("wsmanidentify") or "").strip().lower() == "unauthenticated"
        if anonymous is Anonymous.CHALLENGE or not asked:
            return self._challenge()
        try:
            identify = _xml.is_identify(request.body)
        except _xml.BadRequest:
            return self._soap(500, _xml.SCHEMA_FAULT)
        return self._soap(200, self.flavour.identify(False)) if identify else self._challenge()

    # --- authentication ---------------------------------------------------------------------------------------

    def _offered(self, scheme: str) -> bool:
        return any(s.split(" ")[0].lower() == scheme for s in self.offers)

    def _accepts(self, header_scheme: str) -> bool:
        """Whether a handshake under this Authorization scheme is taken up at all."""
        if header_scheme == "credssp":
            return self._offered("credssp")
        if header_scheme == "kerberos":
            return self._offered("kerberos") and self.kerberos is not None
        return self._offered("negotiate") and (self.flavour.accepts_ntlm or self.kerberos is not None)

    def _challenge(self, answer: str | None = None) -> Response:
        """The 401 with every offer; ``answer`` ("Scheme token", a refused ticket's KRB-ERROR) stands in for its
        scheme's bare offer, as Windows sends it."""
        name = answer.split(" ")[0].lower() if answer else None
        offers = [answer if answer and name == s.split(" ")[0].lower() else s for s in self.offers]
        return Response(401, "Unauthorized", [*self._server, *(("WWW-Authenticate", offer) for offer in offers)])

    def _failed_logon(self, answer: str | None = None) -> Response:
        response = self._challenge(answer)
        response.delay = self.flavour.failed_logon_delay
        return response

    def _known(self, principal: str) -> str | None:
        name = principal.rsplit("\\", 1)[-1].split("@", 1)[0]
        entry = self.users.get(name.lower())
        return entry[0] if entry else None

    def _basic_logon(self, token: str) -> str:
        """The user name as the client wrote it, when the password is right; "" otherwise."""
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        name, sep, password = decoded.partition(":")
        user = self._known(name) if sep else None
        if user is None or not hmac.compare_digest(password.encode(), self.users[user.lower()][1].encode()):
            return ""
        return name

    def _handshake(self, state: ConnState, scheme: str, token: str) -> tuple[Response | None, list[tuple[str, str]]]:
        """One step of an NTLM/Negotiate or CredSSP handshake: (401 to send, or None when done; headers for the 200)."""
        try:
            raw = base64.b64decode(token, validate=True)
        except binascii.Error:
            return self._challenge(), []
        first = raw[:1] == b"\x60" or raw.startswith(b"NTLMSSP\0\1") or (scheme == "CredSSP" and raw[:1] == b"\x16")
        if state.ctx is None or state.ctx.complete or first or scheme == "Kerberos":
            # The first token of a handshake (again, when a client re-authenticates on this connection).
            if scheme == "CredSSP":
                state.ctx = spnego.server(protocol="credssp", options=spnego.NegotiateOptions.use_negotiate)
            elif self.kerberos is not None:
                state.ctx = self.kerberos.acceptor(scheme, raw)
            else:
                state.ctx = spnego.server(protocol="negotiate", options=spnego.NegotiateOptions.use_negotiate)
            state.user = None
        try:
            out = state.ctx.step(raw)
        except Exception as exc:  # any malformed token, wrong password or refused ticket is a failed logon
            state.ctx = None
            refusal = self.kerberos.refusal(scheme, raw, exc) if self.kerberos is not None else None
            return self._failed_logon(refusal), []
        if not state.ctx.complete:
            headers = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
            return Response(401, "Unauthorized", [*self._server, *headers]), []
        out = self._proof(out)
        headers = [("WWW-Authenticate", f"{scheme} {base64.b64encode(out).decode()}")] if out else []
        if self.scenario.strict_binding and self.kerberos is not None and not self.kerberos.bound(state.ctx):
            state.ctx = None  # CbtHardeningLevel Strict: a ticket not bound to this TLS channel is refused
            return self._failed_logon(), []
        # The NTLM user file is shared by every live lab: only accept this lab's own users.
        state.user = self._known(state.ctx.client_principal or "")
        if state.user is None:
            state.ctx = None
            return self._failed_logon(), []
        state.logon = state.ctx.client_principal or state.user
        return None, headers

    def _proof(self, token: bytes | None) -> bytes | None:
        """The service's last token (Kerberos: the AP-REP, its proof of identity), or a broken one on purpose."""
        if not token or self.scenario.proof == "sent":
            return token
        if self.scenario.proof == "none":
            return None
        return token[:-1] + bytes([token[-1] ^ 0xFF])  # forged: its last byte is inside the encrypted part

    # --- the authenticated request ----------------------------------------------------------------------------

    def _authenticated_request(
        self, state: ConnState, request: Request, basic: str, extra: list[tuple[str, str]]
    ) -> Response:
        body = request.body
        protocol = sealing.sealed_protocol(request.header("content-type"))
        sealed = not basic and protocol is not None
        if sealed:
            assert state.ctx is not None
            try:
                body = sealing.unseal(state.ctx, body)
            except sealing.SealingError as exc:  # tampered, garbled, or sealed on another connection: 400 like Windows
                # NTLM is connection-bound: a body sealed on one TCP connection cannot be opened on another.
                log.debug("lab %s: cannot unseal the message: %r", self.scenario.name, exc)
                return html_page(400, "Bad Request", HTTPAPI, "Bad Request", close=True)
        elif not basic and body and not self.tls:
            # AllowUnencrypted=false: Windows refuses a readable NTLM message over plain HTTP.
            return self._challenge()
        if not body:
            # The empty POST of a handshake's last leg, or pywinrm's that sets up message encryption.
            return Response(200, self.flavour.ok_reason, [*self._server, *extra])
        response = self._answer(body, basic or state.logon, bool(basic))
        response.headers.extend(extra)
        if sealed:
            assert state.ctx is not None and protocol is not None
            # Sealed in the protocol the client used: Windows takes either with either scheme (pywinrm's kerberos
            # sends Negotiate tokens and seals as SPNEGO).
            response.body = sealing.seal(state.ctx, response.body, protocol)
            if self.scenario.after_auth == "bad-seal":  # altered on the way: it no longer opens
                response.body = response.body.replace(b"octet-stream\r\n", b"octet-stream\r\n\x00", 1)
            content_type = sealing.content_type(protocol)
            response.headers = [(k, content_type if k == "Content-Type" else v) for k, v in response.headers]
        return response

    def _answer(self, body: bytes, logon: str, basic: bool) -> Response:
        try:
            root = _xml.parse_envelope(body)
        except _xml.BadRequest:
            return self._soap(500, _xml.SCHEMA_FAULT)
        if not _xml.holds_identify(root):
            shell = _shells.read_request(root)
            if shell is None:
                return self._soap(500, _xml.ACTION_NOT_SUPPORTED_FAULT)
            return self._shell(shell, logon, basic)
        if self.scenario.after_auth == "access-denied":
            return self._soap(500, _xml.ACCESS_DENIED_FAULT)
        if self.scenario.after_auth == "timeout-fault":
            return self._soap(500, _xml.TIMED_OUT_FAULT)
        return self._soap(200, self.flavour.identify(True))

    def _shell(self, request: _shells.Request, logon: str, basic: bool) -> Response:
        """Create or Delete a remote shell, as the scenario's policy lets this user."""
        if not self.flavour.has_shells:
            return self._soap(self.flavour.fault_status, _shells.NOT_SERVED_FAULT)
        endpoint = self.scenario.name
        if request.action == _shells.ACTION_DELETE:
            if self.shells.delete(endpoint, request.shell_id):
                return self._soap(200, _shells.delete_response(request))
            return self._soap(500, _shells.no_shell_fault(request.shell_id))
        refused = _shells.refusal(self.scenario.shells, request, logon, basic, self.shells, endpoint)
        if refused is not None:
            return self._soap(500, refused)
        record = _shells.new_record(endpoint, request, logon, self.shell_latency)
        self.shells.add(record)
        log.debug("lab %s: shell %s created for %s", endpoint, record.shell_id, logon)
        response = self._soap(200, _shells.create_response(request, record))
        response.delay = self.shell_latency
        return response

    @property
    def _server(self) -> list[tuple[str, str]]:
        return [("Server", self.flavour.server)] if self.flavour.server else []

    def _soap(self, status: int, body: bytes) -> Response:
        reason = {200: self.flavour.ok_reason, 400: "Bad Request", 500: "Internal Server Error"}[status]
        headers = [*self._server, ("Content-Type", SOAP_TYPE)]
        close = self.flavour.close_after_answer
        if close is not None:
            headers.append(("Connection", close))
        return Response(status, reason, headers, body, close=close is not None)

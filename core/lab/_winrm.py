"""A WinRM-like listener's answers to one request: who may ask what, with which scheme, and what it says back.

Basic checks the lab's users; NTLM (alone or inside Negotiate) and CredSSP are pyspnego's own acceptors (never the
platform's: on Windows that would be SSPI, checking the lab user against the machine's real accounts), reading users
from the lab's NTLM user file. A listener given a Kerberos service (core/lab/_kerberos.py) also accepts Kerberos,
alone or inside Negotiate, with its keytab. Over HTTP, messages after a handshake are sealed (MS-WSMV) in the
protocol the client chose.
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
from core.lab import _xml
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


class WinRMListener:
    def __init__(
        self,
        scenario: Scenario,
        flavour: Flavour,
        users: Mapping[str, str],
        tls: bool,
        kerberos: KerberosService | None = None,
    ) -> None:
        self.scenario = scenario
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
        basic = False
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            name = scheme.lower()
            if name == "basic" and self._offered("basic"):
                if not self._basic_ok(token.strip()):
                    return self._failed_logon()
                basic = True
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

    def _basic_ok(self, token: str) -> bool:
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        name, sep, password = decoded.partition(":")
        user = self._known(name) if sep else None
        if user is None:
            return False
        return hmac.compare_digest(password.encode(), self.users[user.lower()][1].encode())

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
        self, state: ConnState, request: Request, basic: bool, extra: list[tuple[str, str]]
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
        response = self._answer(body)
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

    def _answer(self, body: bytes) -> Response:
        try:
            identify = _xml.is_identify(body)
        except _xml.BadRequest:
            return self._soap(500, _xml.SCHEMA_FAULT)
        if not identify:
            return self._soap(500, _xml.ACTION_NOT_SUPPORTED_FAULT)
        if self.scenario.after_auth == "access-denied":
            return self._soap(500, _xml.ACCESS_DENIED_FAULT)
        if self.scenario.after_auth == "timeout-fault":
            return self._soap(500, _xml.TIMED_OUT_FAULT)
        return self._soap(200, self.flavour.identify(True))

    @property
    def _server(self) -> list[tuple[str, str]]:
        return [("Server", self.flavour.server)] if self.flavour.server else []

    def _soap(self, status: int, body: bytes) -> Response:
        reason = {200: self.flavour.ok_reason, 500: "Internal Server Error"}[status]
        headers = [*self._server, ("Content-Type", SOAP_TYPE)]
        close = self.flavour.close_after_answer
        if close is not None:
            headers.append(("Connection", close))
        return Response(status, reason, headers, body, close=close is not None)

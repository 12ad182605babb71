"""The schemes with no handshake: none (anonymous Identify only), Basic, and a client certificate."""

from __future__ import annotations

import base64

from core.errors import Problem
from core.mi import AuthType, CertificateCredentials, DestinationOptions
from core.schemes.base import Authenticated, Conversation, Scheme
from core.wsman import IDENTIFY_REQUEST

# WS-Management's name for "the TLS client certificate is the credential" (DSP0226 security profiles).
MUTUAL_PROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"


class NoAuthentication(Scheme):
    auth = AuthType.NONE
    label = "None (anonymous Identify only)"
    needs_user = False


class Basic(Scheme):
    auth = AuthType.BASIC
    label = "Basic"
    challenge_names: tuple[str, ...] = ("basic",)
    enable_command = "Set-Item WSMan:\\localhost\\Service\\Auth\\Basic $true"
    enable_note = "use it over HTTPS only"
    test_wsman = "Basic"

    def authenticate(self, conversation: Conversation) -> Authenticated:
        creds = conversation.user
        token = base64.b64encode(f"{creds.qualified_username}:{creds.password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        reply = conversation.post(IDENTIFY_REQUEST, headers)
        if reply.status != 200:
            raise conversation.refused(reply, self, len(IDENTIFY_REQUEST))
        detail = f"basic as {creds.qualified_username}"
        return Authenticated(reply.body, detail, lambda body: conversation.post(body, headers))


class Certificate(Scheme):
    """The client certificate went with the TLS handshake (the tls stage); the request names that profile."""

    auth = AuthType.CERTIFICATE
    label = "Client certificate"
    https_only = True
    test_wsman = "ClientCertificate"

    def check(self, options: DestinationOptions) -> tuple[str, str] | None:
        problem = super().check(options)
        if problem is None and not isinstance(options.credentials, CertificateCredentials):
            return "credentials", "certificate authentication needs a certificate and key"
        return problem

    def missing(self, options: DestinationOptions) -> str | None:
        return None

    def user_label(self, options: DestinationOptions) -> str:
        return ""

    def authenticate(self, conversation: Conversation) -> Authenticated:
        if not conversation.peer_certificate:
            raise Problem("tls.failed", reason="no TLS connection to present the certificate on")
        headers = {"Authorization": MUTUAL_PROFILE}
        reply = conversation.post(IDENTIFY_REQUEST, headers)
        if reply.status != 200:
            raise conversation.refused(reply, self, len(IDENTIFY_REQUEST))
        return Authenticated(reply.body, "certificate", lambda body: conversation.post(body, headers))

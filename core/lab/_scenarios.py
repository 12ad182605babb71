"""What each lab endpoint does, and what a test connection against it should conclude (docs/diagnosis.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from core.lab._flavours import CREDSSP, KERBEROS, NEGOTIATE


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    # How the server behaves: "winrm" is the full WinRM-like listener; the rest are broken machines.
    kind: str
    scheme: str = "http"  # the URL's scheme (http-on-https-port lies on purpose)
    cert: str | None = None  # which Pki certificate the listener presents; None = plain TCP
    client_cert_required: bool = False  # TLS 1.3 only, and a client certificate demanded
    offers: tuple[str, ...] | None = None  # WWW-Authenticate challenges of the 401; None: the flavour's own
    flavour: str = "windows"  # which real server it behaves like (core/lab/_flavours.py)
    after_auth: str = "identify"  # authenticated answer: identify, access-denied, timeout-fault
    # What the demo tries, and the stage and failure kind (core.failures) it should end with; None: passes.
    auth: str = "none"
    wrong_password: bool = False
    allow_unencrypted: bool = False
    timeout: float | None = None  # the demo's deadline for this one, where the server is slow on purpose
    expect_stage: str | None = None
    expect_kind: str | None = None

    @property
    def expect_ok(self) -> bool:
        return self.expect_stage is None


class _Expected(TypedDict):
    expect_stage: str
    expect_kind: str


def _fails(stage: str, kind: str) -> _Expected:
    return {"expect_stage": stage, "expect_kind": kind}


_ALL = (
    Scenario("winrm-http", "A healthy Windows WinRM listener over HTTP (NTLM with message encryption).",
             "winrm", auth="ntlm"),
    Scenario("winrm-https", "A healthy Windows WinRM listener over HTTPS with a certificate from the lab CA.",
             "winrm", scheme="https", cert="good", auth="basic"),
    Scenario("wrong-password", "A healthy listener, tried with a wrong password.",
             "winrm", auth="ntlm", wrong_password=True, **_fails("auth", "auth.rejected")),
    Scenario("basic-not-offered", "A default Windows listener: Basic authentication is not enabled.",
             "winrm", offers=(NEGOTIATE, KERBEROS), auth="basic", **_fails("auth", "auth.not_offered")),
    Scenario("credssp-not-offered", "A default Windows listener, tried with CredSSP, which it does not enable.",
             "winrm", scheme="https", cert="good", auth="credssp", **_fails("auth", "auth.not_offered")),
    Scenario("credssp", "A listener with CredSSP enabled (Enable-WSManCredSSP -Role Server), over HTTPS.",
             "winrm", scheme="https", cert="good", offers=(NEGOTIATE, CREDSSP), auth="credssp"),
    Scenario("access-denied", "Accepts the password but the user may not use WinRM (not an administrator).",
             "winrm", after_auth="access-denied", auth="ntlm", **_fails("auth", "fault.access_denied")),
    Scenario("timeout-fault", "Accepts the password, then the service times out (SOAP fault w:TimedOut).",
             "winrm", after_auth="timeout-fault", auth="ntlm", **_fails("auth", "fault.timed_out")),
    Scenario("refused", "Nothing listens on this port: the WinRM service is stopped.",
             "refused", **_fails("tcp", "tcp.refused")),
    Scenario("blackhole", "A firewall drops the packets to the WinRM port; the host answers on others.",
             "blackhole", **_fails("tcp", "tcp.filtered")),
    Scenario("host-down", "Nothing answers at all, on the WinRM port or any other: off, asleep or the wrong address.",
             "host-down", **_fails("tcp", "tcp.host_down")),
    Scenario("silent", "Accepts the connection but never answers.",
             "silent", **_fails("wsman", "wsman.anonymous_silent")),
    Scenario("reset", "Resets the connection as soon as the request arrives (like an IPS or load balancer).",
             "reset", **_fails("wsman", "http.closed")),
    Scenario("not-http", "Another service owns the port: it greets with an SSH banner.",
             "not-http", **_fails("wsman", "http.not_http")),
    Scenario("iis-404", "An ordinary IIS web server on the port: /wsman is not found.",
             "iis-404", **_fails("wsman", "http.not_found")),
    Scenario("invalid-hostname", "HTTP.sys serves no listener for the host name used (400 Invalid Hostname).",
             "invalid-hostname", **_fails("wsman", "http.bad_hostname")),
    Scenario("captive-portal", "A captive portal redirects every request to its login page (HTTP 302).",
             "captive-portal", **_fails("wsman", "http.redirect")),
    Scenario("waf-413", "A web application firewall in front refuses even a small request (HTTP 413).",
             "waf-413", **_fails("wsman", "http.too_large")),
    Scenario("proxy-407", "A proxy in the way asks for proxy authentication.",
             "proxy-407", **_fails("wsman", "http.proxy")),
    Scenario("bad-gateway", "A reverse proxy whose backend is down answers 502 Bad Gateway.",
             "bad-gateway", **_fails("wsman", "http.proxy")),
    Scenario("tls-untrusted", "An HTTPS listener with a self-signed certificate nobody trusts.",
             "winrm", scheme="https", cert="self_signed", **_fails("tls", "tls.untrusted")),
    Scenario("tls-wrong-name", "An HTTPS listener whose certificate names another host.",
             "winrm", scheme="https", cert="wrong_name", **_fails("tls", "tls.wrong_name")),
    Scenario("tls-expired", "An HTTPS listener whose certificate has expired.",
             "winrm", scheme="https", cert="expired", **_fails("tls", "tls.expired")),
    Scenario("tls-client-certificate", "A TLS 1.3 listener that demands a client certificate (after the handshake).",
             "certificate-gate", scheme="https", cert="good", client_cert_required=True,
             **_fails("tls", "tls.client_certificate")),
    Scenario("http-on-https-port", "HTTPS was chosen, but the port serves plain HTTP.",
             "winrm", scheme="https", **_fails("tls", "tls.plain_text")),
    Scenario("trickle", "Answers one byte every quarter of a second, far too slowly.",
             "trickle", **_fails("wsman", "http.timeout")),
    Scenario("oversized", "Answers with a 64 MiB body.",
             "oversized", **_fails("wsman", "http.oversized")),
    Scenario("xml-bomb", "Answers with a 'billion laughs' XML entity bomb.",
             "xml-bomb", **_fails("wsman", "wsman.not_wsman")),
    Scenario("omi", "A Linux OMI server, tested without credentials: it answers only requests that authenticate.",
             "winrm", flavour="omi"),
    Scenario("omi-basic", "A Linux OMI server over HTTPS with Basic: no answer to anonymous requests.",
             "winrm", flavour="omi", scheme="https", cert="good", auth="basic"),
    Scenario("omi-basic-http", "A Linux OMI server over HTTP with Basic, unencrypted traffic allowed.",
             "winrm", flavour="omi", auth="basic", allow_unencrypted=True),
    Scenario("omi-wrong-password", "A Linux OMI server with a wrong Basic password (PAM delays the 401 by 2 s).",
             "winrm", flavour="omi", scheme="https", cert="good", auth="basic", wrong_password=True, timeout=6.0,
             **_fails("auth", "auth.rejected")),
    Scenario("openwsman", "An openwsman server, tested without credentials: it challenges every request.",
             "winrm", flavour="openwsman"),
    Scenario("openwsman-basic", "An openwsman server over HTTPS with Basic: it resets a reused connection.",
             "winrm", flavour="openwsman", scheme="https", cert="good", auth="basic"),
    Scenario("openwsman-basic-http", "An openwsman server over HTTP with Basic, unencrypted traffic allowed.",
             "winrm", flavour="openwsman", auth="basic", allow_unencrypted=True),
    Scenario("openwsman-wrong-password", "An openwsman server with a wrong Basic password.",
             "winrm", flavour="openwsman", scheme="https", cert="good", auth="basic", wrong_password=True,
             **_fails("auth", "auth.rejected")),
    Scenario("win2008r2", "An old Windows Server 2008 R2 (WS-Management stack 2.0).",
             "winrm", flavour="win2008r2"),
)

SCENARIO_TABLE: dict[str, Scenario] = {s.name: s for s in _ALL}
SCENARIOS: tuple[str, ...] = tuple(SCENARIO_TABLE)
__all__ = ["SCENARIOS", "SCENARIO_TABLE", "Scenario"]

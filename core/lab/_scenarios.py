"""What each lab endpoint does, and what a test connection against it should conclude (docs/diagnosis.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from core.lab._flavours import CREDSSP, KERBEROS, NEGOTIATE
from core.lab._realms import (
    DISABLED_USER,
    EXPIRED_USER,
    OFFLINE_REALM,
    REALM,
    SILENT_REALM,
    SKEWED_REALM,
    UNKNOWN_USER,
)

DOMAIN_SCHEMES = (NEGOTIATE, KERBEROS)  # a domain member's default listener


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
    shells: str = "allowed"  # who may open remote shells (core/lab/_shells.py POLICIES)
    after_auth: str = "identify"  # authenticated answer: identify, access-denied, timeout-fault, bad-seal
    proof: str = "sent"  # Kerberos: the service's proof of identity (AP-REP) in its 200: sent, none, forged
    strict_binding: bool = False  # Kerberos over HTTPS: a ticket without channel binding is refused (CBT Strict)
    keys: str | None = None  # Kerberos: the service keys the listener holds (_realms.KEYS); None = no Kerberos
    host: str = "127.0.0.1"  # the name in the URL (Kerberos needs `localhost`: the only name with a principal)
    # What the demo tries, and the stage and failure kind (core.failures) it should end with; None: passes.
    auth: str = "none"
    user: str | None = "{user}"  # over {user}, the lab's first user; None = the current identity (no password)
    wrong_password: bool = False
    ticket_cache: bool = False  # with user=None: the current user logged on with kinit, in the lab's ticket cache
    allow_unencrypted: bool = False
    open_shell: bool = False  # the session stage, and which shell it opens
    remote_shell: str = "cmd"
    spn: str | None = None  # a service principal to ask for instead of HTTP/<host>, over {port}
    timeout: float | None = None  # the demo's deadline for this one, where the server is slow on purpose
    # (kerberos-kdc-silent: shorter than the silent KDC's hang-up, _realms.SILENT_FOR, or it would not time out)
    expect_stage: str | None = None
    expect_kind: str | None = None
    expect_code: int | None = None  # the code Windows' own client shows (SSPI / NTSTATUS), where one is known

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
    # --- the session stage: an authenticated user asks for a remote shell ------------------------------------
    Scenario("session-cmd", "A healthy listener: the user opens a cmd shell (as winrs does); it is deleted at once.",
             "winrm", auth="ntlm", open_shell=True),
    Scenario("session-powershell", "A healthy listener over HTTPS: the user opens the PowerShell endpoint, as "
             "Enter-PSSession does.", "winrm", scheme="https", cert="good", auth="ntlm", open_shell=True,
             remote_shell="powershell"),
    Scenario("session-denied", "The PowerShell endpoint's security descriptor leaves the domain user out.",
             "winrm", auth="ntlm", user="LAB\\{user}", shells="denied", open_shell=True, remote_shell="powershell",
             **_fails("session", "session.access_denied")),
    Scenario("session-uac", "A local administrator, as a local account: UAC's remote restrictions filter its token.",
             "winrm", auth="ntlm", user=".\\{user}", shells="uac", open_shell=True,
             **_fails("session", "session.local_account_filtered")),
    Scenario("session-quota", "The user already holds as many shells as MaxShellsPerUser allows.",
             "winrm", auth="ntlm", shells="quota", open_shell=True, **_fails("session", "session.quota")),
    Scenario("session-no-endpoint", "The Microsoft.PowerShell endpoint is unregistered (or its plugin disabled).",
             "winrm", auth="ntlm", shells="powershell-disabled", open_shell=True, remote_shell="powershell",
             **_fails("session", "session.no_endpoint")),
    Scenario("session-shells-off", "Group Policy switched remote shell access off (AllowRemoteShellAccess).",
             "winrm", auth="ntlm", shells="shells-off", open_shell=True,
             **_fails("session", "session.shells_disabled")),
    Scenario("omi-session", "A Linux OMI server, asked for a remote shell: it answers WS-Management but has none.",
             "winrm", flavour="omi", scheme="https", cert="good", auth="basic", open_shell=True,
             **_fails("session", "session.no_shells")),
    Scenario("openwsman-session", "An openwsman server, asked for a remote shell: it has none.",
             "winrm", flavour="openwsman", scheme="https", cert="good", auth="basic", open_shell=True,
             **_fails("session", "session.no_shells")),
)

# Kerberos: started only when asked for (Lab(kerberos=True) or by name), as they need a KDC (core/lab/kdc.py).
# The codes are winerror.h's and ntstatus.h's (SEC_E_*, STATUS_*), as Windows' client reports each case.
_LAB_USER = "{user}@" + REALM


def _domain(name: str, description: str, kind: str | None = None, code: int | None = None, **options: Any) -> Scenario:
    """A domain member's listener (it offers Negotiate and Kerberos), tried with Kerberos as the lab's user."""
    fields: dict[str, Any] = {
        "offers": DOMAIN_SCHEMES, "keys": "current", "host": "localhost", "auth": "kerberos", "user": _LAB_USER,
    }
    if kind is not None:
        fields.update(expect_stage="auth", expect_kind=kind)
    return Scenario(name, description, "winrm", **{**fields, **options}, expect_code=code)


_KERBEROS = (
    _domain("kerberos-http", "A domain member over HTTP: Kerberos, the message sealed with the session key."),
    _domain("kerberos-https", "A domain member over HTTPS: Kerberos bound to the certificate (channel binding).",
            scheme="https", cert="good"),
    _domain("kerberos-https-strict", "A domain member over HTTPS that requires channel binding (CbtHardeningLevel "
            "Strict): a client that does not bind its ticket to the certificate is refused.", scheme="https",
            cert="good", strict_binding=True),
    _domain("negotiate-kerberos", "Negotiate with a name that has a service principal: Kerberos is chosen.",
            auth="negotiate"),
    _domain("negotiate-ntlm-ip", "Negotiate to an IP address: no ticket names an address, so NTLM is used.",
            auth="negotiate", host="127.0.0.1", user="{user}"),
    _domain("kerberos-wrong-password", "Kerberos with a wrong password: the KDC refuses pre-authentication.",
            "auth.logon_denied", 0x8009030C, wrong_password=True),  # SEC_E_LOGON_DENIED
    _domain("kerberos-unknown-user", "Kerberos for a user the domain does not know.",
            "auth.unknown_user", 0x8009030C, user=f"{UNKNOWN_USER}@{REALM}"),  # SEC_E_LOGON_DENIED
    _domain("kerberos-no-kdc", "Kerberos for a user whose domain controller cannot be reached.",
            "auth.no_authority", 0x80090311, user="{user}@" + OFFLINE_REALM),  # SEC_E_NO_AUTHENTICATING_AUTHORITY
    _domain("kerberos-no-spn", "Kerberos asking for HTTP/localhost:<port> (-IncludePortInSPN): nobody registered "
            "that principal.", "auth.target_unknown", 0x80090303, spn="HTTP/localhost:{port}"),  # SEC_E_TARGET_UNKNOWN
    _domain("kerberos-stale-key", "The service holds out-of-date keys for HTTP/localhost (a stale keytab, a "
            "duplicate SPN): it cannot open the ticket.", "auth.wrong_principal", 0x80090322,
            keys="stale"),  # SEC_E_WRONG_PRINCIPAL
    _domain("kerberos-clock-skew", "The server's clock is ten minutes ahead of its domain controller's.",
            "auth.time_skew", 0x80090324, keys="skewed", user="{user}@" + SKEWED_REALM),  # SEC_E_TIME_SKEW
    _domain("kerberos-password-expired", "Kerberos for a user whose password has expired.",
            "auth.password_expired", 0xC0000071, user=f"{EXPIRED_USER}@{REALM}"),  # STATUS_PASSWORD_EXPIRED
    _domain("kerberos-account-disabled", "Kerberos for a disabled account.",
            "auth.account_revoked", 0xC0000072, user=f"{DISABLED_USER}@{REALM}"),  # STATUS_ACCOUNT_DISABLED
    _domain("kerberos-no-ticket", "Kerberos as the current user, who has no ticket (not logged on to the domain).",
            "auth.no_credentials", 0x8009030E, user=None),  # SEC_E_NO_CREDENTIALS
    _domain("kerberos-ip", "Kerberos alone to an IP address: refused before anything is sent.",
            "auth.kerberos_to_address", host="127.0.0.1"),
    _domain("kerberos-current-user", "Kerberos as the current user, logged on with kinit: no password at all.",
            user=None, ticket_cache=True),
    _domain("negotiate-ntlm-no-spn", "Negotiate asking for HTTP/localhost:<port>, which nobody registered: NTLM "
            "is used, and the test says why.", auth="negotiate", spn="HTTP/localhost:{port}"),
    _domain("negotiate-wrong-password", "Negotiate with a wrong password: NTLM is refused too, and the domain "
            "controller's answer says why.", "auth.logon_denied", 0x8009030C, auth="negotiate",
            wrong_password=True),  # SEC_E_LOGON_DENIED
    _domain("kerberos-kdc-silent", "Kerberos for a user whose domain controller accepts the connection and never "
            "answers (a firewall or VPN in the way).", "auth.kdc_timeout", 0x80090311,
            user="{user}@" + SILENT_REALM, timeout=3.0),  # SEC_E_NO_AUTHENTICATING_AUTHORITY
    _domain("kerberos-no-proof", "The service answers 200 without its proof of identity (no AP-REP): something "
            "else answers in its place.", "auth.mutual_failed", 0x80090363, proof="none"),  # SEC_E_MUTUAL_AUTH_FAILED
    _domain("kerberos-forged-proof", "The service's proof of identity (AP-REP) does not verify.",
            "auth.mutual_failed", 0x80090363, proof="forged"),  # SEC_E_MUTUAL_AUTH_FAILED
    _domain("kerberos-bad-seal", "The service's encrypted answer does not open with the session's key.",
            "auth.bad_seal", after_auth="bad-seal"),
)

SCENARIO_TABLE: dict[str, Scenario] = {s.name: s for s in (*_ALL, *_KERBEROS)}
SCENARIOS: tuple[str, ...] = tuple(s.name for s in _ALL)  # what Lab() runs by default
KERBEROS_SCENARIOS: tuple[str, ...] = tuple(s.name for s in _KERBEROS)
__all__ = ["KERBEROS_SCENARIOS", "SCENARIOS", "SCENARIO_TABLE", "Scenario"]

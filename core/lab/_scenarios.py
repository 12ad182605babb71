"""What each lab endpoint does, and what a test connection against it should conclude (diagnosis.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.lab._realms import DISABLED_USER, EXPIRED_USER, OFFLINE_REALM, REALM, SKEWED_REALM, UNKNOWN_USER

NEGOTIATE = "Negotiate"
KERBEROS = "Kerberos"
BASIC = 'Basic realm="WSMAN"'
WINDOWS_SCHEMES = (NEGOTIATE, BASIC)
DOMAIN_SCHEMES = (NEGOTIATE, KERBEROS)  # a domain member's default listener


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    # How the server behaves: "winrm" is the full WinRM-like listener; the rest are broken machines.
    kind: str
    scheme: str = "http"  # the URL's scheme (http-on-https-port lies on purpose)
    cert: str | None = None  # which Pki certificate the listener presents; None = plain TCP
    offers: tuple[str, ...] = WINDOWS_SCHEMES  # WWW-Authenticate challenges of the 401
    flavour: str = "windows"  # shape of the IdentifyResponse: windows, win2008r2, omi, openwsman
    after_auth: str = "identify"  # authenticated answer: identify, access-denied, timeout-fault
    keys: str | None = None  # Kerberos: the service keys the listener holds (_realms.KEYS); None = no Kerberos
    host: str = "127.0.0.1"  # the name in the URL (Kerberos needs `localhost`: the only name with a principal)
    # What the demo tries and expects.
    auth: str = "none"
    user: str | None = "{user}"  # over {user}, the lab's first user; None = the current identity (no password)
    wrong_password: bool = False
    spn: str | None = None  # a service principal to ask for instead of HTTP/<host>, over {port}
    expect_stage: str | None = None
    expect_result: str = "MI_RESULT_OK"
    expect_category: str | None = None
    expect_code: int | None = None  # the code Windows' own client shows (SSPI / NTSTATUS), where one is known

    @property
    def expect_ok(self) -> bool:
        return self.expect_stage is None


_FAILED = "MI_RESULT_FAILED"
_DENIED = "MI_RESULT_ACCESS_DENIED"

_ALL = (
    Scenario("winrm-http", "A healthy Windows WinRM listener over HTTP (NTLM with message encryption).",
             "winrm", auth="ntlm"),
    Scenario("winrm-https", "A healthy Windows WinRM listener over HTTPS with a certificate from the lab CA.",
             "winrm", scheme="https", cert="good", auth="basic"),
    Scenario("wrong-password", "A healthy listener, tried with a wrong password.",
             "winrm", auth="ntlm", wrong_password=True,
             expect_stage="auth", expect_result=_DENIED, expect_category="AUTHENTICATION_ERROR"),
    Scenario("basic-not-offered", "A default Windows listener: Basic authentication is not enabled.",
             "winrm", offers=(NEGOTIATE, KERBEROS), auth="basic",
             expect_stage="auth", expect_result=_DENIED, expect_category="NOT_ENABLED"),
    Scenario("access-denied", "Accepts the password but the user may not use WinRM (not an administrator).",
             "winrm", after_auth="access-denied", auth="ntlm",
             expect_stage="auth", expect_result=_DENIED, expect_category="ACCESS_DENIED"),
    Scenario("timeout-fault", "Accepts the password, then the service times out (SOAP fault w:TimedOut).",
             "winrm", after_auth="timeout-fault", auth="ntlm",
             expect_stage="auth", expect_result=_FAILED, expect_category="OPERATION_TIMEOUT"),
    Scenario("refused", "Nothing listens on this port: the WinRM service is stopped.",
             "refused", expect_stage="tcp", expect_result=_FAILED, expect_category="CONNECTION_ERROR"),
    Scenario("blackhole", "A firewall drops the packets: the connection attempt never completes.",
             "blackhole", expect_stage="tcp", expect_result=_FAILED, expect_category="OPERATION_TIMEOUT"),
    Scenario("silent", "Accepts the connection but never answers.",
             "silent", expect_stage="wsman", expect_result=_FAILED, expect_category="OPERATION_TIMEOUT"),
    Scenario("reset", "Resets the connection as soon as the request arrives (like an IPS or load balancer).",
             "reset", expect_stage="wsman", expect_result=_FAILED, expect_category="CONNECTION_ERROR"),
    Scenario("not-http", "Another service owns the port: it greets with an SSH banner.",
             "not-http", expect_stage="wsman", expect_result=_FAILED, expect_category="PROTOCOL_ERROR"),
    Scenario("iis-404", "An ordinary IIS web server on the port: /wsman is not found.",
             "iis-404", expect_stage="wsman", expect_result=_FAILED, expect_category="OBJECT_NOT_FOUND"),
    Scenario("proxy-407", "A proxy in the way asks for proxy authentication.",
             "proxy-407", expect_stage="wsman", expect_result=_FAILED, expect_category="CONNECTION_ERROR"),
    Scenario("bad-gateway", "A reverse proxy whose backend is down answers 502 Bad Gateway.",
             "bad-gateway", expect_stage="wsman", expect_result=_FAILED, expect_category="CONNECTION_ERROR"),
    Scenario("tls-untrusted", "An HTTPS listener with a self-signed certificate nobody trusts.",
             "winrm", scheme="https", cert="self_signed",
             expect_stage="tls", expect_result=_FAILED, expect_category="SECURITY_ERROR"),
    Scenario("tls-wrong-name", "An HTTPS listener whose certificate names another host.",
             "winrm", scheme="https", cert="wrong_name",
             expect_stage="tls", expect_result=_FAILED, expect_category="SECURITY_ERROR"),
    Scenario("tls-expired", "An HTTPS listener whose certificate has expired.",
             "winrm", scheme="https", cert="expired",
             expect_stage="tls", expect_result=_FAILED, expect_category="SECURITY_ERROR"),
    Scenario("http-on-https-port", "HTTPS was chosen, but the port serves plain HTTP.",
             "winrm", scheme="https",
             expect_stage="tls", expect_result=_FAILED, expect_category="PROTOCOL_ERROR"),
    Scenario("trickle", "Answers one byte every quarter of a second, far too slowly.",
             "trickle", expect_stage="wsman", expect_result=_FAILED, expect_category="OPERATION_TIMEOUT"),
    Scenario("oversized", "Answers with a 64 MiB body.",
             "oversized", expect_stage="wsman", expect_result=_FAILED, expect_category="PROTOCOL_ERROR"),
    Scenario("xml-bomb", "Answers with a 'billion laughs' XML entity bomb.",
             "xml-bomb", expect_stage="wsman", expect_result=_FAILED, expect_category="PROTOCOL_ERROR"),
    Scenario("omi", "A Linux OMI server (Open Management Infrastructure).",
             "winrm", flavour="omi"),
    Scenario("openwsman", "An openwsman server (Linux, hardware management).",
             "winrm", flavour="openwsman", offers=('Basic realm="OPENWSMAN"',)),
    Scenario("win2008r2", "An old Windows Server 2008 R2 (WS-Management stack 2.0).",
             "winrm", flavour="win2008r2"),
)

# Kerberos: started only when asked for (Lab(kerberos=True) or by name), as they need a KDC (core/lab/kdc.py).
# The codes are winerror.h's and ntstatus.h's (SEC_E_*, STATUS_*), as Windows' client reports each case.
_LAB_USER = "{user}@" + REALM


def _domain(name: str, description: str, code: int | None = None, *, ok: bool = False, **options: Any) -> Scenario:
    """A domain member's listener (it offers Negotiate and Kerberos), tried with Kerberos as the lab's user."""
    fields: dict[str, Any] = {
        "offers": DOMAIN_SCHEMES, "keys": "current", "host": "localhost", "auth": "kerberos", "user": _LAB_USER,
    }
    if not ok:
        fields.update(expect_stage="auth", expect_result=_DENIED, expect_category="AUTHENTICATION_ERROR")
    return Scenario(name, description, "winrm", **{**fields, **options}, expect_code=code)


_KERBEROS = (
    _domain("kerberos-http", "A domain member over HTTP: Kerberos, the message sealed with the session key.",
            ok=True),
    _domain("kerberos-https", "A domain member over HTTPS: Kerberos bound to the certificate (channel binding).",
            ok=True, scheme="https", cert="good"),
    _domain("negotiate-kerberos", "Negotiate with a name that has a service principal: Kerberos is chosen.",
            ok=True, auth="negotiate"),
    _domain("negotiate-ntlm-ip", "Negotiate to an IP address: no ticket names an address, so NTLM is used.",
            ok=True, auth="negotiate", host="127.0.0.1", user="{user}"),
    _domain("kerberos-wrong-password", "Kerberos with a wrong password: the KDC refuses pre-authentication.",
            0x8009030C, wrong_password=True),  # SEC_E_LOGON_DENIED
    _domain("kerberos-unknown-user", "Kerberos for a user the domain does not know.",
            0x8009030C, user=f"{UNKNOWN_USER}@{REALM}"),  # SEC_E_LOGON_DENIED
    _domain("kerberos-no-kdc", "Kerberos for a user whose domain controller cannot be reached.",
            0x80090311, user="{user}@" + OFFLINE_REALM),  # SEC_E_NO_AUTHENTICATING_AUTHORITY
    _domain("kerberos-no-spn", "Kerberos asking for HTTP/localhost:<port> (-IncludePortInSPN): nobody registered "
            "that principal.", 0x80090303, spn="HTTP/localhost:{port}"),  # SEC_E_TARGET_UNKNOWN
    _domain("kerberos-stale-key", "The service holds out-of-date keys for HTTP/localhost (a stale keytab, a "
            "duplicate SPN): it cannot open the ticket.", 0x80090322, keys="stale"),  # SEC_E_WRONG_PRINCIPAL
    _domain("kerberos-clock-skew", "The server's clock is ten minutes ahead of its domain controller's.",
            0x80090324, keys="skewed", user="{user}@" + SKEWED_REALM),  # SEC_E_TIME_SKEW
    _domain("kerberos-password-expired", "Kerberos for a user whose password has expired.",
            0xC0000071, user=f"{EXPIRED_USER}@{REALM}"),  # STATUS_PASSWORD_EXPIRED
    _domain("kerberos-account-disabled", "Kerberos for a disabled account.",
            0xC0000072, user=f"{DISABLED_USER}@{REALM}"),  # STATUS_ACCOUNT_DISABLED
    _domain("kerberos-no-ticket", "Kerberos as the current user, who has no ticket (not logged on to the domain).",
            0x8009030E, user=None),  # SEC_E_NO_CREDENTIALS
    _domain("kerberos-ip", "Kerberos alone to an IP address: refused before anything is sent.", host="127.0.0.1"),
)

SCENARIO_TABLE: dict[str, Scenario] = {s.name: s for s in (*_ALL, *_KERBEROS)}
SCENARIOS: tuple[str, ...] = tuple(s.name for s in _ALL)  # what Lab() runs by default
KERBEROS_SCENARIOS: tuple[str, ...] = tuple(s.name for s in _KERBEROS)

"""What each lab endpoint does, and what a test connection against it should conclude (diagnosis.md)."""

from __future__ import annotations

from dataclasses import dataclass

NEGOTIATE = "Negotiate"
KERBEROS = "Kerberos"
BASIC = 'Basic realm="WSMAN"'
WINDOWS_SCHEMES = (NEGOTIATE, BASIC)


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
    # What the demo tries and expects.
    auth: str = "none"
    wrong_password: bool = False
    expect_stage: str | None = None
    expect_result: str = "MI_RESULT_OK"
    expect_category: str | None = None

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

SCENARIO_TABLE: dict[str, Scenario] = {s.name: s for s in _ALL}
SCENARIOS: tuple[str, ...] = tuple(SCENARIO_TABLE)

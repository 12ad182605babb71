"""The one classifier: every failure a test meets becomes a :class:`Failure` here, and nowhere else.

Inputs are exceptions (socket, ssl, http.client, urllib3, requests, pywinrm, requests_ntlm, spnego), HTTP answers
and SOAP faults. Classification goes by exception type, errno, ssl verify code, HTTP status and WS-Man fault codes —
never by a server's text, which Windows localises. Windows codes appear only where a public source confirms them
(see diagnosis.md); elsewhere they stay ``None``.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from core.diagnosis import Failure
from core.mi import AuthType, MIErrorCategory, MIResult
from core.wire import CertificateNameError, StopReason
from core.wsman import SoapFault, XmlError

R = MIResult
C = MIErrorCategory

# Windows codes (wsmerror.h, winerror.h, winhttp.h) as diagnosis.md lists them.
ERROR_WSMAN_CANNOT_CONNECT = 0x80338012  # 2150858770, what New-CimSession shows when nothing listens
ERROR_WSMAN_TIMEOUT = 0x80338126  # 2150859046
ERROR_WSMAN_OPERATION_TIMEDOUT = 0x80338029  # 2150858793, the w:TimedOut fault
ERROR_WSMAN_URL_NOT_FOUND = 0x80338113  # 2150859027
ERROR_WSMAN_UNENCRYPTED_DISABLED = 0x803380DE  # client refuses Basic in clear text
ERROR_WINHTTP_SECURE_FAILURE = 12175
ERROR_ACCESS_DENIED = 5
ERROR_CANCELLED = 1223
SEC_E_NO_AUTHENTICATING_AUTHORITY = 0x80090311
SEC_E_WRONG_PRINCIPAL = 0x80090322


@dataclass(frozen=True)
class Context:
    """What the classifier needs to know about the test to word its messages."""

    host: str
    port: int
    transport: str
    url_prefix: str = "wsman"
    timeout: float = 10.0
    auth: AuthType = AuthType.NONE
    offered: tuple[str, ...] = ()  # auth schemes from the listener's 401
    stop_reason: StopReason | None = None


def _failure(
    stage: str | None,
    result: MIResult,
    category: MIErrorCategory,
    message: str,
    hint: str,
    detail: str,
    windows_code: int | None = None,
    wsman_fault_code: int | None = None,
) -> Failure:
    return Failure(stage, result, category, message, hint, windows_code, wsman_fault_code, detail)


# --- the plain cases ----------------------------------------------------------------------------------------


def invalid_input(field: str, message: str) -> Failure:
    return _failure(
        None,
        R.INVALID_PARAMETER,
        C.INVALID_ARGUMENT,
        f"{field}: {message}",
        f"Correct the {field} and test again.",
        f"{field}: {message}",
    )


def not_supported(what: str, hint: str) -> Failure:
    return _failure(None, R.NOT_SUPPORTED, C.NOT_IMPLEMENTED, what, hint, what)


def cancelled(stage: str | None) -> Failure:
    return _failure(
        stage,
        R.FAILED,
        C.OPERATION_STOPPED,
        "The test was cancelled.",
        "Run the test again when ready.",
        "cancelled",
        ERROR_CANCELLED,
    )


def deadline(stage: str, ctx: Context) -> Failure:
    """The overall deadline ran out while ``stage`` was in flight: a timeout of that stage."""
    seconds = f"{ctx.timeout:g} s"
    if stage == "dns":
        return _failure(
            stage,
            R.FAILED,
            C.OPERATION_TIMEOUT,
            f"Resolving {ctx.host} took longer than {seconds}.",
            "The DNS server is slow or unreachable; check this PC's DNS settings (nslookup "
            f"{ctx.host}) or connect by IP address.",
            f"no answer in {seconds}",
        )
    if stage == "tcp":
        return _failure(
            stage,
            R.FAILED,
            C.OPERATION_TIMEOUT,
            f"{ctx.host} did not answer the connection to port {ctx.port} within {seconds}.",
            f"The host is down, or a firewall drops port {ctx.port}. Check that the host is up and that its "
            "firewall allows the port (Windows' rule for the Public profile admits only the local subnet).",
            f"no answer in {seconds}",
            ERROR_WSMAN_TIMEOUT,
        )
    if stage == "tls":
        return _failure(
            stage,
            R.FAILED,
            C.OPERATION_TIMEOUT,
            f"The TLS handshake did not finish within {seconds}.",
            "The port accepted the connection but does not speak TLS promptly; check that it is an HTTPS "
            "listener (5986) and that no middlebox holds the connection.",
            f"no answer in {seconds}",
            ERROR_WSMAN_TIMEOUT,
        )
    return _failure(
        stage,
        R.FAILED,
        C.OPERATION_TIMEOUT,
        f"The service did not answer completely within {seconds}.",
        "The host is overloaded, a middlebox holds the connection, or the timeout is too short; try again with "
        "a longer timeout.",
        f"no answer in {seconds}",
        ERROR_WSMAN_TIMEOUT,
    )


# --- exceptions ---------------------------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: requests and urllib3 hide the socket error several levels down."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(nested, BaseException):
                todo.append(nested)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))


def classify_exception(exc: BaseException, stage: str, ctx: Context) -> Failure:
    """Turn an exception raised while ``stage`` ran into a Failure."""
    if ctx.stop_reason is StopReason.OVERSIZED:
        return oversized(stage)
    if ctx.stop_reason is StopReason.DEADLINE:
        return deadline(stage, ctx)
    if ctx.stop_reason is StopReason.CANCELLED:
        return cancelled(stage)
    chain = list(_causes(exc))

    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return _failure(
                "dns",
                R.FAILED,
                C.CONNECTION_ERROR,
                f"The name {ctx.host} could not be resolved ({cause.strerror}).",
                "Check the spelling of the name and try its fully qualified form (e.g. srv01.corp.example); on VPN, "
                f"check that the VPN's DNS is in use (nslookup {ctx.host}).",
                "name not found",
            )
    for cause in chain:
        if isinstance(cause, ssl.SSLError | CertificateNameError):
            return _classify_tls(cause, ctx)
    for cause in chain:
        failure = _classify_os_error(cause, stage, ctx)
        if failure is not None:
            return failure
    for cause in chain:
        if isinstance(cause, XmlError):
            return not_wsman(stage, str(cause))
        if isinstance(cause, http.client.BadStatusLine | http.client.LineTooLong):
            return not_http(stage, str(cause))
        if isinstance(cause, http.client.RemoteDisconnected):
            return reset(stage, ctx)
        if isinstance(cause, MemoryError) and stage in ("wsman", "auth"):
            # http.client allocates a declared Content-Length or chunk size up front: an absurd one is an oversized
            # answer, whatever arrived after it.
            return oversized(stage)
        # http.client turns a garbage chunk size or length into ValueError/OverflowError while reading.
        if isinstance(cause, http.client.HTTPException | OverflowError | ValueError) and stage in ("wsman", "auth"):
            return _failure(
                stage,
                R.FAILED,
                C.PROTOCOL_ERROR,
                f"The answer is broken HTTP ({type(cause).__name__}: {cause}).",
                "This is not a working WS-Management service; check the port and URL prefix.",
                "broken HTTP",
            )
    if stage == "auth":
        failure = _classify_auth_library_error(chain, ctx)
        if failure is not None:
            return failure
    return _failure(
        stage,
        R.FAILED,
        C.NOT_SPECIFIED,
        f"{type(exc).__name__}: {exc}",
        "An unexpected error; copy the details into a ticket.",
        type(exc).__name__,
    )


def _classify_os_error(cause: BaseException, stage: str, ctx: Context) -> Failure | None:
    if isinstance(cause, TimeoutError | socket.timeout):
        return deadline(stage, ctx)
    if isinstance(cause, ConnectionRefusedError):
        return _failure(
            "tcp",
            R.FAILED,
            C.CONNECTION_ERROR,
            f"{ctx.host} refused the connection to port {ctx.port}.",
            f"Nothing listens on port {ctx.port}: the WinRM service is stopped or has no listener there. On the "
            "target run `Enable-PSRemoting -Force` (or `winrm quickconfig`); port 5986 also needs an HTTPS "
            "listener (`winrm enumerate winrm/config/listener`).",
            "connection refused",
            ERROR_WSMAN_CANNOT_CONNECT,
        )
    if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return _failure(
            "tcp",
            R.FAILED,
            C.CONNECTION_ERROR,
            f"There is no route to {ctx.host} ({cause.strerror}).",
            "This PC cannot reach the host's network; check VPN and routing, or that the address is right.",
            "no route",
        )
    # ENOTCONN: the peer accepted and reset at once, before we asked the socket who it is connected to.
    if isinstance(cause, ConnectionResetError | BrokenPipeError | ConnectionAbortedError) or (
        isinstance(cause, OSError) and cause.errno == errno.ENOTCONN
    ):
        if stage in ("dns", "tcp"):
            stage = "wsman"
        return reset(stage, ctx)
    return None


def reset(stage: str, ctx: Context) -> Failure:
    other = "HTTPS (5986)" if ctx.transport == "http" else "HTTP (5985)"
    return _failure(
        stage,
        R.FAILED,
        C.CONNECTION_ERROR,
        "The connection was closed without an answer.",
        f"Check the scheme against the port: this test used {ctx.transport.upper()} on {ctx.port}; the port may "
        f"expect {other}. Otherwise a firewall, IPS or load balancer ends the connection.",
        "connection reset",
    )


def not_http(stage: str, banner: str) -> Failure:
    shown = banner.strip()[:60]
    return _failure(
        stage,
        R.FAILED,
        C.PROTOCOL_ERROR,
        f"The port answered, but not in HTTP ({shown!r}).",
        "Another service owns this port; check the port number (WinRM uses 5985 for HTTP, 5986 for HTTPS).",
        "not HTTP",
    )


def not_wsman(stage: str, why: str) -> Failure:
    return _failure(
        stage,
        R.FAILED,
        C.PROTOCOL_ERROR,
        f"The answer is not a WS-Management IdentifyResponse: {why}.",
        "This is not a WS-Management service, or a broken one; check the port and the URL prefix.",
        "not WS-Management",
    )


def oversized(stage: str) -> Failure:
    return _failure(
        stage,
        R.FAILED,
        C.PROTOCOL_ERROR,
        "The answer is larger than any WS-Management reply (over 1 MiB).",
        "This is not a WS-Management service, or a broken one; check the port and the URL prefix.",
        "answer too large",
    )


_VERIFY_EXPIRED = {9, 10}  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED
_VERIFY_HOSTNAME = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_OLD_TLS_REASONS = {
    "UNSUPPORTED_PROTOCOL",
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "NO_PROTOCOLS_AVAILABLE",
    "NO_CIPHERS_AVAILABLE",
    "NO_SHARED_CIPHER",
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "WRONG_SSL_VERSION",
}


def _classify_tls(cause: BaseException, ctx: Context) -> Failure:
    secure = ERROR_WINHTTP_SECURE_FAILURE
    if isinstance(cause, CertificateNameError) or (
        isinstance(cause, ssl.SSLCertVerificationError) and cause.verify_code in _VERIFY_HOSTNAME
    ):
        return _failure(
            "tls",
            R.FAILED,
            C.SECURITY_ERROR,
            f"The certificate does not name {ctx.host} ({_tls_text(cause)}).",
            "Connect by the name the certificate carries, or reissue the listener certificate with this name in "
            "its Subject Alternative Name.",
            "certificate names another host",
            secure,
        )
    if isinstance(cause, ssl.SSLCertVerificationError):
        if cause.verify_code in _VERIFY_EXPIRED:
            return _failure(
                "tls",
                R.FAILED,
                C.SECURITY_ERROR,
                f"The certificate is not valid now ({_tls_text(cause)}).",
                "Renew the listener's certificate, and check this PC's clock.",
                "certificate expired",
                secure,
            )
        return _failure(
            "tls",
            R.FAILED,
            C.SECURITY_ERROR,
            f"The certificate is not trusted ({_tls_text(cause)}).",
            "Trust the CA that issued the listener's certificate (give its file: --ca-file), or, knowing the "
            "risk, skip the CA check.",
            "certificate not trusted",
            secure,
        )
    reason = getattr(cause, "reason", None) or ""
    if reason in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
        return _failure(
            "tls",
            R.FAILED,
            C.PROTOCOL_ERROR,
            "The port answered in plain text, not TLS.",
            f"This port serves HTTP: use http for port {ctx.port}, or the HTTPS port (5986).",
            "not TLS",
        )
    if reason in _OLD_TLS_REASONS:
        return _failure(
            "tls",
            R.FAILED,
            C.SECURITY_ERROR,
            f"No common TLS version or cipher ({_tls_text(cause)}).",
            "Enable TLS 1.2 or later on the target; TestConnection does not weaken its client by default.",
            "TLS too old",
        )
    if isinstance(cause, ssl.SSLEOFError | ssl.SSLZeroReturnError) or reason == "UNEXPECTED_EOF_WHILE_READING":
        return _failure(
            "tls",
            R.FAILED,
            C.CONNECTION_ERROR,
            "The server closed the connection during the TLS handshake.",
            f"Check that port {ctx.port} is an HTTPS listener; a firewall or IPS may also end TLS connections.",
            "closed during handshake",
        )
    return _failure(
        "tls",
        R.FAILED,
        C.SECURITY_ERROR,
        f"The TLS handshake failed ({_tls_text(cause)}).",
        "Check the listener's certificate and TLS settings.",
        "TLS failed",
    )


def _tls_text(cause: BaseException) -> str:
    return getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or str(cause)


def no_ntlm_challenge() -> Failure:
    """The answer to the NTLM negotiate message carried no challenge token."""
    return _failure(
        "auth",
        R.ACCESS_DENIED,
        C.NOT_ENABLED,
        "The service did not answer the NTLM negotiation.",
        "Negotiate may be disabled on the service (`winrm get winrm/config/service/auth`), or a proxy "
        "strips the authentication headers.",
        "no NTLM challenge",
    )


def _classify_auth_library_error(chain: list[BaseException], ctx: Context) -> Failure | None:
    for cause in chain:
        name = type(cause).__name__
        text = str(cause)
        if isinstance(cause, PermissionError) and "challenge" in text.lower():
            # requests_ntlm: the 401 carried no NTLM token (its one signal; the text is the library's, not a server's)
            return no_ntlm_challenge()
        if name == "WinRMError" and "not installed" in text:
            return not_supported(
                f"{ctx.auth.value} authentication is not available on this PC ({text}).",
                "Install the missing package (pywinrm[kerberos] or pywinrm[credssp]), or pick another scheme.",
            )
        if name in ("SpnegoError", "BadMechanismError", "NoCredentialError", "InvalidTokenError"):
            code = getattr(cause, "nt_status", None) or getattr(cause, "ERROR_CODE", None)
            if code == SEC_E_NO_AUTHENTICATING_AUTHORITY:
                hint = "No domain controller could be reached; check VPN and this PC's DNS."
            elif code == SEC_E_WRONG_PRINCIPAL:
                hint = "The host has no SPN under this name: connect by its FQDN, not its IP address."
            else:
                hint = (
                    "Check the user name format (DOMAIN\\user for NTLM, user@REALM for Kerberos), and that "
                    "this PC's clock is within 5 minutes of the domain's."
                )
            windows = code if code in (SEC_E_NO_AUTHENTICATING_AUTHORITY, SEC_E_WRONG_PRINCIPAL) else None
            return _failure(
                "auth",
                R.ACCESS_DENIED,
                C.AUTHENTICATION_ERROR,
                f"Authentication failed on this PC: {text}",
                hint,
                "auth library error",
                windows,
            )
    return None


# --- HTTP answers and SOAP faults ---------------------------------------------------------------------------


def classify_http(stage: str, status: int, headers: Mapping[str, str], ctx: Context) -> Failure:
    """A non-success HTTP status from the service."""
    server = headers.get("Server") or headers.get("server") or "the server"
    if status == 404:
        return _failure(
            stage,
            R.FAILED,
            C.OBJECT_NOT_FOUND,
            f"HTTP 404: {server} has nothing at /{ctx.url_prefix}.",
            f"No WinRM listener answers at /{ctx.url_prefix} on port {ctx.port}: another web server may own the "
            "port, the URL prefix may be wrong, or the listener is bound to another address "
            "(`winrm enumerate winrm/config/listener`).",
            "HTTP 404",
            ERROR_WSMAN_URL_NOT_FOUND,
        )
    if status in (407, 502, 504):
        return _failure(
            stage,
            R.FAILED,
            C.CONNECTION_ERROR,
            f"HTTP {status}: a proxy or gateway answered instead of the target.",
            "Bypass the proxy for this host (TestConnection uses no proxy unless you set one), or ask who runs "
            "the gateway on the path.",
            f"HTTP {status} (proxy)",
        )
    if status == 413:
        return _failure(
            stage,
            R.FAILED,
            C.LIMITS_EXCEEDED,
            "HTTP 413: the service refused the request as too large.",
            "The service's MaxEnvelopeSizekb is unusually small; check `winrm get winrm/config`.",
            "HTTP 413",
        )
    if status == 503:
        return _failure(
            stage,
            R.SERVER_IS_SHUTTING_DOWN,
            C.RESOURCE_UNAVAILABLE,
            "HTTP 503: the service is unavailable.",
            "The WinRM service is starting, stopping or overloaded; try again in a minute.",
            "HTTP 503",
        )
    return _failure(
        stage,
        R.FAILED,
        C.PROTOCOL_ERROR,
        f"Unexpected HTTP {status} from {server}.",
        "This is not a working WS-Management service; check the port and the URL prefix.",
        f"HTTP {status}",
    )


def classify_fault(stage: str, fault: SoapFault) -> Failure:
    subcode = (fault.subcode or "").rsplit(":", 1)[-1]
    code = fault.wsman_fault_code
    reason = fault.reason or fault.wsman_message or "no reason given"
    text = f"SOAP fault {fault.subcode or fault.code or '?'}: {reason}" + (f" (WSManFault {code})" if code else "")
    if subcode == "AccessDenied" or code == ERROR_ACCESS_DENIED:
        return _failure(
            stage,
            R.ACCESS_DENIED,
            C.ACCESS_DENIED,
            text,
            "The user was authenticated but may not use WinRM: add them to Administrators or Remote Management "
            "Users on the target, or check the listener's permissions (`winrm configSDDL default`).",
            "access denied (fault)",
            ERROR_ACCESS_DENIED,
            code,
        )
    if subcode == "TimedOut" or code == ERROR_WSMAN_OPERATION_TIMEDOUT:
        return _failure(
            stage,
            R.FAILED,
            C.OPERATION_TIMEOUT,
            text,
            "The service answered but is too slow; try again, or check the load on the target.",
            "timed out (fault)",
            ERROR_WSMAN_OPERATION_TIMEDOUT,
            code,
        )
    return _failure(
        stage,
        R.FAILED,
        C.NOT_SPECIFIED,
        text,
        "The service refused the request; look the WSManFault code up (`winrm helpmsg <code>` on Windows).",
        f"fault {subcode or code or ''}".strip(),
        code,
        code,
    )


# --- authentication verdicts --------------------------------------------------------------------------------


def scheme_offered(auth: AuthType, offered: tuple[str, ...]) -> bool:
    names = {challenge.split(" ", 1)[0].strip().lower() for challenge in offered}
    return any(name in names for name in auth.challenge_names)


def scheme_not_offered(ctx: Context) -> Failure:
    offered = ", ".join(_scheme_names(ctx.offered)) or "nothing"
    enable = {
        AuthType.BASIC: ' `winrm set winrm/config/service/auth @{Basic="true"}` (use it over HTTPS only)',
        AuthType.CREDSSP: " `Enable-WSManCredSSP -Role Server`",
    }.get(ctx.auth, "")
    return _failure(
        "auth",
        R.ACCESS_DENIED,
        C.NOT_ENABLED,
        f"The listener does not offer {ctx.auth.value} authentication (it offers {offered}).",
        f"Pick an offered scheme, or enable {ctx.auth.value} on the target's WinRM service{enable and ':'}{enable}.",
        f"{ctx.auth.value} not offered",
    )


def rejected(ctx: Context) -> Failure:
    offered = ", ".join(_scheme_names(ctx.offered))
    if ctx.offered and not scheme_offered(ctx.auth, ctx.offered):
        return scheme_not_offered(ctx)
    known = f" The listener offers {offered}, so {ctx.auth.value} itself is enabled." if offered else ""
    return _failure(
        "auth",
        R.ACCESS_DENIED,
        C.AUTHENTICATION_ERROR,
        f"The credentials were rejected (HTTP 401).{known}",
        "Check the password and that the account is not locked or expired; write the user as DOMAIN\\user "
        "(NTLM) or user@REALM (Kerberos). A local administrator other than the built-in Administrator also needs "
        "LocalAccountTokenFilterPolicy=1 on the target, and the user must be allowed to use WinRM "
        "(Administrators or Remote Management Users).",
        f"401 with {ctx.auth.value}",
        ERROR_ACCESS_DENIED,
    )


def basic_in_clear(ctx: Context) -> Failure:
    return _failure(
        "auth",
        R.ACCESS_DENIED,
        C.SECURITY_ERROR,
        "Refused to send a Basic password over plain HTTP; no credential was sent.",
        "Use HTTPS, or NTLM/Kerberos (their messages are encrypted over HTTP). Only if you accept a readable "
        "password on the network: allow unencrypted traffic (--allow-unencrypted), as WinRM's AllowUnencrypted.",
        "Basic over HTTP refused",
        ERROR_WSMAN_UNENCRYPTED_DISABLED,
    )


def _scheme_names(offered: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    for challenge in offered:
        name = challenge.split(" ", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def describe_offered(offered: tuple[str, ...]) -> str:
    return ", ".join(_scheme_names(offered))

"""TLS for a test: the client's settings as Windows' own client has them, the handshake, and what a failure means.

Certificate checks are on by default; with the CA check off, the name is still checked on the certificate itself
(OpenSSL cannot). Handshake errors become failure kinds here, by OpenSSL's verify code and reason, never by text.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import Any

from core.errors import Problem, Timeout
from core.wire import Deadline, Interrupter


@dataclass(frozen=True)
class TlsSettings:
    ca_check: bool = True
    cn_check: bool = True
    ca_file: str | None = None
    client_cert: tuple[str, str] | None = None  # (cert PEM, key PEM) for certificate authentication

    def context(self) -> ssl.SSLContext:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # like Windows' own client: nothing older by default
        if self.ca_check:
            context.check_hostname = self.cn_check
            if self.ca_file:
                context.load_verify_locations(cafile=self.ca_file)
            else:
                context.load_default_certs()
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.client_cert:
            context.load_cert_chain(*self.client_cert)
        return context


def start_tls(
    sock: socket.socket,
    settings: TlsSettings,
    context: ssl.SSLContext,
    host: str,
    deadline: Deadline,
    interrupter: Interrupter,
) -> ssl.SSLSocket:
    # Wrapping detaches the plain socket, so the TLS socket is registered before the handshake can block.
    interrupter.forget(sock)
    tls = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    interrupter.register(tls)
    tls.settimeout(max(deadline.remaining(), 0.001))
    import ssl

    try:
        tls.do_handshake()
        if not settings.ca_check and settings.cn_check:
            # With the CA check off, OpenSSL cannot check the name for us; do it on the certificate itself.
            check_certificate_name(tls.getpeercert(binary_form=True), host)
    except TimeoutError:
        raise Timeout() from None
    except (ssl.SSLError, CertificateNameError) as exc:
        raise tls_problem(exc) from None
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        raise Problem("tls.closed") from None
    return tls


class CertificateNameError(Exception):
    """The certificate does not name the host (found by us where OpenSSL was told not to check)."""


def check_certificate_name(der: bytes | None, host: str) -> None:
    import ipaddress

    from cryptography import x509

    if not der:
        raise CertificateNameError("the server sent no certificate")
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = x509.SubjectAlternativeName([])
    try:
        wanted_ip: Any = ipaddress.ip_address(host)
    except ValueError:
        wanted_ip = None
    if wanted_ip is not None:
        if wanted_ip in san.get_values_for_type(x509.IPAddress):
            return
    else:
        for name in san.get_values_for_type(x509.DNSName):
            if _dns_name_matches(name.lower(), host.lower()):
                return
    names = [str(v) for v in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)]
    raise CertificateNameError(f"Hostname mismatch, certificate is not valid for '{host}' (it names {names})")


def _dns_name_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.count(".") == pattern.count(".") and host.endswith(pattern[1:])
    return pattern == host



_VERIFY_EXPIRED = {9, 10}  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED
_VERIFY_HOSTNAME = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_PLAIN_TEXT_REASONS = {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"}
_OLD_TLS_REASONS = {
    "UNSUPPORTED_PROTOCOL",
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "NO_PROTOCOLS_AVAILABLE",
    "NO_CIPHERS_AVAILABLE",
    "NO_SHARED_CIPHER",
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "WRONG_SSL_VERSION",
}


def tls_problem(exc: ssl.SSLError | CertificateNameError) -> Problem:
    """What a failed handshake means, by OpenSSL's verify code and reason (never by message text)."""
    import ssl

    if isinstance(exc, CertificateNameError):
        return Problem("tls.wrong_name", reason=str(exc))
    reason = str(getattr(exc, "verify_message", None) or exc.reason or exc)
    if (
        isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_code in _VERIFY_HOSTNAME
    ):
        return Problem("tls.wrong_name", reason=reason)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Problem("tls.expired" if exc.verify_code in _VERIFY_EXPIRED else "tls.untrusted", reason=reason)
    if exc.reason in _PLAIN_TEXT_REASONS:
        return Problem("tls.plain_text")
    if exc.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED":
        return Problem("tls.client_certificate", reason=exc.reason)
    if exc.reason in _OLD_TLS_REASONS:
        return Problem("tls.too_old", reason=reason)
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError) or exc.reason == "UNEXPECTED_EOF_WHILE_READING":
        return Problem("tls.closed")
    return Problem("tls.failed", reason=reason)

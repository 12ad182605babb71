"""The TLS layer of an HTTPS listener: handshake, certificate chain and name, as Windows' client checks them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.mi import CertificateCredentials
from core.stages.base import Stage, fixed
from core.wire import Channel

if TYPE_CHECKING:
    from core.probe import Probe

NOTE_CA_NOT_VERIFIED = "certificate not verified (CA check off)"
NOTE_CN_NOT_VERIFIED = "certificate name not checked (CN check off)"


def _tls(probe: Probe) -> str | None:
    options = probe.options
    settings = None
    if probe.endpoint.transport == "https":
        from core.tls import TlsSettings  # here: a test over HTTP never loads TLS (or ssl)

        creds = options.credentials
        client_cert = (creds.cert_pem, creds.key_pem) if isinstance(creds, CertificateCredentials) else None
        settings = TlsSettings(options.cert_ca_check, options.cert_cn_check, options.ca_file, client_cert)
    probe.channel = Channel(probe.addresses, probe.endpoint.host, settings, probe.deadline, probe.interrupter)
    if settings is None or probe.channel.context is None:
        return None
    assert probe.socket is not None
    from core.tls import start_tls

    secured = start_tls(
        probe.socket, settings, probe.channel.context, probe.endpoint.host, probe.deadline, probe.interrupter
    )
    probe.socket = secured
    probe.peer_certificate = secured.getpeercert(binary_form=True)
    notes = []
    if not settings.ca_check:
        notes.append(NOTE_CA_NOT_VERIFIED)
    elif not settings.cn_check:
        notes.append(NOTE_CN_NOT_VERIFIED)
    probe.notes += tuple(notes)
    return "; ".join([secured.version() or "TLS", *notes])


TLS = Stage(
    "tls",
    "TLS",
    "The TLS handshake of an HTTPS listener: protocol version, certificate trust, name and dates.",
    "http",
    _tls,
    fixed("tls.timeout"),
    "TLS certificates",
)

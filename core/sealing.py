"""MS-WSMV message encryption over plain HTTP (MS-WSMV 2.2.9.1): the one framing, for the client and the lab.

After an NTLM, Kerberos or CredSSP handshake, WinRM over HTTP sends every SOAP message sealed with the context the
handshake made, as a two-part MIME body. The framing follows pywinrm's ``winrm/encryption.py``, which interoperates
with Windows. A message fits one part here (an Identify and its answer are a few KiB, far below CredSSP's 16 KiB
part size), so the multi-part form Windows uses for larger CredSSP messages is not produced or read.
"""

from __future__ import annotations

import re
import struct
from typing import Protocol

SPNEGO = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS = "application/HTTP-Kerberos-session-encrypted"
CREDSSP = "application/HTTP-CredSSP-session-encrypted"
PROTOCOLS = (SPNEGO, KERBEROS, CREDSSP)
BOUNDARY = b"--Encrypted Boundary"
_LENGTH = re.compile(rb"Length=(\d+)")


class WrapResult(Protocol):
    @property
    def header(self) -> bytes: ...

    @property
    def data(self) -> bytes: ...


class SealingContext(Protocol):
    """What pyspnego's contexts offer for WinRM (``spnego.ContextProxy``)."""

    def wrap_winrm(self, data: bytes) -> WrapResult: ...

    def unwrap_winrm(self, header: bytes, data: bytes) -> bytes: ...


class SealingError(ValueError):
    """The body is not an MS-WSMV encrypted message, or does not open with this context."""


def content_type(protocol: str) -> str:
    return f'multipart/encrypted;protocol="{protocol}";boundary="Encrypted Boundary"'


def sealed_protocol(content_type_header: str | None) -> str | None:
    """The encryption protocol a ``Content-Type`` announces, or None for a plain message."""
    value = (content_type_header or "").lower()
    return next((p for p in PROTOCOLS if p.lower() in value), None)


def seal(context: SealingContext, plain: bytes, protocol: str) -> bytes:
    wrapped = context.wrap_winrm(plain)
    return b"".join(
        [
            BOUNDARY + b"\r\n",
            b"\tContent-Type: " + protocol.encode() + b"\r\n",
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(plain),
            BOUNDARY + b"\r\n",
            b"\tContent-Type: application/octet-stream\r\n",
            struct.pack("<I", len(wrapped.header)) + wrapped.header + wrapped.data,
            BOUNDARY + b"--\r\n",
        ]
    )


def unseal(context: SealingContext, body: bytes) -> bytes:
    parts = [part for part in body.split(BOUNDARY + b"\r\n") if part]
    length = _LENGTH.search(parts[0]) if parts else None
    if len(parts) != 2 or length is None:
        raise SealingError("not an MS-WSMV encrypted message")
    payload = parts[1].removesuffix(BOUNDARY + b"--\r\n")
    payload = payload.removeprefix(b"\tContent-Type: application/octet-stream\r\n")
    if len(payload) < 4:
        raise SealingError("the encrypted part is truncated")
    (header_length,) = struct.unpack("<I", payload[:4])
    try:
        plain = context.unwrap_winrm(payload[4 : 4 + header_length], payload[4 + header_length :])
    except Exception as exc:  # pyspnego's errors: tampered, garbled, or sealed with another context
        raise SealingError(f"the message does not open: {exc}") from None
    if len(plain) != int(length.group(1)):
        raise SealingError("the decrypted length does not match the declared one")
    return plain


__all__ = [
    "CREDSSP",
    "KERBEROS",
    "SPNEGO",
    "SealingContext",
    "SealingError",
    "content_type",
    "seal",
    "sealed_protocol",
    "unseal",
]

"""A WinRM client for the lab's Kerberos listeners, written out: one HTTP request per leg on one connection,
pyspnego's contexts, and the MS-WSMV framing, written independently of the lab's own."""

from __future__ import annotations

import base64
import hashlib
import http.client
import ssl
import struct

import spnego
from spnego._kerberos import KrbError
from spnego._spnego import NegState, NegTokenResp, unpack_token

from core.lab import Lab, LabEndpoint

IDENTIFY = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
    b"<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
)
SOAP_TYPE = "application/soap+xml;charset=UTF-8"
SPNEGO_SEALED = "application/HTTP-SPNEGO-session-encrypted"
KERBEROS_SEALED = "application/HTTP-Kerberos-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
Answer = tuple[int, list[tuple[str, str]], bytes]


def connect(endpoint: LabEndpoint, lab: Lab) -> tuple[http.client.HTTPConnection, bytes | None]:
    """An open connection, and over HTTPS the `tls-server-end-point` binding of the certificate it presented."""
    if endpoint.transport == "http":
        conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=5)
        conn.connect()
        return conn, None
    tls = http.client.HTTPSConnection(
        endpoint.host, endpoint.port, timeout=5, context=ssl.create_default_context(cafile=lab.ca_file)
    )
    tls.connect()
    assert isinstance(tls.sock, ssl.SSLSocket)
    der = tls.sock.getpeercert(binary_form=True)
    assert der is not None
    return tls, b"tls-server-end-point:" + hashlib.sha256(der).digest()  # the lab signs with SHA-256


def post(conn: http.client.HTTPConnection, body: bytes = b"", authorization: str | None = None,
         content_type: str = SOAP_TYPE) -> Answer:
    headers = {"Content-Type": content_type, **({"Authorization": authorization} if authorization else {})}
    conn.request("POST", "/wsman", body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.getheaders(), response.read()


def token_in(headers: list[tuple[str, str]], scheme: str) -> bytes | None:
    for name, value in headers:
        offered, _, token = value.partition(" ")
        if name.lower() == "www-authenticate" and offered.lower() == scheme.lower() and token:
            return base64.b64decode(token)
    return None


def header(headers: list[tuple[str, str]], name: str) -> str:
    return next(value for key, value in headers if key.lower() == name.lower())


def log_on(conn: http.client.HTTPConnection, context: spnego.ContextProxy, scheme: str, body: bytes = b"") -> Answer:
    """The handshake, one request per leg on one connection, then the service's mutual-authentication token."""
    token = context.step()
    while True:
        assert token is not None
        answer = post(conn, body, f"{scheme} {base64.b64encode(token).decode()}")
        reply = token_in(answer[1], scheme)
        if answer[0] != 401 or reply is None:
            break
        token = context.step(reply)
    if answer[0] == 200 and reply is not None and not context.complete:
        context.step(reply)
    return answer


def seal(context: spnego.ContextProxy, plain: bytes, protocol: str) -> bytes:
    """MS-WSMV 2.2.9.1.1: one encrypted part, its signature length first."""
    wrapped = context.wrap_winrm(plain)
    return (
        BOUNDARY + b"\r\n\tContent-Type: " + protocol.encode()
        + b"\r\n\tOriginalContent: type=" + SOAP_TYPE.encode() + b";Length=" + str(len(plain)).encode() + b"\r\n"
        + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
        + struct.pack("<I", len(wrapped.header)) + wrapped.header + wrapped.data + BOUNDARY + b"--\r\n"
    )


def unseal(context: spnego.ContextProxy, body: bytes) -> bytes:
    payload = body.split(b"application/octet-stream\r\n", 1)[1].removesuffix(BOUNDARY + b"--\r\n")
    (signature,) = struct.unpack("<I", payload[:4])
    plain: bytes = context.unwrap_winrm(payload[4 : 4 + signature], payload[4 + signature :])
    return plain


def encrypted(protocol: str) -> str:
    return f'multipart/encrypted;protocol="{protocol}";boundary="Encrypted Boundary"'


def krb_error(token: bytes) -> KrbError:
    """The KRB-ERROR in a refusal: GSS-framed (RFC 2743 3.1, RFC 4121 token id 03 00) or inside a SPNEGO reject."""
    if not token.startswith(b"\x60"):
        response = unpack_token(token)
        assert isinstance(response, NegTokenResp) and response.neg_state == NegState.reject
        assert response.response_token is not None
        token = response.response_token
    error = unpack_token(token, unwrap=True).token  # the InitialContextToken's inner Kerberos message
    assert isinstance(error, KrbError)
    return error


def client(endpoint: LabEndpoint, protocol: str = "kerberos", **options: object) -> spnego.ContextProxy:
    service, _, host = (endpoint.spn or f"HTTP/{endpoint.host}").partition("/")
    return spnego.client(endpoint.username, endpoint.password, hostname=host, service=service,
                         protocol=protocol, **options)  # type: ignore[arg-type]

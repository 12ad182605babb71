"""Certificates for the lab's HTTPS endpoints, made fresh on every start (EC P-256: fast to generate)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_GOOD_NAMES: list[x509.GeneralName] = [
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.DNSName("localhost"),
]


@dataclass(frozen=True)
class Pki:
    """Paths of the PEM files; each server entry is (certificate chain file, key file)."""

    ca_file: str
    good: tuple[str, str]
    self_signed: tuple[str, str]
    wrong_name: tuple[str, str]
    expired: tuple[str, str]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TestConnection Lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _server_cert(
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    common_name: str,
    names: list[x509.GeneralName],
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _write(path: str, data: bytes) -> str:
    # Keys are throw-away, but still only readable by us.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def make_pki(directory: str) -> Pki:
    """Create a lab CA and the server certificates of every TLS scenario inside `directory`."""
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("TestConnection Lab CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - day)
        .not_valid_after(now + 365 * day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    # One server key for every server certificate: only the certificates differ between scenarios.
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = _write(os.path.join(directory, "server-key.pem"), key_pem)
    ca_file = _write(os.path.join(directory, "lab-ca.pem"), ca_cert.public_bytes(serialization.Encoding.PEM))

    def server(file: str, cert: x509.Certificate) -> tuple[str, str]:
        return _write(os.path.join(directory, file), cert.public_bytes(serialization.Encoding.PEM)), key_file

    valid = (now - day, now + 30 * day)
    return Pki(
        ca_file=ca_file,
        good=server("good.pem", _server_cert(key, ca_key, ca_name, "127.0.0.1", _GOOD_NAMES, *valid)),
        self_signed=server(
            "self-signed.pem",
            _server_cert(key, key, _name("127.0.0.1"), "127.0.0.1", _GOOD_NAMES, *valid),
        ),
        wrong_name=server(
            "wrong-name.pem",
            _server_cert(
                key, ca_key, ca_name, "wrong-name.example", [x509.DNSName("wrong-name.example")], *valid
            ),
        ),
        expired=server(
            "expired.pem",
            _server_cert(key, ca_key, ca_name, "127.0.0.1", _GOOD_NAMES, now - 60 * day, now - 30 * day),
        ),
    )

"""The lab's Kerberos acceptor: what a Windows listener does with `Negotiate` and `Kerberos` tokens.

The service's keys come from a keytab named per endpoint (gss_acquire_cred_from's credential store, MIT krb5
1.11+), with the replay cache beside it, so nothing process-wide changes (no KRB5_KTNAME, no
krb5_gss_register_acceptor_identity) and two endpoints can hold different keys: the current ones, a stale
copy, or another realm's. pyspnego has no public way to hand its acceptor a credential outside Windows
(`spnego.server` says so), so the contexts are made through its `_gssapi_credential` and `_negotiate_contexts`
keywords (pyspnego 0.12); tests/test_lab_kerberos.py fails if they stop working.

A refused ticket is answered as Windows answers it: the 401 carries MIT's KRB-ERROR (inside a SPNEGO reject
for Negotiate), from which a client learns why (KRB_AP_ERR_SKEW with the server's time, KRB_AP_ERR_BADKEYVER …).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import gssapi
import spnego
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from spnego._context import GSSMech
from spnego._gss import GSSAPIProxy
from spnego._spnego import NegState, NegTokenInit, NegTokenResp, unpack_token
from spnego.exceptions import SpnegoError

_KERBEROS_OIDS = {GSSMech.kerberos.value, GSSMech._ms_kerberos.value, GSSMech._kerberos_draft.value}


class _Acceptor(GSSAPIProxy):
    """pyspnego's GSSAPI acceptor, except that MIT's refusal is raised with its KRB-ERROR token.

    python-gssapi's SecurityContext.step returns that token instead of raising (`__DEFER_STEP_ERRORS__`), and
    pyspnego then fails reading the flags of a context that never started: the reason would be lost.
    """

    def __init__(self, credential: gssapi.Credentials, bindings: bytes | None) -> None:
        super().__init__(usage="accept", protocol="kerberos", _gssapi_credential=credential)
        self._bindings = bindings

    def step(self, in_token: bytes | None = None, *, channel_bindings: Any = None) -> bytes | None:
        if self._context is None:
            options: dict[str, Any] = {}
            if self._bindings is not None:
                options["channel_bindings"] = gssapi.raw.ChannelBindings(application_data=self._bindings)
            context = gssapi.SecurityContext(creds=self._credential, usage="accept", **options)
            setattr(context, "__DEFER_STEP_ERRORS__", False)  # noqa: B010 - python-gssapi reads it by name
            self._context = context
        out: bytes | None = super().step(in_token)
        return out


class KerberosService:
    """One endpoint's service identity: its keytab and, over HTTPS, the certificate its tickets are bound to."""

    def __init__(self, keytab: str, replay_cache: str, certificate: str | None = None) -> None:
        self._store: dict[bytes | str, bytes | str] = {"keytab": f"FILE:{keytab}", "rcache": f"file2:{replay_cache}"}
        self._bindings = _tls_server_end_point(certificate) if certificate else None

    def acceptor(self, scheme: str, first_token: bytes) -> spnego.ContextProxy:
        """A fresh server context for the `Kerberos` scheme (an AP-REQ) or `Negotiate` (SPNEGO, or raw tokens)."""
        # Made per handshake (a fraction of a millisecond), not when the lab starts: MIT reads krb5.conf then,
        # and by then the caller has pointed KRB5_CONFIG at the lab's (Lab.kerberos_environ).
        credential = gssapi.Credentials(usage="accept", store=self._store)
        kerberos = _Acceptor(credential, self._bindings)
        if scheme.lower() == "kerberos":
            return kerberos
        offered = _mechanisms(first_token)
        # pyspnego's Negotiate acceptor takes its mechanisms in preference order and assumes the client offered
        # the first one, so offer it exactly those both sides have: Kerberos first, as Windows prefers it.
        contexts: dict[GSSMech, spnego.ContextProxy] = {}
        if GSSMech.kerberos in offered:
            contexts[GSSMech.kerberos] = kerberos
        if GSSMech.ntlm in offered or not contexts:
            contexts[GSSMech.ntlm] = spnego.server(protocol="ntlm", options=spnego.NegotiateOptions.use_ntlm)
        return spnego.server(protocol="negotiate", _negotiate_contexts=contexts)

    @staticmethod
    def bound(context: spnego.ContextProxy) -> bool:
        """Whether a finished Kerberos context (alone, or inside SPNEGO) was bound to the channel by its client."""
        inner = getattr(context, "_context", None)  # SPNEGO's chosen context, or the GSSAPI context itself
        inner = getattr(inner, "_context", inner)
        flags = getattr(inner, "actual_flags", 0)
        return bool(int(flags) & gssapi.RequirementFlag.channel_bound)

    @staticmethod
    def refusal(scheme: str, token: bytes, error: BaseException) -> str | None:
        """The 401's `WWW-Authenticate` value carrying MIT's KRB-ERROR for a refused ticket (None: none)."""
        base = error.base_error if isinstance(error, SpnegoError) else None
        answer: bytes | None = getattr(base, "token", None)
        if not answer:
            return None
        if scheme.lower() == "negotiate" and isinstance(_unpack(token), NegTokenInit):
            answer = NegTokenResp(neg_state=NegState.reject, response_token=answer).pack()
        return f"{scheme} {base64.b64encode(answer).decode()}"


def _unpack(token: bytes) -> object:
    try:
        return unpack_token(token)
    except Exception:  # not SPNEGO: a raw mechanism token, or garbage the acceptor will refuse itself
        return None


def _mechanisms(token: bytes) -> set[GSSMech]:
    if token.startswith(b"NTLMSSP\0"):
        return {GSSMech.ntlm}
    unpacked = _unpack(token)
    if isinstance(unpacked, NegTokenInit):
        oids = set(unpacked.mech_types)
        found = {GSSMech.kerberos} if oids & _KERBEROS_OIDS else set()
        return found | ({GSSMech.ntlm} if GSSMech.ntlm.value in oids else set())
    return {GSSMech.kerberos} if token.startswith(b"\x60") else set()  # a raw AP-REQ (pywinrm's kerberos)


def _tls_server_end_point(certificate_file: str) -> bytes:
    """RFC 5929 channel binding data of the listener's own certificate (what Windows' Extended Protection checks)."""
    with open(certificate_file, "rb") as f:
        certificate = x509.load_pem_x509_certificate(f.read())
    algorithm = certificate.signature_hash_algorithm
    name = algorithm.name if algorithm is not None and algorithm.name not in ("md5", "sha1") else "sha256"
    der = certificate.public_bytes(Encoding.DER)
    return b"tls-server-end-point:" + hashlib.new(name, der).digest()


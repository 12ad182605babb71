"""pyspnego's security contexts for Kerberos and for SPNEGO, put together as Windows' client puts them.

Two things pyspnego (0.12) does not offer publicly, used here and nowhere else:
- its Kerberos initiator names the service host-based (``HTTP@host``), which MIT canonicalises through DNS (and an
  address through a reverse lookup) where krb5.conf says so, as it does by default; Windows' client never does. The
  context here names the principal as written instead (``HTTP/host@`` with the referral realm: the KDC of the
  user's own realm is asked first, as Windows asks its own domain).
- its SPNEGO initiator tries Kerberos and falls back to NTLM silently (the reason only reaches a debug log). Given
  the contexts to offer (``_negotiate_contexts``), it offers exactly those, and the Kerberos context here keeps its
  own error, so the test can say why NTLM was used.
tests/test_kerberos_schemes.py fails if either stops working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spnego._gss import GSSAPIProxy

if TYPE_CHECKING:
    import spnego
    from spnego.channel_bindings import GssChannelBindings

    from core.kerberos.logon import Logon


class KerberosContext(GSSAPIProxy):
    """pyspnego's Kerberos initiator for the service principal ``spn`` exactly as written; ``error`` keeps what the
    last step raised, even where SPNEGO swallows it."""

    def __init__(self, logon: Logon, spn: str, bindings: GssChannelBindings | None) -> None:
        service, _, host = spn.partition("/")
        super().__init__(
            hostname=host, service=service, channel_bindings=bindings, protocol="kerberos",
            _gssapi_credential=logon.credential,
        )
        self.spn = spn
        self.error: Exception | None = None

    def step(self, in_token: bytes | None = None, *, channel_bindings: Any = None) -> bytes | None:
        if self._context is None:
            self._context = self._start(channel_bindings or self.channel_bindings)
        try:
            out: bytes | None = super().step(in_token, channel_bindings=channel_bindings)
        except Exception as exc:
            self.error = exc
            raise
        return out

    def _start(self, bindings: GssChannelBindings | None) -> Any:
        import gssapi
        import gssapi.raw

        options: dict[str, Any] = {}
        if bindings is not None:
            options["channel_bindings"] = gssapi.raw.ChannelBindings(application_data=bindings.application_data)
        context = gssapi.SecurityContext(
            name=gssapi.Name(f"{self.spn}@", gssapi.NameType.kerberos_principal),  # "@": the referral realm
            creds=self._credential, usage="initiate", mech=self._mech, flags=self._context_req, **options,
        )
        # python-gssapi otherwise parks some errors and returns a token; pyspnego then fails on the flags.
        setattr(context, "__DEFER_STEP_ERRORS__", False)  # noqa: B010 - read by name
        return context

    @property
    def initiator(self) -> str:
        """The user's principal, once the first token is made ("" before)."""
        context = self._context
        try:
            return str(context.initiator_name) if context is not None else ""
        except Exception:  # no name yet: the context never started
            return ""


def ntlm_context(user: str, password: str, spn: str, bindings: GssChannelBindings | None) -> spnego.ContextProxy:
    """pyspnego's own NTLM (never the platform's cached logon) with this password."""
    import spnego

    service, _, host = spn.partition("/")
    return spnego.client(
        user, password, hostname=host, service=service, protocol="ntlm", channel_bindings=bindings,
        options=spnego.NegotiateOptions.use_ntlm,
    )


def negotiate_context(
    kerberos: KerberosContext | None, ntlm: spnego.ContextProxy | None, bindings: GssChannelBindings | None
) -> spnego.ContextProxy:
    """SPNEGO offering Kerberos first and NTLM after it, each only where given (Windows' order)."""
    import spnego
    from spnego._context import GSSMech

    contexts: dict[GSSMech, spnego.ContextProxy] = {}
    if kerberos is not None:
        contexts[GSSMech.kerberos] = kerberos
    if ntlm is not None:
        contexts[GSSMech.ntlm] = ntlm
    return spnego.client(
        protocol="negotiate", channel_bindings=bindings, options=spnego.NegotiateOptions.use_negotiate,
        _negotiate_contexts=contexts,
    )


__all__ = ["KerberosContext", "negotiate_context", "ntlm_context"]

"""Where a Kerberos test's ticket-granting ticket comes from: a password, or the current user's ticket cache.

With a password, the logon (the AS exchange with the KDC) goes into a ticket cache in this process's memory, never
into the user's own: MIT's ``kinit`` done with pykrb5, as pyspnego does inside itself, but here so that the KDC's
clock offset is kept (it tells which clock is off when a server refuses a ticket as too old) and the cache is
destroyed when the test is done. Without a password, the current user's cache (``KRB5CCNAME`` or MIT's default) is
used as it is, as ``kinit`` left it; the service ticket then joins it, as on Windows.

Everything here is MIT krb5 through python-gssapi and pykrb5 (Linux, macOS); Windows' SSPI needs none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gssapi
    import krb5


@dataclass
class Logon:
    """A credential to start Kerberos with."""

    credential: gssapi.Credentials | None  # None: the current user's default ticket cache, chosen per target
    principal: str  # the user's principal as the KDC knows it ("" for the current user until a ticket is had)
    kdc_offset: int | None = None  # seconds the KDC's clock is ahead of this PC's (None: no exchange was made)
    _context: krb5.Context | None = None
    _cache: krb5.CCache | None = None  # the in-memory cache this logon owns

    def close(self) -> None:
        """Destroy the in-memory ticket cache (an established security context no longer needs it)."""
        if self._cache is not None and self._context is not None:
            import krb5

            krb5.cc_destroy(self._context, self._cache)
            self._cache = None


def default_realm() -> str | None:
    """This PC's default realm from its krb5.conf (None: none is configured)."""
    import krb5

    try:
        return krb5.get_default_realm(krb5.init_context()).decode()
    except krb5.Krb5Error:
        return None


def realm(principal: str) -> str:
    """The realm of ``principal`` as krb5 reads it (the default realm added where none is written)."""
    import krb5

    context = krb5.init_context()
    try:
        return (krb5.parse_name_flags(context, principal.encode()).realm or b"").decode()
    except krb5.Krb5Error:
        return principal.rpartition("@")[2]


def with_password(principal: str, password: str) -> Logon:
    """Log on with a password: the AS exchange with the KDC (blocking; raises ``krb5.Krb5Error``)."""
    import gssapi
    import krb5

    context = krb5.init_context()
    client = krb5.parse_name_flags(context, principal.encode())
    options = krb5.get_init_creds_opt_alloc(context)
    krb5.get_init_creds_opt_set_canonicalize(options, True)
    creds = krb5.get_init_creds_password(context, client, options, password=_utf8(password))
    kdc_offset = krb5.get_time_offsets(context)[0]
    cache = krb5.cc_new_unique(context, b"MEMORY")
    try:
        krb5.cc_initialize(context, cache, creds.client)
        krb5.cc_store_cred(context, cache, creds)
        name = b"MEMORY:" + (cache.name or b"")
        kerberos = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
        raw = gssapi.raw.acquire_cred_from({b"ccache": name}, mechs=[kerberos], usage="initiate").creds
    except BaseException:
        krb5.cc_destroy(context, cache)
        raise
    known_as = (creds.client.name or principal.encode()).decode()
    return Logon(gssapi.Credentials(base=raw), known_as, kdc_offset, context, cache)


def _utf8(password: str) -> bytes:
    """UTF-8, a lone surrogate (a machine account's random password read as UTF-16) as U+FFFD, as pyspnego does."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in password).encode()


def from_cache(principal: str | None, cache: str | None = None) -> Logon:
    """The current user's ticket cache (``cache``, or the default); with ``principal``, that principal's ticket in
    it. No network: the service ticket is asked for with the first token."""
    if principal is None and cache is None:
        return Logon(None, "")  # chosen per target by GSSAPI, among the caches of a collection
    import gssapi

    kerberos = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
    name = gssapi.Name(principal, gssapi.NameType.user) if principal else None
    if cache is None:
        return Logon(gssapi.Credentials(name=name, usage="initiate", mechs=[kerberos]), principal or "")
    raw = gssapi.raw.acquire_cred_from({b"ccache": cache.encode()}, name=name, mechs=[kerberos], usage="initiate")
    return Logon(gssapi.Credentials(base=raw.creds), principal or "")


__all__ = ["Logon", "default_realm", "from_cache", "realm", "with_password"]

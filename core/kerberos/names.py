"""Names in Kerberos: the service principal a ticket is asked for, and the user's own principal.

Windows' client asks for ``HTTP/<host as typed>``: no DNS canonicalisation of an alias, no reverse lookup of an
address (MIT's defaults do both on Linux; here the name is used as given). ``WSMAN/`` instead, another principal,
or the port added (``-IncludePortInSPN``) are options. A user typed as ``DOMAIN\\user`` is turned into
``user@REALM`` on purpose where the realm can be told, never left for krb5 to read ``\\`` as an escape.
"""

from __future__ import annotations

import re

# A service principal as the options may give it: a service class ("WSMAN"), or class/host[:port].
_SPN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*(/[^\s/@\\]+)?$")


def check_spn(spn: str) -> str | None:
    """Why ``spn`` cannot be a service principal (None: it can)."""
    if not _SPN.match(spn):
        return f"{spn!r} is not a service principal: write HTTP/host, WSMAN/host[:port] or a service class alone"
    return None


def service_principal(host: str, port: int, spn: str | None = None, include_port: bool = False) -> str:
    """``HTTP/host``, ``HTTP/host:port`` with the port included, ``WSMAN/host`` for the service class ``WSMAN``,
    or an explicit ``class/host[:port]`` as given (the port option then adds nothing)."""
    if spn and "/" in spn:
        return spn
    service = spn or "HTTP"
    return f"{service}/{host}:{port}" if include_port else f"{service}/{host}"


def user_principal(user: str, default_realm: str | None) -> str | None:
    """The principal Kerberos should ask for ``user``; None when it cannot be told (a NetBIOS domain name that is
    not the first label of this PC's realm, or a local account ``.\\user``)."""
    if "\\" in user:
        domain, _, name = user.partition("\\")
        if "." in domain:  # a DNS domain name: the realm is its upper-case form, as in Active Directory
            return f"{name}@{domain.upper()}"
        if default_realm and domain and domain.upper() == default_realm.split(".")[0].upper():
            return f"{name}@{default_realm}"
        return None
    name, at, realm = user.rpartition("@")
    if at and name:
        return f"{name}@{realm.upper()}"
    return user  # krb5 adds this PC's default realm, as Windows uses its own domain


def realm_of(principal: str) -> str:
    return principal.rpartition("@")[2] if "@" in principal else ""


__all__ = ["check_spn", "realm_of", "service_principal", "user_principal"]

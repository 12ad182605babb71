"""The registry of authentication schemes, in the order the window and the CLI offer them.

Each scheme is one unit (``core.schemes.base.Scheme``, in its own module): the CLI's choices, the window's menu,
saved lists and the option checks all read this registry. Adding a scheme is adding one unit here, plus its lab
endpoint and tests. The registry names each scheme's module and imports it the first time the scheme is asked for:
a check without authentication, the command line's most common run, loads none of the token schemes (bench 1b).
"""

from __future__ import annotations

from importlib import import_module

from core.mi import AuthType
from core.schemes.base import Authenticated, Conversation, Scheme

# AuthType → (module, class) of the unit that implements it.
UNITS: dict[AuthType, tuple[str, str]] = {
    AuthType.NONE: ("core.schemes.simple", "NoAuthentication"),
    AuthType.NEGOTIATE: ("core.schemes.negotiate", "Negotiate"),
    AuthType.NTLM: ("core.schemes.ntlm", "Ntlm"),
    AuthType.KERBEROS: ("core.schemes.kerberos", "Kerberos"),
    AuthType.BASIC: ("core.schemes.simple", "Basic"),
    AuthType.CREDSSP: ("core.schemes.credssp", "CredSsp"),
    AuthType.CERTIFICATE: ("core.schemes.simple", "Certificate"),
}
_loaded: dict[AuthType, Scheme] = {}


def scheme(auth: AuthType | str) -> Scheme:
    """The scheme of ``auth``; ValueError for a name that is none of them."""
    key = AuthType(auth)
    found = _loaded.get(key)
    if found is None:
        module, name = UNITS[key]
        unit: type[Scheme] = getattr(import_module(module), name)
        found = _loaded.setdefault(key, unit())  # tests on several threads may ask at once: all get the first one
    return found


__all__ = ["UNITS", "Authenticated", "Conversation", "Scheme", "scheme"]

"""The registry of authentication schemes, in the order the window and the CLI offer them.

Each scheme is one unit (``core.schemes.base.Scheme``): the CLI's choices, the window's menu, saved lists and the
option checks all read this registry. Adding a scheme is adding one unit here, plus its lab endpoint and tests.
"""

from __future__ import annotations

from core.mi import AuthType
from core.schemes.base import Authenticated, Conversation, Scheme
from core.schemes.credssp import CredSsp
from core.schemes.kerberos import Kerberos
from core.schemes.negotiate import Negotiate
from core.schemes.ntlm import Ntlm
from core.schemes.simple import Basic, Certificate, NoAuthentication

SCHEMES: dict[AuthType, Scheme] = {
    scheme.auth: scheme
    for scheme in (NoAuthentication(), Negotiate(), Ntlm(), Kerberos(), Basic(), CredSsp(), Certificate())
}


def scheme(auth: AuthType | str) -> Scheme:
    """The scheme of ``auth``; ValueError for a name that is none of them."""
    return SCHEMES[AuthType(auth)]


__all__ = ["SCHEMES", "Authenticated", "Conversation", "Scheme", "scheme"]

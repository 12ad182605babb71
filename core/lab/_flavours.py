"""How each kind of real WS-Management server behaves where a client can tell them apart.

Windows facts are from Microsoft's documentation; OMI 1.9.1 and openwsman 2.8.1 were measured against the real
servers (see docs/protocol.md): OMI answers no request without an ``Authorization`` header and holds the connection
silent; openwsman challenges every anonymous request, leaves the 401's connection open but resets the next request on
it, closes after every answer, and writes ``200 (null)`` as its status line.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from core.lab import _xml
from core.lab._http import HTTPAPI

NEGOTIATE = "Negotiate"
KERBEROS = "Kerberos"
BASIC = 'Basic realm="WSMAN"'
CREDSSP = "CredSSP"
WINDOWS_SCHEMES = (NEGOTIATE, BASIC)


class Anonymous(enum.Enum):
    """What a server does with a request that carries no ``Authorization`` header."""

    WINDOWS = "answers the Identify when asked with WSMANIDENTIFY: unauthenticated, else challenges"
    SILENT = "never answers; holds the connection until its own timeout (OMI)"
    CHALLENGE = "always challenges (openwsman)"


@dataclass(frozen=True)
class Flavour:
    name: str
    server: str | None  # the Server header, where the server sends one
    anonymous: Anonymous
    offers: tuple[str, ...]  # the 401's WWW-Authenticate challenges
    identify: Callable[[bool], bytes]  # the IdentifyResponse, anonymous or authenticated
    ok_reason: str = "OK"
    close_after_answer: str | None = None  # the Connection header of a 200, after which the server closes
    reset_after_challenge: bool = False  # the connection a 401 left open is reset at its next request
    failed_logon_delay: float = 0.0  # seconds before a wrong password's 401 (PAM's pam_faildelay)
    accepts_ntlm: bool = True  # OMI takes Negotiate through GSSAPI, which has no NTLM without gss-ntlmssp
    fault_status: int = 500  # the HTTP status of a SOAP fault (openwsman: 400 for a Sender fault)
    has_shells: bool = True  # only Windows opens cmd shells and PowerShell endpoints


def _windows(authenticated: bool) -> bytes:
    if authenticated:
        return _xml.windows_identify("OS: 10.0.20348 SP: 0.0 Stack: 3.0", _xml.WINDOWS_PROFILES)
    return _xml.windows_identify("OS: 0.0.0 SP: 0.0 Stack: 3.0")


def _win2008r2(authenticated: bool) -> bytes:
    if authenticated:
        return _xml.windows_identify("OS: 6.1.7601 SP: 1.0 Stack: 2.0", _xml.WINDOWS_PROFILES, False)
    return _xml.windows_identify("OS: 0.0.0 SP: 0.0 Stack: 2.0", lang=False)


FLAVOURS: dict[str, Flavour] = {
    f.name: f
    for f in (
        Flavour("windows", HTTPAPI, Anonymous.WINDOWS, WINDOWS_SCHEMES, _windows),
        Flavour("win2008r2", HTTPAPI, Anonymous.WINDOWS, WINDOWS_SCHEMES, _win2008r2),
        Flavour(
            "omi", None, Anonymous.SILENT, (BASIC, NEGOTIATE, KERBEROS), lambda _auth: _xml.OMI_IDENTIFY,
            failed_logon_delay=2.0, accepts_ntlm=False, has_shells=False,
        ),
        Flavour(
            "openwsman", "openwsman/2.8", Anonymous.CHALLENGE, ('Basic realm="OPENWSMAN"',),
            lambda _auth: _xml.OPENWSMAN_IDENTIFY,
            ok_reason="(null)", close_after_answer="Close", reset_after_challenge=True, fault_status=400,
            has_shells=False,
        ),
    )
}  # fmt: skip

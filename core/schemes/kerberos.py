"""Kerberos under its own scheme name, as ``Test-WSMan -Authentication Kerberos`` sends it."""

from __future__ import annotations

from core import sealing
from core.mi import AuthType
from core.schemes.handshake import TokenScheme


class Kerberos(TokenScheme):
    auth = AuthType.KERBEROS
    label = "Kerberos"
    challenge_names: tuple[str, ...] = ("kerberos", "negotiate")
    protocol = "kerberos"
    header = "Kerberos"
    test_wsman = "Kerberos"
    sealing_protocol = sealing.KERBEROS
    install_hint = (
        "Kerberos needs the python-gssapi package and the system's Kerberos libraries (Debian: libkrb5-3), or "
        "Windows' own SSPI; install them, or pick another scheme."
    )

"""CredSSP: the user's credentials are delegated to the target inside a TLS channel of its own (MS-CSSP)."""

from __future__ import annotations

from core import sealing
from core.mi import AuthType
from core.schemes.handshake import TokenScheme


class CredSsp(TokenScheme):
    auth = AuthType.CREDSSP
    label = "CredSSP"
    challenge_names: tuple[str, ...] = ("credssp",)
    protocol = "credssp"
    header = "CredSSP"
    test_wsman = "Credssp"
    sealing_protocol = sealing.CREDSSP
    enable_command = "Enable-WSManCredSSP -Role Server"

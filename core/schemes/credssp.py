"""CredSSP: the user's credentials are delegated to the target inside a TLS channel of its own (MS-CSSP)."""

from __future__ import annotations

from typing import Any

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

    def spnego_options(self, password: str) -> Any:
        import spnego

        # CredSSP's inner logon, with a password: pyspnego's own SPNEGO offering NTLM, never the platform's SSPI
        # (which pyspnego would otherwise pick on Windows, and which crashes under Wine). Kerberos inside CredSSP
        # is not offered: the test's Kerberos is its own (core.kerberos), and a CredSSP listener takes NTLM.
        if not password:
            return spnego.NegotiateOptions.none
        return spnego.NegotiateOptions.use_negotiate | spnego.NegotiateOptions.use_ntlm

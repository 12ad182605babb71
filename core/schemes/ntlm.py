"""NTLM, as Windows' client sends it to a WinRM listener: raw NTLM tokens under the Negotiate scheme (Windows takes
them there), or under NTLM where only that is offered. Negotiate proper (SPNEGO, Kerberos first) is ``negotiate``."""

from __future__ import annotations

from typing import Any

from core.mi import AuthType
from core.schemes.handshake import TokenScheme


class Ntlm(TokenScheme):
    auth = AuthType.NTLM
    label = "NTLM"
    # A Windows listener takes NTLM through Negotiate; some stacks also offer bare NTLM.
    challenge_names: tuple[str, ...] = ("negotiate", "ntlm")
    protocol = "ntlm"
    test_wsman = "Negotiate"  # Windows' client sends NTLM inside Negotiate where Kerberos cannot be had

    def header_for(self, offered: tuple[str, ...]) -> str:
        names = {challenge.split(" ", 1)[0].strip().lower() for challenge in offered}
        return "NTLM" if offered and "negotiate" not in names else "Negotiate"

    def spnego_options(self, password: str) -> Any:
        import spnego

        # As requests_ntlm: with a password, always pyspnego's own NTLM, never the platform's cached logon.
        return spnego.NegotiateOptions.use_ntlm if password else spnego.NegotiateOptions.none

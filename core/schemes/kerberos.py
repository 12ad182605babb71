"""Kerberos alone, as ``Test-WSMan -Authentication Kerberos`` sends it: the ``Kerberos`` scheme, the message sealed
as ``HTTP-Kerberos-session-encrypted`` over HTTP, bound to the certificate over HTTPS, and the service's answer
checked for its proof of identity (mutual authentication). No user: the current user's ticket (SSO)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import sealing
from core.errors import Problem
from core.http import Reply
from core.kerberos.attempt import INSTALL_HINT, SSPI, Attempt, check_options, sspi_context
from core.mi import AuthType, DestinationOptions
from core.schemes.base import Conversation
from core.schemes.handshake import Opening, TokenScheme, bindings

if TYPE_CHECKING:
    from core.kerberos.context import KerberosContext


@dataclass
class KerberosOpening(Opening):
    attempt: Attempt | None = None
    kerberos: KerberosContext | None = None  # the Kerberos context (inside SPNEGO for Negotiate)

    def identity(self) -> str:
        current = self.attempt is not None and self.attempt.current_user
        name = self.kerberos.initiator if self.kerberos is not None and current else ""
        if current:
            return f"{name} (current user)" if name else "the current user"
        return self.who


class Kerberos(TokenScheme):
    auth = AuthType.KERBEROS
    label = "Kerberos"
    challenge_names: tuple[str, ...] = ("kerberos",)
    protocol = "kerberos"
    header = "Kerberos"
    test_wsman = "Kerberos"
    sealing_protocol = sealing.KERBEROS
    needs_user = False
    current_identity = True
    install_hint = INSTALL_HINT

    def check(self, options: DestinationOptions) -> tuple[str, str] | None:
        return super().check(options) or check_options(options)

    def open(self, conversation: Conversation) -> Opening:
        attempt = Attempt(conversation)
        obstacle = attempt.obstacle()
        if obstacle is not None:
            raise obstacle
        return start_kerberos(attempt, conversation)

    def refusal(self, opening: Opening, exc: Exception, reply: Reply) -> Problem:
        assert isinstance(opening, KerberosOpening) and opening.attempt is not None
        return opening.attempt.refusal(exc, reply)

    def unproven(self, opening: Opening, exc: Exception | None) -> Problem | None:
        assert isinstance(opening, KerberosOpening) and opening.attempt is not None
        return opening.attempt.unproven(exc)


def start_kerberos(attempt: Attempt, conversation: Conversation) -> KerberosOpening:
    """Log on (or take the current user's ticket) and make the first token, on a helper thread: both may wait on
    the KDC."""
    cb = bindings(conversation)
    if SSPI:
        client = sspi_context(attempt, "kerberos", cb)
        token = conversation.blocking(attempt.realm(), lambda: attempt.first_token(client))
        return KerberosOpening(client, token, "kerberos", attempt.user, attempt=attempt)

    def work() -> KerberosOpening:
        attempt.log_on()
        context = attempt.context(cb)
        token = attempt.first_token(context)
        return KerberosOpening(context, token, "kerberos", attempt.principal, attempt.close, attempt, context)

    return conversation.blocking(attempt.realm(), work, discard=lambda _: attempt.close())


__all__ = ["Kerberos", "KerberosOpening", "start_kerberos"]

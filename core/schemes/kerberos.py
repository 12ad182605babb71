"""Kerberos alone, as ``Test-WSMan -Authentication Kerberos`` sends it: the ``Kerberos`` scheme, the message sealed
as ``HTTP-Kerberos-session-encrypted`` over HTTP, bound to the certificate over HTTPS, and the service's answer
checked for its proof of identity (mutual authentication). No user: the current user's ticket (SSO)."""

from __future__ import annotations

from dataclasses import dataclass

from core import sealing
from core.errors import Problem
from core.http import Reply
from core.kerberos.attempt import INSTALL_HINT, SSPI, Attempt, sspi_context
from core.mi import AuthType
from core.schemes.base import Conversation
from core.schemes.handshake import Opening, TokenScheme, bindings


@dataclass
class KerberosOpening(Opening):
    attempt: Attempt | None = None


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
        return KerberosOpening(client, token, "kerberos", attempt.user or "the current user", attempt=attempt)

    def work() -> KerberosOpening:
        attempt.log_on()
        context = attempt.context(cb)
        return KerberosOpening(context, attempt.first_token(context), "kerberos", "", attempt=attempt)

    opening = conversation.blocking(attempt.realm(), work, discard=lambda _: attempt.close())
    opening.who = _who(opening, attempt)
    opening.close = attempt.close
    return opening


def _who(opening: Opening, attempt: Attempt) -> str:
    initiator = getattr(opening.client, "initiator", "")
    name = initiator or attempt.principal
    return f"{name} (current user)" if attempt.current_user and name else name or "the current user"


__all__ = ["Kerberos", "KerberosOpening", "start_kerberos"]

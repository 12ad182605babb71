"""Negotiate: SPNEGO, as Windows' client sends it by default. Kerberos when a ticket for the service can be had,
NTLM otherwise — and, unlike Windows, the test says which was used and why NTLM.

Kerberos is tried first, by the test itself (``core.kerberos``): an address has no service principal, the KDC may be
out of reach or refuse the user, the domain may have no principal for the service. Whatever the reason, it becomes
the fallback's note ("Negotiate used NTLM, not Kerberos: …"), and where NTLM is then refused too, the KDC's verdict
on the user (a wrong password, an expired one) is the diagnosis, being the more precise of the two. Once the
listener has refused a Kerberos ticket there is no fallback (as on Windows). Without a user on Linux and macOS
only Kerberos is tried: NTLM has no logged-on identity there (pyspnego would read NTLM_USER_FILE instead).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Problem, Timeout
from core.failures import KINDS
from core.failures.kinds import fill
from core.http import Reply
from core.kerberos.attempt import SSPI, Attempt, check_options, sspi_context
from core.mi import AuthType, DestinationOptions
from core.schemes.base import Conversation
from core.schemes.handshake import Opening, TokenScheme, bindings, library_problem
from core.schemes.kerberos import KerberosOpening

# What the KDC said of the user, which outranks NTLM's bare 401 when NTLM is refused as well.
_USER_VERDICTS = {"auth.logon_denied", "auth.unknown_user", "auth.password_expired", "auth.account_revoked"}


@dataclass
class NegotiateOpening(KerberosOpening):
    verdict: Problem | None = None  # why not Kerberos, when NTLM was offered alone


class Negotiate(TokenScheme):
    auth = AuthType.NEGOTIATE
    label = "Negotiate"
    challenge_names: tuple[str, ...] = ("negotiate",)
    protocol = "negotiate"
    test_wsman = "Negotiate"
    needs_user = False
    current_identity = True

    def check(self, options: DestinationOptions) -> tuple[str, str] | None:
        return super().check(options) or check_options(options)

    def open(self, conversation: Conversation) -> Opening:
        attempt = Attempt(conversation)
        obstacle = attempt.obstacle()
        if SSPI:
            client = sspi_context(attempt, "negotiate", bindings(conversation))
            token = conversation.blocking(attempt.realm(), lambda: attempt.first_token(client))
            return NegotiateOpening(client, token, "negotiate", attempt.user, attempt=attempt)
        if attempt.current_user and obstacle is not None:
            raise obstacle  # Kerberos alone: this PC has no NTLM logon to offer
        from core.kerberos.context import KerberosContext, negotiate_context, ntlm_context

        cb = bindings(conversation)
        realm = attempt.realm() if obstacle is None else ""
        verdict = obstacle
        if verdict is None and not attempt.current_user:
            # Kerberos gets half of what is left, so that NTLM still has time where no KDC answers.
            share = conversation.deadline.remaining() / 2
            try:
                conversation.blocking(realm, lambda: attempt.trial(cb), lambda _: attempt.close(), within=share)
            except Timeout:
                if conversation.stopped:
                    raise
                verdict = Problem("auth.kdc_timeout", **{**attempt.facts, "realm": realm, "timeout": f"{share:.1f} s"})
            except Problem as refused:  # what the KDC said: NTLM may still do (a local account of the same name)
                verdict = refused

        def work() -> NegotiateOpening:
            # The tickets are in the logon's cache now: offering Kerberos asks the KDC nothing more.
            kerberos: KerberosContext | None = None
            if verdict is None:
                if attempt.logon is None:
                    attempt.log_on()  # the current user: the only try, with the whole deadline
                kerberos = attempt.context(cb)
            ntlm = None if attempt.current_user else ntlm_context(attempt.user, attempt.password, attempt.spn, cb)
            client = negotiate_context(kerberos, ntlm, cb)
            try:
                token = client.step()
            except Exception as exc:
                attempt.close()
                if kerberos is not None and kerberos.error is not None:
                    raise attempt.ticket_problem(kerberos.error) from None
                raise library_problem(exc) from None
            mechanism = client.negotiated_protocol or "ntlm"
            return NegotiateOpening(client, token, mechanism, attempt.principal if mechanism == "kerberos" else
                                    attempt.user, attempt.close, attempt, kerberos, verdict)

        opening = conversation.blocking(realm if verdict is None else "", work, discard=lambda _: attempt.close())
        if verdict is not None:
            conversation.notes += (fallback_note(verdict),)
        return opening

    def refusal(self, opening: Opening, exc: Exception, reply: Reply) -> Problem:
        assert isinstance(opening, NegotiateOpening) and opening.attempt is not None
        if opening.mechanism == "ntlm":
            return library_problem(exc)
        return opening.attempt.refusal(exc, reply)

    def unproven(self, opening: Opening, exc: Exception | None) -> Problem | None:
        assert isinstance(opening, NegotiateOpening) and opening.attempt is not None
        if opening.mechanism == "ntlm":  # NTLM has no proof of the service to give
            return library_problem(exc) if exc is not None else None
        return opening.attempt.unproven(exc)

    def rejected(self, opening: Opening, conversation: Conversation, reply: Reply) -> Problem:
        verdict = opening.verdict if isinstance(opening, NegotiateOpening) else None
        if verdict is not None and verdict.kind in _USER_VERDICTS:
            conversation.offered = reply.all("www-authenticate") or conversation.offered
            return verdict
        return super().rejected(opening, conversation, reply)


def fallback_note(verdict: Problem) -> str:
    """"Negotiate used NTLM, not Kerberos (why not Kerberos: No service principal HTTP/srv01:5985)", in the
    catalogue's words."""
    why = fill(KINDS[verdict.kind].problem, verdict.facts)
    return f"Negotiate used NTLM, not Kerberos (why not Kerberos: {why})"


__all__ = ["Negotiate", "fallback_note"]

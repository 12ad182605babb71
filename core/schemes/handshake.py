"""Schemes that authenticate with a token handshake in HTTP headers (NTLM, Negotiate, Kerberos, CredSSP).

pyspnego makes and reads the tokens; this module carries them the way Windows' own client does. The first token
goes with an empty body; each challenge in a 401 is answered on the same connection; the Identify goes with the last
token, sealed with the finished context over HTTP (MS-WSMV 2.2.9.1) and in clear inside TLS over HTTPS, where the
context is bound to the listener's certificate (``tls-server-end-point``, Windows' Extended Protection). For NTLM
that is two requests on one connection; pywinrm spends two more (an unauthenticated request to learn the scheme,
which the ``wsman`` stage already knows, and an empty POST before sending anything sealed).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import sealing
from core.errors import Problem
from core.http import Reply
from core.schemes.base import Authenticated, Conversation, Scheme, end_point_hash
from core.wsman import IDENTIFY_REQUEST

if TYPE_CHECKING:
    import spnego
    from spnego.channel_bindings import GssChannelBindings

_MAX_LEGS = 8  # NTLM takes two, Kerberos one or two, CredSSP about five: more is a server playing games


@dataclass
class Opening:
    """A handshake's context with its first token, and what the scheme learned while making them."""

    client: spnego.ContextProxy
    token: bytes | None
    mechanism: str  # what the context speaks: "ntlm", "kerberos", "credssp"
    who: str  # the user as the auth stage's cell names it
    close: Callable[[], None] | None = None  # releases what the opening holds (a ticket cache in memory)

    def identity(self) -> str:
        """Who authenticated, once the handshake is done (the current user's name is known only then)."""
        return self.who


class TokenScheme(Scheme):
    protocol: str  # pyspnego's name for it
    header: str = "Negotiate"  # the Authorization scheme its tokens travel under
    sealing_protocol: str = sealing.SPNEGO

    def header_for(self, offered: tuple[str, ...]) -> str:
        return self.header

    def context(self, conversation: Conversation) -> spnego.ContextProxy:
        import spnego

        creds = conversation.user
        return spnego.client(
            creds.qualified_username,
            creds.password or None,
            hostname=conversation.endpoint.host,
            service="http",
            protocol=self.protocol,
            channel_bindings=bindings(conversation),
            options=self.spnego_options(creds.password),
        )

    def spnego_options(self, password: str) -> Any:
        import spnego

        return spnego.NegotiateOptions.none

    def open(self, conversation: Conversation) -> Opening:
        """The context and its first token (no network for NTLM and CredSSP; the KDC for Kerberos)."""
        try:
            client = self.context(conversation)
            token = client.step()
        except ImportError as exc:
            raise Problem("auth.unavailable", reason=str(exc), install_hint=self.install_hint) from None
        except Exception as exc:  # pyspnego's own errors, raised before anything was sent
            raise library_problem(exc) from None
        return Opening(client, token, self.protocol, conversation.user.qualified_username)

    def refusal(self, opening: Opening, exc: Exception, reply: Reply) -> Problem:
        """A 401's token the context refuses: forged, for another context, or the listener's own refusal."""
        return library_problem(exc)

    def unproven(self, opening: Opening, exc: Exception | None) -> Problem | None:
        """The service's 200 came before the context was complete (``exc``: its token did not verify). None: the
        context needs no proof from the service (NTLM has none to give)."""
        if exc is not None:
            return library_problem(exc)
        return Problem("auth.local_error", reason="the service accepted a handshake the client did not finish")

    def rejected(self, opening: Opening, conversation: Conversation, reply: Reply) -> Problem:
        """A 401 without any token: the credentials, or the scheme, were refused."""
        return conversation.refused(reply, self, 0)

    def authenticate(self, conversation: Conversation) -> Authenticated:
        opening = self.open(conversation)
        try:
            return self._handshake(conversation, opening)
        finally:
            if opening.close is not None:
                opening.close()

    def _handshake(self, conversation: Conversation, opening: Opening) -> Authenticated:
        header = self.header_for(conversation.offered)
        client, token = opening.client, opening.token
        for leg in range(_MAX_LEGS):
            headers = {"Authorization": f"{header} {_b64(token)}"} if token else {}
            if client.complete:
                return self._identify(conversation, opening, headers, bound=leg > 0)
            # Nothing can be sealed before the handshake ends, so the handshake's requests carry no body.
            reply = conversation.post(b"", headers, bound=leg > 0)
            challenge = _token(reply.all("www-authenticate"), header)
            if reply.status == 401 and challenge is None:
                conversation.offered = reply.all("www-authenticate") or conversation.offered
                # NTLM's negotiate message always gets a challenge; a ticket refused without a KRB-ERROR does not.
                offered = reply.all("www-authenticate")
                if offered and self.offered_in(offered) and leg == 0 and opening.mechanism != "kerberos":
                    raise Problem("auth.no_challenge")
                raise self.rejected(opening, conversation, reply)
            if reply.status not in (200, 401):
                raise conversation.refused(reply, self, 0)
            if challenge is None:  # a 200 without the service's last token
                if not client.complete and (problem := self.unproven(opening, None)) is not None:
                    raise problem
                return self._identify(conversation, opening, {}, bound=True)
            try:
                token = client.step(challenge)
            except Exception as exc:  # a token the context refuses: forged, for another context, or a refusal
                refused = self.unproven(opening, exc) if reply.status == 200 else self.refusal(opening, exc, reply)
                raise (refused or library_problem(exc)) from None
            if reply.status == 200:  # the service is done; the context must be too (mutual authentication)
                if not client.complete and (problem := self.unproven(opening, None)) is not None:
                    raise problem
                return self._identify(conversation, opening, {}, bound=True)
        raise Problem("auth.local_error", reason=f"the handshake did not finish in {_MAX_LEGS} requests")

    def _identify(
        self, conversation: Conversation, opening: Opening, headers: dict[str, str], bound: bool
    ) -> Authenticated:
        client = opening.client
        if opening.mechanism == "negotiate":  # Windows' SSPI chose inside SPNEGO; it says which once done
            opening.mechanism = client.negotiated_protocol or opening.mechanism
        reply = self._send(conversation, client, IDENTIFY_REQUEST, headers, bound)
        if reply.status != 200:
            raise conversation.refused(reply, self, len(IDENTIFY_REQUEST))
        sealed = ", messages encrypted" if conversation.sealed else ""
        mechanism = f" ({opening.mechanism})" if opening.mechanism != self.auth.value else ""
        detail = f"{self.auth.value}{mechanism} as {opening.identity()}{sealed}"
        # The connection is authenticated now: later messages go on it with no Authorization header.
        return Authenticated(
            reply.body, detail, lambda body: self._send(conversation, client, body, {}, True), opening.mechanism
        )

    def _send(
        self, conversation: Conversation, client: spnego.ContextProxy, plain: bytes, headers: dict[str, str],
        bound: bool,
    ) -> Reply:
        """POST ``plain`` (sealed over HTTP) and return the answer with its body opened."""
        body = plain
        if conversation.sealed:
            headers = {**headers, "Content-Type": sealing.content_type(self.sealing_protocol)}
            body = sealing.seal(client, plain, self.sealing_protocol)
        reply = conversation.post(body, headers, bound=bound)
        return Reply(reply.status, reply.reason, reply.headers, self._open(client, reply))

    def _open(self, client: spnego.ContextProxy, reply: Reply) -> bytes:
        if sealing.sealed_protocol(reply.header("content-type")) is None:
            return reply.body
        try:
            return sealing.unseal(client, reply.body)
        except sealing.SealingError as exc:  # the answer cannot be trusted either way
            raise Problem("auth.bad_seal", reason=str(exc)) from None

    install_hint = "Install the missing package, or pick another scheme."


def bindings(conversation: Conversation) -> GssChannelBindings | None:
    """Over HTTPS, the listener's certificate as channel binding (``tls-server-end-point``), as Windows' Extended
    Protection checks it; None over HTTP."""
    import spnego.channel_bindings

    digest = end_point_hash(conversation.peer_certificate) if conversation.peer_certificate else None
    if digest is None:
        return None
    return spnego.channel_bindings.GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


def library_problem(exc: Exception) -> Problem:
    """pyspnego's NTLM or CredSSP error on this PC (its text is the library's, quoted)."""
    return Problem("auth.local_error", reason=str(exc))


def _b64(token: bytes | None) -> str:
    return base64.b64encode(token or b"").decode()


def _token(challenges: tuple[str, ...], scheme: str) -> bytes | None:
    """The token of ``scheme`` in a 401's ``WWW-Authenticate`` headers (None when it carries none)."""
    for challenge in challenges:
        name, _, token = challenge.strip().partition(" ")
        if name.lower() == scheme.lower() and token.strip():
            try:
                return base64.b64decode(token.strip(), validate=True)
            except binascii.Error:
                return None
    return None


__all__ = ["Opening", "TokenScheme", "bindings", "library_problem"]

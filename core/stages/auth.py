"""Authentication: the Identify again, with credentials, through the chosen scheme (``core.schemes``).

Before any credential leaves this PC the stage checks what the listener offered (from the anonymous Identify's 401)
and refuses Basic over plain HTTP unless the user allowed unencrypted traffic, as Windows' client does. Without
credentials the stage is not tested: a neutral result, not a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.clientrules import windows_client_notes
from core.errors import Problem
from core.failures import Context
from core.mi import AuthType
from core.schemes import Conversation
from core.stages.base import Skipped, Stage
from core.wsman import IDENTIFY_REQUEST, identify_info

if TYPE_CHECKING:
    from core.probe import Probe


def _auth(probe: Probe) -> str | Skipped | None:
    scheme = probe.scheme
    if scheme.auth is AuthType.NONE:
        return None
    missing = scheme.missing(probe.options)
    if missing is not None:
        probe.untested = missing
        return Skipped(f"not tested — {missing}")
    if probe.offered and scheme.challenge_names and not scheme.offered_in(probe.offered):
        raise Problem("auth.not_offered")
    http = probe.http_client()
    if scheme.auth is AuthType.BASIC and probe.endpoint.transport == "http" and not probe.options.allow_unencrypted:
        if not probe.offered and not probe.anonymous_silent:
            # Ask which schemes the listener offers (no credential is sent) to tell the whole story.
            reply = http.post(IDENTIFY_REQUEST, {})
            probe.offered = reply.all("www-authenticate") if reply.status == 401 else ()
        if probe.offered and not scheme.offered_in(probe.offered):
            raise Problem("auth.not_offered")
        raise Problem("auth.basic_in_clear")
    conversation = Conversation(
        http, probe.endpoint, probe.options, probe.offered, probe.peer_certificate, probe.deadline, probe.interrupter
    )
    probe.conversation = conversation
    try:
        result = scheme.authenticate(conversation)
    finally:
        probe.offered = conversation.offered
        probe.notes += conversation.notes
        if http.answered_any:
            probe.prove_wsman()
    probe.identify = identify_info(result.answer, authenticated=True)
    probe.authenticated = result
    probe.notes += windows_client_notes(probe.endpoint, probe.options, result.mechanism or scheme.auth)
    return result.detail


def _timeout_kind(ctx: Context) -> str:
    if ctx.kdc_realm:  # waiting for a domain controller, not for the service
        return "auth.kdc_timeout"
    if ctx.answered:
        return "http.timeout"
    return "http.silent" if ctx.anonymous_silent else "http.timeout"


AUTH = Stage(
    "auth",
    "Auth",
    "Authenticate with the chosen scheme and read the Identify again, now showing the OS version.",
    "no authentication asked",
    _auth,
    _timeout_kind,
    "Authentication",
)

"""The anonymous Identify: is a WS-Management service there, and what does it say it is?

It is a help, never a gate. Windows answers it when asked with ``WSMANIDENTIFY: unauthenticated``; openwsman answers
401 with its schemes; Microsoft OMI answers no request without an ``Authorization`` header and holds the connection
silent. So the anonymous Identify gets a short share of the deadline (about what ``winrm id`` waits). When it gets no
answer and the test has credentials, the ``auth`` stage goes ahead on a fresh connection and, once the service
answers it, proves this stage too. Without credentials, one request that carries only an NTLM negotiate message (no
credential in it) finds out whether the service answers requests that ask to authenticate.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from core.errors import Problem, Timeout
from core.failures import Context, describe_offered
from core.failures.classify import answer_problem
from core.stages.base import Skipped, Stage
from core.wsman import IDENTIFY_REQUEST, identify_info

if TYPE_CHECKING:
    from core.http import Reply
    from core.probe import Probe

ANONYMOUS = {"WSMANIDENTIFY": "unauthenticated"}
# An NTLM NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1) with the flags Windows' client sets and no domain or workstation: it
# names no user and proves nothing, but a service that waits for an Authorization header answers it.
NTLM_NEGOTIATE = base64.b64encode(
    b"NTLMSSP\x00\x01\x00\x00\x00" + (0xE2088297).to_bytes(4, "little") + bytes(16)
).decode()
NOTE_ANONYMOUS_SILENT = (
    "no answer to the anonymous Identify; the service answers authenticated requests only, as OMI does"
)


def anonymous_share(probe: Probe, with_credentials: bool) -> float:
    """How long the anonymous Identify may wait: a few round trips, at least 0.3 s, at most 1 s (``winrm id``
    waits about a second) and a quarter of the deadline; without credentials there is nothing else to try, so
    it may wait up to half the deadline."""
    round_trip = probe.connect_ms / 1000
    if with_credentials:
        return min(1.0, max(0.3, 4 * round_trip), probe.deadline.seconds / 4)
    return min(max(1.0, 8 * round_trip), probe.deadline.seconds / 2)


def _wsman(probe: Probe) -> str | Skipped:
    http = probe.http_client()
    with_credentials = probe.will_authenticate
    try:
        reply = http.post(IDENTIFY_REQUEST, ANONYMOUS, within=anonymous_share(probe, with_credentials))
    except Timeout:
        if probe.deadline.expired:
            raise
        probe.anonymous_silent = True
        http.close()  # the silent connection: the next request goes on a fresh one
        if with_credentials:
            probe.notes += (NOTE_ANONYMOUS_SILENT,)
            return Skipped("no answer to the anonymous Identify; trying with credentials")
        reply = http.post(b"", {"Authorization": f"Negotiate {NTLM_NEGOTIATE}"})
        http.close()  # a half-begun handshake: nothing else may follow on this connection
        # Any answer shows a service that waits for requests that authenticate; a 401 may also list its schemes.
        return _requires_authentication(probe, reply, anonymous_silent=True)
    if reply.status == 401:
        return _requires_authentication(probe, reply, anonymous_silent=False)
    if reply.status != 200:
        raise answer_problem(reply.status, reply.header_map, reply.body, len(IDENTIFY_REQUEST))
    probe.identify = identify_info(reply.body)
    return "; ".join(filter(None, [probe.identify.product_vendor, probe.identify.product_version]))


def _requires_authentication(probe: Probe, reply: Reply, anonymous_silent: bool) -> str:
    probe.offered = reply.all("www-authenticate") if reply.status == 401 else ()
    probe.requires_authentication = True
    offers = describe_offered(probe.offered)
    if anonymous_silent:
        said = f"offers {offers}" if offers else f"HTTP {reply.status} to an NTLM negotiation"
        return f"answers only requests that authenticate; {said}"
    if not offers:
        raise Problem("wsman.not_wsman", reason="HTTP 401 without any authentication scheme")
    return f"authentication required; offers {offers}"


def _timeout_kind(ctx: Context) -> str:
    return "http.timeout" if ctx.answered else "wsman.anonymous_silent"


WSMAN = Stage(
    "wsman",
    "WS-Man",
    "The WS-Management Identify exchange: is a WinRM service there, which vendor and version, which schemes.",
    "",
    _wsman,
    _timeout_kind,
    "WS-Management",
)

"""The session stage: may this user open a remote shell? Off unless asked for (``DestinationOptions.open_shell``).

``MI_Session_TestConnection`` stops at authentication; the helpdesk's next step is ``Enter-PSSession`` or ``winrs``,
where an authenticated user can still be refused a shell. Through the authentication the auth stage opened (the same
connection and context, sealed over HTTP), this stage sends the shell's Create (``core.shell``) and, once it is
answered, the Delete at once; it never runs a command. A shell whose Delete is not answered — the test cancelled, out
of time, or the connection lost — is deleted by ``core.cleanup`` on a fresh connection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.diagnosis import IdentifyInfo
from core.errors import Problem
from core.failures.classify import shell_problem
from core.http import HttpClient, Reply
from core.mi import AuthType, UserCredentials
from core.schemes import Conversation
from core.stages.base import Skipped, Stage, fixed
from core.wire import Channel, Deadline, Interrupted, Interrupter
from core.wsman import XmlError

if TYPE_CHECKING:
    from core.probe import Probe
    from core.shell import ShellTarget

# core.shell and core.cleanup are imported where the stage opens a shell: a test that opens none (the MI default, and
# the CLI's start) loads neither.
NOTE_NOT_DELETED = "the {shell} opened, but its Delete was refused ({why}); it ends after its idle timeout (60 s)"
NOTE_DELETE_LOST = "the {shell} opened, but its Delete got no answer; it is being deleted on a new connection"


def _session(probe: Probe) -> str | Skipped | None:
    authenticated = probe.authenticated
    if authenticated is None:
        if probe.scheme.auth is AuthType.NONE:
            return Skipped("needs authentication")
        return Skipped(f"not tested — {probe.untested or 'not authenticated'}")
    from core import cleanup
    from core.shell import new_shell_id, shell_target

    shell = shell_target(probe.options.remote_shell)
    proposed = new_shell_id() if _takes_proposed_ids(probe.identify) else None
    if probe.interrupter.reason is not None:  # cancelled between stages: send nothing more
        raise Interrupted(f"test {probe.interrupter.reason.value}")
    with cleanup.Watch():
        return _open_and_delete(probe, authenticated.send, shell, proposed)


def _open_and_delete(probe: Probe, send: Callable[[bytes], Reply], shell: ShellTarget, proposed: str | None) -> str:
    from core import cleanup
    from core.shell import create_request, created_shell, delete_request

    to = probe.endpoint.url
    try:
        reply = send(create_request(to, shell, proposed))
    except Exception:
        if proposed:  # the Create may have arrived: delete what it may have made
            _hand_over(probe, shell, proposed, created=False)
        raise
    if reply.status != 200:
        vendor = probe.identify.product_vendor if probe.identify else ""
        raise shell_problem(reply.status, reply.header_map, reply.body, shell, _local_account(probe), vendor)
    try:
        created = created_shell(reply.body)
    except XmlError as exc:
        if proposed:
            _hand_over(probe, shell, proposed, created=False)
        raise Problem("session.bad_answer", reason=str(exc)) from None
    detail = f"{shell.label} opened" + (f" as {created.owner}" if created.owner else "") + " and deleted"
    try:
        answer = send(delete_request(to, shell, created.shell_id))
    except Exception:
        _hand_over(probe, shell, created.shell_id, created=True)
        if probe.interrupter.reason is not None:
            raise
        probe.notes += (NOTE_DELETE_LOST.format(shell=shell.label),)
        return detail
    if not cleanup.is_deleted(answer):
        probe.notes += (NOTE_NOT_DELETED.format(shell=shell.label, why=f"HTTP {answer.status}"),)
        return f"{shell.label} opened; not deleted"
    return detail


def _takes_proposed_ids(identify: IdentifyInfo | None) -> bool:
    """WS-Management stack 3.0 (Windows Server 2012) and later take a ShellId from the client; 2.0 may not."""
    match = re.search(r"Stack:\s*(\d+)", identify.product_version) if identify else None
    return match is None or int(match.group(1)) >= 3


def _local_account(probe: Probe) -> bool | None:
    """True: a local account other than the built-in Administrator (UAC may filter its token); False: a domain
    account, or the built-in Administrator; None: the name's form cannot tell (a bare name over NTLM).

    Windows' Basic authentication takes local accounts only; Kerberos only domain ones. Otherwise the form decides:
    ``.\\user`` and ``HOST\\user`` (HOST the target's own name) are local, ``DOMAIN\\user`` and ``user@domain``
    domain accounts.
    """
    auth = probe.scheme.auth
    if auth is AuthType.KERBEROS:
        return False
    creds = probe.options.credentials
    if not isinstance(creds, UserCredentials):
        return None  # a certificate maps to an account the client cannot see
    name = creds.qualified_username.strip()
    domain, _, user = name.rpartition("\\")
    if auth is AuthType.BASIC:
        local: bool | None = True
    elif "@" in name:
        local = False
    elif not domain:
        local = None
    elif domain == "." or (not probe.endpoint.is_ip and domain.lower() == probe.endpoint.host.split(".")[0].lower()):
        local = True
    else:
        local = None if probe.endpoint.is_ip else False
    if local and user.split("@")[0].lower() == "administrator":  # RID 500 keeps its rights remotely
        return False
    return local


def _hand_over(probe: Probe, shell: ShellTarget, shell_id: str, created: bool) -> None:
    """Give the shell to ``core.cleanup``, with what it needs to reach the service again on its own."""
    from core import cleanup
    from core.shell import delete_request

    channel, endpoint, options = probe.channel, probe.endpoint, probe.options
    scheme, offered, certificate = probe.scheme, probe.offered, probe.peer_certificate
    assert channel is not None

    def connect(seconds: float) -> tuple[Callable[[bytes], Reply], Callable[[], None]]:
        interrupter = Interrupter()
        fresh = Channel(channel.addresses, channel.host, channel.tls, Deadline(seconds), interrupter)
        http = HttpClient(fresh, endpoint.host_header, f"/{endpoint.url_prefix}")
        try:
            result = scheme.authenticate(Conversation(http, endpoint, options, offered, certificate))
        except BaseException:
            interrupter.close_all()
            raise
        return result.send, interrupter.close_all

    delete = delete_request(endpoint.url, shell, shell_id)
    cleanup.hand_over(cleanup.Leftover(shell_id, delete, created, connect, endpoint.label))


SESSION = Stage(
    "session",
    "Session",
    "Open a remote shell (cmd, or a PowerShell endpoint) as the user, then delete it at once: may they use it?",
    "not asked",
    _session,
    fixed("session.timeout"),
    "Remote shell",
    asked=lambda options: options.open_shell,
)

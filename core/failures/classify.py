"""The classifier: decides between our own kinds, given what a stage raised or what the service answered.

Foreign exceptions were already turned into :class:`~core.errors.Problem` where they arose; what reaches here
unmapped is a bug of ours and is reported as ``unexpected``. Why a socket was stopped (cancel, the deadline, an
oversized answer) outranks whatever error the stopped socket then raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.diagnosis import Failure
from core.errors import Problem, Timeout
from core.failures import Context, codes, failure
from core.failures.codes import ERROR_ACCESS_DENIED, ERROR_WSMAN_OPERATION_TIMEDOUT
from core.failures.session import ACCOUNT_NOTE, shell_facts
from core.wire import StopReason
from core.wsman import SoapFault, parse_fault

if TYPE_CHECKING:
    from core.shell import ShellTarget

TimeoutKind = Callable[[Context], str]


def classify(exc: BaseException, stage: str, timeout_kind: TimeoutKind, ctx: Context) -> Failure:
    """What ``exc``, raised while ``stage`` ran, means; ``timeout_kind`` is the stage's way of timing out."""
    if ctx.stop_reason is StopReason.OVERSIZED:
        return failure("http.oversized", stage, ctx)
    if ctx.stop_reason is StopReason.DEADLINE or isinstance(exc, Timeout):
        return failure(timeout_kind(ctx), stage, ctx)
    if ctx.stop_reason is StopReason.CANCELLED:
        return failure("cancelled", stage, ctx)
    if isinstance(exc, Problem):
        return failure(exc.kind, exc.stage or stage, ctx, **exc.facts)
    return failure("unexpected", stage, ctx, error=f"{type(exc).__name__}: {exc}", error_type=type(exc).__name__)


# --- what an answer means -----------------------------------------------------------------------------------


def answer_problem(status: int, headers: dict[str, str], body: bytes, request_bytes: int) -> Problem:
    """A non-success answer to a WS-Management request as a problem: a SOAP fault, or what its HTTP status says.

    ``headers`` has lower-case names. Statuses are told apart by number; the one text looked at is HTTP.sys's
    fixed (never localised) "Invalid Hostname" page, which alone separates it from other 400s.
    """
    fault = parse_fault(body) if status == 500 else None
    if fault is not None:
        return fault_problem(fault)
    server = headers.get("server") or "the server"
    if status == 404:
        return Problem("http.not_found", server=server)
    if status in (407, 502, 504):
        return Problem("http.proxy", status=status)
    if status in (301, 302, 303, 307, 308):
        location = headers.get("location") or "an unnamed place"
        return Problem("http.redirect", status=status, location=location, location_host=_host_of(location))
    if status == 400 and b"Invalid Hostname" in body[:2048]:
        return Problem("http.bad_hostname", server=server)
    if status == 413:
        return Problem("http.too_large", request_bytes=request_bytes)
    if status == 503:
        return Problem("http.unavailable")
    return Problem("http.status", status=status, server=server)


def fault_problem(fault: SoapFault) -> Problem:
    subcode = (fault.subcode or "").rsplit(":", 1)[-1]
    code = fault.wsman_fault_code
    reason = fault.reason or fault.wsman_message or "no reason given"
    text = f"SOAP fault {fault.subcode or fault.code or '?'}: {reason}" + (f" (WSManFault {code})" if code else "")
    if subcode == "AccessDenied" or code == ERROR_ACCESS_DENIED:
        return Problem("fault.access_denied", fault=text, wsman_fault_code=code)
    if subcode == "TimedOut" or code == ERROR_WSMAN_OPERATION_TIMEDOUT:
        return Problem("fault.timed_out", fault=text, wsman_fault_code=code)
    return Problem(
        "fault.other",
        fault=text,
        fault_name=subcode or code or "",
        fault_code=code if code is not None else "",
        windows_code=code,
        wsman_fault_code=code,
    )


# What a service without shells answers a shell's Create with (DSP0226 §14.6: the resource URI or the action is
# not served); openwsman adds faultDetail InvalidResourceURI and answers a Sender fault with HTTP 400.
_NOT_SERVED = {"DestinationUnreachable", "ActionNotSupported", "EndpointUnavailable", "InvalidResourceURI"}


def shell_problem(
    status: int, headers: dict[str, str], body: bytes, shell: ShellTarget, local_account: bool | None, vendor: str
) -> Problem:
    """A refused Create of a remote shell, by the fault's WSManFault code and subcode (never its localised text).

    ``local_account``: True for a local account other than the built-in Administrator (UAC may filter it), False
    for a domain account or the built-in Administrator, None when the account's form cannot tell. ``vendor``: the
    IdentifyResponse's ProductVendor; a service that is not Microsoft's has no shells to refuse.
    """
    windows = not vendor or "microsoft" in vendor.lower()
    about = shell_facts(shell)
    fault = parse_fault(body) if status >= 400 else None
    if fault is None:
        if not windows and status in (400, 404, 405, 500, 501):
            return Problem("session.no_shells", vendor=vendor, fault=f"HTTP {status}", **about)
        return answer_problem(status, headers, body, 0)
    subcode = (fault.subcode or "").rsplit(":", 1)[-1]
    code = fault.wsman_fault_code
    reason = fault.reason or fault.wsman_message or "no reason given"
    text = f"SOAP fault {fault.subcode or fault.code or '?'}: {reason}" + (f" (WSManFault {code})" if code else "")
    facts: dict[str, Any] = {**about, "fault": text, "wsman_fault_code": code}
    if code is not None:
        facts["windows_code"] = code
    if not windows and (subcode in _NOT_SERVED or code == codes.ERROR_WSMAN_INVALID_RESOURCE_URI):
        return Problem("session.no_shells", vendor=vendor, **facts)
    # Codes first, then subcodes: a refusal by policy or quota may come with any subcode.
    if code in codes.SHELL_QUOTAS:
        return Problem("session.quota", **facts)
    if code == codes.ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED:
        return Problem("session.shells_disabled", **facts)
    if code == codes.ERROR_WSMAN_INVALID_RESOURCE_URI:
        return Problem("session.no_endpoint", **facts)
    if code in (ERROR_ACCESS_DENIED, codes.E_ACCESSDENIED) or subcode == "AccessDenied":
        if local_account:
            return Problem("session.local_account_filtered", **facts)
        denied = "session.access_denied" if shell.is_powershell else "session.cmd_denied"
        return Problem(denied, account_note=ACCOUNT_NOTE if local_account is None else "", **facts)
    if subcode == "QuotaLimit":
        return Problem("session.quota", **facts)
    if subcode in _NOT_SERVED:
        return Problem("session.no_endpoint", **facts)
    return fault_problem(fault)


def _host_of(location: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(location).hostname or location
    except ValueError:
        return location


__all__ = ["answer_problem", "classify", "fault_problem", "shell_problem"]

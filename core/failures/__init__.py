"""The catalogue of failure kinds, and the one way a found problem becomes a :class:`~core.diagnosis.Failure`.

Every kind has a stable id (``tcp.refused``, ``auth.rejected`` …) and states its MI result, error category,
Windows code, problem text, message, hint and fixes as data (``connection``, ``service``, ``authentication``,
``session``).
``docs/diagnosis.md`` is generated from this catalogue (``python -m core.failures``).
"""

from __future__ import annotations

from typing import NamedTuple

from core.diagnosis import Failure
from core.failures import authentication, connection, kerberos, service, session
from core.failures.kinds import Facts, Fix, Kind, Where, fill
from core.mi import AuthType
from core.wire import StopReason

KINDS: dict[str, Kind] = {
    kind.id: kind
    for kind in (*connection.KINDS, *service.KINDS, *authentication.KINDS, *kerberos.KINDS, *session.KINDS)
}


class Context(NamedTuple):
    """What the wording of any failure of this test may quote, and what decides between timeout kinds."""

    host: str
    port: int
    transport: str
    url_prefix: str = "wsman"
    timeout: float = 10.0
    auth: AuthType = AuthType.NONE
    auth_label: str = ""
    user: str = ""  # as qualified for the scheme: DOMAIN\user or user@REALM
    offered: tuple[str, ...] = ()  # the WWW-Authenticate challenges of the listener's 401
    enable_command: str = ""  # how the scheme is enabled on a Windows listener
    enable_hint: str = ""  # the same, as the end of a sentence (": `command` (note)") or nothing
    stop_reason: StopReason | None = None
    answered: bool = False  # whether any byte of an answer to the request in flight has arrived
    anonymous_silent: bool = False  # the anonymous Identify got no answer in its share of the deadline
    kdc_realm: str = ""  # the realm whose KDC an exchange in flight waits for (a Kerberos logon or ticket)

    def facts(self) -> Facts:
        offered = describe_offered(self.offered)
        user_name = self.user.rsplit("\\", 1)[-1].split("@", 1)[0]
        return Facts(
            host=self.host,
            port=self.port,
            transport=self.transport,
            transport_upper=self.transport.upper(),
            other_transport="HTTPS (5986)" if self.transport == "http" else "HTTP (5985)",
            url_prefix=self.url_prefix,
            timeout=f"{self.timeout:g} s",
            auth=self.auth.value,
            auth_label=self.auth_label or self.auth.value,
            offered=offered or "nothing",
            offered_sentence=(
                f" The listener offers {offered}, so {self.auth.value} itself is enabled." if offered else ""
            ),
            enable_command=self.enable_command,
            enable_hint=self.enable_hint,
            user=self.user or "<user>",
            user_name=user_name or "<user>",
            realm=self.kdc_realm or "the domain",
            realm_lower=self.kdc_realm.lower() or "<domain>",
        )


def failure(kind_id: str, stage: str | None, ctx: Context | None = None, **facts: object) -> Failure:
    """The failure of kind ``kind_id`` found while ``stage`` ran, worded with the test's and the problem's facts."""
    kind = KINDS[kind_id]
    values = ctx.facts() if ctx is not None else Facts()
    values.update(facts)
    code = values.get("windows_code", kind.windows_code)
    fault_code = values.get("wsman_fault_code")
    fixes = tuple(Fix(f.where, command, f.purpose) for f in kind.fixes if (command := fill(f.command, values).strip()))
    return Failure(
        stage=stage,
        result=kind.result,
        category=kind.category,
        message=fill(kind.message, values),
        hint=fill(kind.hint, values),
        windows_code=code if isinstance(code, int) else None,
        wsman_fault_code=fault_code if isinstance(fault_code, int) else None,
        detail=fill(kind.detail, values).strip(),
        kind=kind.id,
        problem=fill(kind.problem, values).strip(),
        fixes=fixes,
    )


def invalid_input(field: str, reason: str) -> Failure:
    """Bad input, found before any stage runs; the message names the field."""
    return failure("input.invalid", None, field=field, reason=reason)


def cancelled(stage: str | None) -> Failure:
    return failure("cancelled", stage)


def scheme_names(offered: tuple[str, ...]) -> list[str]:
    """``Negotiate``, ``Basic`` …: the scheme names of a 401's challenges, each once, in the listener's order."""
    names: list[str] = []
    for challenge in offered:
        name = challenge.split(" ", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def describe_offered(offered: tuple[str, ...]) -> str:
    return ", ".join(scheme_names(offered))


__all__ = [
    "KINDS",
    "Context",
    "Facts",
    "Fix",
    "Kind",
    "Where",
    "cancelled",
    "describe_offered",
    "failure",
    "invalid_input",
    "scheme_names",
]

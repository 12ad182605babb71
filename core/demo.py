"""The demo: lab endpoints as test jobs, and whether each test ended as its scenario says it should.

Used by `testconnection --demo`, `--self-test`, the CLI's lab checks, the benchmarks and the tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from core.batch import BatchJob
from core.diagnosis import Diagnosis
from core.lab import Lab, LabEndpoint, kerberos_unavailable_reason
from core.mi import AuthType, DestinationOptions, UserCredentials

DEMO_TIMEOUT = 3.0  # the hanging scenarios (blackhole, silent, trickle) end at the deadline


def options_for(endpoint: LabEndpoint, lab: Lab, timeout: float = DEMO_TIMEOUT) -> DestinationOptions:
    credentials = None
    if endpoint.username is not None:
        credentials = UserCredentials(endpoint.username, endpoint.password or "")
    return DestinationOptions(
        transport=endpoint.transport,
        auth=AuthType(endpoint.auth),
        credentials=credentials,
        ca_file=lab.ca_file if endpoint.transport == "https" else None,
        timeout=endpoint.timeout or timeout,  # a scenario's own deadline wins: it is part of what it shows
        allow_unencrypted=endpoint.allow_unencrypted,
        open_shell=endpoint.open_shell,
        remote_shell=endpoint.remote_shell,
        spn=endpoint.spn,
        ticket_cache=endpoint.ticket_cache,
        look_ports=endpoint.look_ports,
    )


def demo_lab() -> tuple[Lab, str | None]:
    """The demo's lab: with the Kerberos scenarios where its KDCs can start on this PC; without them otherwise, and
    why (what to install)."""
    reason = kerberos_unavailable_reason()
    return Lab(kerberos=reason is None), reason


def use_kerberos_environ(lab: Lab) -> dict[str, str | None]:
    """Point this whole process's Kerberos at the started lab's realms (MIT reads its files from the environment,
    per call): the demo's tests then never touch the user's own krb5.conf or tickets. Returns what to restore."""
    try:
        environ = lab.kerberos_environ
    except RuntimeError:  # a lab without Kerberos scenarios
        return {}
    saved = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    return saved


def restore_environ(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def demo_jobs(lab: Lab, timeout: float = DEMO_TIMEOUT) -> list[BatchJob]:
    return [BatchJob(e.url, options_for(e, lab, timeout), key=e.name) for e in lab.endpoints]


def mismatch(endpoint: LabEndpoint, diagnosis: Diagnosis) -> str | None:
    """None when the test ended as the scenario expects, else what differs."""
    failure = diagnosis.failure
    got = (diagnosis.ok, diagnosis.failed_stage, failure.kind if failure else None, diagnosis.result.mi_name)
    wanted = (endpoint.expect_ok, endpoint.expect_stage, endpoint.expect_kind, endpoint.expect_result)
    if got == wanted:
        return None
    return f"expected {wanted}, got {got}"

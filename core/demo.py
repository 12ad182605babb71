"""The demo: lab endpoints as test jobs, and whether each test ended as its scenario says it should.

Used by `testconnection --demo`, `--self-test`, the CLI's lab checks, the benchmarks and the tests.
"""

from __future__ import annotations

from core.batch import BatchJob
from core.diagnosis import Diagnosis
from core.lab import Lab, LabEndpoint
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
        timeout=max(timeout, endpoint.timeout or 0),
        allow_unencrypted=endpoint.allow_unencrypted,
        look_ports=endpoint.look_ports,
    )


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

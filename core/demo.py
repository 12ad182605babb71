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
        timeout=timeout,
    )


def demo_jobs(lab: Lab, timeout: float = DEMO_TIMEOUT) -> list[BatchJob]:
    return [BatchJob(e.url, options_for(e, lab, timeout), key=e.name) for e in lab.endpoints]


def mismatch(endpoint: LabEndpoint, diagnosis: Diagnosis) -> str | None:
    """None when the test ended as the scenario expects, else what differs."""
    got_category = diagnosis.failure.category.name if diagnosis.failure else None
    got = (diagnosis.ok, diagnosis.failed_stage, diagnosis.result.mi_name, got_category)
    wanted = (endpoint.expect_ok, endpoint.expect_stage, endpoint.expect_result, endpoint.expect_category)
    if got == wanted:
        return None
    return f"expected {wanted}, got {got}"

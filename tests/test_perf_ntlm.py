"""NTLM costs only its own handshake (bench 1c): anonymous Identify, negotiate, authenticate carrying the Identify.

Counted on the lab's side (the connections it accepts and the requests it answers), as ``python -m bench`` does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.common import WireCounter
from core import Application, AuthType, DestinationOptions, UserCredentials
from core.diagnosis import Diagnosis
from core.lab import Lab


@pytest.fixture(scope="module")
def counted() -> Iterator[tuple[WireCounter, Lab]]:
    counter = WireCounter()
    # The counter wraps the lab's endpoint class, so the lab must start inside it.
    with counter.installed(), Lab(scenarios=["winrm-http", "winrm-https", "wrong-password"]) as lab:
        yield counter, lab


def _test(counter: WireCounter, lab: Lab, scenario: str, password: str | None = None) -> tuple[Diagnosis, list[str]]:
    user = next(iter(lab.users))
    https = scenario == "winrm-https"
    options = DestinationOptions(
        transport="https" if https else "http",
        auth=AuthType.NTLM,
        credentials=UserCredentials(user, lab.users[user] if password is None else password),
        ca_file=lab.ca_file if https else None,
        timeout=10,
    )
    before = counter.snapshot(scenario)
    counter.trace = []
    with Application() as app, app.new_session(lab.url(scenario), options=options) as session:
        with session.test_connection() as op:
            op.get_instance()
            diagnosis = op.diagnosis
    trace = [what for name, what in counter.trace if name == scenario]
    counter.trace = None
    after = counter.snapshot(scenario)
    assert after[0] - before[0] == 1, "one TCP connection for the whole test"
    assert after[1] - before[1] == len(trace)
    return diagnosis, trace


def test_ntlm_over_http_is_three_requests_on_one_connection(counted: tuple[WireCounter, Lab]) -> None:
    diagnosis, trace = _test(*counted, "winrm-http")
    assert diagnosis.ok and "encrypted" in diagnosis.stage("auth").detail
    assert len(trace) == 3, trace
    anonymous, negotiate, authenticate = trace
    assert anonymous.startswith("POST SOAP") and "Authorization: (none)" in anonymous and anonymous.endswith("200")
    assert "body 0 B" in negotiate and "(NTLM negotiate)" in negotiate and negotiate.endswith("401")
    # The sealed Identify travels with the authenticate message, as Windows' own client sends it.
    assert authenticate.startswith("POST encrypted") and "(NTLM authenticate)" in authenticate
    assert authenticate.endswith("200")


def test_ntlm_over_https_is_three_requests_on_one_connection(counted: tuple[WireCounter, Lab]) -> None:
    diagnosis, trace = _test(*counted, "winrm-https")
    assert diagnosis.ok
    assert len(trace) == 3, trace
    assert trace[2].startswith("POST SOAP") and "(NTLM authenticate)" in trace[2] and trace[2].endswith("200")


def test_a_wrong_password_costs_the_same_requests_and_is_still_told(counted: tuple[WireCounter, Lab]) -> None:
    diagnosis, trace = _test(*counted, "wrong-password", password="not-the-password")
    assert diagnosis.failed_stage == "auth"
    assert diagnosis.failure is not None and diagnosis.failure.category.name == "AUTHENTICATION_ERROR"
    assert len(trace) == 3 and trace[2].endswith("401"), trace

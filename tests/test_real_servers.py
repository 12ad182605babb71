"""Servers that are not Windows: lab endpoints that behave as Microsoft OMI 1.9 and openwsman 2.8 were measured to.

OMI answers no request without an Authorization header (it holds the connection silent); openwsman challenges every
anonymous request, resets the next request on a connection its 401 left open, closes after every answer and says
``200 (null)``. A plain pywinrm script gets through to both; so must TestConnection, and say what it met.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from winrm.protocol import Protocol

from bench.common import WireCounter
from core import Application, AuthType, DestinationOptions, UserCredentials
from core.diagnosis import Diagnosis
from core.lab import Lab
from core.stages.wsman import NOTE_ANONYMOUS_SILENT

SERVERS = ["omi", "omi-basic", "omi-basic-http", "omi-wrong-password", "openwsman", "openwsman-basic",
           "openwsman-basic-http", "openwsman-wrong-password", "silent"]  # fmt: skip
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def counted() -> Iterator[tuple[WireCounter, Lab]]:
    counter = WireCounter()
    with counter.installed(), Lab(scenarios=SERVERS) as lab:
        yield counter, lab


def basic(lab: Lab, name: str, password: str | None = None) -> DestinationOptions:
    https = lab.endpoint(name).transport == "https"
    return DestinationOptions(
        transport="https" if https else "http",
        auth=AuthType.BASIC,
        credentials=UserCredentials("alice", password or lab.users["alice"]),
        ca_file=lab.ca_file if https else None,
        allow_unencrypted=not https,
        timeout=TIMEOUT,
    )


def run(url: str, options: DestinationOptions) -> Diagnosis:
    with Application() as app, app.new_session(url, options=options) as session, session.test_connection() as op:
        op.get_instance()
        return op.diagnosis


@pytest.mark.parametrize("name", ["omi-basic", "omi-basic-http"])
def test_omi_with_basic_passes_without_waiting_for_the_anonymous_identify(
    counted: tuple[WireCounter, Lab], name: str
) -> None:
    _, lab = counted
    diagnosis = run(lab.url(name), basic(lab, name))
    assert diagnosis.ok, diagnosis.failure
    # The silent anonymous Identify had a short share of the deadline, not all of it.
    assert diagnosis.elapsed_ms < TIMEOUT * 1000 / 2
    wsman = diagnosis.stage("wsman")
    assert wsman.status == "ok" and wsman.detail.startswith("answers authenticated requests only")
    assert NOTE_ANONYMOUS_SILENT in diagnosis.notes
    assert diagnosis.identify is not None and diagnosis.identify.authenticated
    assert (diagnosis.identify.product_vendor, diagnosis.identify.product_version) == (
        "Open Management Infrastructure",
        "1.9.1-0",
    )


def test_omi_with_a_wrong_password_fails_at_auth_as_rejected_credentials(counted: tuple[WireCounter, Lab]) -> None:
    _, lab = counted
    diagnosis = run(lab.url("omi-wrong-password"), basic(lab, "omi-wrong-password", "Not-The-Passw0rd!"))
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.rejected"
    assert diagnosis.failed_stage == "auth"
    # The 401 proved the service is there, though it ignored the anonymous Identify.
    assert diagnosis.stage("wsman").status == "ok"
    assert "Basic" in diagnosis.failure.message  # the listener's schemes, from that 401


def test_omi_without_credentials_says_it_wants_authentication_and_which_schemes(
    counted: tuple[WireCounter, Lab],
) -> None:
    _, lab = counted
    diagnosis = run(lab.url("omi"), DestinationOptions(timeout=TIMEOUT))
    assert diagnosis.ok and diagnosis.requires_authentication
    assert diagnosis.elapsed_ms < TIMEOUT * 1000 / 2
    assert [c.split(" ")[0] for c in diagnosis.offered_schemes] == ["Basic", "Negotiate", "Kerberos"]
    assert "answers only requests that authenticate" in diagnosis.stage("wsman").detail


@pytest.mark.parametrize("name", ["openwsman-basic", "openwsman-basic-http"])
def test_openwsman_with_basic_passes_though_it_resets_a_kept_connection(
    counted: tuple[WireCounter, Lab], name: str
) -> None:
    counter, lab = counted
    before = counter.snapshot(name)
    diagnosis = run(lab.url(name), basic(lab, name))
    after = counter.snapshot(name)
    assert diagnosis.ok, diagnosis.failure
    assert diagnosis.identify is not None
    assert (diagnosis.identify.product_vendor, diagnosis.identify.product_version) == ("Openwsman Project", "2.8")
    assert diagnosis.stage("wsman").detail == "authentication required; offers Basic"
    # The anonymous Identify's 401 left its connection open; the credentials went once more on a fresh one after
    # the server reset it, as a well-kept client does.
    assert after[0] - before[0] == 2


def test_openwsman_with_a_wrong_password_is_rejected_credentials(counted: tuple[WireCounter, Lab]) -> None:
    _, lab = counted
    name = "openwsman-wrong-password"
    diagnosis = run(lab.url(name), basic(lab, name, "Not-The-Passw0rd!"))
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.rejected"
    assert "HTTP" not in diagnosis.failure.hint.split("(")[0]  # not the HTTP-vs-HTTPS hint of a closed connection


def test_openwsman_without_credentials_says_it_wants_authentication(counted: tuple[WireCounter, Lab]) -> None:
    _, lab = counted
    diagnosis = run(lab.url("openwsman"), DestinationOptions(timeout=TIMEOUT))
    assert diagnosis.ok and diagnosis.requires_authentication and diagnosis.identify is None
    assert diagnosis.offered_schemes == ('Basic realm="OPENWSMAN"',)


def test_a_service_silent_to_everything_fails_at_wsman_naming_the_cause(counted: tuple[WireCounter, Lab]) -> None:
    _, lab = counted
    diagnosis = run(lab.url("silent"), DestinationOptions(timeout=2))
    assert diagnosis.failure is not None and diagnosis.failure.kind == "wsman.anonymous_silent"
    assert "OMI" in diagnosis.failure.hint and "credentials" in diagnosis.failure.hint


def test_a_service_silent_even_with_credentials_says_so(counted: tuple[WireCounter, Lab]) -> None:
    _, lab = counted
    options = DestinationOptions(
        auth=AuthType.NTLM, credentials=UserCredentials("alice", lab.users["alice"]), timeout=2
    )
    diagnosis = run(lab.url("silent"), options)
    assert diagnosis.failure is not None and diagnosis.failure.kind == "http.silent"
    assert diagnosis.failed_stage == "auth" and diagnosis.stage("wsman").status == "skipped"


@pytest.mark.parametrize("name", ["omi-basic", "openwsman-basic"])
def test_a_plain_pywinrm_script_gets_through_too(counted: tuple[WireCounter, Lab], name: str) -> None:
    """The lab imitates the servers, not our client: the reference script of the bug report works against it."""
    _, lab = counted
    protocol = Protocol(
        lab.url(name), transport="basic", username="alice", password=lab.users["alice"], ca_trust_path=lab.ca_file
    )
    identify = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
        "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
    )
    answer = protocol.transport.send_message(identify)
    assert b"IdentifyResponse" in answer

"""Every lab scenario through the real client: the stage, MI result, category, code and hint a helpdesk sees."""

from __future__ import annotations

import pytest

from core import Application, AuthType, DestinationOptions, MIResult, UserCredentials
from core.demo import mismatch, options_for
from core.diagnosis import Diagnosis
from core.failures.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_WINHTTP_SECURE_FAILURE,
    ERROR_WSMAN_CANNOT_CONNECT,
    ERROR_WSMAN_INVALID_RESOURCE_URI,
    ERROR_WSMAN_OPERATION_TIMEDOUT,
    ERROR_WSMAN_QUOTA_MAX_SHELLS,
    ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED,
    ERROR_WSMAN_TIMEOUT,
    ERROR_WSMAN_URL_NOT_FOUND,
)
from core.lab import SCENARIOS, Lab
from tests.quality import tally

# What a Windows client shows for the same failure, where docs/diagnosis.md confirms a code.
WINDOWS_CODES = {
    "refused": ERROR_WSMAN_CANNOT_CONNECT,
    "blackhole": ERROR_WSMAN_TIMEOUT,
    "host-down": ERROR_WSMAN_TIMEOUT,
    "silent": ERROR_WSMAN_TIMEOUT,
    "trickle": ERROR_WSMAN_TIMEOUT,
    "iis-404": ERROR_WSMAN_URL_NOT_FOUND,
    "tls-untrusted": ERROR_WINHTTP_SECURE_FAILURE,
    "tls-wrong-name": ERROR_WINHTTP_SECURE_FAILURE,
    "tls-expired": ERROR_WINHTTP_SECURE_FAILURE,
    "tls-client-certificate": ERROR_WINHTTP_SECURE_FAILURE,
    "wrong-password": ERROR_ACCESS_DENIED,
    "omi-wrong-password": ERROR_ACCESS_DENIED,
    "openwsman-wrong-password": ERROR_ACCESS_DENIED,
    "access-denied": ERROR_ACCESS_DENIED,
    "timeout-fault": ERROR_WSMAN_OPERATION_TIMEDOUT,
    "session-denied": ERROR_ACCESS_DENIED,
    "session-uac": ERROR_ACCESS_DENIED,
    "session-quota": ERROR_WSMAN_QUOTA_MAX_SHELLS,
    "session-no-endpoint": ERROR_WSMAN_INVALID_RESOURCE_URI,
    "session-shells-off": ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED,
}


def run(url: str, options: DestinationOptions) -> Diagnosis:
    with Application() as app, app.new_session(url, options=options) as session, session.test_connection() as op:
        result = op.get_instance()
        assert result.more_results is False
        return op.diagnosis


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_ends_as_the_diagnosis_table_says(lab: Lab, name: str) -> None:
    endpoint = lab.endpoint(name)
    diagnosis = run(endpoint.url, options_for(endpoint, lab, timeout=1.5))
    assert mismatch(endpoint, diagnosis) is None
    if diagnosis.ok:
        if diagnosis.requires_authentication and endpoint.auth == "none":  # OMI, openwsman: no anonymous Identify
            assert diagnosis.offered_schemes and diagnosis.identify is None
        else:
            assert diagnosis.identify is not None and diagnosis.identify.product_version
        tally("lab_scenarios")
        return
    failure = diagnosis.failure
    assert failure is not None and failure.hint and failure.message
    assert failure.windows_code == WINDOWS_CODES.get(name)
    failed = diagnosis.stage(failure.stage or "")
    assert failed.status == "failed" and failed.detail
    later = [s for s in diagnosis.stages if s.name > "" and diagnosis.stages.index(s) > diagnosis.stages.index(failed)]
    assert all(s.status == "not_run" for s in later)
    tally("lab_scenarios")


def test_ntlm_shows_the_real_os_version_and_profiles(lab: Lab) -> None:
    options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials("alice", lab.users["alice"]))
    diagnosis = run(lab.url("winrm-http"), options)
    assert diagnosis.ok
    assert diagnosis.identify is not None and diagnosis.identify.authenticated
    assert diagnosis.identify.product_version.startswith("OS: 10.0.20348")
    assert diagnosis.identify.security_profiles
    assert "encrypted" in diagnosis.stage("auth").detail


def test_wrong_password_is_told_apart_from_scheme_not_offered(lab: Lab) -> None:
    wrong = run(lab.url("wrong-password"), options_for(lab.endpoint("wrong-password"), lab))
    assert wrong.failure is not None and wrong.failure.category.name == "AUTHENTICATION_ERROR"
    assert "offers Negotiate" in wrong.failure.message
    not_offered = run(lab.url("basic-not-offered"), options_for(lab.endpoint("basic-not-offered"), lab))
    assert not_offered.failure is not None and not_offered.failure.category.name == "NOT_ENABLED"
    assert "Negotiate, Kerberos" in not_offered.failure.message


def test_basic_over_plain_http_is_refused_unless_allowed(lab: Lab) -> None:
    creds = UserCredentials("alice", lab.users["alice"])
    refused = run(lab.url("winrm-http"), DestinationOptions(auth=AuthType.BASIC, credentials=creds))
    assert refused.failed_stage == "auth" and refused.failure is not None
    assert refused.failure.windows_code == 0x803380DE and "no credential was sent" in refused.failure.message
    allowed = run(
        lab.url("winrm-http"), DestinationOptions(auth=AuthType.BASIC, credentials=creds, allow_unencrypted=True)
    )
    assert allowed.ok


def test_skipping_the_ca_check_passes_tls_and_says_so(lab: Lab) -> None:
    diagnosis = run(lab.url("tls-untrusted"), DestinationOptions(transport="https", cert_ca_check=False))
    assert diagnosis.ok
    assert any("certificate not verified" in note for note in diagnosis.notes)
    assert "certificate not verified" in diagnosis.stage("tls").detail


def test_skipping_only_the_cn_check_still_checks_the_issuer(lab: Lab) -> None:
    options = DestinationOptions(transport="https", cert_cn_check=False, ca_file=lab.ca_file)
    assert run(lab.url("tls-wrong-name"), options).ok
    assert run(lab.url("tls-untrusted"), options).failed_stage == "tls"


def test_name_not_resolved_fails_at_dns() -> None:
    diagnosis = run("no-such-host.invalid", DestinationOptions(timeout=5))
    assert diagnosis.failed_stage == "dns"
    assert diagnosis.failure is not None and diagnosis.failure.category.name == "CONNECTION_ERROR"
    assert "nslookup" in diagnosis.failure.hint


def test_without_credentials_every_other_stage_runs_and_auth_is_not_tested(lab: Lab) -> None:
    diagnosis = run(lab.url("winrm-http"), DestinationOptions(auth=AuthType.NTLM))
    assert diagnosis.ok and diagnosis.result is MIResult.OK  # neutral: nothing failed
    assert diagnosis.untested == "no credentials"
    assert diagnosis.stage("wsman").status == "ok"
    auth = diagnosis.stage("auth")
    assert auth.status == "skipped" and auth.detail == "not tested — no credentials"

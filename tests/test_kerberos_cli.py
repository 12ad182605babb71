"""Kerberos and Negotiate from the command line, against the lab's real MIT KDC: every row of the Kerberos diagnosis
table as a helpdesk would type it, the current user (no --user) after kinit, and the Kerberos flags."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from core.lab import KERBEROS_SCENARIOS, Lab, LabEndpoint

PASSWORD_ENV = "TC_KERBEROS_PW"


def argv_for(endpoint: LabEndpoint, lab: Lab) -> list[str]:
    """The command line a helpdesk would type for this lab endpoint."""
    argv = ["check", endpoint.url, "--auth", endpoint.auth, "--json", "--timeout", "3"]
    if endpoint.username is not None:
        argv += ["--user", endpoint.username, "--password-env", PASSWORD_ENV]
    if endpoint.spn is not None:
        argv += ["--spn", endpoint.spn]
    if endpoint.transport == "https":
        argv += ["--ca-file", lab.ca_file]
    return argv


def check(argv: list[str]) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(argv, stdout=out)
    return code, json.loads(out.getvalue())


@pytest.mark.parametrize("name", KERBEROS_SCENARIOS)
def test_every_row_from_the_command_line(klab: Lab, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = klab.endpoint(name)
    if endpoint.password is not None:
        monkeypatch.setenv(PASSWORD_ENV, endpoint.password)
    if endpoint.ticket_cache is not None:  # the current user, logged on with kinit
        monkeypatch.setenv("KRB5CCNAME", endpoint.ticket_cache)
    code, record = check(argv_for(endpoint, klab))
    assert code == (EXIT_OK if endpoint.expect_ok else EXIT_FAILED), record
    error = record["error"]
    if endpoint.expect_ok:
        assert error is None and record["mechanism"] in ("kerberos", "ntlm")
        return
    assert (record["failed_stage"], error["kind"]) == (endpoint.expect_stage, endpoint.expect_kind)
    assert error["windows_code"] == endpoint.expect_code
    assert error["hint"] and error["problem"]


def test_negotiate_and_kerberos_without_a_user_test_as_the_current_user(
    klab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ccache = f"FILE:{tmp_path / 'krb5cc'}"
    klab.kinit(ccache)
    monkeypatch.setenv("KRB5CCNAME", ccache)
    for auth in ("kerberos", "negotiate"):
        code, record = check(["check", klab.url("kerberos-http"), "--auth", auth, "--json"])
        assert code == EXIT_OK, record
        auth_stage = next(s for s in record["stages"] if s["name"] == "auth")
        assert "as alice@LAB.TEST (current user)" in auth_stage["detail"]
        assert record["mechanism"] == "kerberos"
        assert record["check"] == f"Test-WSMan localhost -Port {klab.endpoint('kerberos-http').port} " \
            f"-Authentication {auth.capitalize()}"


def test_without_a_ticket_the_current_user_is_told_to_log_on(klab: Lab) -> None:
    out = io.StringIO()
    code = main(["check", klab.url("kerberos-http"), "--auth", "kerberos"], stdout=out)
    assert code == EXIT_FAILED
    text = out.getvalue()
    assert "No Kerberos ticket (not logged on to the domain)" in text and "kinit" in text


def test_the_kerberos_flags(klab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, klab.users["alice"])
    base = ["check", klab.url("kerberos-http"), "--auth", "kerberos", "--user", "alice@LAB.TEST",
            "--password-env", PASSWORD_ENV, "--json"]
    port = klab.endpoint("kerberos-http").port
    code, record = check([*base, "--include-port-in-spn"])
    assert code == EXIT_FAILED and record["error"]["kind"] == "auth.target_unknown"
    assert f"HTTP/localhost:{port}" in record["error"]["message"]
    code, record = check([*base, "--spn", "WSMAN"])
    assert record["error"]["kind"] == "auth.target_unknown" and "WSMAN/localhost" in record["error"]["message"]
    code, record = check([*base, "--spn", "HTTP/localhost"])
    assert code == EXIT_OK


def test_a_bad_spn_is_a_usage_error_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "srv01", "--auth", "kerberos", "--spn", "HTTP/two words"])
    assert exited.value.code == EXIT_USAGE
    assert "--spn:" in capsys.readouterr().err


def test_ntlm_still_needs_a_user(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "srv01", "--auth", "ntlm"])
    assert exited.value.code == EXIT_USAGE and "--auth ntlm needs --user" in capsys.readouterr().err

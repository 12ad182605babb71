"""Kerberos and Negotiate through the product's API, against the lab's real MIT KDC and acceptor: every row of the
Kerberos diagnosis table, the current user after kinit, Negotiate's choice and the reason it gives for NTLM,
sealing over HTTP and channel binding over HTTPS, the service principal's options, Windows' client rules, and
what is never sent or kept.

What went over the wire is read on the lab's side (its listener's requests), independently of the client.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from spnego._spnego import NegTokenInit, unpack_token

from core import Application, AuthType, DestinationOptions, MIResult, UserCredentials
from core.demo import mismatch, options_for
from core.diagnosis import Diagnosis
from core.failures import KINDS
from core.failures.kinds import fill
from core.lab import KERBEROS_SCENARIOS, Lab, _winrm
from core.report import diagnosis_to_dict
from tests.kerberos_client import IDENTIFY, connect, post
from tests.quality import tally

KERBEROS_OID = "1.2.840.113554.1.2.2"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"


@dataclass(frozen=True)
class Seen:
    """One request as the lab's listener received it."""

    scenario: str
    authorization: str
    content_type: str
    body: bytes


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Seen]]:
    seen: list[Seen] = []
    respond = _winrm.WinRMListener.respond

    def recording(listener: _winrm.WinRMListener, state: object, request: object) -> object:
        seen.append(Seen(listener.scenario.name, request.header("authorization") or "",  # type: ignore[attr-defined]
                         request.header("content-type") or "", request.body))  # type: ignore[attr-defined]
        return respond(listener, state, request)  # type: ignore[arg-type]

    monkeypatch.setattr(_winrm.WinRMListener, "respond", recording)
    yield seen


def run(lab: Lab, name: str, **changes: object) -> Diagnosis:
    endpoint = lab.endpoint(name)
    options = options_for(endpoint, lab)._replace(**changes)  # type: ignore[arg-type]
    with Application() as app, app.new_session(endpoint.url, options=options) as session:
        with session.test_connection() as op:
            assert op.get_instance().more_results is False
            return op.diagnosis


def tokens(seen: list[Seen], name: str) -> list[bytes]:
    return [base64.b64decode(s.authorization.split(" ", 1)[1]) for s in seen if s.scenario == name and s.authorization]


def mechanisms(token: bytes) -> list[str]:
    """The mechanisms a SPNEGO first token offers."""
    init = unpack_token(token)
    assert isinstance(init, NegTokenInit)
    return list(init.mech_types)


def logged_on(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The lab's user logged on with kinit into a ticket cache of this test's, which becomes the default."""
    ccache = f"FILE:{tmp_path / 'krb5cc'}"
    lab.kinit(ccache)
    monkeypatch.setenv("KRB5CCNAME", ccache)
    return ccache


def kdc_requests(lab: Lab) -> int:
    with open(lab.kdc_log, encoding="utf-8", errors="replace") as log:
        return sum(1 for line in log if "AS_REQ" in line or "TGS_REQ" in line)


# ---- the diagnosis table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", KERBEROS_SCENARIOS)
def test_every_kerberos_scenario_ends_as_the_table_says(klab: Lab, name: str) -> None:
    endpoint = klab.endpoint(name)
    diagnosis = run(klab, name)
    assert mismatch(endpoint, diagnosis) is None, diagnosis.failure
    failure = diagnosis.failure
    if failure is None:
        assert diagnosis.identify is not None and diagnosis.identify.authenticated
        assert diagnosis.mechanism in ("kerberos", "ntlm")
    else:
        assert failure.windows_code == endpoint.expect_code
        assert failure.hint and failure.message and failure.problem
        assert "{" not in failure.message + failure.hint and "?" not in failure.problem
        assert diagnosis.stage("auth").status == "failed" and diagnosis.stage("auth").detail
    tally("lab_scenarios")


def test_the_clock_that_is_off_is_named_with_its_offset(klab: Lab) -> None:
    failure = run(klab, "kerberos-clock-skew").failure
    assert failure is not None and failure.kind == "auth.time_skew"
    # The lab's SKEW.TEST KDC runs ten minutes behind this machine; the listener is this machine.
    assert "The server's clock is 10 min ahead of the domain controller's" in failure.message
    assert "This PC agrees with the server." in failure.message
    assert "w32tm /resync /force" in [fix.command for fix in failure.fixes]


def test_failures_name_what_to_run_with_the_targets_own_names(klab: Lab) -> None:
    no_spn = run(klab, "kerberos-no-spn").failure
    port = klab.endpoint("kerberos-no-spn").port
    assert no_spn is not None and f"HTTP/localhost:{port}" in no_spn.message
    assert f"setspn -S HTTP/localhost:{port} localhost" in [f.command for f in no_spn.fixes]
    stale = run(klab, "kerberos-stale-key").failure
    assert stale is not None and "setspn -X" in [f.command for f in stale.fixes]
    no_kdc = run(klab, "kerberos-no-kdc").failure
    assert no_kdc is not None and "nslookup -type=SRV _kerberos._tcp.offline.test" in [f.command for f in no_kdc.fixes]


def test_a_kdc_that_never_answers_ends_at_the_deadline_as_no_domain_controller(klab: Lab) -> None:
    diagnosis = run(klab, "kerberos-kdc-silent", timeout=1.0)
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.kdc_timeout"
    assert "SILENT.TEST" in diagnosis.failure.message and "1 s" in diagnosis.failure.message
    assert diagnosis.elapsed_ms < 1500


def test_kerberos_to_an_address_is_refused_before_anything_is_sent(klab: Lab, wire: list[Seen]) -> None:
    before = kdc_requests(klab)
    diagnosis = run(klab, "kerberos-ip")
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.kerberos_to_address"
    assert kdc_requests(klab) == before
    assert not [s for s in wire if s.authorization]


# ---- sealing, channel binding, mutual authentication ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header", "sealed_as"),
    [
        ("kerberos-http", "Kerberos", "application/HTTP-Kerberos-session-encrypted"),
        ("negotiate-kerberos", "Negotiate", "application/HTTP-SPNEGO-session-encrypted"),
    ],
)
def test_over_http_the_identify_travels_sealed(klab: Lab, wire: list[Seen], name: str, header: str,
                                               sealed_as: str) -> None:
    diagnosis = run(klab, name)
    assert diagnosis.ok and diagnosis.mechanism == "kerberos"
    assert diagnosis.stage("auth").detail.endswith("as alice@LAB.TEST, messages encrypted")
    mine = [s for s in wire if s.scenario == name]
    handshake = [s for s in mine if s.authorization]
    assert [s.authorization.split(" ")[0] for s in handshake] == [header]  # one leg: the AP-REQ
    assert handshake[0].body == b""
    identify = mine[-1]
    assert f'protocol="{sealed_as}"' in identify.content_type and b"Identify" not in identify.body


def test_negotiate_offers_kerberos_first_and_ntlm_after_it(klab: Lab, wire: list[Seen]) -> None:
    assert run(klab, "negotiate-kerberos").mechanism == "kerberos"
    assert mechanisms(tokens(wire, "negotiate-kerberos")[0]) == [KERBEROS_OID, NTLM_OID]


def test_over_https_the_ticket_is_bound_to_the_certificate(klab: Lab) -> None:
    for auth in (AuthType.KERBEROS, AuthType.NEGOTIATE):
        diagnosis = run(klab, "kerberos-https-strict", auth=auth)
        assert diagnosis.ok and diagnosis.mechanism == "kerberos", (auth, diagnosis.failure)
        assert "encrypted" not in diagnosis.stage("auth").detail  # plain inside TLS
    # The listener does refuse a ticket without channel binding (the written-out client sends none).
    from tests.kerberos_client import client

    endpoint = klab.endpoint("kerberos-https-strict")
    conn, _ = connect(endpoint, klab)
    with closing(conn):
        status, _, _ = post(conn, IDENTIFY, "Kerberos " + base64.b64encode(client(endpoint).step() or b"").decode())
    assert status == 401


@pytest.mark.parametrize("name", ["kerberos-no-proof", "kerberos-forged-proof"])
def test_an_answer_the_service_could_not_have_made_is_a_failure(klab: Lab, wire: list[Seen], name: str) -> None:
    diagnosis = run(klab, name)
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.mutual_failed"
    assert diagnosis.failure.windows_code == 0x80090363
    assert diagnosis.identify is None or not diagnosis.identify.authenticated
    assert not [s for s in wire if s.scenario == name and "encrypted" in s.content_type]  # nothing sent after it


# ---- Negotiate: which mechanism, and why NTLM ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [("negotiate-ntlm-ip", "auth.kerberos_to_address"), ("negotiate-ntlm-no-spn", "auth.target_unknown")],
)
def test_negotiate_falls_back_to_ntlm_and_says_why(klab: Lab, wire: list[Seen], name: str, kind: str) -> None:
    endpoint = klab.endpoint(name)
    diagnosis = run(klab, name)
    assert diagnosis.ok and diagnosis.mechanism == "ntlm"
    assert diagnosis.stage("auth").detail.startswith("negotiate (ntlm) as ")
    why = fill(KINDS[kind].problem, {"spn": endpoint.spn})
    assert f"Negotiate used NTLM, not Kerberos (why not Kerberos: {why})" in diagnosis.notes
    assert mechanisms(tokens(wire, name)[0]) == [NTLM_OID]  # Kerberos was not offered at all
    assert diagnosis_to_dict(diagnosis)["mechanism"] == "ntlm"


def test_negotiate_with_a_wrong_password_reports_what_the_domain_controller_said(klab: Lab) -> None:
    diagnosis = run(klab, "negotiate-wrong-password")
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.logon_denied"
    assert "Negotiate used NTLM, not Kerberos (why not Kerberos: Wrong password" in " ".join(diagnosis.notes)


def test_a_netbios_domain_is_turned_into_the_realm_on_purpose(klab: Lab) -> None:
    password = klab.users["alice"]
    ok = run(klab, "kerberos-http", credentials=UserCredentials("LAB\\alice", password))
    assert ok.ok and ok.stage("auth").detail.startswith("kerberos as alice@LAB.TEST")
    refused = run(klab, "kerberos-http", credentials=UserCredentials("CORP\\alice", password))
    assert refused.failure is not None and refused.failure.kind == "auth.kerberos_user"
    # Negotiate skips Kerberos for it, and says so (the lab's NTLM knows no CORP domain either).
    negotiated = run(klab, "negotiate-kerberos", credentials=UserCredentials("CORP\\alice", password))
    assert "Negotiate used NTLM, not Kerberos (why not Kerberos: Kerberos needs the user as user@REALM)" in (
        negotiated.notes
    )


# ---- the current user -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [AuthType.KERBEROS, AuthType.NEGOTIATE])
@pytest.mark.parametrize("name", ["kerberos-http", "kerberos-https"])
def test_the_current_user_after_kinit_sends_no_password(
    klab: Lab, wire: list[Seen], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: AuthType, name: str
) -> None:
    logged_on(klab, tmp_path, monkeypatch)
    before = kdc_requests(klab)
    diagnosis = run(klab, name, auth=auth, credentials=None)
    assert diagnosis.ok and diagnosis.mechanism == "kerberos", diagnosis.failure
    assert "as alice@LAB.TEST (current user)" in diagnosis.stage("auth").detail
    assert kdc_requests(klab) == before + 1  # the service ticket only: no logon, so no password
    sent = tokens(wire, name)
    assert sent and not [t for t in sent if b"NTLMSSP" in t]
    if auth is AuthType.NEGOTIATE:
        assert mechanisms(sent[0]) == [KERBEROS_OID]  # no NTLM offered: there is no NTLM identity to offer
    check = diagnosis_to_dict(diagnosis)["check"]
    assert check.startswith("Test-WSMan localhost") and "-Credential" not in check


def test_the_current_user_without_a_ticket_is_told_to_log_on_and_nothing_is_sent(
    klab: Lab, wire: list[Seen]
) -> None:
    # NTLM_USER_FILE names the lab's users (pyspnego would log on from it): Negotiate must not fall back to it.
    assert os.environ.get("NTLM_USER_FILE")
    for auth in (AuthType.KERBEROS, AuthType.NEGOTIATE):
        diagnosis = run(klab, "kerberos-no-ticket", auth=auth)
        assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.no_credentials", auth
        assert diagnosis.failure.windows_code == 0x8009030E
        assert "kinit" in [fix.command for fix in diagnosis.failure.fixes]
    assert not [s for s in wire if s.authorization]


def test_a_password_logon_leaves_nothing_in_the_users_ticket_cache(
    klab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = Path(logged_on(klab, tmp_path, monkeypatch).removeprefix("FILE:"))
    kept = users.read_bytes()
    missing = tmp_path / "none-yet"
    for cache in (users, missing):
        monkeypatch.setenv("KRB5CCNAME", f"FILE:{cache}")
        for name in ("kerberos-http", "negotiate-kerberos", "kerberos-wrong-password"):
            run(klab, name)
    assert users.read_bytes() == kept  # no service ticket joined the user's own cache
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["krb5cc"]


def test_a_password_logons_ticket_cache_in_memory_is_destroyed(klab: Lab) -> None:
    import krb5

    from core.kerberos import logon

    done = logon.with_password("alice@LAB.TEST", klab.users["alice"])
    assert done.kdc_offset == 0 and done.principal == "alice@LAB.TEST"
    name = b"MEMORY:" + (done._cache.name or b"") if done._cache is not None else b""
    context = krb5.init_context()
    assert krb5.cc_get_principal(context, krb5.cc_resolve(context, name)).name == b"alice@LAB.TEST"
    done.close()
    with pytest.raises(krb5.Krb5Error):
        krb5.cc_get_principal(context, krb5.cc_resolve(context, name))


# ---- the service principal ----------------------------------------------------------------------------------------


def test_the_service_principal_options(klab: Lab) -> None:
    port = klab.endpoint("kerberos-http").port
    with_port = run(klab, "kerberos-http", include_port_in_spn=True).failure
    assert with_port is not None and with_port.kind == "auth.target_unknown"
    assert f"HTTP/localhost:{port}" in with_port.message
    wsman = run(klab, "kerberos-http", spn="WSMAN").failure
    assert wsman is not None and "WSMAN/localhost" in wsman.message
    # An explicit principal lets Kerberos reach an address: the ticket is for the name given.
    named = run(klab, "kerberos-ip", spn="HTTP/localhost")
    assert named.ok and named.mechanism == "kerberos"


def test_a_bad_service_principal_is_refused_naming_the_field(klab: Lab) -> None:
    options = options_for(klab.endpoint("kerberos-http"), klab)._replace(spn="HTTP/two words")
    with Application() as app, app.new_session(klab.url("kerberos-http"), options=options) as session:
        with session.test_connection() as op:
            result = op.get_instance()
    assert result.result_code is MIResult.INVALID_PARAMETER
    assert result.error_message is not None and result.error_message.startswith("spn:")


# ---- Windows' own client rules ---------------------------------------------------------------------------------


def test_a_pass_that_windows_would_refuse_says_what_to_set(klab: Lab, lab: Lab) -> None:
    ntlm = run(klab, "negotiate-ntlm-ip")
    assert any("TrustedHosts -Value '127.0.0.1' -Concatenate" in note for note in ntlm.notes)
    assert not [n for n in run(klab, "negotiate-kerberos").notes if "TrustedHosts" in n]
    basic = DestinationOptions(auth=AuthType.BASIC, credentials=UserCredentials("alice", lab.users["alice"]),
                               allow_unencrypted=True)
    with Application() as app, app.new_session(lab.url("winrm-http"), options=basic) as session:
        with session.test_connection() as op:
            op.get_instance()
            notes = op.diagnosis.notes
    assert any("AllowUnencrypted $true" in note and "TrustedHosts" in note for note in notes)


def test_negotiate_gives_a_silent_kdc_half_the_deadline_then_tries_ntlm(klab: Lab, wire: list[Seen]) -> None:
    options = {"auth": AuthType.NEGOTIATE, "timeout": 2.0}
    diagnosis = run(klab, "kerberos-kdc-silent", **options)
    assert 900 < diagnosis.elapsed_ms < 1900, diagnosis.elapsed_ms
    assert any(note.startswith("Negotiate used NTLM, not Kerberos (why not Kerberos: No answer from the domain "
                               "controller") for note in diagnosis.notes), diagnosis.notes
    # NTLM went, and was refused for its own reasons (the lab's NTLM knows no SILENT.TEST user): not a timeout.
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.rejected"
    assert mechanisms(tokens(wire, "kerberos-kdc-silent")[0]) == [NTLM_OID]


def test_without_the_kerberos_libraries_kerberos_says_what_to_install_and_negotiate_uses_ntlm(
    klab: Lab, tmp_path: Path
) -> None:
    """A PC without python-gssapi and pykrb5 (they are an extra on Linux): a client process where importing them
    fails, against the lab's listener."""
    script = tmp_path / "client.py"
    script.write_text(textwrap.dedent("""
        import json, sys
        sys.modules["gssapi"] = sys.modules["krb5"] = None  # as if never installed: importing them fails
        from core import Application, AuthType, DestinationOptions, UserCredentials
        from core.report import diagnosis_to_dict
        url, user, password = sys.argv[1:4]
        for auth in (AuthType.KERBEROS, AuthType.NEGOTIATE):
            options = DestinationOptions(auth=auth, credentials=UserCredentials(user, password), timeout=5)
            with Application() as app, app.new_session(url, options=options) as session:
                with session.test_connection() as op:
                    op.get_instance()
                    print(json.dumps(diagnosis_to_dict(op.diagnosis)))
    """))
    endpoint = klab.endpoint("kerberos-http")
    done = subprocess.run(
        [sys.executable, str(script), endpoint.url, "alice@LAB.TEST", klab.users["alice"]],
        capture_output=True, text=True, timeout=60, check=False, cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    kerberos, negotiate = (json.loads(line) for line in done.stdout.splitlines())
    assert kerberos["error"]["kind"] == "auth.unavailable" and kerberos["result"] == "MI_RESULT_NOT_SUPPORTED"
    assert "pip install 'testconnection[kerberos]'" in kerberos["error"]["hint"]
    assert negotiate["ok"] and negotiate["mechanism"] == "ntlm"
    assert "Negotiate used NTLM, not Kerberos (why not Kerberos: Kerberos not available on this PC)" in negotiate[
        "notes"]

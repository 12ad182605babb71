"""The lab's Kerberos side, against its real MIT KDC: the realm's life, Kerberos and Negotiate through the lab's
listeners (sealed over HTTP, bound to the certificate over HTTPS), the current user's ticket cache, pywinrm's own
kerberos transport, where each failure of the Kerberos diagnosis table surfaces, and that none of it reads or
writes the user's own Kerberos files.

The clients are pyspnego's and pywinrm's, as the product's will be; the HTTP exchange and the MS-WSMV framing
are written out in tests/kerberos_client.py, independently of the lab's.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import gssapi
import krb5
import psutil
import pytest
import spnego
from spnego._kerberos import KerberosErrorCode
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import NoCredentialError, SpnegoError

from core.lab import KERBEROS_SCENARIOS, SCENARIOS, Lab, kdc, kerberos_unavailable_reason
from core.lab._scenarios import SCENARIO_TABLE
from tests.conftest import KERBEROS_HOME
from tests.kerberos_client import (
    IDENTIFY,
    KERBEROS_SEALED,
    SPNEGO_SEALED,
    client,
    connect,
    encrypted,
    header,
    krb_error,
    log_on,
    post,
    seal,
    token_in,
    unseal,
)

# MIT's com_err codes (krb5_err.h: ERROR_TABLE_BASE_krb5 + the RFC 4120 number, or MIT's own table entries).
KRB5_BASE = -1765328384
KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN = KRB5_BASE + 6
KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN = KRB5_BASE + 7
KRB5KDC_ERR_CLIENT_REVOKED = KRB5_BASE + 18
KRB5KDC_ERR_KEY_EXP = KRB5_BASE + 23
KRB5KDC_ERR_PREAUTH_FAILED = KRB5_BASE + 24
KRB5_KDC_UNREACH = KRB5_BASE + 156


def kdc_processes(besides: Iterable[psutil.Process] = ()) -> list[psutil.Process]:
    """This process's KDCs, other than ``besides`` (those of labs that live longer than the test: the session's)."""
    others = {p.pid for p in besides}
    return [p for p in psutil.Process().children(recursive=True) if p.name() == "krb5kdc" and p.pid not in others]


# ---- the realm ----------------------------------------------------------------------------------------------


def test_kdc_starts_and_stops_leaving_nothing(tmp_path: Path) -> None:
    realm = kdc.Kdc([kdc.Account("erin", "Erin-Passw0rd!")])
    running = kdc_processes()
    realm.start()
    children = kdc_processes(besides=running)
    directory, port = realm.directory, realm.port
    assert realm.running and len(children) == 1
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    ccache = f"FILE:{tmp_path / 'erin'}"
    realm.kinit("erin", "Erin-Passw0rd!", ccache)
    listing = subprocess.run(["klist", ccache], capture_output=True, text=True, check=True).stdout
    assert "Default principal: erin@LAB.TEST" in listing and "krbtgt/LAB.TEST@LAB.TEST" in listing

    realm.stop()
    assert not psutil.pid_exists(children[0].pid)
    assert not os.path.exists(directory)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    realm.stop()  # twice is harmless


def test_no_kdc_outlives_a_process_killed_outright(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, time
            from core.lab import kdc
            realm = kdc.Kdc([kdc.Account("erin", "Erin-Passw0rd!")])
            realm.start()
            print(realm.port, realm.directory, flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    assert owner.stdout is not None
    port, directory = owner.stdout.readline().split()
    kdcs = [p for p in psutil.Process(owner.pid).children(recursive=True) if p.name() == "krb5kdc"]
    assert len(kdcs) == 1
    owner.kill()  # SIGKILL: no stop(), no atexit
    owner.wait()
    kdcs[0].wait(timeout=5)  # the KDC's holder saw its stdin close and ended it
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
    shutil.rmtree(directory)  # a killed process cannot remove its temporary directory: that is left to us


def test_a_lab_without_kerberos_scenarios_runs_no_kdc() -> None:
    assert not set(KERBEROS_SCENARIOS) & set(SCENARIOS)  # Lab() alone never needs a KDC
    running = kdc_processes()
    with Lab(scenarios=["winrm-http"]) as plain:
        assert not kdc_processes(besides=running)
        with pytest.raises(RuntimeError, match="no Kerberos"):
            plain.kerberos_environ  # noqa: B018


def test_a_machine_without_a_kdc_is_told_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(kdc, "_SBIN", ())
    reason = kerberos_unavailable_reason()
    assert reason is not None and "krb5kdc" in reason and "apt-get install krb5-kdc" in reason
    labs_before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("testconnection-lab-*"))
    with pytest.raises(RuntimeError, match="apt-get install"):
        Lab(kerberos=True).start()
    assert set(Path(os.environ.get("TMPDIR", "/tmp")).glob("testconnection-lab-*")) == labs_before
    with Lab(scenarios=["winrm-http"]):  # the rest of the lab still runs
        pass


# ---- Kerberos and Negotiate through the listeners -----------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "protocol", "sealed_as"),
    [
        ("Kerberos", "kerberos", KERBEROS_SEALED),  # Windows' Kerberos scheme
        ("Negotiate", "negotiate", SPNEGO_SEALED),  # Windows' default: SPNEGO, which picks Kerberos here
        ("Negotiate", "kerberos", SPNEGO_SEALED),  # a bare AP-REQ under Negotiate, as pywinrm's kerberos sends
    ],
)
def test_kerberos_over_http_seals_the_message(klab: Lab, scheme: str, protocol: str, sealed_as: str) -> None:
    endpoint = klab.endpoint("kerberos-http")
    context = client(endpoint, protocol)
    conn, _ = connect(endpoint, klab)
    with closing(conn):
        status, _, _ = log_on(conn, context, scheme)
        assert status == 200 and context.complete  # the service answered with a token only it could make
        assert context.negotiated_protocol == "kerberos"

        status, headers, body = post(conn, seal(context, IDENTIFY, sealed_as), content_type=encrypted(sealed_as))
        assert status == 200 and f'protocol="{sealed_as}"' in header(headers, "Content-Type")
        assert b"ProductVendor" not in body
        assert b"<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>" in unseal(context, body)

        status, _, _ = post(conn, IDENTIFY)  # readable over plain HTTP: refused, as AllowUnencrypted=false does
        assert status == 401


@pytest.mark.parametrize("binding", ["right", "none", "wrong"])
def test_kerberos_over_https_is_bound_to_the_certificate(klab: Lab, binding: str) -> None:
    endpoint = klab.endpoint("kerberos-https")
    conn, presented = connect(endpoint, klab)
    # "wrong": the certificate of something in between, a TLS-inspecting proxy; "none": a client without
    # channel binding, which Windows' default hardening (CbtHardeningLevel Relaxed) still accepts.
    data = {"right": presented, "none": None, "wrong": b"tls-server-end-point:" + bytes(32)}[binding]
    context = client(endpoint, channel_bindings=GssChannelBindings(application_data=data) if data else None)
    with closing(conn):
        status, headers, body = post(conn, IDENTIFY, "Kerberos " + base64.b64encode(context.step() or b"").decode())
    answer = token_in(headers, "Kerberos")
    assert answer is not None
    if binding == "wrong":
        assert status == 401 and krb_error(answer).error_code == KerberosErrorCode.generic
        return
    assert status == 200 and b"Microsoft Corporation" in body  # plain inside TLS
    context.step(answer)
    assert context.complete


@pytest.mark.parametrize(
    "name",
    [
        "negotiate-ntlm-ip",  # no principal names an address
        "kerberos-no-spn",  # no principal for HTTP/localhost:<port>: NTLM with the same UPN, as Windows falls back
    ],
)
def test_negotiate_falls_back_to_ntlm_without_a_ticket_for_the_service(klab: Lab, name: str) -> None:
    endpoint = klab.endpoint(name)
    context = client(endpoint, "negotiate")
    conn, _ = connect(endpoint, klab)
    with closing(conn):
        status, _, _ = log_on(conn, context, "Negotiate")
        assert status == 200 and context.negotiated_protocol == "ntlm"
        status, _, body = post(conn, seal(context, IDENTIFY, SPNEGO_SEALED), content_type=encrypted(SPNEGO_SEALED))
        assert status == 200 and b"Microsoft Corporation" in unseal(context, body)


def test_the_current_user_logs_on_with_the_ticket_cache(
    klab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ccache = f"FILE:{tmp_path / 'ccache'}"
    assert klab.kinit(ccache) == "alice@LAB.TEST"
    monkeypatch.setenv("KRB5CCNAME", ccache)
    endpoint = klab.endpoint("kerberos-http")
    context = spnego.client(hostname=endpoint.host, service="HTTP", protocol="kerberos")  # no name, no password
    conn, _ = connect(endpoint, klab)
    with closing(conn):
        status, _, _ = log_on(conn, context, "Kerberos")
    assert status == 200 and context.complete
    listing = subprocess.run(["klist", ccache], capture_output=True, text=True, check=True).stdout
    assert "HTTP/localhost@LAB.TEST" in listing  # the service ticket joined the user's cache, as Windows does


def test_pywinrm_kerberos_transport_works_as_a_plain_script(klab: Lab, tmp_path: Path) -> None:
    ccache = f"FILE:{tmp_path / 'ccache'}"
    klab.kinit(ccache)
    script = textwrap.dedent("""
        import sys
        from winrm.protocol import Protocol
        url, ca_file = sys.argv[1:3]
        protocol = Protocol(url, transport="kerberos", server_cert_validation="validate", ca_trust_path=ca_file)
        print(protocol.send_message(sys.stdin.read()).decode())
    """)
    for name in ("kerberos-http", "kerberos-https"):
        done = subprocess.run(
            [sys.executable, "-c", script, klab.url(name), klab.ca_file], input=IDENTIFY.decode(),
            env={**os.environ, "KRB5CCNAME": ccache}, capture_output=True, text=True, timeout=60, check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>" in done.stdout


# ---- the failures, where they surface ---------------------------------------------------------------------

# Where each failure scenario's cause shows: acquiring the credential (the password's exchange with the KDC),
# making the first token (the ticket for the service), or the listener's 401 with MIT's KRB-ERROR.
FAILURES = {
    "kerberos-wrong-password": ("credential", KRB5KDC_ERR_PREAUTH_FAILED),
    "kerberos-unknown-user": ("credential", KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN),
    "kerberos-no-kdc": ("credential", KRB5_KDC_UNREACH),
    "kerberos-password-expired": ("credential", KRB5KDC_ERR_KEY_EXP),
    "kerberos-account-disabled": ("credential", KRB5KDC_ERR_CLIENT_REVOKED),
    "kerberos-no-spn": ("token", KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN),
    "kerberos-ip": ("token", KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN),  # were it tried: no principal names an address
    "kerberos-no-ticket": ("token", None),
    "kerberos-stale-key": ("listener", KerberosErrorCode.ap_badkeyver),
    "kerberos-clock-skew": ("listener", KerberosErrorCode.ap_skew),
}


# Rows whose failure is the client's own finding, tested through the product (tests/test_kerberos_*.py): a KDC that
# never answers, the service's proof of identity and its sealing, and Negotiate's fallbacks.
CLIENT_ROWS = {"kerberos-kdc-silent", "kerberos-no-proof", "kerberos-forged-proof", "kerberos-bad-seal"}


def test_every_kerberos_failure_scenario_is_listed() -> None:
    failing = {n for n in KERBEROS_SCENARIOS if SCENARIO_TABLE[n].expect_kind and "negotiate" not in n}
    assert failing - CLIENT_ROWS == set(FAILURES)


@pytest.mark.parametrize("name", list(FAILURES))
def test_each_failure_comes_from_the_kdc_or_the_listener(klab: Lab, name: str) -> None:
    where, code = FAILURES[name]
    endpoint = klab.endpoint(name)
    assert not endpoint.expect_ok and endpoint.expect_stage == "auth"
    if where == "credential":
        with pytest.raises(krb5.Krb5Error) as raised:
            client(endpoint)
        assert raised.value.err_code == code
        return
    context = client(endpoint)
    if where == "token":
        with pytest.raises(SpnegoError) as failed:
            context.step()
        if code is None:
            assert isinstance(failed.value, NoCredentialError)  # pyspnego: SEC_E_NO_CREDENTIALS
        else:
            assert isinstance(failed.value.base_error, gssapi.raw.GSSError)
            assert failed.value.base_error.min_code - 2**32 == code  # MIT's minor code, as unsigned 32 bits
        return
    conn, _ = connect(endpoint, klab)
    with closing(conn):
        status, headers, _ = post(conn, b"", "Kerberos " + base64.b64encode(context.step() or b"").decode())
    refusal = token_in(headers, "Kerberos")
    assert status == 401 and refusal is not None
    error = krb_error(refusal)
    assert error.error_code == code
    if code == KerberosErrorCode.ap_skew:
        # Which clock is off: the listener's own time is in its KRB-ERROR (and its Date header), the KDC's in
        # the ticket. Here the listener is this machine; the skewed KDC is ten minutes behind.
        assert abs((error.stime - datetime.now(UTC)).total_seconds()) < 5
        assert abs((parsedate_to_datetime(header(headers, "Date")) - error.stime).total_seconds()) < 2


def test_a_refusal_under_negotiate_is_a_spnego_reject(klab: Lab) -> None:
    endpoint = klab.endpoint("kerberos-stale-key")
    conn, _ = connect(endpoint, klab)
    with closing(conn), pytest.raises(SpnegoError):
        log_on(conn, client(endpoint, "negotiate"), "Negotiate")
    context = client(endpoint, "negotiate")
    conn, _ = connect(endpoint, klab)
    with closing(conn):
        status, headers, _ = post(conn, b"", "Negotiate " + base64.b64encode(context.step() or b"").decode())
    refusal = token_in(headers, "Negotiate")
    assert status == 401 and refusal is not None
    assert krb_error(refusal).error_code == KerberosErrorCode.ap_badkeyver


# ---- isolation ----------------------------------------------------------------------------------------------


def test_the_test_session_keeps_kerberos_to_its_own_files() -> None:
    names = kdc.isolated_environ("", "")
    for name in names:
        assert os.environ[name].removeprefix("FILE:").startswith(KERBEROS_HOME), name
    context = krb5.init_context()
    assert krb5.get_default_realm(context) == b"NO-REALM.INVALID"  # not the user's /etc/krb5.conf
    assert krb5.cc_default_name(context).decode().removeprefix("FILE:").startswith(KERBEROS_HOME)


_USERS_FILES = re.compile(
    r'"(/etc/krb5[^"]*|/etc/gss[^"]*|/var/lib/krb5[^"]*'
    r'|/tmp/krb5cc[^"]*|/var/tmp/[^"]*|[^"]*/\.k5identity|[^"]*/\.k5login)"'
)


def test_a_lab_client_touches_none_of_the_users_kerberos_files(tmp_path: Path) -> None:
    """A script that starts a Kerberos lab and applies its environment, as the demo will, run under strace."""
    strace = shutil.which("strace")
    assert strace is not None, "strace is missing: apt-get install strace (.ci/run does)"
    script = tmp_path / "client.py"
    script.write_text(textwrap.dedent("""
        import base64, http.client, os, sys
        import spnego
        from core.lab import Lab
        with Lab(scenarios=["kerberos-http", "negotiate-ntlm-ip"]) as lab:
            os.environ.update(lab.kerberos_environ)
            print(lab.kerberos_environ["KRB5_CONFIG"])
            for name, protocol in (("kerberos-http", "kerberos"), ("negotiate-ntlm-ip", "negotiate")):
                e = lab.endpoint(name)
                context = spnego.client(e.username, e.password, hostname=e.host, service="HTTP", protocol=protocol)
                conn = http.client.HTTPConnection(e.host, e.port, timeout=5)
                conn.request("POST", "/wsman", headers={"Authorization": "Negotiate "
                                                        + base64.b64encode(context.step()).decode()})
                assert conn.getresponse().status in (200, 401)  # 401: NTLM's challenge
            ccache = "FILE:" + os.path.join(sys.argv[1], "ccache")
            lab.kinit(ccache)
            os.environ["KRB5CCNAME"] = ccache
            spnego.client(hostname="localhost", service="HTTP", protocol="kerberos").step()
    """))
    trace = tmp_path / "trace"
    user_env = {k: v for k, v in os.environ.items() if k not in kdc.isolated_environ("", "")}
    done = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=%file", "-o", str(trace), sys.executable, str(script), str(tmp_path)],
        env=user_env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    lab_config = done.stdout.splitlines()[0]
    calls = trace.read_text()
    assert f'"{lab_config}"' in calls  # the trace does see Kerberos reading its configuration
    assert sorted(set(_USERS_FILES.findall(calls))) == []
    assert not os.path.exists(os.path.dirname(lab_config))  # the lab removed its realm
    kdc_pids = {int(line.split()[0]) for line in calls.splitlines() if "execve(" in line and "krb5kdc" in line}
    assert kdc_pids and not [p for p in psutil.process_iter(["pid", "name"]) if p.pid in kdc_pids
                             and p.info["name"] == "krb5kdc"]

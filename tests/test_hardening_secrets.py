"""The password never shows up anywhere a user, a log or a ticket could see it; certificate checks are on by default
and turning one off is said out loud.

A marker password is the right password of ``carol`` in a lab of our own and the wrong password for ``dave``
(names no other lab uses: live labs share one NTLM user file, and the first lab's password wins for a shared name). It
goes through the CLI (``--password-env``) with NTLM and Basic, over HTTP and HTTPS, to healthy, access-denied,
timing-out and wrong-password listeners, opening remote shells (``--session``, ``--shell``) where allowed and
refused, with ``--json`` and ``--output`` (.html, .csv, .json), with every logger at DEBUG; the same tests through
the API give ticket texts, JSON dicts, error messages and error details. A test cancelled in the session stage has
its shell deleted on a connection of its own, authenticating again: its logs are scanned too. The marker must
appear in none of them, nor in the command line of a CLI run as a child process. With Kerberos (a realm of its own,
the marker being carol's password there too), the logon with the KDC, Negotiate's Kerberos and its NTLM fallback
and a refused ticket leave it in no output, log, report or file either, and write no ticket cache.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from core import Application, AuthType, DestinationOptions, MIResult, StageStatus, UserCredentials, cleanup
from core.cli import main
from core.lab import Lab
from core.report import diagnosis_to_dict
from core.stages.tls import NOTE_CA_NOT_VERIFIED
from core.textreport import ticket_text
from tests.quality import tally

MARKER = "Marker-Pa55-9f1c"
OTHER = "Bob-Real-Passw0rd"
ENV = "TC_HARDENING_MARKER_PW"
LOGGERS = ["", "urllib3", "requests", "requests_ntlm", "spnego", "winrm", "core", "asyncio"]


@pytest.fixture(scope="module")
def marker_lab() -> Iterator[Lab]:
    scenarios = [
        "winrm-http", "winrm-https", "access-denied", "timeout-fault", "basic-not-offered", "tls-untrusted",
        "session-cmd", "session-denied",
    ]  # fmt: skip
    with Lab(scenarios=scenarios, users={"carol": MARKER, "dave": OTHER}) as running:
        yield running


def _cli_runs(lab: Lab, out: Path) -> list[tuple[list[str], int]]:
    """(argv, the exit code a user should see)."""
    ntlm = ["--auth", "ntlm", "--password-env", ENV, "--timeout", "5"]
    basic = ["--auth", "basic", "--password-env", ENV, "--timeout", "5"]
    return [
        (["check", *ntlm, "--user", "carol", "--json", "--output", str(out / "ok.html"), lab.url("winrm-http")], 0),
        (
            [
                "check",
                *ntlm,
                "--user",
                "carol",
                "--output",
                str(out / "mixed.csv"),
                lab.url("winrm-http"),
                lab.url("access-denied"),
                lab.url("timeout-fault"),
            ],
            1,
        ),
        (["check", *ntlm, "--user", "dave", "--json", "--output", str(out / "wrong.json"), lab.url("winrm-http")], 1),
        (["check", *ntlm, "--user", "LAB\\dave", "--output", str(out / "wrong.html"), lab.url("winrm-http")], 1),
        (["check", *basic, "--user", "carol", "--ca-file", lab.ca_file, "--json", lab.url("winrm-https")], 0),
        (
            [
                "check",
                *basic,
                "--user",
                "dave",
                "--ca-file",
                lab.ca_file,
                "--output",
                str(out / "b.csv"),
                lab.url("winrm-https"),
            ],
            1,
        ),
        (["check", *basic, "--user", "carol", "--allow-unencrypted", lab.url("winrm-http")], 0),
        (["check", *ntlm, "--user", "carol", "--session", "--json", lab.url("session-cmd")], 0),
        (
            ["check", *ntlm, "--user", "carol", "--shell", "powershell", "--output", str(out / "shell.html"),
             lab.url("session-cmd"), lab.url("session-denied")],
            1,
        ),
        (["check", *basic, "--user", "carol", "--json", lab.url("winrm-http")], 1),  # refused: Basic in clear
        (["check", *basic, "--user", "carol", "--allow-unencrypted", lab.url("basic-not-offered")], 1),
        (
            [
                "check",
                *basic,
                "--user",
                "carol",
                "--skip-ca-check",
                "--output",
                str(out / "skip.json"),
                lab.url("tls-untrusted"),
            ],
            0,
        ),
    ]


def test_marker_password_appears_nowhere(
    marker_lab: Lab,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, MARKER)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    seen: list[str] = []

    # 1. The CLI, in process.
    for argv, expected in _cli_runs(marker_lab, tmp_path):
        out = io.StringIO()
        code = main(argv, stdout=out)
        text = out.getvalue()
        assert code == expected, (argv, text)
        seen.append(text)
    captured = capsys.readouterr()
    seen += [captured.out, captured.err]
    reports = sorted(tmp_path.iterdir())
    assert {p.suffix for p in reports} == {".html", ".csv", ".json"}
    seen += [p.read_text(encoding="utf-8") for p in reports]

    # 2. The same tests through the API: everything a result carries, in every form it is handed on.
    with Application() as app:
        cases = [
            (marker_lab.url("winrm-http"), "carol", AuthType.NTLM, "http"),
            (marker_lab.url("winrm-http"), "dave", AuthType.NTLM, "http"),
            (marker_lab.url("access-denied"), "carol", AuthType.NTLM, "http"),
            (marker_lab.url("timeout-fault"), "carol", AuthType.NTLM, "http"),
            (marker_lab.url("winrm-https"), "carol", AuthType.BASIC, "https"),
            (marker_lab.url("winrm-https"), "dave", AuthType.BASIC, "https"),
            (marker_lab.url("winrm-http"), "carol", AuthType.BASIC, "http"),
            (marker_lab.url("session-cmd"), "carol", AuthType.NTLM, "http"),
            (marker_lab.url("session-denied"), "carol", AuthType.NTLM, "http"),
        ]
        outcomes = []
        for url, user, auth, transport in cases:
            credentials = UserCredentials(user, MARKER)
            options = DestinationOptions(
                transport=transport,
                auth=auth,
                credentials=credentials,
                timeout=5,
                ca_file=marker_lab.ca_file if transport == "https" else None,
                open_shell=url in (marker_lab.url("session-cmd"), marker_lab.url("session-denied")),
            )
            seen += [repr(credentials), str(credentials), repr(options), str(options)]
            with app.new_session(url, options=options) as session, session.test_connection() as op:
                result = op.get_instance(10)
                diagnosis = op.diagnosis
            outcomes.append(result.result_code)
            seen += [repr(result), str(result.error_message), repr(result.error_details), str(result.error_details)]
            seen += [ticket_text(diagnosis_to_dict(diagnosis)), json.dumps(diagnosis_to_dict(diagnosis)), repr(diagnosis)]
            if diagnosis.failure is not None:
                seen += [repr(diagnosis.failure), repr(diagnosis.failure.as_error_details())]
    assert outcomes[0] is MIResult.OK and outcomes[4] is MIResult.OK
    assert outcomes[1] is MIResult.ACCESS_DENIED and outcomes[5] is MIResult.ACCESS_DENIED
    assert outcomes[7] is MIResult.OK and outcomes[8] is MIResult.ACCESS_DENIED  # a shell opened; one refused
    assert cleanup.wait(cleanup.CLEANUP_SECONDS + 2) and marker_lab.open_shells() == []

    # 3. The logs, at DEBUG, of everything above.
    # The log is two outputs however many records it holds (their number varies with timing): its text, and the
    # arguments of its records.
    seen += [caplog.text, "\n".join(repr(r.args) for r in caplog.records)]
    assert caplog.records, "DEBUG logging captured nothing: the check would prove nothing"

    # Positive control: the user names (which sit right next to the password in every call) are visible.
    assert any("carol" in s for s in seen) and any("dave" in s for s in seen)
    leaks = [s for s in seen if MARKER in s]
    assert leaks == [], f"the password leaked into {len(leaks)} place(s): {leaks[0][:300]!r}"
    tally("secret_outputs", len(seen))


def test_the_cleanup_of_a_cancelled_session_logs_no_password(caplog: pytest.LogCaptureFixture) -> None:
    """Cancelled while the shell's Create is in flight: the cleanup authenticates again to delete the shell."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    with Lab(scenarios=["session-cmd"], users={"carol": MARKER}, latency=0.25) as lab, Application() as app:
        options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials("carol", MARKER), timeout=5,
                                     open_shell=True)
        with app.new_session(lab.url("session-cmd"), options=options) as session:
            op = session.test_connection()
            ends = time.monotonic() + 5
            while op.diagnosis.running_stage != "session" and time.monotonic() < ends:
                time.sleep(0.005)
            time.sleep(0.12)  # the Create is on its way; its answer is 0.25 s off
            op.cancel()
            result = op.get_instance(0.1)
            seen = [repr(result), repr(op.diagnosis), ticket_text(diagnosis_to_dict(op.diagnosis))]
            op.close()
        assert cleanup.wait(cleanup.CLEANUP_SECONDS + 2)
        (shell,) = lab.shells()
        assert shell.deleted is not None  # the cleanup reached the lab, with the password, and deleted it
    seen += [caplog.text, "\n".join(repr(r.args) for r in caplog.records)]
    assert any("deleted remote shell" in s for s in seen) and any("carol" in s for s in seen)
    assert [s for s in seen if MARKER in s] == []
    tally("secret_outputs", len(seen))


def test_cli_child_process_command_line_holds_no_password(marker_lab: Lab, tmp_path: Path) -> None:
    """The password travels in the environment, never on the command line (where `ps` shows it)."""
    env = {**os.environ, ENV: MARKER}
    argv = [
        sys.executable,
        "-m",
        "core.cli",
        "check",
        "--auth",
        "ntlm",
        "--user",
        "carol",
        "--password-env",
        ENV,
        "--timeout",
        "3",
        "--output",
        str(tmp_path / "r.json"),
        marker_lab.url("winrm-http"),
    ]
    cmdlines: list[str] = []
    with subprocess.Popen(
        argv, env=env, cwd=Path(__file__).parent.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        ends = time.monotonic() + 20
        while child.poll() is None and time.monotonic() < ends:
            try:
                process = psutil.Process(child.pid)
                for p in [process, *process.children(recursive=True)]:
                    cmdlines.append(" ".join(p.cmdline()))
                cmdlines.append(Path(f"/proc/{child.pid}/cmdline").read_bytes().decode(errors="replace"))
            except (psutil.Error, OSError):
                pass
            time.sleep(0.02)
        out, err = child.communicate(timeout=20)
    assert child.returncode == 0, err.decode()
    assert cmdlines, "the child ended before its command line could be read"
    assert all(MARKER not in c for c in cmdlines)
    assert MARKER not in out.decode() + err.decode()
    assert MARKER not in (tmp_path / "r.json").read_text(encoding="utf-8")
    # Three outputs: the command line (read as often as the poll caught the child, a number that varies with
    # timing), the output streams and the report.
    tally("secret_outputs", 3)


# --- certificate checks ---------------------------------------------------------------------------------------


def test_certificate_checks_are_on_by_default() -> None:
    options = DestinationOptions()
    assert options.cert_ca_check is True
    assert options.cert_cn_check is True


def test_untrusted_certificate_fails_by_default(marker_lab: Lab) -> None:
    with (
        Application() as app,
        app.new_session(
            marker_lab.url("tls-untrusted"), options=DestinationOptions(transport="https", timeout=5)
        ) as session,
        session.test_connection() as op,
    ):
        assert op.get_instance(10).result_code is MIResult.FAILED
        assert op.diagnosis.failed_stage == "tls"


def test_skipping_the_ca_check_passes_tls_and_says_so(marker_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    url = marker_lab.url("tls-untrusted")
    options = DestinationOptions(transport="https", cert_ca_check=False, timeout=5)
    with Application() as app, app.new_session(url, options=options) as session, session.test_connection() as op:
        assert op.get_instance(10).result_code is MIResult.OK
        diagnosis = op.diagnosis
    tls = next(s for s in diagnosis.stages if s.name == "tls")
    assert tls.status is StageStatus.OK
    assert any("certificate not verified" in note for note in diagnosis.notes), diagnosis.notes
    assert NOTE_CA_NOT_VERIFIED in diagnosis_to_dict(diagnosis)["notes"]
    assert "certificate not verified" in ticket_text(diagnosis_to_dict(diagnosis))

    out = io.StringIO()
    assert main(["check", "--skip-ca-check", "--timeout", "5", url], stdout=out) == 0
    lines = out.getvalue().splitlines()
    assert any(line.strip() == f"note: {NOTE_CA_NOT_VERIFIED}" for line in lines), lines

    out = io.StringIO()
    assert main(["check", "--skip-ca-check", "--json", "--timeout", "5", url], stdout=out) == 0
    record = json.loads(out.getvalue().splitlines()[0])
    assert record["ok"] is True
    assert any("certificate not verified" in note for note in record["notes"]), record
    assert next(s for s in record["stages"] if s["name"] == "tls")["status"] == "ok"


# --- Kerberos and Negotiate ------------------------------------------------------------------------------------

KERBEROS_MARKED = ["kerberos-http", "kerberos-https", "negotiate-kerberos", "negotiate-ntlm-ip", "kerberos-stale-key"]


@pytest.fixture(scope="module")
def kerberos_marker_lab() -> Iterator[Lab]:
    """A realm of its own where carol's password is the marker (the KDC and the NTLM user file both hold it)."""
    with Lab(scenarios=KERBEROS_MARKED, users={"carol": MARKER, "dave": OTHER}) as running:
        yield running


def test_marker_password_appears_nowhere_with_kerberos(
    kerberos_marker_lab: Lab,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The password's logon with the KDC (in memory), Negotiate's Kerberos and its NTLM fallback, a refused ticket:
    the marker reaches no output, log, report or file, and no ticket cache of the user's."""
    lab = kerberos_marker_lab
    for name, value in lab.kerberos_environ.items():
        monkeypatch.setenv(name, value)
    users_cache = tmp_path / "users-krb5cc"
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{users_cache}")
    monkeypatch.setenv(ENV, MARKER)
    for name in [*LOGGERS, "gssapi", "krb5"]:
        caplog.set_level(logging.DEBUG, logger=name or None)
    seen: list[str] = []
    reports = tmp_path / "reports"
    reports.mkdir()

    def cli(*args: str, expected: int) -> None:
        out = io.StringIO()
        code = main(["check", "--password-env", ENV, "--timeout", "5", "--ca-file", lab.ca_file, *args], stdout=out)
        assert code == expected, out.getvalue()
        seen.append(out.getvalue())

    cli("--auth", "kerberos", "--user", "carol@LAB.TEST", "--json", "--output", str(reports / "k.html"),
        lab.url("kerberos-http"), lab.url("kerberos-https"), expected=0)
    cli("--auth", "negotiate", "--user", "carol@LAB.TEST", "--output", str(reports / "n.csv"),
        lab.url("negotiate-kerberos"), lab.url("negotiate-ntlm-ip"), expected=0)
    cli("--auth", "kerberos", "--user", "dave@LAB.TEST", "--json", "--output", str(reports / "wrong.json"),
        lab.url("kerberos-http"), expected=1)  # the marker is dave's wrong password: the KDC refuses it
    cli("--auth", "negotiate", "--user", "dave@LAB.TEST", lab.url("negotiate-kerberos"), expected=1)
    cli("--auth", "kerberos", "--user", "carol@LAB.TEST", "--json", lab.url("kerberos-stale-key"), expected=1)
    with Application() as app:
        for name, user, auth in [("kerberos-http", "carol@LAB.TEST", AuthType.KERBEROS),
                                 ("negotiate-ntlm-ip", "carol", AuthType.NEGOTIATE),
                                 ("kerberos-https", "dave@LAB.TEST", AuthType.NEGOTIATE)]:
            credentials = UserCredentials(user, MARKER)
            options = DestinationOptions(transport=lab.endpoint(name).transport, auth=auth, credentials=credentials,
                                         ca_file=lab.ca_file, timeout=5)
            with app.new_session(lab.url(name), options=options) as session, session.test_connection() as op:
                result = op.get_instance(10)
                diagnosis = op.diagnosis
            seen += [repr(options), repr(result), str(result.error_message), repr(result.error_details), repr(diagnosis),
                     ticket_text(diagnosis_to_dict(diagnosis)), json.dumps(diagnosis_to_dict(diagnosis))]
    captured = capsys.readouterr()
    seen += [captured.out, captured.err, caplog.text, "\n".join(repr(r.args) for r in caplog.records)]
    seen += [p.read_text(encoding="utf-8") for p in sorted(reports.iterdir())]
    assert len(list(reports.iterdir())) == 3
    # Every file of the lab's realm (its krb5.conf, KDC log, keytabs, the logged-on user's tickets) and of this test.
    for directory in (Path(lab.kerberos_environ["KRB5_CONFIG"]).parent, tmp_path):
        seen += [p.read_bytes().decode("latin-1") for p in directory.rglob("*") if p.is_file()]
    assert not users_cache.exists()  # a logon with a password never writes the user's ticket cache

    assert any("carol@LAB.TEST" in s for s in seen) and any("dave@LAB.TEST" in s for s in seen)
    leaks = [s for s in seen if MARKER in s]
    assert leaks == [], f"the password leaked into {len(leaks)} place(s): {leaks[0][:300]!r}"
    tally("secret_outputs", len(seen))

"""The session stage against the lab: each diagnosis through the API and the CLI, the shells it opens deleted at once
(asserted on the lab's side, cancel and deadline included), and Create messages shaped as Windows' clients send them.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from core import (
    Application,
    AuthType,
    DestinationOptions,
    MIResult,
    OperationCallbacks,
    StageStatus,
    UserCredentials,
    cleanup,
)
from core.cli import main
from core.demo import mismatch, options_for
from core.diagnosis import Diagnosis
from core.failures import KINDS
from core.failures.session import ACCOUNT_NOTE
from core.lab import DEFAULT_USERS, Lab
from core.shell import CMD_URI, create_request, creation_xml, shell_target
from tests.quality import tally

PASSWORD = DEFAULT_USERS["alice"]
ADMIN_PASSWORD = "Lab-Admin-Passw0rd!"
SESSION_SCENARIOS = [
    "session-cmd", "session-powershell", "session-denied", "session-uac", "session-quota", "session-no-endpoint",
    "session-shells-off", "omi-session", "openwsman-session",
]  # fmt: skip
# What the hint or a fix must name for the helpdesk to act (fixes are commands to run on the target).
MUST_NAME = {
    "session-denied": ["Remote Management Users", "Set-PSSessionConfiguration -Name Microsoft.PowerShell "
                       "-ShowSecurityDescriptorUI"],
    "session-uac": ["LocalAccountTokenFilterPolicy", "built-in Administrator", "winrm configSDDL default"],
    "session-quota": ["MaxShellsPerUser", "Restart-Service WinRM"],
    "session-no-endpoint": ["Enable-PSSessionConfiguration -Name Microsoft.PowerShell", "Register-PSSessionConfiguration",
                            "Enable-PSRemoting"],
    "session-shells-off": ["AllowRemoteShellAccess"],
    "omi-session": ["not a Windows remoting endpoint"],
    "openwsman-session": ["not a Windows remoting endpoint"],
}  # fmt: skip


@pytest.fixture(scope="module")
def shell_lab() -> Iterator[Lab]:
    """The session scenarios, with a second user: the built-in Administrator, whom neither UAC nor the denying
    descriptors leave out."""
    with Lab(scenarios=[*SESSION_SCENARIOS, "win2008r2"], users={"alice": PASSWORD, "administrator": ADMIN_PASSWORD}) as lab:
        yield lab


def run(url: str, options: DestinationOptions) -> Diagnosis:
    with Application() as app, app.new_session(url, options=options) as session, session.test_connection() as op:
        assert op.get_instance(15).more_results is False
        return op.diagnosis


def _said(diagnosis: Diagnosis) -> str:
    failure = diagnosis.failure
    assert failure is not None
    return " ".join([failure.message, failure.hint, *(f.command for f in failure.fixes)])


def _no_open_shells(lab: Lab) -> None:
    """Once the cleanup is done (a cancelled test's shell may still be on its way), the lab holds no open shell."""
    assert cleanup.wait(cleanup.CLEANUP_SECONDS + 2), "the cleanup did not finish"
    still = lab.wait_for_no_open_shells(1)
    assert still == [], f"shells left open on the lab: {still}"


# --- every diagnosis, through the API and the CLI ------------------------------------------------------------


@pytest.mark.parametrize("name", SESSION_SCENARIOS)
def test_each_session_diagnosis_through_the_api(shell_lab: Lab, name: str) -> None:
    endpoint = shell_lab.endpoint(name)
    before = len(shell_lab.shells(name))
    diagnosis = run(endpoint.url, options_for(endpoint, shell_lab, timeout=5))
    assert mismatch(endpoint, diagnosis) is None
    session = diagnosis.stage("session")
    if endpoint.expect_ok:
        assert session.status is StageStatus.OK and "opened" in session.detail and "deleted" in session.detail
        (record,) = shell_lab.shells(name)[before:]
        assert record.deleted is not None and record.deleted >= record.created
        assert record.owner == "alice" and record.idle_timeout == "PT60.000S" and record.proposed
    else:
        failure = diagnosis.failure
        assert failure is not None and failure.stage == "session" and session.status is StageStatus.FAILED
        assert failure.windows_code == KINDS[failure.kind].windows_code  # the fault's code is the kind's
        for words in MUST_NAME[name]:
            assert words in _said(diagnosis), (words, _said(diagnosis))
        assert shell_lab.shells(name)[before:] == []  # refused: nothing was created
    _no_open_shells(shell_lab)
    tally("shells_deleted")


@pytest.mark.parametrize("name", SESSION_SCENARIOS)
def test_each_session_diagnosis_through_the_cli(
    shell_lab: Lab, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = shell_lab.endpoint(name)
    monkeypatch.setenv("TC_SESSION_PW", endpoint.password or "")
    args = ["check", endpoint.url, "--json", "--auth", endpoint.auth, "--user", endpoint.username or "",
            "--password-env", "TC_SESSION_PW", "--ca-file", shell_lab.ca_file, "--timeout", "5"]
    args += ["--shell", endpoint.remote_shell] if endpoint.remote_shell != "cmd" else ["--session"]
    out = io.StringIO()
    code = main(args, stdout=out)
    record = json.loads(out.getvalue())
    assert [s["name"] for s in record["stages"]][-1] == "session"
    assert (code, record["failed_stage"]) == (0 if endpoint.expect_ok else 1, endpoint.expect_stage)
    session = record["stages"][-1]
    if endpoint.expect_ok:
        assert session["status"] == "ok" and record["result"] == "MI_RESULT_OK"
    else:
        kind = KINDS[endpoint.expect_kind or ""]
        assert session["status"] == "failed" and session["detail"] == kind.detail
        assert (record["result"], record["error"]["category"]) == (kind.result.mi_name, kind.category.name)
        assert record["error"]["windows_code"] == kind.windows_code and record["error"]["hint"]
    _no_open_shells(shell_lab)


def test_a_saved_list_turns_the_session_on_for_its_folder(
    shell_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI runs a list whose folder asks for the PowerShell endpoint: its target opens (and deletes) one."""
    from core.listfile import save_list
    from core.targetlist import Folder, Settings, Target, TargetList

    remoting = Folder("Remoting", Settings(session=True, remote_shell="powershell", auth="ntlm"),
                      targets=(Target(shell_lab.url("session-cmd")),))
    plain = Folder("Plain", Settings(auth="ntlm"), targets=(Target(shell_lab.url("session-shells-off")),))
    path = tmp_path / "list.json"
    save_list(TargetList("L", Folder("L", folders=(remoting, plain))), path)
    before = len(shell_lab.shells("session-cmd"))
    monkeypatch.setenv("TC_SESSION_PW", PASSWORD)
    out = io.StringIO()
    args = ["check", "--targets-file", str(path), "--user", "alice", "--password-env", "TC_SESSION_PW", "--json"]
    assert main(args, stdout=out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    # The folder without the switch is not asked to open a shell, although its service would refuse one.
    assert sorted(r["stages"][-1]["status"] for r in records) == ["ok", "skipped"]
    (record,) = shell_lab.shells("session-cmd")[before:]
    assert record.resource_uri.endswith("/Microsoft.PowerShell") and record.deleted is not None
    _no_open_shells(shell_lab)


# --- off by default, and what it needs -----------------------------------------------------------------------


def test_off_by_default_the_test_is_mi_test_connection_and_opens_nothing(shell_lab: Lab) -> None:
    endpoint = shell_lab.endpoint("session-cmd")
    before = len(shell_lab.shells())
    options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials("alice", PASSWORD))
    with Application() as app, app.new_session(endpoint.url, options=options) as session, session.test_connection() as op:
        result = op.get_instance(10)
        diagnosis = op.diagnosis
    assert result.result_code is MIResult.OK and result.instance is not None
    assert result.instance.class_name == "IdentifyResponse"
    assert diagnosis.stage("session") == diagnosis.stage("session").__class__("session", StageStatus.SKIPPED, 0.0,
                                                                              "not asked")
    assert len(shell_lab.shells()) == before


def test_without_authentication_there_is_no_shell_to_open(shell_lab: Lab) -> None:
    url = shell_lab.url("session-cmd")
    anonymous = run(url, DestinationOptions(open_shell=True))
    assert anonymous.ok and anonymous.stage("session").status is StageStatus.SKIPPED
    assert anonymous.stage("session").detail == "needs authentication"
    untested = run(url, DestinationOptions(auth=AuthType.NTLM, open_shell=True))
    assert untested.ok and untested.stage("session").detail == "not tested — no credentials"


def test_a_shell_that_cannot_be_asked_for_is_bad_input_naming_the_field(shell_lab: Lab) -> None:
    options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials("alice", PASSWORD),
                                 open_shell=True, remote_shell="two words")
    diagnosis = run(shell_lab.url("session-cmd"), options)
    assert diagnosis.result is MIResult.INVALID_PARAMETER and diagnosis.failure is not None
    assert diagnosis.failure.message.startswith("remote_shell: must be cmd, powershell")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stderr", err)
        main(["check", "--shell", "two words", shell_lab.url("session-cmd")])
    assert exited.value.code == 2 and "--shell: must be cmd, powershell" in err.getvalue()


# --- the account's form: UAC filtering or the security descriptor ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "user", "kind"),
    [
        ("session-denied", "LAB\\alice", "session.access_denied"),  # a domain account: the descriptor, no UAC note
        ("session-denied", "alice", "session.access_denied"),  # the form cannot tell: both causes named
        ("session-denied", "administrator", None),  # the descriptor lets this user in: per-user permissions
        ("session-uac", ".\\alice", "session.local_account_filtered"),
        ("session-uac", "LAB\\alice", None),  # a domain logon keeps its groups
        ("session-uac", ".\\administrator", None),  # the built-in Administrator is not filtered
    ],
)
def test_the_account_form_tells_uac_filtering_from_the_security_descriptor(
    shell_lab: Lab, name: str, user: str, kind: str | None
) -> None:
    password = ADMIN_PASSWORD if "administrator" in user else PASSWORD
    options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials(user, password), open_shell=True,
                                 remote_shell=shell_lab.endpoint(name).remote_shell)
    # By name, not address: with an address the client cannot tell "LAB" from the target's own computer name.
    diagnosis = run(shell_lab.url(name).replace("127.0.0.1", "localhost"), options)
    if kind is None:
        assert diagnosis.ok, diagnosis.failure
        assert diagnosis.stage("session").status is StageStatus.OK
    else:
        assert diagnosis.failure is not None and diagnosis.failure.kind == kind
        assert (ACCOUNT_NOTE.strip() in diagnosis.failure.hint) == (user == "alice")
    _no_open_shells(shell_lab)


def test_with_an_address_a_domain_form_cannot_tell_and_both_causes_are_named(shell_lab: Lab) -> None:
    options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials("LAB\\alice", PASSWORD),
                                 open_shell=True, remote_shell="powershell")
    diagnosis = run(shell_lab.url("session-denied"), options)
    assert diagnosis.failure is not None and diagnosis.failure.kind == "session.access_denied"
    assert ACCOUNT_NOTE.strip() in diagnosis.failure.hint


def test_basic_is_a_local_account(shell_lab: Lab) -> None:
    """Windows' Basic authentication takes local accounts only: refused under UAC filtering, it is the UAC kind."""
    options = DestinationOptions(auth=AuthType.BASIC, credentials=UserCredentials("alice", PASSWORD),
                                 allow_unencrypted=True, open_shell=True)
    diagnosis = run(shell_lab.url("session-uac"), options)
    assert diagnosis.failure is not None and diagnosis.failure.kind == "session.local_account_filtered"


# --- the messages ------------------------------------------------------------------------------------------


def test_the_cmd_create_is_pywinrms_open_shell_with_a_proposed_id() -> None:
    shell_id = str(uuid.uuid4()).upper()
    root = SafeET.fromstring(create_request("http://h:5985/wsman", shell_target("cmd"), shell_id))
    ns = {"s": "http://www.w3.org/2003/05/soap-envelope", "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
          "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
          "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"}
    assert root.findtext("s:Header/w:ResourceURI", namespaces=ns) == CMD_URI
    assert root.findtext("s:Header/a:Action", namespaces=ns) == "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
    options = {o.get("Name"): o.text for o in root.findall("s:Header/w:OptionSet/w:Option", ns)}
    assert options == {"WINRS_NOPROFILE": "FALSE", "WINRS_CODEPAGE": "437"}
    shell = root.find("s:Body/rsp:Shell", ns)
    assert shell is not None and shell.get("ShellId") == shell_id
    assert [shell.findtext(f"rsp:{n}", namespaces=ns) for n in ("InputStreams", "OutputStreams", "IdleTimeOut")] == [
        "stdin", "stdout stderr", "PT60.000S"]


def test_the_powershell_creation_xml_is_pypsrps() -> None:
    """Byte for byte the two messages of pypsrp's recorded RunspacePool Create, for this pool's id."""
    pool = uuid.uuid4()
    data = creation_xml(pool)
    messages = []
    while data:
        object_id, fragment_id, flags, length = struct.unpack(">QQBI", data[:21])
        message, data = data[21 : 21 + length], data[21 + length :]
        assert (fragment_id, flags) == (0, 3)
        destination, message_type = struct.unpack("<II", message[:8])
        assert (destination, uuid.UUID(bytes_le=message[8:24]), message[24:40]) == (2, pool, bytes(16))
        messages.append((object_id, message_type, message[40:]))
    assert [(o, t) for o, t, _ in messages] == [(1, 0x00010002), (2, 0x00010004)]
    recorded = base64.b64decode(
        # tests/responses/test_psrp_open_runspace.yml of jborean93/pypsrp: the SESSION_CAPABILITY payload.
        "PE9iaiBSZWZJZD0iMCI+PE1TPjxWZXJzaW9uIE49InByb3RvY29sdmVyc2lvbiI+Mi4zPC9WZXJzaW9uPjxWZXJzaW9uIE49IlBTVmVyc2l"
        "vbiI+Mi4wPC9WZXJzaW9uPjxWZXJzaW9uIE49IlNlcmlhbGl6YXRpb25WZXJzaW9uIj4xLjEuMC4xPC9WZXJzaW9uPjwvTVM+PC9PYmo+"
    )
    assert messages[0][2] == recorded
    SafeET.fromstring(messages[1][2])  # INIT_RUNSPACEPOOL is well-formed CLIXML


def test_an_old_service_picks_the_shell_id_itself(shell_lab: Lab) -> None:
    """WS-Management stack 2.0 (Server 2008 R2) gets no proposed ShellId; the shell it names is still deleted."""
    options = DestinationOptions(auth=AuthType.NTLM, credentials=UserCredentials("alice", PASSWORD), open_shell=True)
    diagnosis = run(shell_lab.url("win2008r2"), options)
    assert diagnosis.ok and diagnosis.stage("session").status is StageStatus.OK
    (record,) = shell_lab.shells("win2008r2")
    assert not record.proposed and record.deleted is not None


# --- cancel and deadline: the shell is deleted all the same ------------------------------------------------------


@pytest.fixture(scope="module")
def slow_shells() -> Iterator[Lab]:
    with Lab(scenarios=["session-cmd", "session-powershell"], latency=0.25) as lab:
        yield lab


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("moment", ["create in flight", "create answered"])
@pytest.mark.parametrize("name", ["session-cmd", "session-powershell"])
def test_cancel_in_the_session_stage_still_deletes_the_shell(
    slow_shells: Lab, name: str, moment: str, mode: str
) -> None:
    endpoint = slow_shells.endpoint(name)
    before = len(slow_shells.shells(name))
    finals: list[MIResult] = []
    final_seen = threading.Event()

    def on_result(op: object, instance: object, more: bool, code: MIResult, message: object, details: object) -> None:
        finals.append(code)
        final_seen.set()

    callbacks = OperationCallbacks(instance_result=on_result) if mode == "async" else OperationCallbacks()
    with Application() as app, app.new_session(endpoint.url, options=options_for(endpoint, slow_shells, 8)) as session:
        op = session.test_connection(callbacks=callbacks)
        try:
            ends = time.monotonic() + 6
            while op.diagnosis.running_stage != "session" and time.monotonic() < ends:
                time.sleep(0.005)
            assert op.diagnosis.running_stage == "session", op.diagnosis
            if moment == "create in flight":  # sent at once, answered after the lab's 0.25 s
                time.sleep(0.12)
            else:  # the lab has made the shell; its answer, or the Delete, is on the way
                while len(slow_shells.shells(name)) == before and time.monotonic() < ends:
                    time.sleep(0.005)
            cancelled_at = time.perf_counter()
            op.cancel()
            if mode == "sync":
                finals.append(op.get_instance(0.1).result_code)
            else:
                assert final_seen.wait(0.1)
            assert time.perf_counter() - cancelled_at < 0.1
            diagnosis = op.diagnosis
        finally:
            op.close()
    assert finals == [MIResult.FAILED]
    assert diagnosis.failure is not None and diagnosis.failure.kind == "cancelled" and diagnosis.failed_stage == "session"
    _no_open_shells(slow_shells)
    created = slow_shells.shells(name)[before:]
    assert len(created) == 1 and created[0].deleted is not None  # the one shell this test made, made and deleted
    tally("shells_deleted")


def test_the_deadline_in_the_session_stage_still_deletes_the_shell() -> None:
    """A service slow to open shells (a PowerShell endpoint starting wsmprovhost.exe): the test times out during
    the Create, and the shell the service finishes creating afterwards is deleted by the cleanup."""
    with Lab(scenarios=["session-powershell"], shell_latency=1.5) as lab:
        endpoint = lab.endpoint("session-powershell")
        diagnosis = run(endpoint.url, options_for(endpoint, lab, 1.2))
        assert diagnosis.failure is not None and diagnosis.failure.kind == "session.timeout"
        assert diagnosis.failed_stage == "session" and diagnosis.stage("session").status is StageStatus.FAILED
        _no_open_shells(lab)
        (record,) = lab.shells()
        assert record.deleted is not None and record.deleted >= record.ready
    tally("shells_deleted")

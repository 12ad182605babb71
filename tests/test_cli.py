"""The command-line contract of docs/cli.md: options, exit codes, JSON lines, passwords only from env or stdin."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from core.cli import main
from core.lab import Lab
from core.stages import STAGE_NAMES

KEYS = {
    "target",
    "endpoint",
    "ok",
    "result",
    "result_code",
    "failed_stage",
    "stages",
    "identify",
    "error",
    "elapsed_ms",
}


def run_cli(args: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    try:
        code = main(args, stdin=io.StringIO(stdin), stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue()


def test_passing_target_exits_0_with_the_json_contract(lab: Lab) -> None:
    code, out = run_cli(["check", lab.url("winrm-http"), "--json"])
    assert code == 0
    (line,) = out.splitlines()
    record = json.loads(line)
    assert set(record) >= KEYS
    assert record["ok"] is True and record["failed_stage"] is None and record["result"] == "MI_RESULT_OK"
    assert [s["name"] for s in record["stages"]] == list(STAGE_NAMES)
    assert {s["status"] for s in record["stages"]} <= {"ok", "skipped"}
    assert record["identify"]["product_vendor"] == "Microsoft Corporation"


def test_failed_target_exits_1_with_stage_result_and_hint(lab: Lab) -> None:
    code, out = run_cli(
        ["check", lab.url("wrong-password"), "--auth", "ntlm", "--user", "alice", "--password-stdin", "--json"],
        stdin="not-the-password\n",
    )
    record = json.loads(out)
    assert code == 1
    assert (record["failed_stage"], record["result"], record["result_code"]) == ("auth", "MI_RESULT_ACCESS_DENIED", 2)
    assert record["error"]["category"] == "AUTHENTICATION_ERROR" and record["error"]["windows_code"] == 5
    assert "password" in record["error"]["hint"]
    assert "not-the-password" not in out


def test_password_from_environment_authenticates(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TC_PASSWORD", lab.users["alice"])
    code, out = run_cli(
        ["check", lab.url("winrm-http"), "--auth", "ntlm", "--user", "alice", "--password-env", "TC_PASSWORD"]
    )
    assert code == 0 and "OS: 10.0.20348" in out


def test_basic_over_http_needs_allow_unencrypted(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TC_PASSWORD", lab.users["alice"])
    args = ["check", lab.url("winrm-http"), "--auth", "basic", "--user", "alice", "--password-env", "TC_PASSWORD"]
    code, out = run_cli([*args, "--json"])
    assert code == 1 and json.loads(out)["error"]["windows_code"] == 0x803380DE
    assert run_cli([*args, "--allow-unencrypted"])[0] == 0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["check", "srv01:70000"], "port"),
        (["check", "srv01", "--timeout", "0"], "--timeout"),
        (["check", "srv01", "--auth", "ntlm"], "--user"),
        (["check", "srv01", "--auth", "ntlm", "--user", "alice"], "password"),
        (["check", "srv01", "--password", "Typed-Secret"], "--password-env"),
        (["check"], "TARGET"),
        (["check", "srv01", "--output", "report.txt"], "--output"),
    ],
)
def test_usage_errors_exit_2_naming_the_field(args: list[str], field: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli(args)
    assert code == 2
    err = capsys.readouterr().err
    assert field in err and "Typed-Secret" not in err


def test_help_is_wrapped_to_the_terminal_width(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """--help reads well in a narrow terminal and uses a wide one ($COLUMNS, as Python's own tools honour it)."""
    from core.cli import main

    def help_lines(columns: int) -> list[str]:
        monkeypatch.setenv("COLUMNS", str(columns))
        with pytest.raises(SystemExit):
            main(["check", "--help"])
        return capsys.readouterr().out.splitlines()

    narrow, wide = help_lines(60), help_lines(160)
    assert len(narrow) > len(wide)
    options = narrow[narrow.index("options:"):]
    # Every option's help is wrapped; only a list of choices ("{none,basic,...}") cannot be broken.
    assert all(len(line) <= 60 for line in options if "{" not in line)
    assert max(len(line) for line in wide) > 100


def test_targets_file_and_report(lab: Lab, tmp_path: Path) -> None:
    listing = tmp_path / "hosts.txt"
    listing.write_text(f"# lab\n{lab.url('winrm-http')}\n{lab.url('iis-404')}\n", encoding="utf-8")
    report = tmp_path / "report.html"
    code, out = run_cli(["check", "--targets-file", str(listing), "--output", str(report)])
    assert code == 1
    assert out.count("\n") >= 2
    html = report.read_text(encoding="utf-8")
    assert "HTTP 404" in html and "Microsoft Corporation" in html


def test_cli_does_not_import_qt(lab: Lab) -> None:
    code = (
        "import sys, core.cli; "
        f"rc = core.cli.main(['check', '{lab.url('refused')}']); "
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "refused the connection" in done.stdout


def _cli_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "core.cli", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _interrupt(
    process: subprocess.Popen[str], after: Callable[[], bool], times: int = 1
) -> tuple[int, str, str, float]:
    """Ctrl+C as a terminal sends it (SIGINT to the process group) once ``after()`` holds; exit code, output, delay."""
    deadline = time.monotonic() + 30
    while not after() and time.monotonic() < deadline:
        time.sleep(0.05)
    sent = time.monotonic()
    for _ in range(times):
        os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err, time.monotonic() - sent


@pytest.mark.parametrize("times", [1, 2], ids=["once", "twice, as a one-file build's launcher passes it on"])
def test_ctrl_c_during_a_test_cancels_it_and_exits_130_at_once(lab: Lab, times: int) -> None:
    url = lab.url("silent")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    process = _cli_process("check", url, "--timeout", "120", "--json")

    def testing() -> bool:  # connected to the endpoint, which never answers: the test is in its wsman stage
        return any(c.raddr and c.raddr.port == port for c in psutil.Process(process.pid).net_connections())

    code, out, err, delay = _interrupt(process, testing, times)
    assert code == 130 and delay < 3.0, err
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["ok"] is False and record["error"]["category"] == "OPERATION_STOPPED"
    assert "Traceback" not in err


def test_ctrl_c_while_waiting_for_a_password_exits_130_without_a_traceback(lab: Lab) -> None:
    process = _cli_process("check", lab.url("winrm-http"), "--auth", "ntlm", "--user", "alice", "--password-stdin")
    began = time.monotonic()
    code, out, err, delay = _interrupt(process, lambda: time.monotonic() - began > 2.0)
    assert code == 130 and delay < 3.0
    assert out == "" and "Traceback" not in err and "interrupted" in err

"""Smoke tests of the built programs, run from the built files alone (their surroundings: packaging/smoke_env.py).

``python packaging/build.py --smoke`` runs them natively; ``python packaging/windows.py`` runs the same checks
against the ``.exe`` files under Wine, through a :class:`Host` that starts them with ``wine`` and adds the
Windows-only checks. The programs run in a clean environment (no virtualenv on PATH, no PYTHON* variables, a
scratch TESTCONNECTION_HOME and working directory). The lab they are checked against is test infrastructure and
runs from this Python (``python -m core.lab``); the programs under test do not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import exe_checks  # packaging/exe_checks.py
import version_info  # packaging/version_info.py
from exe_checks import Check
from smoke_env import GUI_NAME, Host, LabProcess, clean_env, run, tail

CLI_NAME = "testconnection-cli"
LAB_SCENARIOS = "winrm-http,winrm-https,refused,silent"
LAB_PASSWORD_VAR = "TESTCONNECTION_SMOKE_PASSWORD"  # noqa: S105 - a variable name, not a password


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def check_version(host: Host, name: str, exe: Path, env: dict[str, str], cwd: Path, version: str) -> Check:
    result = run(host.command(exe, "--version"), host.environment(env), cwd, timeout=120)
    output = (result.stdout + result.stderr).strip()
    ok = result.returncode == 0 and f"TestConnection {version}" in output
    return Check(f"{name} --version", ok, f"exit {result.returncode}: {output!r}")


def check_cli(
    host: Host,
    label: str,
    cli: Path,
    url: str,
    env: dict[str, str],
    cwd: Path,
    expect_exit: int,
    expect_stage: str | None,
    extra: Sequence[str] = (),
) -> Check:
    command = host.command(cli, "check", url, "--json", "--timeout", "20", *extra)
    result = run(command, host.environment(env), cwd, timeout=120)
    try:
        records = json_lines(result.stdout)
    except json.JSONDecodeError as exc:
        return Check(
            label,
            False,
            f"exit {result.returncode}, output is not JSON lines ({exc}): {tail(result.stdout + result.stderr)}",
        )
    if len(records) != 1:
        return Check(
            label,
            False,
            f"exit {result.returncode}, {len(records)} JSON records: {tail(result.stdout + result.stderr)}",
        )
    record = records[0]
    ok = (
        result.returncode == expect_exit
        and record.get("failed_stage") == expect_stage
        and record.get("ok") is (expect_exit == 0)
    )
    return Check(
        label,
        ok,
        f"exit {result.returncode} (want {expect_exit}), ok={record.get('ok')}, "
        f"failed_stage={record.get('failed_stage')} (want {expect_stage}), "
        f"result={record.get('result')}" + ("" if ok else "\n" + tail(result.stderr)),
    )


def _connected_to(port: int) -> bool:
    """True once some process here holds an established TCP connection to 127.0.0.1:port (Linux only)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[2].endswith(f":{port:04X}") and fields[3] == "01":  # remote port; 01 = ESTABLISHED
                return True
    return False


def check_ctrl_c(host: Host, cli: Path, url: str, env: dict[str, str], cwd: Path) -> Check:
    """Ctrl+C during a test: the terminal's SIGINT to the whole process group; exit 130 at once, as documented."""
    label = f"{CLI_NAME} Ctrl+C during a test (exit 130 promptly)"
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    process = subprocess.Popen(
        host.command(cli, "check", url, "--timeout", "120"),
        env=host.environment(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    started = time.monotonic()
    while time.monotonic() - started < 120 and process.poll() is None and not _connected_to(port):
        time.sleep(0.1)
    waited = time.monotonic() - started
    seen = _connected_to(port)
    if not Path("/proc/net/tcp").exists():
        time.sleep(5)  # no way to see the connection: give the program time to start its test
    when = f"{waited:.1f} s after start, " + ("connected to the endpoint" if seen else "no connection seen")
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        left = subprocess.run(["ps", "-o", "pid,stat,wchan:24,etime,args", "-g", str(process.pid)],
                              capture_output=True, text=True, check=False).stdout
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return Check(label, False, f"Ctrl+C {when}; still running 20 s later:\n{left}{tail(out + err)}")
    took = time.monotonic() - sent
    ok = process.returncode == 130 and "Cancelled" in out and took < 10
    detail = f"exit {process.returncode} {took:.1f} s after Ctrl+C ({when}); {(out.splitlines() or [''])[0]!r}"
    return Check(label, ok, detail + ("" if ok else "\n" + tail(out + err)))


def check_gui_self_test(
    host: Host, gui: Path, env: dict[str, str], cwd: Path, platform: str, label_extra: str = ""
) -> Check:
    """``--self-test``: every demo target of the lab reaches its expected verdict, on the Qt platform given."""
    label = f"{GUI_NAME} --self-test ({platform}{label_extra})"
    started = time.monotonic()
    try:
        result = run(host.command(gui, "--self-test"), host.environment(env), cwd, timeout=300)
    except subprocess.TimeoutExpired:
        return Check(label, False, "timed out after 300 s")
    output = (result.stdout + result.stderr).strip()
    summary = next((line for line in reversed(output.splitlines()) if line.startswith("self-test:")), "")
    counts = re.match(r"self-test: (\d+) / (\d+) demo targets as expected", summary)
    ok = (
        result.returncode == 0
        and counts is not None
        and counts.group(1) == counts.group(2) != "0"
        and f"Qt platform {platform}" in summary
    )
    detail = f"exit {result.returncode} in {time.monotonic() - started:.0f} s: {summary or tail(output)}"
    return Check(label, ok, detail + ("" if ok else "\n" + tail(output, 40)))


def _written_since(directory: Path, since: float) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(
        str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file() and p.stat().st_mtime >= since
    )


def check_settings_dir(host: Host, gui: Path, scratch: Path, env: dict[str, str]) -> Check:
    """Without TESTCONNECTION_HOME or a portable marker, files go to the user's settings directory."""
    overrides, expected = host.settings_dir(scratch)
    label = f"{GUI_NAME} keeps its files in {expected}"
    user_env = {k: v for k, v in env.items() if k != "TESTCONNECTION_HOME"}
    user_env.update(overrides, QT_QPA_PLATFORM="offscreen")
    since = time.time() - 1
    result = run(host.command(gui, "--self-test"), host.environment(user_env), scratch, timeout=300)
    written = _written_since(expected, since)
    ok = result.returncode == 0 and any(name.startswith("logs") for name in written)
    detail = f"exit {result.returncode}, wrote {', '.join(written) or 'nothing'} there"
    if not ok:
        log = expected / "logs" / "testconnection.log"
        detail += f"\noutput: {tail(result.stdout + result.stderr) or '(none)'}"
        last = tail(log.read_text(encoding="utf-8", errors="replace"), 5) if log.is_file() else "-"
        detail += f"\nend of {log}: {last}"
    return Check(label, ok, detail)


def check_portable(host: Host, gui: Path, scratch: Path, env: dict[str, str]) -> Check:
    """A copy of the GUI beside a ``portable`` marker keeps its files in ``TestConnection-data`` next to it."""
    label = f"{GUI_NAME} portable mode (--self-test beside a 'portable' file)"
    stick = scratch / "usb-stick"
    stick.mkdir()
    copy = stick / gui.name
    shutil.copy2(gui, copy)
    (stick / "portable").write_text("", encoding="utf-8")
    overrides, user_dir = host.settings_dir(scratch)
    portable_env = {k: v for k, v in env.items() if k != "TESTCONNECTION_HOME"}
    portable_env.update(overrides, QT_QPA_PLATFORM="offscreen")
    since = time.time() - 1
    try:
        result = run(host.command(copy, "--self-test"), host.environment(portable_env), stick, timeout=300)
    except subprocess.TimeoutExpired:
        return Check(label, False, "timed out after 300 s")
    written = _written_since(stick / "TestConnection-data", 0)
    leaked = _written_since(user_dir, since)
    ok = result.returncode == 0 and bool(written) and not leaked
    detail = f"exit {result.returncode}, wrote {', '.join(written) or 'nothing'} beside the program"
    if leaked:
        detail += f"; but also wrote {', '.join(leaked)} in {user_dir}"
    if result.returncode != 0:
        detail += "\n" + tail(result.stdout + result.stderr, 40)
    return Check(label, ok, detail)


def check_keyring(host: Host, name: str, exe: Path, env: dict[str, str], cwd: Path) -> Check:
    """``--keyring-self-check``: save, read back and delete a credential through the bundled keyring backend."""
    result = run(host.command(exe, "--keyring-self-check"), host.environment(env), cwd, timeout=120)
    output = (result.stdout + result.stderr).strip()
    ok = result.returncode == 0 and host.keyring is not None and host.keyring in output
    return Check(f"{name} keyring round trip ({host.keyring})", ok, f"exit {result.returncode}: {output!r}")


def lab_checks(host: Host, cli: Path, env: dict[str, str], cwd: Path) -> list[Check]:
    try:
        lab = LabProcess(LAB_SCENARIOS)
    except (RuntimeError, OSError) as exc:
        return [Check("lab (python -m core.lab)", False, str(exc))]
    checks = []
    try:
        http, https = lab.urls.get("winrm-http", ""), lab.urls.get("winrm-https", "")
        anonymous = f"{CLI_NAME} check winrm-http (anonymous Identify)"
        checks.append(check_cli(host, anonymous, cli, http, env, cwd, 0, None))
        if lab.user and lab.password:
            secret_env = dict(env, **{LAB_PASSWORD_VAR: lab.password})
            login = ["--user", lab.user, "--password-env", LAB_PASSWORD_VAR]
            checks.append(
                check_cli(host, f"{CLI_NAME} check winrm-http --auth ntlm", cli, http, secret_env, cwd, 0, None,
                          ["--auth", "ntlm", *login])
            )
            checks.append(
                check_cli(host, f"{CLI_NAME} check winrm-https --auth basic --ca-file (the lab's CA)", cli, https,
                          secret_env, cwd, 0, None, ["--auth", "basic", *login, "--ca-file", str(lab.ca_file)])
            )
        else:
            checks.append(Check("lab test user", False, "the lab printed no test user:\n" + "".join(lab.output)))
        refused = lab.urls.get("refused", "")
        checks.append(check_cli(host, f"{CLI_NAME} check refused", cli, refused, env, cwd, 1, "tcp"))
        if os.name == "posix":  # a console's Ctrl+C can only be sent from a POSIX host (to a native or Wine program)
            checks.append(check_ctrl_c(host, cli, lab.urls.get("silent", ""), env, cwd))
    finally:
        lab.stop()
    return checks


def smoke(dist: Path, host: Host | None = None) -> int:
    host = host or Host()
    version = version_info.project_version()
    gui, cli = host.program(dist, GUI_NAME), host.program(dist, CLI_NAME)
    missing = [str(p) for p in (gui, cli) if not p.is_file()]
    if missing:
        print(f"not built: {', '.join(missing)}", file=sys.stderr)
        return 1
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="testconnection-smoke-") as scratch_dir:
        scratch = Path(scratch_dir)
        cwd, home = scratch / "cwd", scratch / "home"
        cwd.mkdir()
        home.mkdir()
        env = clean_env(home)
        env.update(host.env)
        print(f"smoke-testing {dist} on {host.name} (TestConnection {version}); TESTCONNECTION_HOME={home}", flush=True)

        checks.append(check_version(host, CLI_NAME, cli, env, cwd, version))
        checks.append(check_version(host, GUI_NAME, gui, env, cwd, version))
        checks += lab_checks(host, cli, env, cwd)
        checks.append(check_gui_self_test(host, gui, dict(env, QT_QPA_PLATFORM="offscreen"), cwd, "offscreen"))
        checks.append(check_portable(host, gui, scratch, env))
        checks.append(check_settings_dir(host, gui, scratch, env))
        if host.keyring is not None:
            checks += [check_keyring(host, name, exe, env, cwd) for name, exe in ((GUI_NAME, gui), (CLI_NAME, cli))]
        checks += exe_checks.contents(gui, cli, host.not_shipped)
        if host.suffix == ".exe":
            checks += exe_checks.windows_resources(gui, cli, version)
        for extra in host.extra_checks:
            checks += extra(dist, env, cwd)

    print("\nsmoke test summary:")
    for check in checks:
        print(f"  {'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} / {len(checks)} passed" + (f", {failed} FAILED" if failed else ""))
    return 1 if failed else 0

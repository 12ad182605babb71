"""Build TestConnection's one-file programs with PyInstaller, and smoke-test the built files.

    python packaging/build.py [--dist DIR]           build dist/TestConnection and dist/testconnection-cli
    python packaging/build.py --smoke [--dist DIR]   run the smoke tests against those built files

The smoke tests run the built programs only, in a clean environment (no virtualenv on PATH, no PYTHONPATH,
no PYTHON* variables, a scratch TESTCONNECTION_HOME, a scratch working directory). The lab they check against
is test infrastructure and runs from this Python (``python -m core.lab``); the programs under test do not.
Exit status: 0 when everything passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "testconnection.spec"
GUI_NAME = "TestConnection"
CLI_NAME = "testconnection-cli"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
LAB_SCENARIOS = "winrm-http,refused"
LAB_PASSWORD_VAR = "TESTCONNECTION_SMOKE_PASSWORD"  # noqa: S105 - a variable name, not a password

sys.path.insert(0, str(HERE))
import version_info  # noqa: E402 - packaging/version_info.py


def program(dist: Path, name: str) -> Path:
    return dist / f"{name}{EXE_SUFFIX}"


def size_text(path: Path) -> str:
    size = path.stat().st_size
    return f"{size:>12,} bytes  ({size / 1024 / 1024:.1f} MiB)  {path}"


# --- build -----------------------------------------------------------------------------------------------------


def build(dist: Path, work: Path, clean: bool) -> int:
    version = version_info.project_version()
    version_dir = work / "version"
    version_info.write(
        version_dir / f"{GUI_NAME}.version.txt", version, GUI_NAME, "TestConnection - WinRM connection diagnosis"
    )
    version_info.write(version_dir / f"{CLI_NAME}.version.txt", version, CLI_NAME, "TestConnection command line")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        command.append("--clean")
    command.append(str(SPEC))
    env = dict(os.environ, TESTCONNECTION_VERSION_DIR=str(version_dir))
    print(f"building TestConnection {version}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        print(f"PyInstaller failed (exit {result.returncode}) after {elapsed:.0f} s", file=sys.stderr)
        return 1
    print(f"\nbuilt in {elapsed:.0f} s:")
    missing = False
    for name in (GUI_NAME, CLI_NAME):
        path = program(dist, name)
        if path.is_file():
            print("  " + size_text(path))
        else:
            print(f"  MISSING {path}", file=sys.stderr)
            missing = True
    return 1 if missing else 0


# --- smoke tests -----------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def clean_env(home: Path) -> dict[str, str]:
    """os.environ without Python's traces: no virtualenv or interpreter directory on PATH, no PYTHON* variables."""
    python_dirs = {
        Path(sys.executable).resolve().parent,
        Path(sys.executable).parent,
        Path(sys.prefix) / "bin",
        Path(sys.prefix) / "Scripts",
        Path(sys.prefix),
    }
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        python_dirs |= {Path(venv) / "bin", Path(venv) / "Scripts"}

    def keep(entry: str) -> bool:
        if not entry:
            return False
        try:
            return Path(entry).resolve() not in {p.resolve() for p in python_dirs}
        except OSError:
            return True

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("PYTHON", "PYI_", "_PYI", "_MEI"))
        and k.upper() not in {"VIRTUAL_ENV", "CONDA_PREFIX", "TESTCONNECTION_HOME", "QT_PLUGIN_PATH", "LD_LIBRARY_PATH"}
    }
    env["PATH"] = os.pathsep.join(e for e in os.environ.get("PATH", "").split(os.pathsep) if keep(e))
    env["TESTCONNECTION_HOME"] = str(home)
    return env


def run(
    command: list[str], env: dict[str, str], cwd: Path, timeout: float = 180.0, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
        encoding="utf-8",
        errors="replace",
    )


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class LabProcess:
    """``python -m core.lab --only ...`` in a subprocess; the scenario URLs parsed from what it prints."""

    def __init__(self, scenarios: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "core.lab", "--only", scenarios],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
        )
        self.urls: dict[str, str] = {}
        self.password: str | None = None
        self.user: str | None = None
        self.output: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        for line in self.process.stdout:
            self.output.append(line)
            match = re.match(r"^(\S+)\s+(https?://\S+)\s", line)
            if match:
                self.urls[match.group(1)] = match.group(2)
            user = re.match(r"^Test user: (\S+)\s+password: (\S+)", line)
            if user:
                self.user, self.password = user.group(1), user.group(2)
            if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
                break
        if self.process.poll() is not None or not self.urls:
            self.stop()
            raise RuntimeError("the lab did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def check_version(name: str, exe: Path, env: dict[str, str], cwd: Path, version: str) -> Check:
    result = run([str(exe), "--version"], env, cwd, timeout=120)
    output = (result.stdout + result.stderr).strip()
    ok = result.returncode == 0 and f"TestConnection {version}" in output
    return Check(f"{name} --version", ok, f"exit {result.returncode}: {output!r}")


def check_cli(
    label: str,
    cli: Path,
    url: str,
    env: dict[str, str],
    cwd: Path,
    expect_exit: int,
    expect_stage: str | None,
    extra: Sequence[str] = (),
) -> Check:
    result = run([str(cli), "check", url, "--json", "--timeout", "20", *extra], env, cwd, timeout=120)
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


def check_portable(gui: Path, scratch: Path, env: dict[str, str]) -> Check:
    """A copy of the GUI beside a ``portable`` marker keeps its files in ``TestConnection-data`` next to it."""
    label = f"{GUI_NAME} portable mode (--self-test beside a 'portable' file)"
    stick = scratch / "usb-stick"
    stick.mkdir()
    copy = stick / gui.name
    shutil.copy2(gui, copy)
    (stick / "portable").write_text("", encoding="utf-8")
    user_config = scratch / "user-config"
    portable_env = {k: v for k, v in env.items() if k != "TESTCONNECTION_HOME"}
    portable_env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(user_config))
    try:
        result = run([str(copy), "--self-test"], portable_env, stick, timeout=300)
    except subprocess.TimeoutExpired:
        return Check(label, False, "timed out after 300 s")
    data = stick / "TestConnection-data"
    written = sorted(str(p.relative_to(stick)) for p in data.rglob("*") if p.is_file()) if data.is_dir() else []
    leaked = sys.platform.startswith("linux") and (user_config / "TestConnection").exists()
    ok = result.returncode == 0 and bool(written) and not leaked
    detail = f"exit {result.returncode}, wrote {', '.join(written) or 'nothing'} beside the program"
    if leaked:
        detail += f"; but also wrote {user_config / 'TestConnection'}"
    if result.returncode != 0:
        detail += "\n" + tail(result.stdout + result.stderr, 40)
    return Check(label, ok, detail)


def smoke(dist: Path) -> int:
    version = version_info.project_version()
    gui, cli = program(dist, GUI_NAME), program(dist, CLI_NAME)
    missing = [str(p) for p in (gui, cli) if not p.is_file()]
    if missing:
        print(f"not built: {', '.join(missing)} (run python packaging/build.py first)", file=sys.stderr)
        return 1
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="testconnection-smoke-") as scratch:
        cwd = Path(scratch) / "cwd"
        home = Path(scratch) / "home"
        cwd.mkdir()
        home.mkdir()
        env = clean_env(home)
        print(f"smoke-testing {dist} (TestConnection {version}); TESTCONNECTION_HOME={home}", flush=True)

        checks.append(check_version(CLI_NAME, cli, env, cwd, version))
        checks.append(check_version(GUI_NAME, gui, env, cwd, version))

        try:
            lab = LabProcess(LAB_SCENARIOS)
        except (RuntimeError, OSError) as exc:
            checks.append(Check("lab (python -m core.lab)", False, str(exc)))
        else:
            try:
                http = lab.urls.get("winrm-http", "")
                refused = lab.urls.get("refused", "")
                checks.append(
                    check_cli(f"{CLI_NAME} check winrm-http (anonymous Identify)", cli, http, env, cwd, 0, None)
                )
                if lab.user and lab.password:
                    ntlm_env = dict(env, **{LAB_PASSWORD_VAR: lab.password})
                    checks.append(
                        check_cli(
                            f"{CLI_NAME} check winrm-http --auth ntlm",
                            cli,
                            http,
                            ntlm_env,
                            cwd,
                            0,
                            None,
                            ["--auth", "ntlm", "--user", lab.user, "--password-env", LAB_PASSWORD_VAR],
                        )
                    )
                checks.append(check_cli(f"{CLI_NAME} check refused", cli, refused, env, cwd, 1, "tcp"))
            finally:
                lab.stop()

        gui_env = dict(env, QT_QPA_PLATFORM="offscreen")
        started = time.monotonic()
        try:
            result = run([str(gui), "--self-test"], gui_env, cwd, timeout=300)
            output = (result.stdout + result.stderr).strip()
            summary = next(
                (line for line in reversed(output.splitlines()) if line.startswith("self-test:")), tail(output)
            )
            checks.append(
                Check(
                    f"{GUI_NAME} --self-test (offscreen)",
                    result.returncode == 0,
                    f"exit {result.returncode} in {time.monotonic() - started:.0f} s: {summary}"
                    + ("" if result.returncode == 0 else "\n" + tail(output, 40)),
                )
            )
        except subprocess.TimeoutExpired:
            checks.append(Check(f"{GUI_NAME} --self-test (offscreen)", False, "timed out after 300 s"))

        checks.append(check_portable(gui, Path(scratch), env))

    print("\nsmoke test summary:")
    for check in checks:
        print(f"  {'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} / {len(checks)} passed" + (f", {failed} FAILED" if failed else ""))
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build TestConnection's one-file programs with PyInstaller, or smoke-test them."
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output directory (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller work directory (build/)")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache before building")
    parser.add_argument(
        "--smoke", action="store_true", help="do not build: run the smoke tests against the programs already in --dist"
    )
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    if args.smoke:
        return smoke(dist)
    return build(dist, args.work.resolve(), args.clean)


if __name__ == "__main__":
    sys.exit(main())

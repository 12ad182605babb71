"""The smoke tests' surroundings: how the built programs are started here (:class:`Host`), the clean
environment they run in, and the lab they are checked against (``python -m core.lab`` in a process of its own).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from exe_checks import Check

ROOT = Path(__file__).resolve().parent.parent
GUI_NAME = "TestConnection"


@dataclass
class Host:
    """How the built programs are started here, and what is expected of them.

    The default is this machine's own programs; packaging/windows.py describes the .exe files under Wine.
    """

    name: str = sys.platform
    suffix: str = ".exe" if sys.platform == "win32" else ""
    launcher: tuple[str, ...] = ()  # e.g. ("wine",)
    env: dict[str, str] = field(default_factory=dict)  # added to every program's environment
    # The keyring backend --keyring-self-check must name; None: not checked (no usable keyring on CI's Linux).
    keyring: str | None = "WinVaultKeyring" if sys.platform == "win32" else None
    not_shipped: tuple[str, ...] = ()  # names that must not be inside the programs (beside exe_checks.NOT_SHIPPED)
    user_settings: Path | None = None  # the programs' default settings directory, when the host knows it
    # Variables the launcher hides from the programs unless renamed: Wine passes QT_* only as WINEQT_*.
    hidden_env: tuple[str, ...] = ()
    hidden_env_prefix: str = ""
    extra_checks: list[Callable[[Path, dict[str, str], Path], list[Check]]] = field(default_factory=list)

    def program(self, dist: Path, name: str) -> Path:
        return dist / f"{name}{self.suffix}"

    def command(self, exe: Path, *args: str) -> list[str]:
        return [*self.launcher, str(exe), *args]

    def environment(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` as the programs must be given it to see it."""
        return {(self.hidden_env_prefix + k if k.startswith(self.hidden_env) else k): v for k, v in env.items()}

    def settings_dir(self, scratch: Path) -> tuple[dict[str, str], Path]:
        """Environment that points the default settings directory somewhere disposable, and where it then is."""
        if self.user_settings is not None:
            return {}, self.user_settings
        if sys.platform == "darwin":
            return {"HOME": str(scratch)}, scratch / "Library" / "Application Support" / GUI_NAME
        if sys.platform == "win32":  # platformdirs asks Windows itself; only the real one can be watched
            return {}, Path(os.environ["LOCALAPPDATA"]) / GUI_NAME
        return {"XDG_CONFIG_HOME": str(scratch / "xdg")}, scratch / "xdg" / GUI_NAME


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
    # Standard streams are pipes, never files: a Windows program under Wine aborts at start-up writing to a file.
    return subprocess.run(
        command,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        check=False,
        encoding="utf-8",
        errors="replace",
    )


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class LabProcess:
    """``python -m core.lab --only ...`` in a subprocess; the URLs, CA file and test user parsed from its output."""

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
        self.ca_file: str | None = None
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
            ca = re.match(r"^CA file to trust for https: (.+)$", line.rstrip())
            if ca:
                self.ca_file = ca.group(1)
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

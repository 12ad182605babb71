"""The Wine side of the Windows build: Debian's packages, a private Wine prefix with the build-machine stand-in
DLLs, a display (Xvfb) and running Windows programs with their output streamed back.

Every Wine process started here belongs to one prefix, ``Wine.prefix``; :meth:`Wine.stop` ends its wineserver
(and with it every Windows process of that prefix) and the Xvfb it started, and nothing else.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
WINE_FILES = HERE / "wine"  # the stand-in DLLs' C sources (see each file's comment) and helpers run under Wine
MINGW = "x86_64-w64-mingw32-gcc"
# What the build needs from Debian (bookworm: Wine 8.0). wine64 alone: the 64-bit Python needs no 32-bit Wine.
APT_PACKAGES = ("wine", "wine64", "xvfb", "xauth", "osslsigncode", "gcc-mingw-w64-x86-64")
# mscoree/mshtml: no offer to install Wine Mono or Gecko; winemenubuilder: no menu entries or file associations
# written into the developer's own desktop; wbemprox: Python's platform module otherwise reaches Wine's WMI,
# which calls a propsys function Wine 8.0 does not have.
DLL_OVERRIDES = "mscoree=;mshtml=;winemenubuilder.exe=d;wbemprox=d"
# Wine keeps Unix QT_* variables from Windows programs (a Linux Qt setting is wrong for a Windows Qt);
# WINEQT_<name> sets QT_<name> for them (ntdll's unix/env.c).
HIDDEN_ENV = ("QT_",)


def missing_packages(packages: Sequence[str] = APT_PACKAGES) -> list[str]:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    installed = {line.split()[0] for line in result.stdout.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def ensure_packages(packages: Sequence[str] = APT_PACKAGES) -> None:
    """apt-get install what is missing (as root, as CI runs); otherwise say what to install."""
    missing = missing_packages(packages)
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"windows.py needs these Debian packages: sudo apt-get install {' '.join(missing)}")
    print(f"installing {' '.join(missing)} (apt)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env,
                   stdout=subprocess.DEVNULL)


class Wine:
    """One Wine prefix: its environment, its processes, the stand-ins in its system32, and a display."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.env = dict(
            os.environ,
            WINEPREFIX=str(prefix),
            WINEARCH="win64",
            WINEDEBUG="-all",
            WINEDLLOVERRIDES=DLL_OVERRIDES,
        )
        self._background: list[subprocess.Popen[bytes]] = []

    # --- Windows paths ----------------------------------------------------------------------------------------

    @property
    def system32(self) -> Path:
        return self.prefix / "drive_c" / "windows" / "system32"

    @property
    def local_appdata(self) -> Path:
        """%LOCALAPPDATA% of the prefix's user (Wine names the user after the Unix account)."""
        return self.prefix / "drive_c" / "users" / getpass.getuser() / "AppData" / "Local"

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the prefix if needed, then keep a wineserver running until stop().

        Started first, in a session of its own: a test that sends Ctrl+C to a program's process group would
        otherwise hit the wineserver that program started. See hold_desktop() for the desktop process.
        """
        first = not (self.prefix / "system.reg").is_file()
        self.prefix.mkdir(parents=True, exist_ok=True)
        self._display()
        self._spawn(["wineserver", "--foreground", "--persistent"])
        if first:
            print(f"creating the Wine prefix {self.prefix}", flush=True)
            # Not through run(): the services wineboot leaves running would hold its output pipe open.
            subprocess.run(["wineboot", "--init"], env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300, check=True)
        self.install_stand_ins()
        # What one-file programs killed in earlier runs (a benchmark ends the GUI so) left unpacked in %TEMP%.
        for leftover in (self.prefix / "drive_c" / "users" / getpass.getuser() / "Temp").glob("_MEI*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def hold_desktop(self, python: Path) -> None:
        """One desktop process for the whole run, started here (packaging/wine/hold_desktop.py says why)."""
        self._spawn(self.command(python, str(WINE_FILES / "hold_desktop.py")))

    def stop(self) -> None:
        if shutil.which("wineserver"):
            subprocess.run(["wineserver", "--kill"], env=self.env, check=False, timeout=60)
        for process in reversed(self._background):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._background.clear()

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        self._background.append(process)
        return process

    def _display(self) -> None:
        """An Xvfb of our own for every Wine process: the desktop process, and Qt's windows platform plugin."""
        read, write = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(write)
        with os.fdopen(read) as display:
            number = display.readline().strip()
        if not number:
            xvfb.kill()
            raise RuntimeError("Xvfb did not start")
        self._background.append(xvfb)
        self.env["DISPLAY"] = f":{number}"

    # --- stand-in DLLs ----------------------------------------------------------------------------------------

    def install_stand_ins(self) -> list[str]:
        """Compile packaging/wine/*.c with MinGW into system32, where PyInstaller counts DLLs as the system's own."""
        names = []
        for source in sorted(WINE_FILES.glob("*.c")):
            dll = self.system32 / f"{source.stem}.dll"
            names.append(dll.name)
            if dll.is_file() and dll.stat().st_mtime >= source.stat().st_mtime:
                continue
            libraries = ["-lbcrypt"] if source.stem == "bcryptprimitives" else []
            subprocess.run([MINGW, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-s", "-o", str(dll),
                            str(source), *libraries], check=True)
        return names

    # --- running ----------------------------------------------------------------------------------------------

    def command(self, program: Path | str, *args: str) -> list[str]:
        return ["wine", str(program), *args]

    def run(self, command: list[str], cwd: Path | None = None, timeout: float = 1800) -> None:
        """Run a Windows command, its output streamed to ours line by line.

        Standard streams are pipes: Python under Wine aborts at start-up when its output is a regular file. The
        command's end is its process's exit, not the end of its output: a Windows process it started may still
        hold the pipe.
        """
        process = subprocess.Popen(command, env=self.env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
        assert process.stdout is not None
        output = process.stdout

        def relay() -> None:
            with contextlib.suppress(ValueError, OSError):  # the pipe closed under us, once the command ended
                for line in output:
                    sys.stdout.write(line)
                    sys.stdout.flush()

        reader = threading.Thread(target=relay, daemon=True)
        reader.start()
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            reader.join(timeout=5)
        if status != 0:
            raise subprocess.CalledProcessError(status, command)

"""Build TestConnection.exe and testconnection-cli.exe on Linux under Wine, from scratch, and smoke-test them there.

    python packaging/windows.py                 install what is missing, build into dist/windows, smoke-test
    python packaging/windows.py --smoke-only    smoke-test the .exe files already in dist/windows
    python packaging/windows.py --no-smoke      build only

Steps: Debian's Wine 8.0, Xvfb, osslsigncode and MinGW (apt, where missing); a Wine prefix with the stand-in DLLs
of packaging/wine/ compiled into its system32; the Windows CPython and the wheels of packaging/requirements.txt
(packaging/windows_runtime.py: pinned, hash-checked, signatures verified); then packaging/build.py, the same
script and spec as every other build, run by that Windows Python; then packaging/smoke.py's checks on the .exe
files plus the Windows-only ones below. The stand-ins are build-machine scaffolding: the smoke test proves they
are not inside the programs. Downloads, the runtime and the prefix live in --cache (default
~/.cache/testconnection-windows), so a second run reuses them; CI starts cold.

Wine is not Windows: this proves the programs start, find their bundled parts and do their work under a Windows
API. Releases come from .github/workflows/build.yml on a real Windows runner.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import smoke  # packaging/smoke.py
import windows_runtime  # packaging/windows_runtime.py
import wine_prefix  # packaging/wine_prefix.py
from exe_checks import Check

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONSOLE_START = HERE / "wine" / "console_start.py"


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "testconnection-windows"


def wine_host(wine: wine_prefix.Wine, python: Path) -> smoke.Host:
    stand_ins = tuple(f"{source.stem}.dll" for source in wine_prefix.WINE_FILES.glob("*.c"))

    host = smoke.Host(
        name="Windows under Wine",
        suffix=".exe",
        launcher=("wine",),
        env={k: v for k, v in wine.env.items() if k.startswith("WINE") or k == "DISPLAY"},
        keyring="WinVaultKeyring",
        not_shipped=stand_ins,
        user_settings=wine.local_appdata / smoke.GUI_NAME,
        hidden_env=wine_prefix.HIDDEN_ENV,
        hidden_env_prefix="WINE",
        extra_checks=[
            lambda dist, env, cwd: [check_windows_platform(host, dist, env, cwd)],
            lambda dist, env, cwd: [check_console_version(wine, python, dist, env, cwd)],
        ],
    )
    return host


def check_windows_platform(host: smoke.Host, dist: Path, env: dict[str, str], cwd: Path) -> Check:
    """The self-test with real windows: Qt's ``windows`` platform plugin (Wine's user32 on Xvfb)."""
    gui = host.program(dist, smoke.GUI_NAME)
    windowed = {k: v for k, v in env.items() if k != "QT_QPA_PLATFORM"}
    return smoke.check_gui_self_test(host, gui, windowed, cwd, "windows", " under Xvfb")


def check_console_version(
    wine: wine_prefix.Wine, python: Path, dist: Path, env: dict[str, str], cwd: Path
) -> Check:
    """``TestConnection.exe --version`` typed in a console prints its answer there.

    Windows starts a GUI program from a console without standard handles; packaging/wine/console_start.py does
    the same under Wine, from a console on a pseudo-terminal that this check reads.
    """
    label = f"{smoke.GUI_NAME}.exe --version from a console (no standard handles, as Windows starts it)"
    gui = dist / f"{smoke.GUI_NAME}.exe"
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the console program, on the pseudo-terminal
        os.chdir(cwd)
        os.execvpe("wine", ["wine", str(python), str(CONSOLE_START), str(gui), "--version"], env)  # noqa: S606
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 0.5)
        if not ready:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            continue
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        output += chunk
    else:
        os.kill(pid, 9)
    os.close(terminal)
    try:
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except ChildProcessError:
        status = 0
    text = output.decode("utf-8", errors="replace")
    version = smoke.version_info.project_version()
    ok = status == 0 and f"TestConnection {version}" in text
    return Check(label, ok, f"exit {status}, console showed {' '.join(text.split())[-200:]!r}")


def build(wine: wine_prefix.Wine, python: Path, dist: Path, work: Path) -> None:
    started = time.monotonic()
    wine.run(wine.command(python, str(HERE / "build.py"), "--dist", str(dist), "--work", str(work)), cwd=ROOT)
    print(f"Windows build under Wine took {time.monotonic() - started:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="windows.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / "windows", help="output (dist/windows)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "windows", help="PyInstaller's work directory")
    parser.add_argument("--cache", type=Path, default=default_cache(),
                        help="downloads, the Windows CPython and the Wine prefix (~/.cache/testconnection-windows)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--smoke-only", action="store_true", help="do not build; smoke-test what is in --dist")
    group.add_argument("--no-smoke", action="store_true", help="build only")
    args = parser.parse_args(argv)
    dist, work, cache = args.dist.resolve(), args.work.resolve(), args.cache.resolve()

    began = time.monotonic()
    # Stopped from outside (CI's time limit, kill): still end the Wine processes and the Xvfb this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wine_prefix.ensure_packages()
    wine = wine_prefix.Wine(cache / "prefix")
    try:
        wine.start()
        python = windows_runtime.prepare(cache, wine)
        if not args.smoke_only:
            if dist.exists():
                shutil.rmtree(dist)
            build(wine, python, dist, work)
        if not args.no_smoke:
            wine.hold_desktop(python)
        status = 0 if args.no_smoke else smoke.smoke(dist, wine_host(wine, python))
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        print(f"windows.py: {exc}", file=sys.stderr)
        status = 1
    finally:
        wine.stop()
    print(f"windows.py: {'done' if status == 0 else 'FAILED'} in {time.monotonic() - began:.0f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

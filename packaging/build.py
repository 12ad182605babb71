"""Build TestConnection's one-file programs with PyInstaller, and smoke-test the built files.

    python packaging/build.py [--dist DIR]           build dist/TestConnection and dist/testconnection-cli
    python packaging/build.py --smoke [--dist DIR]   run the smoke tests (packaging/smoke.py) against those files

On Windows the programs are .exe files; packaging/windows.py builds those on Linux under Wine with this script.
Exit status: 0 when everything passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
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
        import smoke  # packaging/smoke.py

        return smoke.smoke(dist)
    return build(dist, args.work.resolve(), args.clean)


if __name__ == "__main__":
    sys.exit(main())

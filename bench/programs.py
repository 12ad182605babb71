"""7. The built one-file programs: size, GUI launch → window painted, the CLI's whole process for one check.

Linux: ``dist/`` from ``packaging/build.py``. Windows: ``dist/windows/`` from ``packaging/windows.py``, run under
Wine in that script's Wine prefix (the stand-in DLLs are there) with Qt's ``windows`` platform on an Xvfb display.
Wine is not Windows: its figures are indicative only (file-system and process start-up costs differ, and a
one-file program unpacks itself on every start, which Wine's file I/O makes slower).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import ROOT, LabProcess, Section, ms
from gui.app import WINDOW_SHOWN

PACKAGING = ROOT / "packaging"

Launch = Callable[[Path, list[str], dict[str, str]], "subprocess.Popen[bytes]"]


def _mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:,.1f} MiB"


def launch_native(exe: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(exe), *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@contextmanager
def _wine() -> Iterator[Launch | str]:
    """A launcher for the Windows programs under Wine, or why there is none."""
    sys.path.insert(0, str(PACKAGING))
    try:
        import windows  # packaging/windows.py
        import wine_prefix
    finally:
        sys.path.remove(str(PACKAGING))
    prefix = windows.default_cache() / "prefix"
    if wine_prefix.missing_packages() or not (prefix / "system.reg").is_file():
        yield f"not measured: no Wine prefix at {prefix} (run packaging/windows.py first)"
        return
    wine = wine_prefix.Wine(prefix)
    wine.start()
    try:
        # A desktop process held for the whole measure, as Windows always has one (else each start would pay
        # for starting Wine's): the Windows Python that packaging/windows.py left in the same cache holds it.
        for python in sorted(windows.default_cache().glob("python-*/python.exe"))[:1]:
            wine.hold_desktop(python)
        def launch(exe: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
            # Wine's prefix and display; QT_* is hidden from Windows programs, so Qt takes its windows platform.
            env = dict(env, **{k: v for k, v in wine.env.items() if k.startswith("WINE") or k == "DISPLAY"})
            return launch_native(Path("wine"), [str(exe), *args], env)

        yield launch
    finally:
        wine.stop()


def seconds_to_paint(launch: Launch, exe: Path, home: str, timeout: float = 120) -> float:
    """Seconds from starting the GUI to the log line it writes once its window has painted."""
    log_file = Path(home) / "logs" / "testconnection.log"
    log_file.unlink(missing_ok=True)
    env = dict(os.environ, TESTCONNECTION_HOME=home, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    child = launch(exe, [], env)
    try:
        while time.perf_counter() - started < timeout:
            if log_file.exists() and WINDOW_SHOWN in log_file.read_text(encoding="utf-8", errors="replace"):
                return time.perf_counter() - started
            if child.poll() is not None:
                raise RuntimeError(f"{exe.name} exited ({child.returncode}) before showing its window")
            time.sleep(0.005)
        raise RuntimeError(f"{exe.name} did not show its window within {timeout:.0f} s")
    finally:
        child.terminate()
        child.wait(timeout=30)


def _one_check(launch: Launch, exe: Path, url: str, home: str) -> float:
    env = dict(os.environ, TESTCONNECTION_HOME=home)
    started = time.perf_counter()
    child = launch(exe, ["check", url], env)
    status = child.wait(timeout=120)
    if status != 0:
        raise RuntimeError(f"{exe.name} check {url} exited {status}")
    return time.perf_counter() - started


def _measure(label: str, launch: Launch, gui: Path, cli: Path, url: str, runs: int) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as home:
        _one_check(launch, cli, url, home)  # a first start fills the page cache: "cold" is a new process
        checks = sorted(_one_check(launch, cli, url, home) for _ in range(runs))
        painted = sorted(seconds_to_paint(launch, gui, home) for _ in range(runs))
    return [
        [f"{label}: size of {gui.name} / {cli.name}", f"{_mib(gui)} / {_mib(cli)}", "-"],
        [f"{label}: {gui.name} launch → window painted (median of {runs})", ms(statistics.median(painted)),
         f"min {ms(painted[0])}"],
        [f"{label}: `{cli.name} check URL`, whole process (median of {runs})", ms(statistics.median(checks)),
         f"min {ms(checks[0])}"],
    ]


def run(quick: bool) -> Section:
    runs = 1 if quick else 5
    section = Section("7. The built programs (one-file; the lab in its own process)", ["measure", "value", "note"])
    dist = Path(os.environ.get("TESTCONNECTION_DIST") or ROOT / "dist")
    linux = (dist / "TestConnection", dist / "testconnection-cli")
    windows = (ROOT / "dist" / "windows" / "TestConnection.exe", ROOT / "dist" / "windows" / "testconnection-cli.exe")
    with LabProcess(["winrm-http"]) as lab:
        url = lab.urls["winrm-http"]
        if all(p.is_file() for p in linux) and sys.platform.startswith("linux"):
            section.rows += _measure("Linux", launch_native, *linux, url, runs)
        else:
            section.rows.append(["Linux", "not measured: build with packaging/build.py first", "-"])
        if quick:  # the test suite proves the benchmark runs; starting Wine is for real runs
            section.rows.append(["Windows under Wine", "not measured in quick mode", "-"])
        elif not all(p.is_file() for p in windows):
            section.rows.append(["Windows under Wine", "not measured: build with packaging/windows.py first", "-"])
        else:
            with _wine() as launch:
                if isinstance(launch, str):
                    section.rows.append(["Windows under Wine", launch, "-"])
                else:
                    section.rows += _measure("Windows under Wine (indicative)", launch, *windows, url, runs)
    section.notes.append(
        "The GUI is timed to the log line it writes after its first paint, offscreen on Linux and with Qt's "
        "windows platform on an Xvfb display under Wine; both programs unpack themselves on every start, which "
        "is included. Wine's figures are indicative, not Windows': Wine's process start-up and file I/O differ."
    )
    return section

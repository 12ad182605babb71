"""First start on Linux without the X libraries Qt's xcb plugin needs: a clear message naming the packages,
instead of Qt's abort. Run for real, in a child process whose loader finds a broken libxcb-cursor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.platformcheck import missing_libraries, report, uses_xcb, xcb_plugin

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")


def test_without_libxcb_cursor_the_program_names_the_packages_and_exits_cleanly(tmp_path: Path) -> None:
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libxcb-cursor.so.0").write_bytes(b"")  # found first by the loader, and unloadable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND", "XDG_SESSION"))}
    env |= {"DISPLAY": ":99", "QT_QPA_PLATFORM": "xcb", "LD_LIBRARY_PATH": str(broken),
            "TESTCONNECTION_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "gui.app"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "cannot open its window" in done.stderr
    assert "libxcb-cursor.so.0" in done.stderr
    assert "sudo apt install" in done.stderr and "libxcb-cursor0" in done.stderr  # Debian / Ubuntu
    assert "sudo dnf install" in done.stderr and "xcb-util-cursor" in done.stderr  # Fedora
    assert "could not load the Qt platform plugin" not in done.stderr  # Qt never got as far as aborting


def test_a_plugin_whose_libraries_all_load_needs_nothing() -> None:
    offscreen = xcb_plugin({}).with_name("libqoffscreen.so")
    assert offscreen.is_file()
    assert missing_libraries(offscreen) == {}


def test_only_an_x11_start_is_checked() -> None:
    assert uses_xcb({}, "linux") and uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({}, "win32") and not uses_xcb({}, "darwin")
    text = report({"libxcb-icccm.so.4": "not found", "libfoo.so.1": "not found"})
    assert "libxcb-icccm4" in text and "xcb-util-wm" in text and "provides libfoo.so.1" in text

"""Where TestConnection keeps its files.

Normally the per-user configuration directory: ``~/.config/TestConnection`` on Linux,
``~/Library/Application Support/TestConnection`` on macOS, ``%LOCALAPPDATA%\\TestConnection`` on Windows (the
Windows build's smoke test checks that one under Wine: packaging/smoke.py). A frozen (PyInstaller) build with a
file called ``portable`` or ``TestConnection.portable`` beside the executable keeps everything in
``TestConnection-data`` next to it, so the tool can run from a USB stick without leaving traces.
``TESTCONNECTION_HOME`` overrides both (tests use it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "TestConnection"
HOME_ENV = "TESTCONNECTION_HOME"
PORTABLE_MARKERS = ("portable", "TestConnection.portable")
PORTABLE_DATA_DIR = "TestConnection-data"


def config_dir() -> Path:
    """The directory for lists, history and logs. Not created here: writers create what they need."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home)
    portable = portable_dir()
    if portable is not None:
        return portable
    # roaming=False: on Windows %LOCALAPPDATA%, not the roaming profile; logs and lists belong to this PC.
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=False))


def portable_dir() -> Path | None:
    """The portable data directory when running as a frozen build with a portable marker, else None."""
    # A source checkout has no executable of its own (sys.executable is the Python interpreter), so only
    # frozen builds can be portable.
    if not getattr(sys, "frozen", False):
        return None
    exe_dir = Path(sys.executable).resolve().parent
    if any((exe_dir / marker).is_file() for marker in PORTABLE_MARKERS):
        return exe_dir / PORTABLE_DATA_DIR
    return None


def lists_dir() -> Path:
    return config_dir() / "lists"


def logs_dir() -> Path:
    return config_dir() / "logs"


def default_list_path() -> Path:
    return config_dir() / "targets.json"


def history_path() -> Path:
    return config_dir() / "history.json"

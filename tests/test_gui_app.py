"""The ``testconnection`` entry point: --version, --self-test, and the safety net for unexpected errors."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import core

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")  # settings and logs in a temporary directory

ROOT = Path(__file__).resolve().parent.parent


def test_version_prints_and_exits_without_a_window(capsys: pytest.CaptureFixture[str]) -> None:
    from gui.app import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"TestConnection {core.__version__}"


def test_self_test_runs_every_demo_target_through_the_window(tmp_path: Path) -> None:
    from core.lab import SCENARIOS

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TESTCONNECTION_HOME": str(tmp_path),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    done = subprocess.run([sys.executable, "-m", "gui.app", "--self-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    for name in SCENARIOS:
        assert any(line.split()[1:2] == [name] for line in lines), f"{name} missing:\n{done.stdout}"
    assert lines[-1].startswith(f"self-test: {len(SCENARIOS)} / {len(SCENARIOS)} demo targets as expected")
    log = (tmp_path / "logs" / "testconnection.log").read_text()
    assert "starting (--self-test)" in log


def test_an_unexpected_error_is_logged_and_shown(qtbot: Any, gui_home: Path) -> None:
    from gui import errors
    from gui.qt import QApplication, QMessageBox, QTimer

    assert errors.setup_logging() == str(gui_home / "logs" / errors.LOG_NAME)
    shown: list[str] = []

    def close_dialog() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.detailedText())
            box.accept()
        else:
            QTimer.singleShot(20, close_dialog)

    QTimer.singleShot(20, close_dialog)
    try:
        raise ValueError("something broke")
    except ValueError as exc:
        errors._excepthook(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert shown and "ValueError: something broke" in shown[0]
    assert "ValueError: something broke" in (gui_home / "logs" / errors.LOG_NAME).read_text()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(handler)
        handler.close()

"""Logging to a file, and a dialog instead of a silent death when something in the GUI raises.

Nothing here formats a password: tracebacks carry code and messages, not local variables, and core's
``UserCredentials`` hides its password from ``repr``.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from types import TracebackType

from core.paths import logs_dir
from gui.qt import QApplication, QMessageBox

log = logging.getLogger("gui")
LOG_NAME = "testconnection.log"


def setup_logging(level: int = logging.INFO) -> str | None:
    """Log to ``logs_dir()/testconnection.log`` (rotated). Returns the path, or None if it cannot be written."""
    try:
        directory = logs_dir()
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(directory / LOG_NAME, maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return str(directory / LOG_NAME)


def install_excepthook() -> None:
    sys.excepthook = _excepthook


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    text = "".join(traceback.format_exception(kind, value, tb))
    log.error("unexpected error\n%s", text)
    if QApplication.instance() is None:
        sys.__excepthook__(kind, value, tb)
        return
    show_error_dialog(f"{kind.__name__}: {value}", text)


def show_error_dialog(summary: str, details: str) -> None:
    box = QMessageBox(QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("TestConnection — unexpected error")
    box.setText("Something went wrong inside TestConnection. The window keeps running; the details below are "
                "also in the log file. Please add them to a bug report.")
    box.setInformativeText(summary)
    box.setDetailedText(details)  # selectable and copyable
    box.exec()

"""What the window remembers between starts: its size, splitters and columns, and which list file was open."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from core.paths import default_list_path
from gui.qt import QHeaderView, QMainWindow, QSplitter
from gui.settings import ui_settings

CURRENT_LIST_KEY = "lists/current"
# The results table's columns: which are shown, their order and widths. Renamed when the columns changed
# (Problem first, stage marks), so an older layout saved under "window/columns" does not scramble the new one.
RESULTS_COLUMNS_KEY = "window/results_columns"
DEFAULT_SIZE = (1280, 760)


class Remembered(Protocol):
    """The parts of the main window whose state is kept."""

    splitter: QSplitter
    list_splitter: QSplitter

    def list_header(self) -> QHeaderView: ...
    def results_header(self) -> QHeaderView: ...


def restore(window: QMainWindow, parts: Remembered) -> None:
    settings = ui_settings()
    geometry = settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(*DEFAULT_SIZE)
    for key, restore_state in (("window/splitter", parts.splitter.restoreState),
                               ("window/list_splitter", parts.list_splitter.restoreState),
                               ("window/list_columns", parts.list_header().restoreState),
                               (RESULTS_COLUMNS_KEY, parts.results_header().restoreState)):
        value = settings.value(key)
        if value is not None:
            restore_state(value)


def save(window: QMainWindow, parts: Remembered) -> None:
    settings = ui_settings()
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/splitter", parts.splitter.saveState())
    settings.setValue("window/list_splitter", parts.list_splitter.saveState())
    settings.setValue("window/list_columns", parts.list_header().saveState())
    settings.setValue(RESULTS_COLUMNS_KEY, parts.results_header().saveState())
    settings.sync()


def current_list_path() -> Path:
    """The list opened last (if it still exists), else the default list."""
    remembered = ui_settings().value(CURRENT_LIST_KEY)
    if remembered and Path(str(remembered)).is_file():
        return Path(str(remembered))
    return default_list_path()


def remember_list_path(path: Path) -> None:
    settings = ui_settings()
    settings.setValue(CURRENT_LIST_KEY, str(path))
    settings.sync()

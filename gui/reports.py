"""Results out of the window: a report file (HTML, CSV, JSON lines) or CSV on the clipboard.

``results_for`` is the one conversion from table rows to the CLI's JSON schema (``core.report``); the files
are written by ``core.exports``. A diagnosis never holds a password, so neither can anything made here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from core.exports import results_to_csv, write_report
from core.report import diagnosis_to_dict
from gui.qt import QFileDialog, QGuiApplication, QMainWindow, QMessageBox, QWidget
from gui.results_model import ResultsModel
from gui.settings import ui_settings

# (filter shown in the save dialog, suffix added when the typed name has none of ours)
FORMATS = (("HTML report (*.html)", ".html"), ("CSV (*.csv)", ".csv"), ("JSON (*.json)", ".json"))
KNOWN_SUFFIXES = frozenset({".html", ".htm", ".csv", ".json", ".jsonl"})
FOLDER_KEY = "export/folder"
FORMAT_KEY = "export/format"


def results_for(model: ResultsModel, keys: Sequence[int]) -> list[dict[str, Any]]:
    """The finished rows among ``keys``, in that order, as the CLI's JSON objects; other rows are left out."""
    results = []
    for key in keys:
        row = model.row(key)
        # Only a final diagnosis is a result: a running row's snapshot would report stages still to come as failed.
        if row is not None and row.final and row.diagnosis is not None:
            results.append(diagnosis_to_dict(row.diagnosis))
    return results


def _existing(model: ResultsModel, keys: Sequence[int]) -> int:
    return sum(1 for key in keys if model.row(key) is not None)


def with_suffix_for(path: str, selected_filter: str) -> Path:
    """The chosen file name, with the chosen filter's suffix added when it has none of ours."""
    chosen = Path(path)
    if chosen.suffix.lower() in KNOWN_SUFFIXES:
        return chosen
    suffix = next((s for f, s in FORMATS if f == selected_filter), FORMATS[0][1])
    return chosen.with_name(chosen.name + suffix)


def summary_text(path: Path, written: int, skipped: int) -> str:
    text = f"Exported {written} result{'s' if written != 1 else ''} to {path}"
    if skipped:
        text += f"; {skipped} row{'s' if skipped != 1 else ''} skipped (not tested yet or still running)"
    return text + "."


def export_results(parent: QWidget, model: ResultsModel, keys: Sequence[int]) -> Path | None:
    """Ask where to save, write the finished rows among ``keys``, and say what happened.

    Returns the file written, or None when there was nothing to export, the user cancelled, or writing failed
    (then a message names the file and the reason; the old file, if any, is left as it was).
    """
    results = results_for(model, keys)
    skipped = _existing(model, keys) - len(results)
    if not results:
        QMessageBox.information(parent, "Export results",
                                "There is nothing to export yet: none of these rows has finished a test.")
        return None
    settings = ui_settings()
    folder = str(settings.value(FOLDER_KEY, "") or "")
    if not folder or not Path(folder).is_dir():
        folder = str(Path.home())
    selected = str(settings.value(FORMAT_KEY, FORMATS[0][0]) or FORMATS[0][0])
    if selected not in (f for f, _ in FORMATS):
        selected = FORMATS[0][0]
    suffix = dict(FORMATS)[selected]
    start = Path(folder) / f"TestConnection results {datetime.now():%Y-%m-%d %H%M}{suffix}"
    path_text, chosen_filter = QFileDialog.getSaveFileName(
        parent, "Export results", str(start), ";;".join(f for f, _ in FORMATS), selected
    )
    if not path_text:
        return None
    path = with_suffix_for(path_text, chosen_filter)
    try:
        write_report(results, path)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        QMessageBox.warning(parent, "Export results", f"Could not write {path}:\n{reason}.\n\n"
                            "Nothing was written; a file already there is unchanged.")
        return None
    settings.setValue(FOLDER_KEY, str(path.parent))
    if chosen_filter in (f for f, _ in FORMATS):
        settings.setValue(FORMAT_KEY, chosen_filter)
    settings.sync()
    tell(parent, summary_text(path, len(results), skipped))
    return path


def copy_results_csv(parent: QWidget, model: ResultsModel, keys: Sequence[int]) -> int:
    """Put the finished rows among ``keys`` on the clipboard as CSV (with header); returns how many."""
    results = results_for(model, keys)
    if not results:
        tell(parent, "Nothing to copy: none of these rows has finished a test.")
        return 0
    QGuiApplication.clipboard().setText(results_to_csv(results))
    skipped = _existing(model, keys) - len(results)
    text = f"Copied {len(results)} result{'s' if len(results) != 1 else ''} as CSV"
    tell(parent, text + (f"; {skipped} not finished, left out." if skipped else "."))
    return len(results)


def tell(parent: QWidget, text: str) -> None:
    """A short outcome: in the window's status bar when there is one (no dialog to dismiss), else a message box."""
    window = parent.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 15_000)
    else:
        QMessageBox.information(parent, "Export results", text)

"""The list's file dialogs: new, open, save as, import and export ask where, then the ListDocument does it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.importers import ImportResult
from core.paths import lists_dir
from gui.listdocument import DocumentError, ListDocument
from gui.qt import QFileDialog, QMessageBox, Qt, QWidget

IMPORT_FILTERS = ("CSV or text (*.csv *.txt);;CSV files (*.csv);;Text files, one host per line (*.txt *.lst);;"
                  "All files (*)")
SHOWN_ERRORS = 30  # rows skipped by an import, listed in the report; the rest are under Show Details


def report_problem(parent: QWidget, document: ListDocument, title: str, message: str) -> None:
    document.last_report = message
    QMessageBox.warning(parent, title, message)


def _start_dir(document: ListDocument) -> str:
    return str(document.path.parent if document.path is not None else lists_dir())


def _done(parent: QWidget, document: ListDocument, title: str, action: Callable[[], None]) -> bool:
    """Do ``action``; a file it could not read or write is reported under ``title``."""
    try:
        action()
    except DocumentError as exc:
        report_problem(parent, document, title, exc.message)
        return False
    return True


def new_list(parent: QWidget, document: ListDocument) -> None:
    path, _ = QFileDialog.getSaveFileName(parent, "New target list", str(Path(_start_dir(document)) / "targets.json"),
                                          "Target lists (*.json)")
    if path:
        _done(parent, document, "Save target list", lambda: document.new(Path(path)))


def open_list(parent: QWidget, document: ListDocument) -> bool:
    path, _ = QFileDialog.getOpenFileName(parent, "Open target list", _start_dir(document),
                                          "Target lists (*.json);;All files (*)")
    return bool(path) and _done(parent, document, "Open target list", lambda: document.open(Path(path)))


def save_as(parent: QWidget, document: ListDocument) -> bool:
    path, _ = QFileDialog.getSaveFileName(parent, "Save target list as", _start_dir(document), "Target lists (*.json)")
    return bool(path) and _done(parent, document, "Save target list", lambda: document.save_as(Path(path)))


def import_targets(parent: QWidget, document: ListDocument) -> ImportResult | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import targets", _start_dir(document), IMPORT_FILTERS)
    if not path:
        return None
    source = Path(path)
    try:
        result = document.import_file(source)
    except DocumentError as exc:
        report_problem(parent, document, "Import targets", exc.message)
        return None
    count = len(result.targets)
    summary = f"Imported {count} target{'s' if count != 1 else ''} from {source.name}"
    if result.errors:
        summary += f"; {len(result.errors)} row{'s' if len(result.errors) != 1 else ''} skipped:"
    lines = [summary, *(str(e) for e in result.errors[:SHOWN_ERRORS])]
    if len(result.errors) > SHOWN_ERRORS:
        lines.append(f"… and {len(result.errors) - SHOWN_ERRORS} more (see Show Details)")
    lines += result.warnings[:5]
    document.last_report = "\n".join(lines)
    box = QMessageBox(QMessageBox.Icon.Warning if result.errors else QMessageBox.Icon.Information,
                      "Import targets", document.last_report, QMessageBox.StandardButton.Ok, parent)
    if len(result.errors) > SHOWN_ERRORS or len(result.warnings) > 5:
        box.setDetailedText("\n".join([*(str(e) for e in result.errors), *result.warnings]))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # not exec(): the import is done; the report need not block anything
    return result


def export_list(parent: QWidget, document: ListDocument, kind: str) -> Path | None:
    """Export the list as ``csv`` or ``json``."""
    suggested = Path(_start_dir(document)) / f"{document.target_list.name or 'targets'}.{kind}"
    filters = "CSV files (*.csv)" if kind == "csv" else "JSON files (*.json)"
    path, _ = QFileDialog.getSaveFileName(parent, f"Export list as {kind.upper()}", str(suggested), filters)
    if path and _done(parent, document, "Export list", lambda: document.export(kind, Path(path))):
        return Path(path)
    return None

"""The main window's menus, the results table's context menu, and the window-wide Esc."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gui.qt import QAction, QKeySequence, QMenu, QMessageBox, QPoint, QShortcut, Qt, QWidget

if TYPE_CHECKING:
    from gui.window import MainWindow


def add_action(menu: QMenu, text: str, slot: Any, shortcut: Any = None) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(lambda *_: slot())
    if shortcut is not None:
        action.setShortcut(shortcut)
    return action


def build_menus(window: MainWindow) -> None:
    file_menu = window.menuBar().addMenu("&File")
    panel = window.list_panel
    add_action(file_menu, "&New list…", window.with_list_path(panel.new_list))
    add_action(file_menu, "&Open list…", window.with_list_path(panel.open_list), QKeySequence.StandardKey.Open)
    add_action(file_menu, "Save list &as…", window.with_list_path(panel.save_as), QKeySequence("Ctrl+Shift+S"))
    add_action(file_menu, "&Import targets (CSV or text)…", panel.import_targets, QKeySequence("Ctrl+I"))
    add_action(file_menu, "Export list as &CSV…", lambda: panel.export_list("csv"))
    add_action(file_menu, "Export list as &JSON…", lambda: panel.export_list("json"))
    file_menu.addSeparator()
    add_action(file_menu, "&Credentials…", window.target_bar.manage_credentials)
    add_action(file_menu, "&Settings…", window.open_settings, QKeySequence.StandardKey.Preferences)
    file_menu.addSeparator()
    add_action(file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    results = window.menuBar().addMenu("&Results")
    rerun = add_action(results, "Re-run &all", window.rerun_all, QKeySequence(Qt.Key.Key_F5))
    rerun.setShortcuts([QKeySequence(Qt.Key.Key_F5), QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    add_action(results, "&Re-run selected", window.rerun_selected)
    add_action(results, "&Watch selected", window.watch_selected)
    add_action(results, "&Cancel selected", window.cancel_selected)
    add_action(results, "Cancel a&ll", window.cancel_all)
    results.addSeparator()
    add_action(results, "Cop&y selected rows", window.copy_selected)
    add_action(results, "Copy for &ticket", window.details.copy_for_ticket)
    add_action(results, "Copy selected as CS&V", window.copy_selected_csv)
    add_action(results, "&Export results…", window.export_results, QKeySequence("Ctrl+E"))
    results.addSeparator()
    add_action(results, "Re&move selected rows", window.remove_selected)
    add_action(results, "Clear &finished rows", window.clear_finished)
    results.addSeparator()
    columns = results.addMenu("C&olumns")
    columns.aboutToShow.connect(lambda: window.table.fill_column_menu(columns))
    help_menu = window.menuBar().addMenu("&Help")
    add_action(help_menu, "&About TestConnection", lambda: about(window))
    # Esc cancels wherever the focus is in the window (a line edit does not use Esc itself).
    escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    escape.activated.connect(window.cancel_selected_or_all)


def about(parent: QWidget) -> None:
    from core import __version__

    QMessageBox.about(parent, "About TestConnection",
                      f"<b>TestConnection {__version__}</b><p>Tells a helpdesk, stage by stage, why a Windows "
                      "machine cannot be managed over WinRM / WS-Management.</p>")


def results_context_menu(window: MainWindow, position: QPoint) -> None:
    keys = window.selected_keys()
    if not keys:
        return
    menu = QMenu(window)
    add_action(menu, "&Re-run", window.rerun_selected)
    add_action(menu, "&Watch", window.watch_selected)
    cancel = add_action(menu, "&Cancel", window.cancel_selected)
    cancel.setEnabled(any(window.runner.is_running(k) or window.watching.is_watched(k) for k in keys))
    menu.addSeparator()
    add_action(menu, "Cop&y rows", window.copy_selected)
    add_action(menu, "Copy for &ticket", window.details.copy_for_ticket)
    add_action(menu, "Copy as CS&V", window.copy_selected_csv)
    add_action(menu, "&Export…", window.export_results)
    menu.addSeparator()
    add_action(menu, "Re&move", window.remove_selected)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(window.table.viewport().mapToGlobal(position))

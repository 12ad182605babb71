"""The main window: saved targets panel, target bar, live results table, details pane, progress and Cancel-all."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.credentials import CredentialStore, StoredCredential
from core.inheritance import ResolvedTarget
from core.targetlist import TargetList
from core.watch import Change
from gui import windowstate
from gui.colours import follow_palette
from gui.columns import KEY_ROLE, SESSION, Column
from gui.details import DetailsPane
from gui.historykeeper import HistoryKeeper
from gui.icons import app_icon
from gui.listpanel import ListPanel
from gui.listspecs import specs_for
from gui.menus import build_menus, results_context_menu
from gui.notify import Notifier
from gui.qt import (
    QCloseEvent,
    QEvent,
    QGuiApplication,
    QHeaderView,
    QItemSelectionModel,
    QMainWindow,
    QModelIndex,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)
from gui.reports import copy_results_csv, export_results
from gui.results_filter import ResultsFilter, rows_as_text
from gui.results_model import ResultsModel
from gui.resultsview import ResultsPane
from gui.rows import TestSpec, Updates
from gui.runner import Runner
from gui.runstatus import RunStatus
from gui.settings import Preferences, SettingsDialog
from gui.targetbar import InputError, TargetBar
from gui.theme import apply_theme
from gui.watching import Watching

log = logging.getLogger(__name__)

TITLE = "TestConnection"


class MainWindow(QMainWindow):
    def __init__(self, credentials: CredentialStore | None = None, preferences: Preferences | None = None,
                 *, persist: bool = True) -> None:
        """``persist=False`` (demo, self-test): no list or history file is read or written."""
        super().__init__()
        self.setWindowTitle(TITLE)
        self.setWindowIcon(app_icon())
        self.preferences = preferences or Preferences.load()
        self.credentials = credentials or CredentialStore()
        self.persist = persist
        self.history_keeper = HistoryKeeper(persist, self)
        self.history = self.history_keeper.history
        self._history_timer = self.history_keeper.timer
        # The demo's credentials live in memory only: never in the keyring, never in a file.
        self._list_credentials: dict[str, StoredCredential] = {}
        self._list_ca_file: str | None = None
        self.model = ResultsModel(self)
        self.proxy = ResultsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.runner = Runner(self)
        self.runner.updated.connect(self._on_updates)
        self.runner.idle.connect(self._update_progress)
        self.watching = Watching(self.model, self.run, self)
        self.watching.changed.connect(self._on_watch_changes)
        self.watching.watched_changed.connect(self._update_progress)
        self.notifier = Notifier(self)

        self.target_bar = TargetBar(self.credentials, self)
        self.target_bar.apply_preferences(self.preferences)
        self.target_bar.test_requested.connect(self.test_from_bar)
        self.target_bar.cancel_requested.connect(self.cancel_selected_or_all)

        self.results_pane = ResultsPane(self.proxy, self)
        pane = self.results_pane
        self.filter, self.failures_only, self.table = pane.filter, pane.failures_only, pane.table
        self.rerun_button, self.cancel_row_button = pane.rerun_button, pane.cancel_row_button
        self.rerun_all_button = pane.rerun_all_button
        self.rerun_button.clicked.connect(self.rerun_selected)
        self.cancel_row_button.clicked.connect(self.cancel_selected)
        self.rerun_all_button.clicked.connect(self.rerun_all)
        pane.watch_button.clicked.connect(self.watch_selected)
        self.table.customContextMenuRequested.connect(lambda position: results_context_menu(self, position))
        self.table.copy_requested.connect(self.copy_selected)
        self.table.delete_requested.connect(self.remove_selected)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.clicked.connect(self._seen)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.details = DetailsPane(self)
        self.details.history = self.history
        self.list_panel = ListPanel(self.credentials, self)
        self.list_panel.model.history = self.history
        self.list_panel.set_app_defaults(self.preferences.list_defaults())
        self.list_panel.test_requested.connect(self.test_saved)
        self.list_panel.watch_requested.connect(self.watch_saved)
        self.history_keeper.recorded.connect(self.list_panel.history_changed)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.results_pane)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([440, 300])  # until the user's own sizes are restored
        # The target bar spans the window (host, user and password need the room); the saved targets sit left of
        # the results they feed.
        self.list_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.list_splitter.addWidget(self.list_panel)
        self.list_splitter.addWidget(self.splitter)
        self.list_splitter.setStretchFactor(0, 1)
        self.list_splitter.setStretchFactor(1, 3)
        self.list_splitter.setSizes([360, 920])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.target_bar)
        layout.addWidget(self.list_splitter, 1)
        self.setCentralWidget(central)

        self.run_status = RunStatus(self)
        self.progress_label, self.progress_bar = self.run_status.progress_label, self.run_status.progress_bar
        self.cancel_all_button = self.run_status.cancel_all_button
        self.cancel_all_button.clicked.connect(self.cancel_all)
        # The window's own colours follow a change of the OS's scheme while it runs.
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda *_: apply_theme(self.preferences.theme))

        QWidget.setTabOrder(self.target_bar.cancel_button, self.filter)
        QWidget.setTabOrder(self.table, self.details.browser)
        QWidget.setTabOrder(self.details.browser, self.details.copy_button)
        QWidget.setTabOrder(self.details.copy_button, self.list_panel.tree)

        build_menus(self)
        windowstate.restore(self, self)
        self._follow_session()
        if persist:
            self.list_panel.load(windowstate.current_list_path())
        self._update_progress()
        self.target_bar.host.setFocus()

    # --- running ----------------------------------------------------------------------------------------------

    def test_from_bar(self) -> None:
        try:
            specs = self.target_bar.specs(self.preferences)
        except InputError as exc:
            self.target_bar.show_error(exc)
            return
        self.target_bar.clear_message()
        keys = self.add_targets(specs)
        self.run(keys)
        self._select_key(keys[0])

    def add_targets(self, specs: Sequence[TestSpec]) -> list[int]:
        return self.model.add(specs)

    def test_saved(self, targets: Sequence[ResolvedTarget], start: bool = True) -> list[int]:
        """Test saved targets; one that cannot be tested (no such credential, bad host) is named in the panel
        and the others still run. ``start=False``: only add their rows."""
        preferences = self.preferences
        if self._list_ca_file is not None:
            preferences = replace(preferences, ca_file=self._list_ca_file)
        specs, problems = specs_for(targets, preferences, self._lookup_credential)
        self.list_panel.show_problems(problems)
        keys = self.add_targets(specs)
        if keys:
            if start:
                self.run(keys)
            self._select_key(keys[0])
        return keys

    def watch_saved(self, targets: Sequence[ResolvedTarget]) -> list[int]:
        """Watch saved targets (a selection, a folder, the list) at the interval the results tools show."""
        keys = self.test_saved(targets, start=False)
        self.watch(keys)
        return keys

    def watch_selected(self) -> None:
        self.watch(self.selected_keys())

    def watch(self, keys: Sequence[int]) -> None:
        """Test these rows again every N seconds (the interval box) until cancelled; their Watch column shows."""
        if keys:
            self.table.show_column(Column.WATCH, True)
            self.watching.start(keys, self.results_pane.watch_interval.value())

    def _lookup_credential(self, name: str) -> StoredCredential | None:
        if name in self._list_credentials:
            return self._list_credentials[name]
        return self.credentials.get(name)

    def show_demo_list(
        self, lst: TargetList, credentials: dict[str, StoredCredential], ca_file: str, note: str = ""
    ) -> None:
        """The demo's list: in memory only, with its own credentials and CA, never over the user's list file."""
        self._list_credentials = dict(credentials)
        self._list_ca_file = ca_file
        self.list_panel.show_in_memory(lst, "The demo list is held in memory only and is not saved; your own "
                                            "target list file is not touched." + (f" {note}" if note else ""))

    def run(self, keys: Iterable[int], keep_shown: bool = False) -> None:
        """Test these rows (again). The same path for Enter, Re-run, F5, a watch's cycles, the demo and the
        self-test; ``keep_shown``: see ResultsModel.start_run."""
        jobs = self.model.start_run(keys, keep_shown)
        if any(spec.options.open_shell for _, _, spec in jobs):
            self._follow_session()
        self.runner.run(jobs, self.preferences.concurrency)
        self._update_progress()
        self.details.refresh()

    def rerun_all(self) -> None:
        self.run(self.model.all_keys())

    def rerun_selected(self) -> None:
        self.run(self.selected_keys())

    def cancel_selected(self) -> None:
        """Cancel the selected rows' tests, and stop watching them."""
        keys = self.selected_keys()
        self.watching.stop(keys)
        self.runner.cancel(keys)

    def cancel_all(self) -> None:
        self.watching.stop_all()
        self.runner.cancel_all()

    def cancel_selected_or_all(self) -> None:
        keys = self.selected_keys()
        busy = [k for k in keys if self.runner.is_running(k) or self.watching.is_watched(k)]
        if busy:
            self.watching.stop(busy)
            self.runner.cancel(busy)
        else:
            self.cancel_all()

    def remove_selected(self) -> None:
        keys = self.selected_keys()
        self.watching.stop(keys)
        self.runner.cancel(keys)
        if self.details.row is not None and self.details.row.key in keys:
            self.details.show_row(None)
        self.model.remove(keys)
        self._follow_session()
        self._update_progress()

    def clear_finished(self) -> None:
        finished = [k for k in self.model.all_keys()
                    if not self.runner.is_running(k) and not self.watching.is_watched(k)]
        if self.details.row is not None and self.details.row.key in finished:
            self.details.show_row(None)
        self.model.remove(finished)
        self._follow_session()
        self._update_progress()

    def export_results(self) -> Path | None:
        """The selected rows, or every row when one or none is selected (the usual "export this run")."""
        keys = self.selected_keys()
        return export_results(self, self.model, keys if len(keys) > 1 else self.model.all_keys())

    def copy_selected_csv(self) -> None:
        copy_results_csv(self, self.model, self.selected_keys() or self.model.all_keys())

    def copy_selected(self) -> None:
        keys = self.selected_keys()
        if keys:
            QGuiApplication.clipboard().setText(rows_as_text(self.model, keys))

    def _on_updates(self, updates: Updates) -> None:
        self.model.apply(updates)
        self.history_keeper.record(updates, self.model)
        self.watching.on_updates(updates)
        shown = self.details.row
        if shown is not None and any(key == shown.key for key, _ in updates):
            self.details.refresh()
        self._update_progress()

    def save_history(self, wait: bool = False) -> None:
        self.history_keeper.save(wait)

    def _on_watch_changes(self, changes: list[tuple[int, Change]]) -> None:
        """Watched rows went down or came back: highlighted in the table, logged in their details, announced."""
        self.notifier.announce(changes, self.preferences.notify, self.preferences.sound)

    def _update_progress(self) -> None:
        self.run_status.show(self.model.progress(), self.model.failures_by_problem(), self.watching.describe(),
                             self.runner.busy)
        self._update_buttons()

    def _update_buttons(self) -> None:
        keys = self.selected_keys()
        self.rerun_button.setEnabled(bool(keys))
        self.cancel_row_button.setEnabled(any(self.runner.is_running(k) or self.watching.is_watched(k) for k in keys))
        self.results_pane.watch_button.setEnabled(bool(keys))
        self.rerun_all_button.setEnabled(self.model.rowCount() > 0)

    # --- selection --------------------------------------------------------------------------------------------

    def selected_keys(self) -> list[int]:
        rows = self.table.selectionModel().selectedRows()
        return [int(index.data(KEY_ROLE)) for index in sorted(rows, key=lambda i: i.row())]

    def _select_key(self, key: int) -> None:
        number = self.model.row_number(key)
        if number is None:
            return
        index = self.proxy.mapFromSource(self.model.index(number, 0))
        if index.isValid():
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = current.data(KEY_ROLE) if current.isValid() else None
        row = None if key is None else self.model.row(int(key))
        self._seen(current)
        self.details.show_row(row)

    def _seen(self, index: QModelIndex) -> None:
        """A watched row's change is highlighted until the user selects or clicks that row."""
        key = index.data(KEY_ROLE) if index.isValid() else None
        row = None if key is None else self.model.row(int(key))
        if row is not None and row.changed:
            row.changed = False
            self.model.refresh([row.key])

    # --- settings and state -----------------------------------------------------------------------------------

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.preferences, self)
        accepted = dialog.exec()
        dialog.deleteLater()  # parented to the window, it would otherwise live as long as the window
        if accepted:
            self.preferences = dialog.preferences()
            self.preferences.save()
            self.target_bar.apply_preferences(self.preferences)
            self.list_panel.set_app_defaults(self.preferences.list_defaults())
            apply_theme(self.preferences.theme)
            self._follow_session()

    def _follow_session(self) -> None:
        """The session stage runs only when asked for: its column shows while the switch is on or a row asks."""
        self.table.need_column(SESSION, self.preferences.session or self.model.asks_for_session())

    def list_header(self) -> QHeaderView:
        return self.list_panel.tree.header()

    def results_header(self) -> QHeaderView:
        return self.table.horizontalHeader()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            follow_palette()  # light or dark now: the table's own colours follow
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Cancel first: the operations' threads are daemons and abandoned probes never call back, so this returns
        # promptly and nothing reaches the model afterwards.
        self.watching.stop_all()
        self.runner.shutdown()
        self.notifier.close()
        self.history_keeper.close()
        try:
            windowstate.save(self, self)
        except Exception:  # a read-only settings file must not keep the window open
            log.exception("could not save the window state")
        super().closeEvent(event)

    # --- which list file ----------------------------------------------------------------------------------

    def with_list_path(self, action: Callable[[], Any]) -> Callable[[], None]:
        """Run a panel file action, then remember which file the list lives in for the next start."""

        def run() -> None:
            action()
            document = self.list_panel.document
            if document.path is not None:  # a list from a file: the demo's credentials and CA are not for it
                self._list_credentials, self._list_ca_file = {}, None
            if self.persist and document.path is not None and document.autosave:
                windowstate.remember_list_path(document.path)

        return run

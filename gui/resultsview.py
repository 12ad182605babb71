"""The results table as the user sees it: the filter and row buttons above a sortable table of live results."""

from __future__ import annotations

from typing import Any

from core.watch import DEFAULT_INTERVAL
from gui.columns import HEADERS, OPTIONAL, WIDTHS, Column
from gui.qt import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLineEdit,
    QMenu,
    QPoint,
    QPushButton,
    QSpinBox,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.results_filter import ResultsFilter


class ResultsView(QTableView):
    """The table; Ctrl+C and Del are handled here so they act on rows, not on the focused cell."""

    copy_requested = Signal()
    delete_requested = Signal()

    def __init__(self, proxy: ResultsFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(proxy)
        self.setAccessibleName("Results")
        # No sort column until the user clicks a header: rows stay in the order they were added.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionsMovable(True)  # the user's order; saved with the widths and choice (gui/windowstate.py)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        for column in Column:
            self.setColumnWidth(column, WIDTHS[column])
            header.setSectionHidden(column, column in OPTIONAL)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._needed: dict[Column, bool] = {}

    def need_column(self, column: Column, needed: bool) -> None:
        """Show an optional column when it becomes needed and hide it when it no longer is; in between the user's
        own choice (the header's menu) stands."""
        if self._needed.get(column) != needed:
            self._needed[column] = needed
            self.show_column(column, needed)

    def fill_column_menu(self, menu: QMenu) -> None:
        """A check box per column: which ones the table shows. The last one shown cannot be turned off."""
        header = self.horizontalHeader()
        menu.clear()
        shown = [c for c in Column if not header.isSectionHidden(c)]
        for column in sorted(Column, key=header.visualIndex):
            action = menu.addAction(HEADERS[column])
            action.setCheckable(True)
            action.setChecked(column in shown)
            action.setEnabled(shown != [column])
            action.toggled.connect(lambda on, c=column: self.show_column(c, on))
        menu.addSeparator()
        menu.addAction("Default columns").triggered.connect(lambda *_: self.default_columns())

    def show_column(self, column: Column, on: bool) -> None:
        header = self.horizontalHeader()
        header.setSectionHidden(column, not on)
        if on and header.sectionSize(column) < 20:
            header.resizeSection(column, WIDTHS[column])

    def default_columns(self) -> None:
        """Every column back where, as wide and as shown as on the first start."""
        header = self.horizontalHeader()
        for column in Column:
            header.moveSection(header.visualIndex(column), column)
            header.setSectionHidden(column, column in OPTIONAL and not self._needed.get(column, False))
            header.resizeSection(column, WIDTHS[column])

    def _header_menu(self, position: QPoint) -> None:
        menu = QMenu("Columns", self)
        self.fill_column_menu(menu)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.horizontalHeader().mapToGlobal(position))

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
        elif event.key() == Qt.Key.Key_Delete:
            self.delete_requested.emit()
        else:
            super().keyPressEvent(event)


class ResultsPane(QWidget):
    """The filter, "failures only" and the row buttons above the table; the window connects the buttons."""

    def __init__(self, proxy: ResultsFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter results…")
        self.filter.setAccessibleName("Filter results")
        self.filter.setToolTip("Show only rows whose target, problem, endpoint or version contains this text")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(proxy.set_text)
        self.failures_only = QCheckBox("&Failures only", self)
        self.failures_only.setToolTip("Hide the rows that passed, are running or were cancelled")
        self.failures_only.toggled.connect(proxy.set_failures_only)
        self.rerun_button = QPushButton("&Re-run selected", self)
        self.rerun_button.setToolTip("Test the selected rows again")
        self.cancel_row_button = QPushButton("Ca&ncel selected", self)
        self.cancel_row_button.setToolTip("Cancel the selected running tests")
        self.rerun_all_button = QPushButton("Re-run &all", self)
        self.rerun_all_button.setToolTip("Test every row again (F5 or Ctrl+Enter)")
        self.watch_button = QPushButton("Watch selected", self)
        self.watch_button.setToolTip("Test the selected rows again and again, and say when one goes down or comes "
                                     "back; Cancel stops it")
        self.watch_interval = QSpinBox(self)
        self.watch_interval.setRange(1, 3600)
        self.watch_interval.setValue(int(DEFAULT_INTERVAL))
        self.watch_interval.setPrefix("every ")
        self.watch_interval.setSuffix(" s")
        self.watch_interval.setAccessibleName("Watch interval in seconds")
        self.watch_interval.setToolTip("How often a watch tests its targets (for the next watch started)")
        self.table = ResultsView(proxy, self)

        tools = QHBoxLayout()
        tools.addWidget(self.filter, 2)
        tools.addWidget(self.failures_only)
        tools.addStretch(1)
        for button in (self.rerun_button, self.cancel_row_button, self.rerun_all_button, self.watch_button):
            tools.addWidget(button)
        tools.addWidget(self.watch_interval)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        QWidget.setTabOrder(self.filter, self.failures_only)
        QWidget.setTabOrder(self.failures_only, self.rerun_button)
        QWidget.setTabOrder(self.rerun_button, self.cancel_row_button)
        QWidget.setTabOrder(self.cancel_row_button, self.rerun_all_button)
        QWidget.setTabOrder(self.rerun_all_button, self.watch_button)
        QWidget.setTabOrder(self.watch_button, self.watch_interval)
        QWidget.setTabOrder(self.watch_interval, self.table)

"""The results table as the user sees it: the filter and row buttons above a sortable table of live results."""

from __future__ import annotations

from typing import Any

from gui.columns import Column
from gui.qt import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLineEdit,
    QPushButton,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.results_filter import ResultsFilter

COLUMN_WIDTHS = {Column.STATUS: 100, Column.TARGET: 170, Column.ENDPOINT: 220, Column.TIME: 70,
                 Column.VERSION: 235, Column.VERDICT: 280}


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
        for column in Column:
            self.setColumnWidth(column, COLUMN_WIDTHS.get(column, 72))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

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
        self.filter.setToolTip("Show only rows whose target, endpoint, version or verdict contains this text")
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
        self.table = ResultsView(proxy, self)

        tools = QHBoxLayout()
        tools.addWidget(self.filter, 2)
        tools.addWidget(self.failures_only)
        tools.addStretch(1)
        for button in (self.rerun_button, self.cancel_row_button, self.rerun_all_button):
            tools.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        QWidget.setTabOrder(self.filter, self.failures_only)
        QWidget.setTabOrder(self.failures_only, self.rerun_button)
        QWidget.setTabOrder(self.rerun_button, self.cancel_row_button)
        QWidget.setTabOrder(self.cancel_row_button, self.rerun_all_button)
        QWidget.setTabOrder(self.rerun_all_button, self.table)

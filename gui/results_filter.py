"""Sorting and filtering the results table, and its rows as text for the clipboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from gui.columns import HEADERS, ROW_FLAGS, SEARCH_ROLE, SORT_ROLE, STATE_ROLE, Column
from gui.qt import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from gui.rows import State

if TYPE_CHECKING:
    from gui.results_model import ResultsModel

AnyIndex = QModelIndex | QPersistentModelIndex


class ResultsFilter(QSortFilterProxyModel):
    """Sorts by each column's natural key and filters by free text and "failures only"."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._failures_only = False
        self._text = ""
        self._sorted = False
        self._in_order = True  # neither sorted nor filtered: each row is the model's row of the same number
        self._update_dynamic()

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self._update_dynamic()

    def set_failures_only(self, on: bool) -> None:
        self.beginFilterChange()
        self._failures_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self._update_dynamic()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sorted = column >= 0
        self._update_dynamic()
        super().sort(column, order)

    def _update_dynamic(self) -> None:
        # Re-sorting and re-filtering on every update costs a Python call per changed row; while the table is
        # neither sorted nor filtered there is nothing to redo, and live runs of hundreds of rows stay smooth.
        self._in_order = not (self._sorted or self._failures_only or self._text)
        self.setDynamicSortFilter(not self._in_order)

    @property
    def failures_only(self) -> bool:
        return self._failures_only

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        super().setSourceModel(model)
        self._model = cast("ResultsModel", model)

    def multiData(self, index: AnyIndex, roles: QModelRoleDataSpan | QModelRoleData) -> None:
        # QSortFilterProxyModel would ask the table's model role by role; the model answers a cell at once. In order,
        # the cell's row is the model's: asking Qt to map it lets go of the GIL, and winning it back from the test
        # threads, for every painted cell, was a third of a paint's time during a run.
        source = index if self._in_order else self.mapToSource(index)
        self._model.fill(source.row() if source.isValid() else -1, source.column(), roles)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        # Asked for every painted cell. Qt's own answer maps the cell to the model and asks it, three calls into
        # Python (rowCount, columnCount, flags) that each wait for the GIL while the workers hold it; every row of
        # the results table is alike.
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        model = self.sourceModel()
        if self._failures_only:
            state = model.data(model.index(source_row, Column.STATUS, source_parent), STATE_ROLE)
            if state not in (State.FAILED.value, State.INVALID.value):
                return False
        if not self._text:
            return True
        haystack = model.data(model.index(source_row, Column.STATUS, source_parent), SEARCH_ROLE)
        return bool(haystack) and self._text in haystack


def rows_as_text(model: ResultsModel, keys: Sequence[int]) -> str:
    """Tab-separated rows with a header line, as Ctrl+C copies them (pastes into a spreadsheet)."""
    lines = ["\t".join(HEADERS[c] for c in Column)]
    for key in keys:
        number = model.row_number(key)
        if number is None:
            continue
        cells = (str(model.data(model.index(number, c)) or "") for c in Column)
        lines.append("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells))
    return "\n".join(lines) + "\n"

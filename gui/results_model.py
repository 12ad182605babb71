"""The results table: one row per target, one cell per stage, updated live. Testable without a window.

Rows are identified by a ``key`` that never changes while the row exists (sorting and filtering happen in the
proxy, gui/results_filter.py), and every run of a row gets a new ``run_id`` so that a late update from an earlier,
cancelled run can never overwrite the current one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from core import Diagnosis, StageStatus
from core.report import verdict
from gui.colours import STAGE_SYMBOLS, STATE_BRUSHES, STATE_ICONS
from gui.columns import HEADER_TIPS, HEADERS, KEY_ROLE, SORT_ROLE, STAGE_COLUMNS, STATE_ROLE, Column
from gui.icons import icon
from gui.messages import plain_tooltip
from gui.qt import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from gui.results_filter import ResultsFilter, rows_as_text
from gui.rows import Progress, Row, State, TestSpec, Updates, format_ms

# The names the table's users (the window, tests, the benchmark) have always imported from here.
__all__ = ["STATE_ROLE", "Column", "Progress", "ResultsFilter", "ResultsModel", "Row", "State", "TestSpec",
           "Updates", "rows_as_text"]

AnyIndex = QModelIndex | QPersistentModelIndex
_ANSWERED = frozenset(
    int(role)
    for role in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ForegroundRole,
        SORT_ROLE,
        KEY_ROLE,
        STATE_ROLE,
    )
)



class ResultsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._index: dict[int, int] = {}  # key → row number
        self._next_key = 1
        # Kept up to date on every change, so the status bar never walks hundreds of rows per update.
        self._counts: Counter[State] = Counter()

    # --- rows -------------------------------------------------------------------------------------------------

    def add(self, specs: Iterable[TestSpec]) -> list[int]:
        specs = list(specs)
        if not specs:
            return []
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(specs) - 1)
        keys = []
        for spec in specs:
            row = Row(self._next_key, spec)
            self._next_key += 1
            self._index[row.key] = len(self._rows)
            self._rows.append(row)
            keys.append(row.key)
        self._counts[State.NOT_TESTED] += len(specs)
        self.endInsertRows()
        return keys

    def remove(self, keys: Iterable[int]) -> None:
        doomed = sorted((self._index[k] for k in set(keys) if k in self._index), reverse=True)
        for number in doomed:  # bottom-up, so the numbers still to remove stay valid
            self.beginRemoveRows(QModelIndex(), number, number)
            self._counts[self._rows[number].state] -= 1
            del self._rows[number]
            self.endRemoveRows()
        self._index = {row.key: n for n, row in enumerate(self._rows)}

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._index.clear()
        self._counts.clear()
        self.endResetModel()

    def all_keys(self) -> list[int]:
        return [row.key for row in self._rows]

    def row(self, key: int) -> Row | None:
        number = self._index.get(key)
        return None if number is None else self._rows[number]

    def row_number(self, key: int) -> int | None:
        return self._index.get(key)

    def row_at(self, number: int) -> Row:
        return self._rows[number]

    def running_keys(self) -> list[int]:
        return [row.key for row in self._rows if row.run_id and not row.final]

    def start_run(self, keys: Iterable[int]) -> list[tuple[int, int, TestSpec]]:
        """Mark rows as queued for a new run; return (key, run id, spec) for the runner."""
        started = []
        low, high = len(self._rows), -1
        for key in keys:
            number = self._index.get(key)
            if number is None:
                continue
            row = self._rows[number]
            self._counts[row.state] -= 1
            row.run_id += 1
            row.diagnosis, row.final, row.cells = None, False, None
            self._counts[row.state] += 1
            started.append((key, row.run_id, row.spec))
            low, high = min(low, number), max(high, number)
        if high >= 0:
            self._changed(low, high)  # one signal: a thousand would each make the proxy re-check the row
        return started

    def apply(self, updates: Updates) -> None:
        """Take a batch of snapshots; stale ones (removed rows, earlier runs, after a final) are dropped."""
        low, high = len(self._rows), -1
        for (key, run_id), (diagnosis, final) in updates.items():
            number = self._index.get(key)
            if number is None:
                continue
            row = self._rows[number]
            if row.run_id != run_id or row.final:
                continue
            self._counts[row.state] -= 1
            row.diagnosis, row.final, row.cells = diagnosis, final, None
            self._counts[row.state] += 1
            low, high = min(low, number), max(high, number)
        if high >= 0:
            # One signal for the span: hundreds of per-row signals would cost more than repainting a few rows.
            self._changed(low, high)

    def progress(self) -> Progress:
        c = self._counts
        total = len(self._rows) - c[State.NOT_TESTED]
        running = c[State.QUEUED] + c[State.RUNNING]
        return Progress(total - running, total, c[State.FAILED] + c[State.INVALID], c[State.CANCELLED], running)

    def _changed(self, low: int, high: int) -> None:
        self.dataChanged.emit(self.index(low, 0), self.index(high, len(Column) - 1))

    # --- Qt model ---------------------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(Column(section))
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every cell and role on every repaint, while worker threads compete for the GIL: the roles
        # we never answer leave at once, and display texts are computed once per update, not once per paint.
        if role not in _ANSWERED or not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if row.cells is None:
                row.cells = tuple(self._text(row, c) for c in Column)
            return row.cells[index.column()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self._tooltip(row, column))
        if role == Qt.ItemDataRole.DecorationRole and column is Column.STATUS:
            return icon(STATE_ICONS[row.state])
        if role == Qt.ItemDataRole.ForegroundRole and column in (Column.STATUS, Column.VERDICT):
            return STATE_BRUSHES.get(row.state)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == KEY_ROLE:
            return row.key
        if role == STATE_ROLE:
            return row.state.value
        return None

    def _text(self, row: Row, column: Column) -> str:
        d = row.diagnosis
        if column is Column.STATUS:
            return row.state.value
        if column is Column.TARGET:
            return row.spec.name or row.spec.label
        if column is Column.ENDPOINT:
            return (d.endpoint if d is not None and d.endpoint else "") or row.spec.destination
        if d is None:
            return ""
        if column in STAGE_COLUMNS:
            return _stage_text(d, STAGE_COLUMNS[column])
        if column is Column.TIME:
            return format_ms(d.elapsed_ms) if row.final else ""
        if column is Column.VERSION:
            return "" if d.identify is None else d.identify.product_version
        if column is Column.VERDICT:
            # A weakened result ("certificate not verified") says so in the row, not only in the details.
            return "; ".join([verdict(d), *d.notes]) if row.final else verdict(d)
        return ""

    def _spoken(self, row: Row, column: Column) -> str:
        """What a screen reader says: words instead of the ✔ / ✖ symbols."""
        d = row.diagnosis
        if column not in STAGE_COLUMNS or d is None:
            return self._text(row, column)
        name = STAGE_COLUMNS[column]
        if d.running_stage == name:
            return f"{name} running"
        stage = d.stage(name)
        timing = f" {format_ms(stage.elapsed_ms)}" if stage.status in (StageStatus.OK, StageStatus.FAILED) else ""
        return f"{name} {stage.status.value.replace('_', ' ')}{timing}"

    def _tooltip(self, row: Row, column: Column) -> str | None:
        d = row.diagnosis
        if column is Column.TARGET:
            return row.spec.description or row.spec.label
        if d is None:
            return None
        if column in STAGE_COLUMNS:
            stage = d.stage(STAGE_COLUMNS[column])
            return f"{stage.name}: {stage.status.value}" + (f" — {stage.detail}" if stage.detail else "")
        if column in (Column.VERDICT, Column.STATUS) and d.failure is not None and row.final:
            return f"{d.failure.message}\n\nWhat to try: {d.failure.hint}"
        if column is Column.VERSION and d.identify is not None:
            return f"{d.identify.product_vendor} {d.identify.product_version}"
        return None

    def _sort_key(self, row: Row, column: Column) -> Any:
        d = row.diagnosis
        if column is Column.STATUS:
            return list(State).index(row.state)
        if column in STAGE_COLUMNS:
            if d is None:
                return -1.0
            stage = d.stage(STAGE_COLUMNS[column])
            # Failures first when sorting descending; within a status, by time.
            return (1e9 if stage.status is StageStatus.FAILED else 0.0) + stage.elapsed_ms
        if column is Column.TIME:
            return -1.0 if d is None else d.elapsed_ms
        return self._text(row, column).lower()


def _stage_text(d: Diagnosis, name: str) -> str:
    if d.running_stage == name:
        return "…"
    stage = d.stage(name)
    symbol = STAGE_SYMBOLS[stage.status]
    if stage.status in (StageStatus.OK, StageStatus.FAILED):
        return f"{symbol} {format_ms(stage.elapsed_ms)}"
    return symbol

"""The results table: one row per target, one cell per stage, updated live. Testable without a window.

Rows are identified by a ``key`` that never changes while the row exists (sorting and filtering happen in the
proxy, gui/results_filter.py), and every run of a row gets a new ``run_id`` so that a late update from an earlier,
cancelled run can never overwrite the current one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, cast

from core.report import problem
from gui import cells
from gui.colours import STATE_ICONS, brush
from gui.columns import (
    HEADER_TIPS,
    HEADERS,
    KEY_ROLE,
    ROW_FLAGS,
    SEARCH_ROLE,
    SORT_ROLE,
    STAGE_COLUMNS,
    STATE_ROLE,
    Column,
)
from gui.icons import icon
from gui.messages import plain_tooltip
from gui.qt import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
)
from gui.results_filter import ResultsFilter, rows_as_text
from gui.rows import Progress, Row, State, TestSpec, Updates

# The names the table's users (the window, tests, the benchmark) have always imported from here.
__all__ = ["STATE_ROLE", "Column", "Progress", "ResultsFilter", "ResultsModel", "Row", "State", "TestSpec",
           "Updates", "rows_as_text"]

AnyIndex = QModelIndex | QPersistentModelIndex
_CENTRED = int(Qt.AlignmentFlag.AlignCenter)
_COLUMNS = tuple(Column)
# How changed rows are grouped into dataChanged signals (see ResultsModel._changed).
_ROWS_PER_SIGNAL = 8  # 8 rows of 13 cells: well inside the range Qt repaints cell by cell (about 200 cells)
_NEAR = 3  # rows at most this far apart share a signal
_MANY_ROWS = 100  # more changed rows than a screen shows
_ANSWERED = frozenset(
    int(role)
    for role in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        SORT_ROLE,
        KEY_ROLE,
        STATE_ROLE,
        SEARCH_ROLE,
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
        self._problems: Counter[str] = Counter()  # the failed rows' problems

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
            self._uncount(self._rows[number])
            del self._rows[number]
            self.endRemoveRows()
        self._index = {row.key: n for n, row in enumerate(self._rows)}

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._index.clear()
        self._counts.clear()
        self._problems.clear()
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

    def start_run(self, keys: Iterable[int], keep_shown: bool = False) -> list[tuple[int, int, TestSpec]]:
        """Mark rows as queued for a new run; return (key, run id, spec) for the runner. ``keep_shown`` (a watch's
        next cycle): a row that shows a result keeps it until the new run's result is in, instead of showing the
        test's progress again every few seconds."""
        started = []
        numbers = []
        for key in keys:
            number = self._index.get(key)
            if number is None:
                continue
            row = self._rows[number]
            if keep_shown and row.final:
                row.run_id += 1  # nothing shown changes: no count, no signal
            else:
                self._uncount(row)  # before the new run id: a row's state depends on it
                row.run_id += 1
                row.diagnosis, row.final, row.cells, row.problem = None, False, None, ""
                self._count(row)
                numbers.append(number)
            started.append((key, row.run_id, row.spec))
        self._changed(numbers)
        return started

    def apply(self, updates: Updates) -> None:
        """Take a batch of snapshots; stale ones (removed rows, earlier runs, after a final) are dropped, and so is
        the progress of a run whose row keeps showing its last result (``start_run(keep_shown=True)``)."""
        numbers = []
        for (key, run_id), (diagnosis, final) in updates.items():
            number = self._index.get(key)
            if number is None:
                continue
            row = self._rows[number]
            if row.run_id != run_id or (row.final and (row.shown_run == run_id or not final)):
                continue
            self._uncount(row)
            row.diagnosis, row.final, row.cells, row.shown_run = diagnosis, final, None, run_id
            row.problem = problem(diagnosis) if final else ""
            self._count(row)
            numbers.append(number)
        self._changed(numbers)

    def refresh(self, keys: Iterable[int]) -> None:
        """Show these rows again (their watch state changed)."""
        numbers = [n for k in keys if (n := self._index.get(k)) is not None]
        for number in numbers:
            self._rows[number].cells = None
        self._changed(numbers)

    def _count(self, row: Row) -> None:
        state = row.state
        self._counts[state] += 1
        if state in (State.FAILED, State.INVALID):
            self._problems[row.problem] += 1

    def _uncount(self, row: Row) -> None:
        state = row.state
        self._counts[state] -= 1
        if state in (State.FAILED, State.INVALID):
            self._problems[row.problem] -= 1
            if self._problems[row.problem] <= 0:
                del self._problems[row.problem]

    def asks_for_session(self) -> bool:
        """Whether a row's test opens a remote shell (the session stage, off unless asked for)."""
        return any(row.spec.options.open_shell for row in self._rows)

    def progress(self) -> Progress:
        c = self._counts
        total = len(self._rows) - c[State.NOT_TESTED]
        running = c[State.QUEUED] + c[State.RUNNING]
        return Progress(total - running, total, c[State.FAILED] + c[State.INVALID], c[State.CANCELLED], running,
                        c[State.UNTESTED])

    def failures_by_problem(self) -> Counter[str]:
        """How many finished rows failed with each problem."""
        return Counter(self._problems)

    def _changed(self, numbers: Iterable[int]) -> None:
        """Signal the changed rows. Painting a cell calls into Python, which has to win the GIL back from the test
        threads, so only changed rows may repaint: a signal spanning many unchanged rows, or more than about 200
        cells (Qt then repaints the whole viewport), made every flush repaint every row on screen (bench section
        5). A signal costs about as much as a painted cell, so rows a few apart share one, and when most rows
        changed one signal for all is cheapest."""
        ordered = sorted(numbers)
        if len(ordered) > _MANY_ROWS:
            self._signal(ordered[0], ordered[-1])
            return
        first = last = -1
        for number in ordered:
            if first >= 0 and (number - last > _NEAR or number - first >= _ROWS_PER_SIGNAL):
                self._signal(first, last)
                first = -1
            if first < 0:
                first = number
            last = number
        if first >= 0:
            self._signal(first, last)

    def _signal(self, first: int, last: int) -> None:
        # createIndex, not index: index() asks rowCount and columnCount, two more calls back into Python
        self.dataChanged.emit(self.createIndex(first, 0), self.createIndex(last, len(Column) - 1))

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
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every cell and role on every repaint, while worker threads compete for the GIL: the roles
        # we never answer leave at once, and display texts are computed once per update, not once per paint.
        if role not in _ANSWERED or not index.isValid() or index.row() >= len(self._rows):
            return None
        return self._value(self._rows[index.row()], index.column(), role)

    def multiData(self, index: AnyIndex, roles: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role a painted cell needs, in one call: the view asks for seven or more per cell, and each call
        into Python has to win the GIL back from the workers."""
        self.fill(index.row() if index.isValid() else -1, index.column(), roles)

    def fill(self, number: int, column: int, roles: QModelRoleDataSpan | QModelRoleData) -> None:
        """multiData for the cell at (row number, column), -1 for none; the filter calls it directly, without a
        second trip through Qt. Every entry is set or cleared: the view hands the same span over for one cell after
        another."""
        row = self._rows[number] if 0 <= number < len(self._rows) else None
        # The span is a sequence at run time (len and indexing); the binding's type stubs do not say so.
        entries = [roles] if isinstance(roles, QModelRoleData) else cast("Sequence[QModelRoleData]", roles)
        for entry in entries:
            role = entry.role()
            value = self._value(row, column, role) if row is not None and role in _ANSWERED else None
            if value is None:
                entry.clearData()
            else:
                entry.setData(value)

    def _value(self, row: Row, number: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return cells.texts(row)[number]
        column = _COLUMNS[number]  # a tuple lookup: Column(number) costs a microsecond per call
        if role == Qt.ItemDataRole.ForegroundRole:
            return cells.foreground(row, column)
        if role == Qt.ItemDataRole.BackgroundRole:
            return brush("changed") if row.changed else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTRED if column in STAGE_COLUMNS else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return cells.spoken(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(cells.tooltip(row, column))
        if role == Qt.ItemDataRole.DecorationRole and column is Column.STATUS:
            return icon(STATE_ICONS[row.state])
        if role == SORT_ROLE:
            return cells.sort_key(row, column)
        if role == KEY_ROLE:
            return row.key
        if role == STATE_ROLE:
            return row.state.value
        if role == SEARCH_ROLE:
            return cells.searched(row)
        return None

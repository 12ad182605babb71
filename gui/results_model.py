"""The results table: one row per target, one cell per stage, updated live. Testable without a window.

Rows are identified by a ``key`` that never changes while the row exists (sorting and filtering happen in the
proxy), and every run of a row gets a new ``run_id`` so that a late update from an earlier, cancelled run can
never overwrite the current one.
"""

from __future__ import annotations

import enum
import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core import STAGE_NAMES, DestinationOptions, Diagnosis, StageStatus
from core.mi import MIErrorCategory
from core.report import verdict
from gui.icons import icon
from gui.qt import QAbstractTableModel, QBrush, QColor, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

AnyIndex = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
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


class Column(enum.IntEnum):
    STATUS = 0
    TARGET = 1
    ENDPOINT = 2
    DNS = 3
    TCP = 4
    TLS = 5
    WSMAN = 6
    AUTH = 7
    TIME = 8
    VERSION = 9
    VERDICT = 10


HEADERS = {
    Column.STATUS: "Status",
    Column.TARGET: "Target",
    Column.ENDPOINT: "Endpoint",
    Column.DNS: "DNS",
    Column.TCP: "TCP",
    Column.TLS: "TLS",
    Column.WSMAN: "WS-Man",
    Column.AUTH: "Auth",
    Column.TIME: "Time",
    Column.VERSION: "Product version",
    Column.VERDICT: "Verdict",
}
HEADER_TIPS = {
    Column.DNS: "Name resolution",
    Column.TCP: "TCP connection to the port",
    Column.TLS: "HTTPS handshake and certificate (skipped on HTTP)",
    Column.WSMAN: "A WS-Management service answers the anonymous Identify",
    Column.AUTH: "The credentials are accepted (skipped without authentication)",
}
STAGE_COLUMNS = {Column.DNS: "dns", Column.TCP: "tcp", Column.TLS: "tls", Column.WSMAN: "wsman", Column.AUTH: "auth"}
# The registry's stages in its order; the session stage gets its column when the window gets its switch.
assert tuple(STAGE_COLUMNS.values()) == STAGE_NAMES[: len(STAGE_COLUMNS)]


class State(enum.StrEnum):
    """What the status column says. Each has a word and an icon: colour is never the only signal."""

    NOT_TESTED = "Not tested"
    QUEUED = "Queued"
    RUNNING = "Testing"
    OK = "OK"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    INVALID = "Invalid input"


STATE_ICONS = {
    State.NOT_TESTED: "status-queued",
    State.QUEUED: "status-queued",
    State.RUNNING: "status-running",
    State.OK: "status-ok",
    State.FAILED: "status-failed",
    State.CANCELLED: "status-cancelled",
    State.INVALID: "status-invalid",
}
# Dark enough to read on a light background, light enough on a dark one.
STATE_COLOURS = {
    State.OK: QColor("#2e7d32"),
    State.FAILED: QColor("#d32f2f"),
    State.CANCELLED: QColor("#757575"),
    State.INVALID: QColor("#e65100"),
}
STATE_BRUSHES = {state: QBrush(colour) for state, colour in STATE_COLOURS.items()}
STAGE_SYMBOLS = {
    StageStatus.OK: "✔",
    StageStatus.FAILED: "✖",
    StageStatus.SKIPPED: "-",
    StageStatus.CANCELLED: "⊘",
    StageStatus.NOT_RUN: "",
}


@dataclass(frozen=True)
class TestSpec:
    """What to test for one row. ``options`` may carry a password: it stays in memory and is never shown."""

    __test__ = False  # not a pytest test class

    destination: str  # the endpoint URL handed to core
    label: str  # host:port, as the target column shows it
    options: DestinationOptions
    name: str = ""  # e.g. the demo scenario
    description: str = ""


@dataclass
class Row:
    key: int
    spec: TestSpec
    run_id: int = 0
    diagnosis: Diagnosis | None = None
    final: bool = False
    cells: tuple[str, ...] | None = None  # display texts, computed on first paint after each change

    @property
    def state(self) -> State:
        d = self.diagnosis
        if self.run_id == 0:
            return State.NOT_TESTED
        if d is None:
            return State.QUEUED
        if not self.final:
            return State.RUNNING
        if d.ok:
            return State.OK
        if d.cancelled:
            return State.CANCELLED
        if d.failure is not None and d.failure.category is MIErrorCategory.INVALID_ARGUMENT:
            return State.INVALID
        return State.FAILED


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    cancelled: int
    running: int

    def text(self) -> str:
        text = f"{self.done} / {self.total}, {self.failed} failed"
        return text + (f", {self.cancelled} cancelled" if self.cancelled else "")


# (row key, run id) → (the latest Diagnosis, whether it is final)
Updates = Mapping[tuple[int, int], tuple[Diagnosis, bool]]


def format_ms(ms: float) -> str:
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


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


class ResultsFilter(QSortFilterProxyModel):
    """Sorts by each column's natural key and filters by free text and "failures only"."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._failures_only = False
        self._text = ""
        self._sorted = False
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
        self.setDynamicSortFilter(self._sorted or self._failures_only or bool(self._text))

    @property
    def failures_only(self) -> bool:
        return self._failures_only

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        model = self.sourceModel()
        if self._failures_only:
            state = model.data(model.index(source_row, Column.STATUS, source_parent), STATE_ROLE)
            if state not in (State.FAILED.value, State.INVALID.value):
                return False
        if not self._text:
            return True
        for column in (Column.TARGET, Column.ENDPOINT, Column.VERSION, Column.VERDICT, Column.STATUS):
            value = model.data(model.index(source_row, column, source_parent), Qt.ItemDataRole.DisplayRole)
            if value and self._text in str(value).lower():
                return True
        return False


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip shown exactly as written. Qt renders a tooltip that looks like HTML as HTML, and these texts quote
    what servers answered and what lists hold: escaped inside a paragraph that keeps the line breaks."""
    if not text:
        return None
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


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

"""What each cell of the results table shows for a row: its text, the words a screen reader says, its tooltip,
colour and sort key. The model (gui/results_model.py) asks as cells are painted."""

from __future__ import annotations

from typing import Any

from core import StageStatus
from core.report import problem
from gui.colours import RUNNING_MARK, STAGE_SYMBOLS, brush, state_brush
from gui.columns import STAGE_COLUMNS, Column
from gui.qt import QBrush
from gui.rows import Row, State, format_ms


def texts(row: Row) -> tuple[str, ...]:
    """Every column's text, computed once per change of the row (``row.cells``) and read at every paint."""
    if row.cells is None:
        row.cells = tuple(text(row, c) for c in Column)
    return row.cells


def searched(row: Row) -> str:
    """The row's words the filter box finds: what the columns show, and the failure's own words ("refused")."""
    shown = texts(row)
    failure = row.diagnosis.failure if row.diagnosis is not None else None
    extra = (failure.detail, failure.message) if failure is not None and row.final else ()
    columns = (Column.STATUS, Column.TARGET, Column.PROBLEM, Column.ENDPOINT, Column.VERSION)
    return "\n".join([*(shown[c] for c in columns), *extra]).lower()


def foreground(row: Row, column: Column) -> QBrush | None:
    if column in (Column.STATUS, Column.PROBLEM):
        return state_brush(row.state)
    d = row.diagnosis
    if column not in STAGE_COLUMNS or d is None:
        return None
    name = STAGE_COLUMNS[column]
    if d.running_stage == name:
        return brush("running")
    status = d.stage(name).status
    if status is StageStatus.OK:
        return state_brush(State.OK)
    if status is StageStatus.FAILED:
        return state_brush(State.FAILED)
    return brush("neutral")


def text(row: Row, column: Column) -> str:
    d = row.diagnosis
    if column is Column.STATUS:
        return row.state.value
    if column is Column.TARGET:
        return row.spec.name or row.spec.label
    if column is Column.ENDPOINT:
        return (d.endpoint if d is not None and d.endpoint else "") or row.spec.destination
    if column is Column.WATCH:
        return "" if row.watch is None else row.watch.summary()
    if d is None:
        return ""
    if column in STAGE_COLUMNS:
        name = STAGE_COLUMNS[column]
        return RUNNING_MARK if d.running_stage == name else STAGE_SYMBOLS[d.stage(name).status]
    if column is Column.TIME:
        return format_ms(d.elapsed_ms) if row.final else ""
    if column is Column.VERSION:
        return "" if d.identify is None else d.identify.product_version
    if column is Column.PROBLEM:
        if not row.final:
            return problem(d)
        # A weakened result ("certificate not verified") says so in the row, not only in the details; a failed
        # row's problem already says what matters (its notes, such as the other ports' answers, are details).
        return row.problem if d.failure is not None else "; ".join([row.problem, *d.notes])
    return ""


def spoken(row: Row, column: Column) -> str:
    """What a screen reader says: words instead of the ✔ / ✖ marks."""
    d = row.diagnosis
    if column not in STAGE_COLUMNS or d is None:
        return text(row, column)
    name = STAGE_COLUMNS[column]
    if d.running_stage == name:
        return f"{name} running"
    stage = d.stage(name)
    timing = f" {format_ms(stage.elapsed_ms)}" if stage.status in (StageStatus.OK, StageStatus.FAILED) else ""
    return f"{name} {stage.status.value.replace('_', ' ')}{timing}"


def tooltip(row: Row, column: Column) -> str | None:
    d = row.diagnosis
    if column is Column.TARGET:
        return row.spec.description or row.spec.label
    if column is Column.WATCH and row.watch is not None:
        return "\n".join(change.describe() for change in row.watch.changes) or None
    if d is None:
        return None
    if column in STAGE_COLUMNS:
        name = STAGE_COLUMNS[column]
        if d.running_stage == name:
            return f"{name}: running"
        stage = d.stage(name)
        timing = f" in {format_ms(stage.elapsed_ms)}" if stage.status in (StageStatus.OK,
                                                                           StageStatus.FAILED) else ""
        return f"{stage.name}: {stage.status.value}{timing}" + (f" — {stage.detail}" if stage.detail else "")
    if column in (Column.PROBLEM, Column.STATUS) and d.failure is not None and row.final:
        return f"{d.failure.message}\n\nWhat to try: {d.failure.hint}"
    if column is Column.VERSION and d.identify is not None:
        return f"{d.identify.product_vendor} {d.identify.product_version}"
    return None


def sort_key(row: Row, column: Column) -> Any:
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
    if column is Column.PROBLEM:
        return row.problem.lower()  # equal problems sort together, whatever notes follow them
    if column is Column.WATCH:
        watch = row.watch
        return (-1.0, "") if watch is None or watch.since is None else (watch.since, str(watch.health))
    return text(row, column).lower()

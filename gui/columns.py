"""The results table's columns and the roles its cells answer besides their text."""

from __future__ import annotations

import enum

from core import STAGES
from gui.qt import Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 4  # what the filter box searches, in lower case
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren  # every cell


class Column(enum.IntEnum):
    """The table's columns: three fixed ones, then one per stage of ``core.stages`` in its order, then four more.

    A stage's column is named after it (``Column["DNS"]``, or :func:`stage_column`), so a new stage gets its column
    without an edit here.
    """

    _ignore_ = ["_columns", "_index", "_stage"]
    STATUS = 0
    TARGET = 1
    PROBLEM = 2
    _columns = vars()
    for _index, _stage in enumerate(STAGES):
        _columns[_stage.name.upper()] = 3 + _index
    ENDPOINT = 3 + len(STAGES)
    TIME = 4 + len(STAGES)
    VERSION = 5 + len(STAGES)
    WATCH = 6 + len(STAGES)


STAGE_COLUMNS: dict[Column, str] = {Column[stage.name.upper()]: stage.name for stage in STAGES}


def stage_column(name: str) -> Column:
    return Column[name.upper()]


HEADERS: dict[Column, str] = {
    Column.STATUS: "Status",
    Column.TARGET: "Target",
    Column.PROBLEM: "Problem",
    **{stage_column(stage.name): stage.title for stage in STAGES},
    Column.ENDPOINT: "Endpoint",
    Column.TIME: "Time",
    Column.VERSION: "Product version",
    Column.WATCH: "Watch",
}
HEADER_TIPS: dict[Column, str] = {
    Column.PROBLEM: "What is wrong, in plain words (or OK and what answered). Sort by it to group equal problems.",
    **{stage_column(stage.name): stage.tooltip for stage in STAGES},
    Column.VERSION: "The ProductVersion the service answered",
    Column.WATCH: "While watching: up or down since when, and how many tests passed and failed",
}
#: The session stage runs only when asked for: its column shows while the window's switch is on or a row asks for
#: the stage, and is hidden otherwise (``ResultsView.need_column``).
SESSION = stage_column("session")
# Hidden until the user chooses otherwise (the header's context menu), or, for Watch and Session, until needed.
OPTIONAL = frozenset({Column.VERSION, Column.WATCH, SESSION})
# Widths that fit the default columns into a 1366-px laptop screen beside the Targets panel.
# (The Targets panel takes about 380 px of a 1366-px window; the table's viewport keeps about 950 with a
# vertical scroll bar; the Session column, when shown, takes 64 of them. tests/test_gui_table.py checks both.)
# Status has room for "Not fully tested" and its icon.
WIDTHS = {Column.STATUS: 124, Column.TARGET: 136, Column.PROBLEM: 232, Column.ENDPOINT: 132, Column.TIME: 52,
          Column.VERSION: 220, Column.WATCH: 220,
          # A stage's mark needs little room; its heading decides the width.
          **{column: max(36, 8 * len(HEADERS[column]) + 8) for column in STAGE_COLUMNS}}

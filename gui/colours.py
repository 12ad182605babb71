"""The window's own colours, icons and marks for a result: each state has a word and an icon too, so colour is
never the only signal."""

from __future__ import annotations

from core import StageStatus
from gui.qt import QBrush, QColor
from gui.rows import State

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

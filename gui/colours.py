"""The window's own colours, icons and marks for a result. Each state also has a word and an icon, so colour is
never the only signal.

Two sets, one for a light and one for a dark window (the OS's scheme, or the one chosen in Settings): a colour
that reads well on white is too dark on a dark grey, and the other way round. ``follow_palette`` picks the set
that fits the application's palette now; the window calls it when the scheme changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import StageStatus
from gui.qt import QBrush, QColor, QGuiApplication, QPalette
from gui.rows import State

STATE_ICONS = {
    State.NOT_TESTED: "status-queued",
    State.QUEUED: "status-queued",
    State.RUNNING: "status-running",
    State.OK: "status-ok",
    State.UNTESTED: "status-untested",
    State.FAILED: "status-failed",
    State.CANCELLED: "status-cancelled",
    State.INVALID: "status-invalid",
}
STAGE_SYMBOLS = {
    StageStatus.OK: "✔",
    StageStatus.FAILED: "✖",
    StageStatus.SKIPPED: "\N{EN DASH}",  # neutral: this stage does not apply
    StageStatus.CANCELLED: "⊘",
    StageStatus.NOT_RUN: "",
}
RUNNING_MARK = "…"  # a stage in flight: with its own colour, so it stands out from the finished ones


@dataclass(frozen=True)
class Scheme:
    dark: bool
    states: dict[State, QColor]
    running: QColor  # a stage in flight
    neutral: QColor  # a skipped stage
    changed: QColor  # the background of a watched row whose state just changed

    def brush(self, state: State) -> QBrush | None:
        colour = self.states.get(state)
        return None if colour is None else QBrush(colour)


# Each text colour has a contrast of at least 4.5:1 against the scheme's usual window and base colours.
LIGHT = Scheme(
    dark=False,
    states={State.OK: QColor("#2e7d32"), State.UNTESTED: QColor("#00695c"), State.FAILED: QColor("#c62828"),
            State.CANCELLED: QColor("#616161"), State.INVALID: QColor("#bf360c")},
    running=QColor("#1565c0"),
    neutral=QColor("#616161"),
    changed=QColor("#fff3cd"),
)
DARK = Scheme(
    dark=True,
    states={State.OK: QColor("#81c784"), State.UNTESTED: QColor("#80cbc4"), State.FAILED: QColor("#ef9a9a"),
            State.CANCELLED: QColor("#bdbdbd"), State.INVALID: QColor("#ffb74d")},
    running=QColor("#90caf9"),
    neutral=QColor("#bdbdbd"),
    changed=QColor("#5c4400"),
)

_current = LIGHT
# Made once per scheme: the table asks for a cell's colour on every paint.
_brushes: dict[State, QBrush] = {}
_stage_brushes: dict[str, QBrush] = {}


def palette_is_dark() -> bool:
    """Whether the application's windows are dark now (the OS's scheme, or the one chosen in Settings)."""
    window = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    return window.lightness() < 128


def follow_palette() -> Scheme:
    """Pick the colour set for the palette in use; returns it."""
    global _current
    _current = DARK if palette_is_dark() else LIGHT
    _brushes.clear()
    _brushes.update({state: QBrush(colour) for state, colour in _current.states.items()})
    _stage_brushes.update(running=QBrush(_current.running), neutral=QBrush(_current.neutral),
                          changed=QBrush(_current.changed))
    return _current


def scheme() -> Scheme:
    return _current


def state_brush(state: State) -> QBrush | None:
    """The text colour of a state (the Status and Problem columns, the list's Last result), for the scheme."""
    if not _brushes:
        follow_palette()
    return _brushes.get(state)


def brush(name: str) -> QBrush:
    """``running`` (a stage in flight), ``neutral`` (a skipped stage) or ``changed`` (a watched row's background)."""
    if not _stage_brushes:
        follow_palette()
    return _stage_brushes[name]


def state_colour(state: State) -> QColor | None:
    return _current.states.get(state)

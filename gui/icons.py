"""Icons, read from the one place the packaged app carries them: ``gui/resources``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gui.qt import QIcon

RESOURCES = Path(__file__).resolve().parent / "resources"


def resource(name: str) -> Path:
    return RESOURCES / name


@cache
def icon(name: str) -> QIcon:
    """``icon("status-ok")`` → the SVG of that name (cached: the table asks for icons on every repaint)."""
    return QIcon(str(resource(f"{name}.svg")))


def app_icon() -> QIcon:
    result = QIcon(str(resource("testconnection.svg")))
    result.addFile(str(resource("testconnection.png")))
    return result

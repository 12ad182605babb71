"""Telling the user a watched target went down or came back while they look at something else: a desktop
notification (the system tray's message, where the desktop has one) and a sound, each switchable in Settings."""

from __future__ import annotations

from collections.abc import Sequence

from core.watch import Change, Health, format_duration
from gui.icons import app_icon
from gui.qt import QApplication, QMainWindow, QSystemTrayIcon

SHOWN_MS = 10_000


def message_for(changes: Sequence[tuple[int, Change]]) -> tuple[str, str]:
    """(title, text): "srv01 is back up" / "was down 4 min 29 s", or a summary of several changes."""
    if len(changes) == 1:
        change = changes[0][1]
        lasted = f" (was {change.previous} {format_duration(change.lasted or 0.0)})" if change.lasted else ""
        if change.health is Health.UP:
            return f"{change.target} is back up", f"{change.problem}{lasted}"
        return f"{change.target} went down", f"{change.problem}{lasted}"
    up = [c.target for _, c in changes if c.health is Health.UP]
    down = [c.target for _, c in changes if c.health is Health.DOWN]
    parts = ([f"up: {', '.join(up[:5])}{' …' if len(up) > 5 else ''}"] if up else []) + (
        [f"down: {', '.join(down[:5])}{' …' if len(down) > 5 else ''}"] if down else [])
    return f"{len(changes)} watched targets changed", "; ".join(parts)


class Notifier:
    def __init__(self, window: QMainWindow) -> None:
        self._window = window
        self._tray: QSystemTrayIcon | None = None
        self.sent: list[tuple[str, str]] = []  # what was announced, newest last (the log and tests read it)

    def announce(self, changes: Sequence[tuple[int, Change]], desktop: bool, sound: bool) -> None:
        title, text = message_for(changes)
        self.sent.append((title, text))
        del self.sent[:-50]
        # Always in the status bar: the window's own record, whatever the desktop offers.
        self._window.statusBar().showMessage(f"{title}: {text}", 30_000)
        if desktop and QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(app_icon(), self._window)
                self._tray.setToolTip("TestConnection — watching")
                self._tray.messageClicked.connect(self._raise_window)
            self._tray.show()
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, SHOWN_MS)
        if sound:
            QApplication.beep()

    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()

    def close(self) -> None:
        if self._tray is not None:
            self._tray.hide()

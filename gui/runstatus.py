"""The status bar of a run: how far it is, the failures counted by problem, what is watched, and Cancel all."""

from __future__ import annotations

from collections import Counter

from gui.qt import QLabel, QMainWindow, QProgressBar, QPushButton, QTimer
from gui.rows import Progress, failure_summary


class RunStatus:
    def __init__(self, window: QMainWindow) -> None:
        self.progress_label = QLabel("Ready", window)
        self.progress_label.setAccessibleName("Progress")
        self.failures_label = QLabel("", window)
        self.failures_label.setAccessibleName("Failures by problem")
        self.progress_bar = QProgressBar(window)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName("Progress bar")
        self.cancel_all_button = QPushButton("Cancel a&ll", window)
        self.cancel_all_button.setToolTip("Cancel every running and queued test, and stop watching")
        status = window.statusBar()
        status.addWidget(self.progress_label, 1)
        status.addWidget(self.failures_label, 2)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_all_button)
        self._shown: tuple[Progress, str, str] | None = None
        self._bar_pending = False

    def show(self, progress: Progress, failures: Counter[str], watching: str, busy: bool) -> None:
        """``watching``: "watching 3 targets every 10 s", or empty."""
        summary = failure_summary(failures)
        shown = (progress, summary, watching)
        self.cancel_all_button.setEnabled(busy or bool(watching))
        if shown == self._shown:
            return  # each Qt call gives up the GIL, and busy workers make taking it back slow: skip no-ops
        self._shown = shown
        if progress.total == 0:
            text = "Ready — type a host and press Enter"
        else:
            text = progress.text() + ("" if progress.running else " — done")
        self.progress_label.setText(text + (f" — {watching}" if watching else ""))
        self.failures_label.setText(summary)
        self.failures_label.setToolTip("\n".join(f"{count}: {text}" for text, count in failures.most_common()))
        if not self._bar_pending:
            # QProgressBar.setValue repaints synchronously, and that paints the whole window — the table too —
            # inside this update. From its own event the paint is a separate, shorter pause of the event loop.
            self._bar_pending = True
            QTimer.singleShot(0, self._update_bar)

    def _update_bar(self) -> None:
        self._bar_pending = False
        if self._shown is not None:
            progress = self._shown[0]
            # QProgressBar.setValue repaints at once (a synchronous paint and flush of the window: up to 90 ms
            # under load). With updates off it only records the value; turning them on again schedules an ordinary
            # paint, merged with the table's.
            self.progress_bar.setUpdatesEnabled(False)
            self.progress_bar.setMaximum(max(progress.total, 1))
            self.progress_bar.setValue(progress.done)
            self.progress_bar.setUpdatesEnabled(True)

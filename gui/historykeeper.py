"""The window's memory of past results: finished results go into the history at once, and the file is written
a while later by one worker thread, so the window never waits on the disk."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.atomicfile import atomic_write_bytes
from core.history import History
from core.paths import history_path
from gui.qt import QObject, QTimer, Signal
from gui.results_model import ResultsModel
from gui.rows import Updates

log = logging.getLogger(__name__)

SAVE_MS = 5000  # results are remembered on disk at most this often (and on close), never per result


class HistoryKeeper(QObject):
    #: new results were recorded (the saved list's "Last result" column shows them)
    recorded = Signal()

    def __init__(self, persist: bool, parent: QObject | None = None) -> None:
        """``persist=False`` (demo, self-test): the history file is neither read nor written."""
        super().__init__(parent)
        self.persist = persist
        self.history = History.load() if persist else History()
        self._dirty = False
        self._writer: ThreadPoolExecutor | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_MS)
        self.timer.timeout.connect(self.save)

    def record(self, updates: Updates, model: ResultsModel) -> None:
        """Record the finished (not cancelled) results among ``updates`` that the model still shows."""
        recorded = False
        for (key, run_id), (diagnosis, final) in updates.items():
            if not final or diagnosis.cancelled:
                continue
            row = model.row(key)
            if row is None or row.run_id != run_id or row.diagnosis is not diagnosis:
                continue  # stale: the model dropped it
            self.history.record_diagnosis(diagnosis)
            recorded = True
        if recorded:
            self.recorded.emit()
            if self.persist:
                self._dirty = True
                if not self.timer.isActive():
                    self.timer.start()

    def save(self, wait: bool = False) -> None:
        """Write the history if it changed: serialised here (it is not thread-safe), written by one worker
        thread in order. ``wait``: finish writing before returning."""
        if self._dirty:
            self._dirty = False
            data = self.history.to_json().encode("utf-8")
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="testconnection-history")
            self._writer.submit(_write_quietly, history_path(), data)
        if wait and self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def close(self) -> None:
        self.timer.stop()
        self.save(wait=True)


def _write_quietly(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError:  # history is a convenience: a full disk must not break anything else
        log.exception("could not save the history to %s", path)

"""Runs tests off the GUI thread and hands their progress to it in coalesced batches.

``core.batch.Batch`` calls ``on_update`` from its worker threads. Emitting one queued signal per callback would
let a few hundred targets flood the event loop, so the callback only stores the latest snapshot per row under a
lock and, the first time after a flush, wakes the GUI thread. The GUI thread then flushes at most every
``FLUSH_MS``: however many snapshots arrived, the model gets one ``updated`` signal with one entry per row.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from core import Application, Diagnosis
from core.batch import Batch, BatchJob
from gui.qt import QObject, Qt, QTimer, Signal
from gui.rows import TestSpec

log = logging.getLogger(__name__)

FLUSH_MS = 50
RunKey = tuple[int, int]  # (row key, run id)


class Runner(QObject):
    #: dict[(row key, run id), (Diagnosis, final)], on the GUI thread
    updated = Signal(object)
    #: every job of every batch has delivered its final result
    idle = Signal()
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = Application()
        self._lock = threading.Lock()
        self._pending: dict[RunKey, tuple[Diagnosis, bool]] = {}
        self._wake_sent = False
        self._urgent = False  # a cancelled row's final is waiting: show it now, not at the next tick
        self._cancelling: set[RunKey] = set()
        self._closed = False
        self._batches: list[Batch] = []
        self._where: dict[int, tuple[Batch, int, int]] = {}  # row key → (batch, job index, run id) while running
        self._last_flush = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        # Queued even when emitted on the GUI thread (a cancel can deliver its final synchronously): the model is
        # never re-entered from inside one of our own calls.
        self._wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)

    # --- control (GUI thread) ---------------------------------------------------------------------------------

    def run(self, jobs: Sequence[tuple[int, int, TestSpec]], concurrency: int) -> None:
        """Start testing (row key, run id, spec) triples as one batch. A row already running is cancelled first."""
        if self._closed or not jobs:
            return
        self.cancel([key for key, _, _ in jobs if key in self._where])
        batch_jobs = [BatchJob(spec.destination, spec.options, key=(key, run_id)) for key, run_id, spec in jobs]
        batch = Batch(batch_jobs, concurrency=concurrency, on_update=self._make_callback(batch_jobs),
                      application=self._app)
        self._batches.append(batch)
        for index, (key, run_id, _) in enumerate(jobs):
            self._where[key] = (batch, index, run_id)
        # Starting the first `concurrency` operations costs ~1.5 ms each: off the GUI thread. Batch is built for
        # this (its worker threads start the later jobs the same way) and a cancel meanwhile is honoured.
        threading.Thread(target=batch.start, name="testconnection-batch-start", daemon=True).start()

    def cancel(self, keys: Sequence[int]) -> None:
        """Cancel rows; their "Cancelled" result is in the model when this returns."""
        doomed = [(key, where) for key in keys if (where := self._where.get(key)) is not None]
        with self._lock:
            self._cancelling.update((key, where[2]) for key, where in doomed)
        for _key, (batch, index, _run_id) in doomed:
            batch.cancel(index)
        self.flush()

    def cancel_all(self) -> None:
        with self._lock:
            self._cancelling.update((key, where[2]) for key, where in self._where.items())
        for batch in list(self._batches):
            batch.cancel_all()
        self.flush()

    def is_running(self, key: int) -> bool:
        return key in self._where

    @property
    def busy(self) -> bool:
        return bool(self._where)

    def shutdown(self) -> None:
        """Cancel everything and stop listening. Late callbacks from abandoned probes are ignored."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        for batch in self._batches:
            batch.close()
        self._batches.clear()
        self._where.clear()
        self._app.close()

    # --- the hand-over ----------------------------------------------------------------------------------------

    def _make_callback(self, jobs: list[BatchJob]) -> Any:
        def on_update(index: int, diagnosis: Diagnosis, final: bool) -> None:  # a worker thread, or ours
            if self._closed:
                return
            key: RunKey = jobs[index].key
            with self._lock:
                previous = self._pending.get(key)
                if previous is not None and previous[1]:
                    return  # a final is never replaced
                self._pending[key] = (diagnosis, final)
                urgent = final and key in self._cancelling
                if urgent:
                    self._cancelling.discard(key)
                    self._urgent = True
                wake = not self._wake_sent or urgent
                self._wake_sent = True
            if wake:
                # RuntimeError: the window and this object are gone; nothing is listening any more.
                with contextlib.suppress(RuntimeError):
                    self._wake.emit()

        return on_update

    def _on_wake(self) -> None:
        if self._closed:
            return
        if self._urgent:
            self.flush()
            return
        if self._timer.isActive():
            return
        since = (time.monotonic() - self._last_flush) * 1000
        self._timer.start(max(0, int(FLUSH_MS - since)))

    def flush(self) -> None:
        """Deliver what arrived since the last flush (GUI thread)."""
        if self._closed:
            return
        with self._lock:
            updates, self._pending = self._pending, {}
            self._wake_sent = self._urgent = False
            self._cancelling.difference_update(k for k, (_, final) in updates.items() if final)
        self._last_flush = time.monotonic()
        if not updates:
            return
        for (key, run_id), (_, final) in updates.items():
            where = self._where.get(key)
            if final and where is not None and where[2] == run_id:
                del self._where[key]
        self._forget_finished_batches()
        self.updated.emit(updates)
        if not self._where:
            self.idle.emit()

    def _forget_finished_batches(self) -> None:
        for batch in [b for b in self._batches if b.wait(0)]:
            self._batches.remove(batch)
            batch.close()  # shares our Application: this only lets go of the batch's bookkeeping

"""Watching rows: they are tested again every N seconds until cancelled, and their results become state changes.

The state per target, since when, the counts and the changes are core.watch's (the command line's ``--watch``
keeps them the same way); this adds the timing of each cycle and the rows' part in it. A cycle starts N seconds
after the previous one started, or at once when the previous one took longer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from core.watch import Change, Watch
from gui.qt import QObject, QTimer, Signal
from gui.results_model import ResultsModel
from gui.rows import Updates

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _WatchRun:
    """One "Watch" of some rows, with its own interval."""

    watch: Watch
    keys: list[int]
    timer: QTimer
    in_flight: set[int] = field(default_factory=set)  # rows of this cycle without their final result yet
    cycle_started: float = 0.0


class Watching(QObject):
    #: [(row key, Change)]: watched rows whose state changed (the first result of each is not a change)
    changed = Signal(object)
    #: rows were added to or dropped from a watch
    watched_changed = Signal()

    def __init__(self, model: ResultsModel, run: Callable[[list[int], bool], None],
                 parent: QObject | None = None) -> None:
        """``run(keys, keep_shown)`` tests rows (the window's one path for every test)."""
        super().__init__(parent)
        self._model = model
        self._run = run
        self._runs: list[_WatchRun] = []
        self._by_key: dict[int, _WatchRun] = {}

    def start(self, keys: Sequence[int], interval: float) -> None:
        """Watch these rows: test them now and again every ``interval`` seconds. A row already watched moves to
        this watch."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        self.stop(keys)
        timer = QTimer(self)
        timer.setSingleShot(True)
        watch_run = _WatchRun(Watch(interval), keys, timer)
        timer.timeout.connect(lambda: self._cycle(watch_run))
        self._runs.append(watch_run)
        for key in keys:
            self._by_key[key] = watch_run
            row = self._model.row(key)
            if row is not None:
                row.watch = watch_run.watch.add(key, row.spec.name or row.spec.label)
        log.info("watching %d target%s every %g s", len(keys), "s" if len(keys) != 1 else "", interval)
        self.watched_changed.emit()
        self._cycle(watch_run)

    def stop(self, keys: Iterable[int]) -> None:
        """Stop watching these rows (a cancel, a removal); a watch left with no rows ends."""
        touched = False
        for key in keys:
            watch_run = self._by_key.pop(key, None)
            if watch_run is None:
                continue
            touched = True
            watch_run.keys.remove(key)
            watch_run.in_flight.discard(key)
            if not watch_run.keys:
                self._end(watch_run)
        if touched:
            self.watched_changed.emit()

    def stop_all(self) -> None:
        for watch_run in list(self._runs):
            self._end(watch_run)
        had = bool(self._by_key)
        self._by_key.clear()
        if had:
            self.watched_changed.emit()

    def _end(self, watch_run: _WatchRun) -> None:
        watch_run.timer.stop()
        watch_run.timer.deleteLater()
        if watch_run in self._runs:
            self._runs.remove(watch_run)

    def is_watched(self, key: int) -> bool:
        return key in self._by_key

    @property
    def active(self) -> bool:
        return bool(self._by_key)

    def describe(self) -> str:
        """"watching 3 targets every 10 s" for the status bar; empty when nothing is watched."""
        if not self._runs:
            return ""
        count = len(self._by_key)
        intervals = sorted({f"{r.watch.interval:g} s" for r in self._runs})
        return f"watching {count} target{'s' if count != 1 else ''} every {' / '.join(intervals)}"

    # --- cycles and results -----------------------------------------------------------------------------------

    def _cycle(self, watch_run: _WatchRun) -> None:
        if watch_run not in self._runs:
            return
        keys = [k for k in watch_run.keys if self._model.row(k) is not None]
        watch_run.cycle_started = time.monotonic()
        watch_run.in_flight = set(keys)
        self._run(keys, True)  # each row keeps showing its last result meanwhile

    def on_updates(self, updates: Updates) -> None:
        """The runner's results, right after the model took them (before it repaints): count the watched rows'
        finals, and start the next cycle of a watch whose rows have all answered."""
        changes: list[tuple[int, Change]] = []
        finished: set[int] = set()
        for (key, run_id), (diagnosis, final) in updates.items():
            watch_run = self._by_key.get(key)
            row = self._model.row(key)
            if not final or watch_run is None or row is None or row.run_id != run_id or row.diagnosis is not diagnosis:
                continue
            change = watch_run.watch.observe(key, diagnosis)
            row.watch = watch_run.watch.get(key)
            if change is not None and change.previous is not None:
                row.changed = True
                changes.append((key, change))
                log.info("watch: %s %s — %s", change.target, change.describe(), change.problem)
            if key in watch_run.in_flight:
                watch_run.in_flight.discard(key)
                finished.add(id(watch_run))
        # No refresh of the rows here: the model took these same updates just before and repaints them after.
        for watch_run in self._runs:
            if id(watch_run) in finished and not watch_run.in_flight:
                took = time.monotonic() - watch_run.cycle_started
                watch_run.timer.start(max(0, int((watch_run.watch.interval - took) * 1000)))
        if changes:
            self.changed.emit(changes)


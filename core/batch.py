"""Many targets at once: bounded concurrency, each target reporting on its own, and a cancel-all.

No thread waits on a slot: each operation's final result starts the next job, so a batch costs one thread per
test in flight and nothing more.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from core import failures
from core.application import Application
from core.diagnosis import Diagnosis
from core.mi import DestinationOptions, OperationCallbacks
from core.operation import Operation
from core.stages import pending_stages

DEFAULT_CONCURRENCY = 32

# (job index, the diagnosis so far or final, whether it is the final one)
UpdateCallback = Callable[[int, Diagnosis, bool], None]


class BatchJob(NamedTuple):
    destination: str
    options: DestinationOptions
    key: Any = None  # the caller's own handle (a row, a list entry); the batch never looks at it


class Batch:
    def __init__(
        self,
        jobs: Sequence[BatchJob],
        concurrency: int = DEFAULT_CONCURRENCY,
        on_update: UpdateCallback | None = None,
        application: Application | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency: must be at least 1, not {concurrency}")
        self.jobs = list(jobs)
        self.concurrency = concurrency
        self._on_update = on_update
        self._own_app = application is None
        self._app = application or Application()
        self._lock = threading.Lock()
        self._pending: deque[int] = deque(range(len(self.jobs)))
        self._running: dict[int, Operation] = {}
        self._results: list[Diagnosis | None] = [None] * len(self.jobs)
        self._finished = 0
        self._doomed: set[int] = set()  # cancelled while their operation was being created
        self._all_done = threading.Event()
        if not self.jobs:
            self._all_done.set()

    # --- control ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._launch()

    def cancel(self, index: int) -> None:
        """Cancel one job, running or waiting."""
        with self._lock:
            operation = self._running.get(index)
            waiting = index in self._pending
            if waiting:
                self._pending.remove(index)
            if isinstance(operation, _Placeholder):
                self._doomed.add(index)
        if operation is not None:
            operation.cancel()
        elif waiting:
            self._complete(index, _cancelled_before_start(self.jobs[index]))
            self._launch()

    def cancel_all(self) -> None:
        with self._lock:
            waiting = list(self._pending)
            self._pending.clear()
            running = list(self._running.values())
            self._doomed.update(i for i, op in self._running.items() if isinstance(op, _Placeholder))
        for operation in running:
            operation.cancel()
        for index in waiting:
            self._complete(index, _cancelled_before_start(self.jobs[index]))

    def wait(self, timeout: float | None = None) -> bool:
        return self._all_done.wait(timeout)

    def close(self) -> None:
        self.cancel_all()
        if self._own_app:
            self._app.close()

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- state ------------------------------------------------------------------------------------------------

    @property
    def results(self) -> list[Diagnosis | None]:
        with self._lock:
            return list(self._results)

    @property
    def finished(self) -> int:
        return self._finished

    @property
    def failed(self) -> int:
        with self._lock:
            return sum(1 for r in self._results if r is not None and not r.ok)

    # --- the machinery ----------------------------------------------------------------------------------------

    def _launch(self) -> None:
        while True:
            with self._lock:
                if not self._pending or len(self._running) >= self.concurrency:
                    return
                index = self._pending.popleft()
                job = self.jobs[index]
                # Reserve the slot before the operation exists: its result may arrive before we return.
                self._running[index] = _Placeholder()  # type: ignore[assignment]
            session = self._app.new_session(job.destination, options=job.options)
            callbacks = OperationCallbacks(
                instance_result=lambda op, *_, i=index: self._on_final(i, op),
                write_progress=lambda op, *_, i=index: self._on_progress(i, op),
            )
            operation = session.test_connection(callbacks=callbacks)
            with self._lock:
                if isinstance(self._running.get(index), _Placeholder):
                    self._running[index] = operation
                doomed = index in self._doomed
            if doomed:
                operation.cancel()

    def _on_progress(self, index: int, operation: Operation) -> None:
        if self._on_update is not None:
            self._on_update(index, operation.diagnosis, False)

    def _on_final(self, index: int, operation: Operation) -> None:
        diagnosis = operation.diagnosis
        with self._lock:
            self._running.pop(index, None)
        operation.session.close()
        self._complete(index, diagnosis)
        self._launch()

    def _complete(self, index: int, diagnosis: Diagnosis) -> None:
        with self._lock:
            if self._results[index] is not None:
                return
            self._results[index] = diagnosis
            self._finished += 1
            all_done = self._finished == len(self.jobs)
        if self._on_update is not None:
            self._on_update(index, diagnosis, True)
        if all_done:
            self._all_done.set()


class _Placeholder:
    """Stands in the running table between reserving a slot and the operation existing."""

    def cancel(self) -> None:
        pass


def _cancelled_before_start(job: BatchJob) -> Diagnosis:
    return Diagnosis(
        target=job.destination,
        endpoint="",
        stages=pending_stages(),
        failure=failures.cancelled(None),
        started_at=time.time(),
    )

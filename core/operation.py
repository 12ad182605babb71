"""Application → Session → Operation, with the semantics of ``MI_Session_TestConnection``.

Rules kept here (docs/protocol.md §1, docs/api.md):
- exactly one final result (``more_results=False``) per operation, and nothing after it;
- with an ``instance_result`` callback the operation is asynchronous (callbacks come from a worker thread);
  without one the caller pulls the result with :meth:`Operation.get_instance`, which runs the test on the
  caller's thread when nothing else listens and no DNS lookup is needed (a worker otherwise);
- :meth:`Operation.cancel` delivers the final "cancelled" result at once, from the cancelling thread; a probe
  stuck in DNS or ``connect()`` is abandoned and whatever it finds later is dropped;
- the overall deadline works the same way: the stage in flight is reported as timed out when it expires;
- bad input is an ``INVALID_PARAMETER`` result naming the field, never an exception.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Self

from core import failures
from core.diagnosis import Diagnosis, Failure, StageReport, StageStatus, with_stage
from core.failures.classify import classify
from core.mi import (
    CancellationReason,
    InstanceResult,
    MessageChannel,
    MIResult,
    OperationCallbacks,
)
from core.probe import Probe, check_options
from core.stages import STAGE_NAMES, STAGES, pending_stages
from core.stages import stage as stage_unit
from core.target import Endpoint, TargetError, parse_target
from core.wire import Deadline, Interrupter, StopReason, literal_family, timers

if TYPE_CHECKING:
    from core.application import Session

PROGRESS_ACTIVITY = "Test connection"


class Operation:
    """One running (or finished) test connection. Always close it, or use it as a context manager."""

    def __init__(self, session: Session, flags: int, callbacks: OperationCallbacks | None) -> None:
        self.session = session
        self.flags = flags
        self.callbacks = callbacks or OperationCallbacks()
        # One re-entrant lock guards the state and serialises every callback, so nothing can overtake the final
        # result (a callback may itself call cancel()).
        self._lock = threading.RLock()
        # A one-shot latch, released once the final result is in: a held Lock is ten times cheaper to make than an
        # Event, and an operation is made per test.
        self._done = threading.Lock()
        self._done.acquire()
        self._is_done = False
        self._final: InstanceResult | None = None
        self._handed_out = False
        self._closed = False
        self._interrupter = Interrupter()
        self._timer: int | None = None
        self._probe: Probe | None = None
        self._started_at = time.time()
        self._endpoint: Endpoint | None = None
        self._notes_sent = 0
        self._diagnosis: Diagnosis | None = None  # the pending one is built only if asked for before the test runs
        self._claimed = False  # whether some thread has taken on running the test
        self._parsed: Endpoint | TargetError | None = None
        if self.callbacks != _NO_CALLBACKS:
            self._start_worker()
        # Without any callback the caller pulls the result: get_instance() runs the test on the caller's own thread
        # (starting and joining a thread would cost a synchronous caller ~0.25 ms per test); wait(), done or
        # diagnosis, which watch a running test, start the worker instead.

    # --- the MI surface ---------------------------------------------------------------------------------------

    @property
    def diagnosis(self) -> Diagnosis:
        """The stages so far, or the whole story once the final result is in."""
        self._start_worker()
        with self._lock:
            if self._final is None and self._probe is not None:
                return self._probe.diagnosis(None)  # built when asked, not at every stage
            if self._diagnosis is None:
                return Diagnosis(target=self.session.destination, endpoint="", stages=pending_stages())
            return self._diagnosis

    @property
    def done(self) -> bool:
        self._start_worker()
        return self._is_done

    def get_instance(self, timeout: float | None = None) -> InstanceResult:
        """Block until the final result and return it (``MI_Operation_GetInstance``)."""
        if self.callbacks.instance_result is not None:
            return _error_result(
                MIResult.INVALID_PARAMETER, "get_instance() cannot be used with an instance_result callback"
            )
        if timeout is None and self._inline_safe() and self._claim():
            self._run()
        else:
            self._start_worker()
        if not self._wait_done(timeout):
            return _error_result(MIResult.FAILED, f"no result within {timeout} s; the operation is still running")
        with self._lock:
            if self._closed:
                return _error_result(MIResult.FAILED, "the operation is closed")
            if self._handed_out:
                return _error_result(MIResult.FAILED, "the final result was already returned")
            self._handed_out = True
            assert self._final is not None
            return self._final

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the final result without taking it (for asynchronous callers)."""
        self._start_worker()
        return self._wait_done(timeout)

    def cancel(self, reason: CancellationReason = CancellationReason.NONE) -> None:
        """Stop at once: the final result says the stage in flight was cancelled."""
        self._stop(StopReason.CANCELLED)

    def close(self) -> None:
        """Release the operation; a running one is cancelled first."""
        self.cancel(CancellationReason.SHUTDOWN)
        with self._lock:
            self._closed = True
        self.session._forget(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_done(self, timeout: float | None) -> bool:
        if self._is_done:
            return True
        if not self._done.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            return False
        self._done.release()  # let the next waiter through too
        return True

    # --- the worker -------------------------------------------------------------------------------------------

    def _claim(self) -> bool:
        """Take on running the test, once; False if another thread has, or if it already ended (cancelled)."""
        with self._lock:
            if self._claimed or self._final is not None:
                return False
            self._claimed = True
            return True

    def _start_worker(self) -> None:
        if self._claimed or not self._claim():
            return
        threading.Thread(target=self._run, name=f"test {self.session.destination}", daemon=True).start()

    def _inline_safe(self) -> bool:
        """Whether the caller's thread can run the test and still be released at once by cancel() or the deadline.

        Every socket wait is interrupted by shutting the socket down, but a DNS lookup cannot be: a named host is
        resolved on the worker, which cancel() abandons. An address literal needs no lookup, and bad input ends at
        once.
        """
        target = self._target()
        return not isinstance(target, Endpoint) or literal_family(target.host) is not None

    def _target(self) -> Endpoint | TargetError:
        """The parsed destination, or why it is bad input (parsed once: get_instance() looks at it first)."""
        if self._parsed is None:
            options = self.session.options
            try:
                self._parsed = parse_target(
                    self.session.destination, options.transport, options.port, options.url_prefix
                )
            except TargetError as exc:
                self._parsed = exc
        return self._parsed

    def _run(self) -> None:
        options = self.session.options
        if self.flags != 0:
            self._finish_with(failures.invalid_input("flags", f"must be 0, not {self.flags!r}"))
            return
        if self.session.protocol.upper() != "WINRM":
            self._finish_with(failures.failure("input.protocol", None, protocol=self.session.protocol))
            return
        problem = check_options(options)
        if problem is not None:
            self._finish_with(problem)
            return
        endpoint = self._target()
        if isinstance(endpoint, TargetError):
            self._finish_with(failures.invalid_input(endpoint.field, endpoint.message))
            return
        deadline = Deadline(options.timeout)
        self._started_at = time.time()
        # Without progress or message callbacks nobody follows the stages: the diagnosis is built when asked for.
        listens = self.callbacks.write_progress is not None or self.callbacks.write_message is not None
        listener = self._on_stage if listens else None
        probe = Probe(endpoint, options, self._interrupter, deadline, listener, started_at=self._started_at)
        with self._lock:
            if self._final is not None:  # cancelled before it began
                return
            self._endpoint = endpoint
            self._probe = probe
            self._timer = timers.call_at(deadline.at, lambda: self._stop(StopReason.DEADLINE))
        try:
            diagnosis = probe.run()
        except Exception as exc:  # a bug of ours must still end in one final result, not a silent thread death
            stage = probe.running or STAGE_NAMES[0]
            diagnosis = probe.diagnosis(classify(exc, stage, stage_unit(stage).timeout_kind, probe.context()))
        self._finish(diagnosis)

    def _on_stage(self, stages: tuple[StageReport, ...], running: str | None) -> None:
        with self._lock:
            if self._final is not None or self._probe is None:
                return  # an abandoned probe: its news arrives too late
            self._diagnosis = self._probe.diagnosis(None)
            progress = self.callbacks.write_progress
            if progress is not None:
                done = sum(s.status is not StageStatus.NOT_RUN for s in stages)
                status = running or (stages[done - 1].status.value if done else "")
                stage = running or (stages[done - 1].name if done else "")
                progress(self, PROGRESS_ACTIVITY, stage, status, done * 100 // len(stages), -1)
            self._send_new_notes()

    def _send_new_notes(self) -> None:
        write = self.callbacks.write_message
        notes = self._diagnosis.notes if self._diagnosis is not None else ()
        if write is not None:
            for note in notes[self._notes_sent :]:
                write(self, int(MessageChannel.WARNING), note)
        self._notes_sent = len(notes)

    def _stop(self, reason: StopReason) -> None:
        """Cancel or deadline: interrupt the sockets and deliver the final result now."""
        with self._lock:
            if self._final is not None:
                return
            probe = self._probe
            if probe is None:
                self._interrupter.interrupt(reason)
                self._finish_with(failures.cancelled(None))
                return
            # Read where the probe is *before* waking it: once its socket is shut down it records its own failure.
            snapshot = probe.diagnosis(None)
            # Timed now: once its sockets are shut, the probe may record its own end and restart the stage clock.
            elapsed = round((time.perf_counter() - probe.stage_started) * 1000, 1)
            stage = snapshot.running_stage
            if stage is None and any(s.status is StageStatus.FAILED for s in snapshot.stages):
                return  # the probe reached its own verdict and is delivering it now
            self._interrupter.interrupt(reason)
            if stage is None:  # between stages: the next one would have started
                asked = [s.name for s in STAGES if s.asked(self.session.options)]
                stage = next(
                    (s.name for s in snapshot.stages if s.status is StageStatus.NOT_RUN and s.name in asked), asked[-1]
                )
            if reason is StopReason.DEADLINE:
                context = probe.context()
                failure = failures.failure(stage_unit(stage).timeout_kind(context), stage, context)
                status = StageStatus.FAILED
            else:
                failure = failures.cancelled(stage)
                status = StageStatus.CANCELLED
            report = StageReport(stage, status, elapsed, failure.detail)
            self._finish(
                snapshot._replace(
                    stages=with_stage(snapshot.stages, report),
                    failure=failure,
                    running_stage=None,
                    started_at=self._started_at,
                )
            )

    def _finish_with(self, failure: Failure) -> None:
        endpoint = self._endpoint
        self._finish(
            Diagnosis(
                target=endpoint.label if endpoint else self.session.destination,
                endpoint=endpoint.url if endpoint else "",
                stages=pending_stages(),
                failure=failure,
                started_at=self._started_at,
            )
        )

    def _finish(self, diagnosis: Diagnosis) -> None:
        with self._lock:
            if self._final is not None:
                return
            if not diagnosis.started_at:
                diagnosis = diagnosis._replace(started_at=self._started_at)
            self._diagnosis = diagnosis
            self._send_new_notes()
            failure = diagnosis.failure
            self._final = InstanceResult(
                instance=diagnosis.identify.as_instance() if diagnosis.identify and failure is None else None,
                more_results=False,
                result_code=diagnosis.result,
                error_message=failure.message if failure else None,
                error_details=failure.as_error_details() if failure else None,
            )
            if self._timer is not None:
                timers.cancel(self._timer)
            callback = self.callbacks.instance_result
            try:
                if callback is not None:
                    final = self._final
                    callback(
                        self,
                        final.instance,
                        False,
                        final.result_code,
                        final.error_message,
                        final.error_details,
                    )
            finally:
                self._is_done = True
                self._done.release()


_NO_CALLBACKS = OperationCallbacks()


def _error_result(code: MIResult, message: str) -> InstanceResult:
    return InstanceResult(None, False, code, message, None)

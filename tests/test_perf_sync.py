"""Synchronous use (no callbacks, ``get_instance()``) runs the test on the caller's thread (bench 1a).

Starting and joining a worker per test cost a synchronous caller a quarter of a millisecond; what must not change is
that ``cancel()`` from another thread still ends the test at once, and that an asynchronous operation still runs
on its own thread.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from core import Application, DestinationOptions, MIResult, OperationCallbacks
from core.lab import Lab


@pytest.fixture
def threads_started() -> Iterator[list[str]]:
    """Names of the threads started while the test runs (``threading.settrace`` hooks every new thread)."""
    names: list[str] = []

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        names.append(threading.current_thread().name)
        sys.settrace(None)

    threading.settrace(hook)
    try:
        yield names
    finally:
        threading.settrace(None)


def _warm(lab: Lab) -> None:
    # The first test starts the shared deadline thread; that one is not per test.
    with Application() as app, app.new_session(lab.url("winrm-http")) as session, session.test_connection() as op:
        assert op.get_instance().result_code is MIResult.OK


def test_synchronous_test_starts_no_thread(lab: Lab, threads_started: list[str]) -> None:
    _warm(lab)
    threads_started.clear()
    with Application() as app, app.new_session(lab.url("winrm-http")) as session:
        for _ in range(3):
            with session.test_connection() as op:
                result = op.get_instance()
                assert result.result_code is MIResult.OK and result.instance is not None
                assert op.diagnosis.ok and op.diagnosis.stage("wsman").status == "ok"
    assert threads_started == []


def test_asynchronous_test_still_runs_on_its_own_thread(lab: Lab, threads_started: list[str]) -> None:
    _warm(lab)
    threads_started.clear()
    final = threading.Event()
    callers: list[threading.Thread] = []

    def on_result(*_: object) -> None:
        callers.append(threading.current_thread())
        final.set()

    with Application() as app, app.new_session(lab.url("winrm-http")) as session:
        with session.test_connection(callbacks=OperationCallbacks(instance_result=on_result)):
            assert final.wait(10)
    assert callers and callers[0] is not threading.current_thread()
    assert len(threads_started) == 1


def test_cancel_from_another_thread_ends_a_synchronous_test_at_once(lab: Lab) -> None:
    options = DestinationOptions(timeout=30)
    with Application() as app, app.new_session(lab.url("silent"), options=options) as session:
        with session.test_connection() as op:
            # `silent` never answers: a quarter of a second in, the test waits in the wsman stage's read. (Watching
            # op.diagnosis instead would start the worker, and get_instance() would then only wait for it.)
            canceller = threading.Timer(0.25, op.cancel)
            canceller.start()
            started = time.monotonic()
            result = op.get_instance()
            waited = time.monotonic() - started
            canceller.join()
            diagnosis = op.diagnosis
    # Not a timing goal: only proof that the caller was released by the cancel, not by the 30 s deadline.
    assert waited < 15
    assert result.result_code is MIResult.FAILED
    assert diagnosis.cancelled and diagnosis.stage("wsman").status == "cancelled"


def test_a_synchronous_operation_watched_without_get_instance_still_runs(lab: Lab) -> None:
    with Application() as app, app.new_session(lab.url("winrm-http")) as session:
        with session.test_connection() as op:
            assert op.wait(10)  # waiting starts it on a worker; nobody has to pull first
            assert op.done and op.diagnosis.ok
            assert op.get_instance().result_code is MIResult.OK

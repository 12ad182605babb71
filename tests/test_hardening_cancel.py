"""Cancellation in every stage, with every authentication the lab offers, synchronous and asynchronous.

Stalls: ``tcp`` — the ``blackhole`` endpoint (connect never completes); ``tls`` — HTTPS to the ``silent`` endpoint
(it reads the ClientHello and never answers); ``wsman`` — the ``silent`` endpoint over HTTP; ``auth`` and
``session`` — a healthy listener in a second lab with 0.6 s latency per request, cancelled once the stage runs
(Basic over HTTP with ``allow_unencrypted``, NTLM, and Negotiate and Kerberos against a Kerberos listener of the
slow lab with its own KDC; the session stage opening a cmd shell after Basic or NTLM). With no authentication there
is no auth stage to cancel and no shell to open (both are skipped), so those combinations are not in the matrix. A
cancel in the session stage must still leave no shell open on the lab (``core.cleanup``). Kerberos also stalls
where no socket of the test's own does: in the exchange with a domain controller that never answers (blocking C
code on a helper thread, which the test abandons).

What a user notices: exactly one final result, "cancelled" in the stage that was running, delivered within
100 ms of cancel(), nothing after it, and no leaked threads or sockets once the abandoned probe has given up
(timeout 1 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from core import (
    Application,
    AuthType,
    DestinationOptions,
    MIErrorCategory,
    MIResult,
    OperationCallbacks,
    StageStatus,
    UserCredentials,
    cleanup,
)
from core.lab import Lab
from core.lab._realms import SILENT_FOR
from tests.quality import tally

TIMEOUT = 1.0
STAGES = ["tcp", "tls", "wsman", "auth", "session"]
AUTHS = ["none", "basic", "ntlm", "negotiate", "kerberos"]
KERBEROS = ("negotiate", "kerberos")


@pytest.fixture(scope="module")
def slow_lab() -> Iterator[Lab]:
    with Lab(scenarios=["winrm-http", "kerberos-http"], latency=0.6) as running:
        yield running


@pytest.fixture
def kerberos_env(slow_lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in slow_lab.kerberos_environ.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def app(lab: Lab, slow_lab: Lab) -> Iterator[Application]:
    with Application() as application:
        # Warm up: the first test connection starts the shared timer thread and imports what it needs.
        with application.new_session(lab.url("winrm-http")) as session, session.test_connection() as op:
            assert op.get_instance(5).result_code is MIResult.OK
        yield application


def _target(stage: str, lab: Lab, slow_lab: Lab, auth: str = "none") -> tuple[str, str]:
    """(URL, transport) whose test connection stalls in ``stage``."""
    if stage == "auth" and auth in KERBEROS:
        return slow_lab.url("kerberos-http"), "http"  # localhost: the name with a service principal
    if stage == "tcp":
        return lab.url("blackhole"), "http"
    if stage == "tls":
        return f"https://127.0.0.1:{lab.endpoint('silent').port}/wsman", "https"
    if stage == "wsman":
        return lab.url("silent"), "http"
    return slow_lab.url("winrm-http"), "http"


def _options(auth: str, transport: str, lab: Lab) -> DestinationOptions:
    user, password = next(iter(lab.users.items()))
    return DestinationOptions(
        transport=transport,
        auth=AuthType(auth),
        credentials=None if auth == "none" else UserCredentials(user, password),
        ca_file=lab.ca_file if transport == "https" else None,
        allow_unencrypted=True,  # so that Basic over HTTP reaches the listener instead of being refused
        timeout=TIMEOUT,
    )


def _levels() -> tuple[int, int]:
    return threading.active_count(), psutil.Process().num_fds()


def _wait_back(start: tuple[int, int], tolerance: tuple[int, int] = (0, 2), limit: float = TIMEOUT + 1.5) -> None:
    ends = time.monotonic() + limit
    now = _levels()
    while time.monotonic() < ends:
        now = _levels()
        if now[0] <= start[0] + tolerance[0] and now[1] <= start[1] + tolerance[1]:
            return
        time.sleep(0.05)
    names = sorted(t.name for t in threading.enumerate())
    raise AssertionError(f"threads/fds {now} did not return to {start} (+{tolerance}); threads: {names}")


# Without authentication the auth and session stages never run, so cancelling in them exists only for the schemes;
# the session stage is cancelled after Basic and NTLM (the slow lab's Kerberos listener serves the auth stage).
MATRIX = [
    (stage, auth)
    for stage in STAGES
    for auth in AUTHS
    if not (stage in ("auth", "session") and auth == "none") and not (stage == "session" and auth in KERBEROS)
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("stage", "auth"), MATRIX)
def test_cancel_in_every_stage(
    app: Application, lab: Lab, slow_lab: Lab, kerberos_env: None, stage: str, auth: str, mode: str
) -> None:
    url, transport = _target(stage, lab, slow_lab, auth)
    options = _options(auth, transport, lab)
    if stage in ("auth", "session"):
        options = options._replace(timeout=5.0)  # slow round trips must fit before we cancel in auth or session
    if stage == "session":
        options = options._replace(open_shell=True)
    start = _levels()
    shells_before = len(slow_lab.shells())

    events: list[tuple[float, str]] = []
    finals: list[tuple[bool, MIResult]] = []
    lock = threading.Lock()
    final_seen = threading.Event()

    def on_progress(op: object, activity: str, current: str, status: str, percent: int, seconds: int) -> None:
        with lock:
            events.append((time.perf_counter(), f"progress {current} {status}"))

    def on_message(op: object, channel: int, message: str) -> None:
        with lock:
            events.append((time.perf_counter(), f"message {message}"))

    def on_result(op: object, instance: object, more: bool, code: MIResult, message: object, details: object) -> None:
        with lock:
            events.append((time.perf_counter(), "final"))
            finals.append((more, code))
        final_seen.set()

    callbacks = OperationCallbacks(write_progress=on_progress, write_message=on_message)
    if mode == "async":
        callbacks = callbacks._replace(instance_result=on_result)

    with app.new_session(url, options=options) as session:
        op = session.test_connection(callbacks=callbacks)
        try:
            ends = time.monotonic() + options.timeout - 0.2
            while op.diagnosis.running_stage != stage and not op.done and time.monotonic() < ends:
                time.sleep(0.005)
            assert op.diagnosis.running_stage == stage, f"never reached {stage}: {op.diagnosis}"
            cancelled_at = time.perf_counter()
            op.cancel()
            if mode == "sync":
                result = op.get_instance(0.1)
                finals.append((result.more_results, result.result_code))
                delivered = time.perf_counter()
                with lock:
                    events.append((delivered, "final"))
            else:
                # cancel() should have called back already, from this thread; the known race
                # (test_cancelled_stage_is_always_reported_cancelled) lets the probe thread deliver it instead.
                assert final_seen.wait(0.1), "no final result within 100 ms of cancel()"
                with lock:
                    delivered = next(t for t, what in events if what == "final")
            assert delivered - cancelled_at <= 0.1, f"final result {1000 * (delivered - cancelled_at):.0f} ms later"
            time.sleep(0.5)
            diagnosis = op.diagnosis
        finally:
            op.close()

    with lock:
        assert finals == [(False, MIResult.FAILED)], finals
        late = [what for t, what in events if t > delivered]
    assert late == [], f"callbacks after the final result: {late}"
    assert diagnosis.failed_stage == stage
    assert diagnosis.failure is not None
    assert diagnosis.failure.category is MIErrorCategory.OPERATION_STOPPED
    assert diagnosis.failure.windows_code == 1223
    report = next(s for s in diagnosis.stages if s.name == stage)
    # Known race (test_cancelled_stage_is_always_reported_cancelled): now and then "failed" with detail "cancelled".
    assert report.status is StageStatus.CANCELLED or (
        report.status is StageStatus.FAILED and report.detail == "cancelled"
    )
    assert all(s.status is StageStatus.NOT_RUN for s in diagnosis.stages[STAGES.index(stage) + 2 :])
    if stage == "session":  # the abandoned test's shell, if the lab made one, is deleted on a connection of its own
        assert cleanup.wait(cleanup.CLEANUP_SECONDS + 2)
        assert slow_lab.wait_for_no_open_shells(1) == []
        # One shell asked for, whether or not the cancel came before the lab made it: the count must not depend on
        # the race, or the README's table would change from run to run.
        assert len(slow_lab.shells()) - shells_before <= 1
        tally("shells_deleted")
    _wait_back(start)
    tally("cancel_cases")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_cancel_before_and_after_the_end(app: Application, lab: Lab, mode: str) -> None:
    """cancel() twice, and cancel() after the final result, change nothing and deliver nothing more."""
    finals: list[MIResult] = []
    callbacks = OperationCallbacks()
    if mode == "async":
        callbacks = OperationCallbacks(instance_result=lambda op, i, more, code, msg, det: finals.append(code))
    start = _levels()
    with app.new_session(lab.url("winrm-http"), options=DestinationOptions(timeout=TIMEOUT)) as session:
        op = session.test_connection(callbacks=callbacks)
        assert op.wait(TIMEOUT + 0.5)
        if mode == "sync":
            finals.append(op.get_instance(0.1).result_code)
        op.cancel()
        op.cancel()
        assert op.diagnosis.ok
        op.close()
    time.sleep(0.2)
    assert finals == [MIResult.OK]
    _wait_back(start)


def test_cancelled_stage_is_always_reported_cancelled(app: Application, lab: Lab) -> None:
    """400 cancels in the wsman stage all say 'cancelled' (a race once reported about 1 in 40 as 'failed')."""
    statuses: list[StageStatus] = []
    for _ in range(400):
        with app.new_session(lab.url("silent"), options=DestinationOptions(timeout=TIMEOUT)) as session:
            op = session.test_connection()
            ends = time.monotonic() + TIMEOUT
            while op.diagnosis.running_stage != "wsman" and time.monotonic() < ends:
                time.sleep(0.002)
            op.cancel()
            assert op.get_instance(0.1).result_code is MIResult.FAILED
            statuses.append(next(s.status for s in op.diagnosis.stages if s.name == "wsman"))
            op.close()
        if statuses[-1] is not StageStatus.CANCELLED:
            break
        tally("cancel_races")
    assert set(statuses) == {StageStatus.CANCELLED}, f"after {len(statuses)} cancels: {statuses[-1]}"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_cancel_during_a_kdc_exchange_that_never_answers(app: Application, klab: Lab, mode: str) -> None:
    """Kerberos' logon waits on a domain controller that accepts and never answers: inside libkrb5, where no socket
    of the test's can be shut. The cancel still ends the test at once; the exchange ends later on its own."""
    endpoint = klab.endpoint("kerberos-kdc-silent")
    options = DestinationOptions(auth=AuthType.KERBEROS, credentials=UserCredentials(endpoint.username or "",
                                 endpoint.password or ""), timeout=8.0)
    start = _levels()
    finals: list[MIResult] = []
    final_seen = threading.Event()

    def on_result(op: object, instance: object, more: bool, code: MIResult, message: object, details: object) -> None:
        finals.append(code)
        final_seen.set()

    callbacks = OperationCallbacks(instance_result=on_result) if mode == "async" else None
    with app.new_session(endpoint.url, options=options) as session:
        op = session.test_connection(callbacks=callbacks)
        try:
            ends = time.monotonic() + 3
            while op.diagnosis.running_stage != "auth" and time.monotonic() < ends:
                time.sleep(0.005)
            time.sleep(0.3)  # well inside the exchange: the silent KDC holds it for SILENT_FOR seconds
            assert op.diagnosis.running_stage == "auth" and not op.done
            cancelled_at = time.perf_counter()
            op.cancel()
            if mode == "sync":
                finals.append(op.get_instance(0.1).result_code)
            else:
                assert final_seen.wait(0.1), "no final result within 100 ms of cancel()"
            assert time.perf_counter() - cancelled_at <= 0.1
            diagnosis = op.diagnosis
        finally:
            op.close()
    assert finals == [MIResult.FAILED]
    assert diagnosis.failed_stage == "auth" and diagnosis.cancelled
    _wait_back(start, limit=SILENT_FOR + 2.0)  # the abandoned exchange ends when the KDC hangs up
    tally("cancel_cases")


def test_the_deadline_ends_a_kdc_exchange_that_never_answers(app: Application, klab: Lab) -> None:
    endpoint = klab.endpoint("kerberos-kdc-silent")
    options = DestinationOptions(auth=AuthType.KERBEROS, credentials=UserCredentials(endpoint.username or "",
                                 endpoint.password or ""), timeout=TIMEOUT)
    started = time.perf_counter()
    with app.new_session(endpoint.url, options=options) as session, session.test_connection() as op:
        assert op.get_instance().result_code is MIResult.FAILED
        diagnosis = op.diagnosis
    assert time.perf_counter() - started < TIMEOUT + 0.3
    assert diagnosis.failure is not None and diagnosis.failure.kind == "auth.kdc_timeout"
    assert diagnosis.failed_stage == "auth"

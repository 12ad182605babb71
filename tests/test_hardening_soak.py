"""Soak: many test connections against the lab's healthy listener, then no leaked threads, sockets or memory, and
no remote shell left open on the lab (one test in four opens and deletes a cmd shell).

The issue asks for 10,000 sequential tests; the default here is 2,000 to keep CI fast. Set
``TESTCONNECTION_SOAK=10000`` for the full run (it scales the parallel batch too: half the sequential count).
Tolerances after the run: threads +1, file descriptors +3, RSS +30 MB.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from core import Application, AuthType, DestinationOptions, MIResult, cleanup
from core.batch import Batch, BatchJob
from core.demo import options_for
from core.lab import Lab
from tests.quality import tally

SEQUENTIAL = int(os.environ.get("TESTCONNECTION_SOAK", "2000"))
PARALLEL = max(1000, SEQUENTIAL // 2)
RSS_TOLERANCE = 30 * 1024 * 1024


def _levels() -> tuple[int, int, int]:
    process = psutil.Process()
    return threading.active_count(), process.num_fds(), process.memory_info().rss


def _assert_back(start: tuple[int, int, int], limit: float = 5.0) -> tuple[int, int, int]:
    ends = time.monotonic() + limit
    while True:
        gc.collect()
        now = _levels()
        ok = now[0] <= start[0] + 1 and now[1] <= start[1] + 3 and now[2] <= start[2] + RSS_TOLERANCE
        if ok:
            return now
        if time.monotonic() > ends:
            names = sorted(t.name for t in threading.enumerate())
            raise AssertionError(
                f"threads {start[0]}->{now[0]}, fds {start[1]}->{now[1]}, "
                f"RSS {start[2] >> 20}->{now[2] >> 20} MiB; threads: {names}"
            )
        time.sleep(0.1)


@pytest.fixture(scope="module")
def warm(lab: Lab) -> Iterator[Application]:
    """An application that has already run one test of each kind (imports, timer thread, NTLM tables)."""
    with Application() as app:
        endpoint = lab.endpoint("winrm-http")
        for options in _variants(lab):
            with app.new_session(endpoint.url, options=options) as session, session.test_connection() as op:
                assert op.get_instance(10).result_code is MIResult.OK
        yield app


def _variants(lab: Lab) -> list[DestinationOptions]:
    ntlm = options_for(lab.endpoint("winrm-http"), lab, 10.0)
    return [ntlm, ntlm._replace(auth=AuthType.NONE, credentials=None), ntlm._replace(open_shell=True)]


def _assert_no_open_shells(lab: Lab, opened_before: int, opened: int) -> None:
    assert cleanup.wait(cleanup.CLEANUP_SECONDS + 2)
    assert lab.open_shells("winrm-http") == []
    assert len(lab.shells("winrm-http")) - opened_before == opened
    tally("shells_deleted", opened)


@pytest.mark.slow
def test_sequential_soak(lab: Lab, warm: Application) -> None:
    """SEQUENTIAL tests one after another (3 in 4 with NTLM and message encryption, one of them opening a shell; 1 in
    4 anonymous): all OK."""
    endpoint = lab.endpoint("winrm-http")
    ntlm, anonymous, shell = _variants(lab)
    start = _levels()
    opened_before = len(lab.shells("winrm-http"))
    failures: list[str] = []
    for i in range(SEQUENTIAL):
        options = anonymous if i % 4 == 0 else shell if i % 4 == 1 else ntlm
        with warm.new_session(endpoint.url, options=options) as session, session.test_connection() as op:
            result = op.get_instance(15)
            if result.result_code is not MIResult.OK:
                failures.append(f"#{i}: {result.result_code.name} {result.error_message}")
                if len(failures) > 5:
                    break
    assert failures == []
    _assert_no_open_shells(lab, opened_before, (SEQUENTIAL + 2) // 4)
    _assert_back(start)
    tally("soak_sequential", SEQUENTIAL)


@pytest.mark.slow
def test_parallel_soak_through_batch(lab: Lab, warm: Application) -> None:
    """PARALLEL tests through core.batch (32 at once, NTLM, every other one opening a shell): all OK, and the batch's
    threads go away."""
    endpoint = lab.endpoint("winrm-http")
    ntlm, _, shell = _variants(lab)
    start = _levels()
    opened_before = len(lab.shells("winrm-http"))
    finals: list[int] = []
    lock = threading.Lock()

    def on_update(index: int, diagnosis: object, final: bool) -> None:
        if final:
            with lock:
                finals.append(index)

    jobs = [BatchJob(endpoint.url, shell if i % 2 else ntlm, key=i) for i in range(PARALLEL)]
    with Batch(jobs, on_update=on_update) as batch:
        batch.start()
        assert batch.wait(120), f"{batch.finished} of {PARALLEL} finished"
        results = batch.results
    bad = [(i, r.failure.message if r and r.failure else None) for i, r in enumerate(results) if r is None or not r.ok]
    assert bad == [], bad[:5]
    with lock:
        assert sorted(finals) == list(range(PARALLEL)), "each job reports exactly one final update"
    _assert_no_open_shells(lab, opened_before, PARALLEL // 2)
    _assert_back(start)
    tally("soak_parallel", PARALLEL)


def test_a_finished_test_is_let_go_of_before_its_timeout_comes(lab: Lab, warm: Application) -> None:
    """Each test arms its deadline on one shared timer thread; a finished test disarms it. What the test was (its
    operation, session, diagnosis) must be free at once, not kept until the deadline would have come: a watch of
    a thousand machines with a long timeout would otherwise hold thousands of finished tests."""
    import weakref

    options = DestinationOptions(transport="http", auth=AuthType.NONE, timeout=600)
    with warm.new_session(lab.endpoint("winrm-http").url, options=options) as session:
        with session.test_connection() as operation:
            assert operation.get_instance(10).result_code is MIResult.OK
        finished = weakref.ref(operation)
    del operation
    gc.collect()
    assert finished() is None

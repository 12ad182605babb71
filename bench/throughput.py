"""2. Batch throughput behind a 50 ms lab; 3. unreachable targets and cancel-all."""

from __future__ import annotations

import threading
import time

import requests

from bench.common import Goal, LabProcess, Section, main_thread_profile, ms, ratio
from core import AuthType, DestinationOptions
from core.batch import DEFAULT_CONCURRENCY, Batch, BatchJob
from core.diagnosis import Diagnosis
from core.lab import Lab
from core.wsman import IDENTIFY_REQUEST

LATENCY = 0.05
HEADERS = {"Content-Type": "application/soap+xml;charset=UTF-8", "WSMANIDENTIFY": "unauthenticated"}
ROUND_TRIPS_ANONYMOUS = 1  # one HTTP request per anonymous test: counted on the lab's side in table 1c
SERIAL_SAMPLE = 50


def run_batch(url: str, n: int, timeout: float, concurrency: int = DEFAULT_CONCURRENCY) -> tuple[float, Batch]:
    options = DestinationOptions(transport="http", auth=AuthType.NONE, timeout=timeout)
    batch = Batch([BatchJob(url, options, key=i) for i in range(n)], concurrency=concurrency)
    started = time.perf_counter()
    batch.start()
    if not batch.wait(timeout * n + 120):
        batch.close()
        raise RuntimeError("the batch did not finish")
    elapsed = time.perf_counter() - started
    batch.close()
    return elapsed, batch


def throughput(quick: bool) -> Section:
    n = 100 if quick else 1000
    c = DEFAULT_CONCURRENCY
    section = Section(
        f"2. Batch throughput: {n} targets, lab latency {LATENCY * 1000:.0f} ms per response",
        ["run", "targets", "time", "targets/s", "vs ideal"],
    )
    with LabProcess(["winrm-http"], latency=LATENCY) as lab:
        url = lab.urls["winrm-http"]
        run_batch(url, c, 10)  # warm-up
        elapsed, batch = run_batch(url, n, 10)
        ok = sum(1 for r in batch.results if r is not None and r.ok)
        ideal = n / c * ROUND_TRIPS_ANONYMOUS * LATENCY
        serial_sample = []
        for _ in range(SERIAL_SAMPLE):
            started = time.perf_counter()
            requests.post(url, data=IDENTIFY_REQUEST, headers=HEADERS, timeout=10).raise_for_status()
            serial_sample.append(time.perf_counter() - started)
        serial = sum(serial_sample) / SERIAL_SAMPLE * n
        section.rows = [
            [
                f"ideal: {n} ÷ {c} × {ROUND_TRIPS_ANONYMOUS} round trip × {LATENCY * 1000:.0f} ms",
                str(n),
                ms(ideal),
                f"{n / ideal:,.0f}",
                "1.00×",
            ],
            [
                f"Batch, concurrency {c} ({ok}/{n} ok)",
                str(n),
                ms(elapsed),
                f"{n / elapsed:,.0f}",
                ratio(elapsed, ideal),
            ],
            [
                f"serial `requests.post` loop (measured on {SERIAL_SAMPLE}, extrapolated ×{n / SERIAL_SAMPLE:g})",
                str(n),
                ms(serial),
                f"{n / serial:,.1f}",
                ratio(serial, ideal),
            ],
        ]
        passed = elapsed <= 1.5 * ideal and ok == n
        section.goals.append(
            Goal(
                "Batch ≤ 1.5× ideal",
                passed,
                f"{ratio(elapsed, ideal)}; {ratio(serial, elapsed)} "
                "faster than the serial loop" + ("" if ok == n else f"; only {ok}/{n} ok"),
            )
        )
        section.notes.append(
            "The lab runs in its own process (`testconnection-lab --latency 0.05`), like a "
            "remote server: it does not compete with the client for the GIL."
        )
        if not passed:
            section.profile = main_thread_profile(lambda: run_batch(url, min(n, 200), 10))
            section.notes.append(
                "Goal missed: pyinstrument of the main thread during a batch (the worker "
                "threads are not sampled; see the report for the analysis)."
            )
    return section


def unreachable(quick: bool) -> Section:
    n = 64 if quick else 1000
    timeout = 1.0 if quick else 2.0
    c = DEFAULT_CONCURRENCY
    section = Section(
        f"3. Unreachable targets: {n} to the lab `blackhole`, timeout {timeout:g} s, concurrency {c}",
        ["run", "targets", "time", "expected", "ratio"],
    )
    with Lab(scenarios=["blackhole"]) as lab:
        url = lab.url("blackhole")
        elapsed, batch = run_batch(url, n, timeout)
        timed_out = sum(1 for r in batch.results if r is not None and r.failed_stage == "tcp")
        expected = n / c * timeout
        section.rows.append(
            [
                f"all run to their deadline ({timed_out}/{n} failed at tcp)",
                str(n),
                ms(elapsed),
                f"{ms(expected)} (N ÷ {c} × timeout)",
                ratio(elapsed, expected),
            ]
        )
        section.goals.append(
            Goal(
                "total ≈ N ÷ concurrency × timeout",
                elapsed <= 1.2 * expected and timed_out == n,
                f"{ratio(elapsed, expected)} (≤ 1.2× accepted)",
            )
        )

        # Cancel all after 1 s: time from cancel_all() to the last final result delivered.
        options = DestinationOptions(transport="http", auth=AuthType.NONE, timeout=timeout * 30)
        finals: list[float] = []
        lock = threading.Lock()

        def on_update(index: int, diagnosis: Diagnosis, final: bool) -> None:
            if final:
                now = time.perf_counter()
                with lock:
                    finals.append(now)

        batch = Batch([BatchJob(url, options) for _ in range(n)], concurrency=c, on_update=on_update)
        batch.start()
        time.sleep(1.0)
        started = time.perf_counter()
        batch.cancel_all()
        returned = time.perf_counter()
        done = batch.wait(30)
        delivered = (max(finals) if finals else time.perf_counter()) - started
        cancelled = sum(
            1
            for r in batch.results
            if r is not None and r.failure is not None and r.failure.category.name == "OPERATION_STOPPED"
        )
        batch.close()
        section.rows.append(
            [
                f"cancel_all() after 1 s ({len(finals)}/{n} results, {cancelled} cancelled)",
                str(n),
                f"{ms(delivered)} to last result ({ms(returned - started)} in cancel_all)",
                "≤ 200 ms",
                ratio(delivered, 0.2),
            ]
        )
        section.goals.append(
            Goal("cancel_all → every result ≤ 200 ms", done and delivered <= 0.2 and len(finals) == n, ms(delivered))
        )
    return section

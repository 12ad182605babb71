"""2. Batch throughput behind a 50 ms lab; 3. unreachable targets and cancel-all."""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import requests

from bench.common import Goal, LabProcess, Section, median, ms, percentile, ratio
from bench.overhead import raw_identify
from core import AuthType, DestinationOptions
from core.batch import DEFAULT_CONCURRENCY, Batch, BatchJob
from core.diagnosis import Diagnosis
from core.lab import Lab
from core.wsman import IDENTIFY_REQUEST

LATENCY = 0.05
HEADERS = {"Content-Type": "application/soap+xml;charset=UTF-8", "WSMANIDENTIFY": "unauthenticated"}
ROUND_TRIPS_ANONYMOUS = 1  # one HTTP request per anonymous test: counted on the lab's side in table 1c
SERIAL_SAMPLE = 50


def run_batch(
    url: str, n: int, timeout: float, concurrency: int = DEFAULT_CONCURRENCY, look_ports: tuple[int, ...] = ()
) -> tuple[float, Batch]:
    options = DestinationOptions(transport="http", auth=AuthType.NONE, timeout=timeout, look_ports=look_ports)
    batch = Batch([BatchJob(url, options, key=i) for i in range(n)], concurrency=concurrency)
    started = time.perf_counter()
    batch.start()
    if not batch.wait(timeout * n + 120):
        batch.close()
        raise RuntimeError("the batch did not finish")
    elapsed = time.perf_counter() - started
    batch.close()
    return elapsed, batch


def raw_pool(url: str, n: int, concurrency: int) -> float:
    """The machine's floor: `concurrency` threads posting the raw Identify (fresh connection each), no library."""
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(lambda _: raw_identify(url), range(n)))
    if any(status != 200 for status in statuses):
        raise RuntimeError("the raw client got an error from the lab")
    return time.perf_counter() - started


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _timer_scaling() -> str:
    """The cost of cancelling a deadline (every finished test does) as the number pending grows."""
    from core.wire import _Timers

    costs = []
    for size in (1_000, 10_000):
        timers = _Timers()  # a private instance: the library's own timer thread is not touched
        ids = [timers.call_at(time.monotonic() + 3600, lambda: None) for _ in range(size)]
        started = time.perf_counter()
        for timer_id in ids[-100:]:
            timers.cancel(timer_id)
        costs.append(f"{(time.perf_counter() - started) / 100 * 1e6:,.0f} µs with {size:,} deadlines pending")
    return (
        "Every finished test cancels its deadline with `core.wire._Timers.cancel`. It was a linear scan of the heap "
        "(36 µs per cancel with 1,000 pending, 365 µs with 10,000: quadratic over a big list); it is now a set "
        f"lookup, and cancelled entries are dropped when they come up. Measured per cancel: {'; '.join(costs)}."
    )


def throughput(quick: bool) -> Section:
    n = 100 if quick else 1000
    c = DEFAULT_CONCURRENCY
    section = Section(
        f"2. Batch throughput: {n} targets, lab latency {LATENCY * 1000:.0f} ms per response",
        ["run", "targets", "time", "targets/s", "vs ideal", "client CPU", "lab CPU"],
    )
    with LabProcess(["winrm-http"], latency=LATENCY) as lab:
        url = lab.urls["winrm-http"]
        run_batch(url, c, 10)  # warm-up
        me = os.getpid()
        cpu0, lab0 = _cpu(me), _cpu(lab.pid)
        elapsed, batch = run_batch(url, n, 10)
        cpu1, lab1 = _cpu(me), _cpu(lab.pid)
        raw = raw_pool(url, n, c)
        cpu2, lab2 = _cpu(me), _cpu(lab.pid)
        results = [r for r in batch.results if r is not None]
        ok = sum(1 for r in results if r.ok)
        ideal = n / c * ROUND_TRIPS_ANONYMOUS * LATENCY
        serial_sample = []
        for _ in range(SERIAL_SAMPLE):
            started = time.perf_counter()
            requests.post(url, data=IDENTIFY_REQUEST, headers=HEADERS, timeout=10).raise_for_status()
            serial_sample.append(time.perf_counter() - started)
        serial = sum(serial_sample) / SERIAL_SAMPLE * n
    waves = math.ceil(n / c)
    section.rows = [
        [
            f"ideal: {n} ÷ {c} × {ROUND_TRIPS_ANONYMOUS} round trip × {LATENCY * 1000:.0f} ms",
            str(n),
            ms(ideal),
            f"{n / ideal:,.0f}",
            "1.00×",
            "-",
            "-",
        ],
        [
            f"whole waves: ⌈{n} ÷ {c}⌉ = {waves} × {LATENCY * 1000:.0f} ms",
            str(n),
            ms(waves * LATENCY),
            f"{n / (waves * LATENCY):,.0f}",
            ratio(waves * LATENCY, ideal),
            "-",
            "-",
        ],
        [
            f"raw http.client on {c} threads (this machine's floor, no library)",
            str(n),
            ms(raw),
            f"{n / raw:,.0f}",
            ratio(raw, ideal),
            f"{cpu2 - cpu1:.2f} s",
            f"{lab2 - lab1:.2f} s",
        ],
        [
            f"**Batch, concurrency {c}** ({ok}/{n} ok)",
            str(n),
            ms(elapsed),
            f"{n / elapsed:,.0f}",
            ratio(elapsed, ideal),
            f"{cpu1 - cpu0:.2f} s",
            f"{lab1 - lab0:.2f} s",
        ],
        [
            f"serial `requests.post` loop (measured on {SERIAL_SAMPLE}, extrapolated ×{n / SERIAL_SAMPLE:g})",
            str(n),
            ms(serial),
            f"{n / serial:,.1f}",
            ratio(serial, ideal),
            "-",
            "-",
        ],
    ]
    passed = elapsed <= 1.5 * ideal and ok == n
    section.goals.append(
        Goal(
            "Batch ≤ 1.5× ideal",
            passed,
            f"{ratio(elapsed, ideal)} ({ratio(elapsed, raw)} the raw 32-thread floor); "
            f"{serial / elapsed:.1f}× faster than the serial loop" + ("" if ok == n else f"; only {ok}/{n} ok"),
        )
    )
    per_test = [r.elapsed_ms / 1000 for r in results]
    wsman = [s.elapsed_ms / 1000 for r in results for s in r.stages if s.name == "wsman"]
    inside = sum(per_test)
    section.notes.append(
        f"Per test (inside the probe): median {ms(median(per_test))}, p95 {ms(percentile(per_test, 95))}; the "
        f"`wsman` stage (the one 50 ms round trip) median {ms(median(wsman))}, p95 {ms(percentile(wsman, 95))}. "
        f"Slot time {c} × {ms(elapsed)} = {c * elapsed:.1f} s, of which {inside:.1f} s inside the probes and "
        f"{c * elapsed - inside:.1f} s ({(c * elapsed - inside) / n * 1000:.1f} ms per test) starting threads, "
        "delivering results and waiting for the GIL."
    )
    section.notes.append(_timer_scaling())
    section.notes.append(
        "The lab runs in its own process (`testconnection-lab --latency 0.05`), like a remote server: it does not "
        "compete with the client for the GIL. CPU columns: seconds of CPU used by this process and by the lab "
        "during that run."
    )
    return section


def unreachable(quick: bool) -> Section:
    n = 64 if quick else 1000
    timeout = 1.0 if quick else 2.0
    c = DEFAULT_CONCURRENCY
    section = Section(
        f"3. Unreachable targets: {n} to the lab `host-down` (nothing answers; the look at other ports included), "
        f"timeout {timeout:g} s, concurrency {c}",
        ["run", "targets", "time", "expected", "ratio"],
    )
    with Lab(scenarios=["host-down"]) as lab:
        url, silent = lab.url("host-down"), lab.endpoint("host-down").look_ports
        elapsed, batch = run_batch(url, n, timeout, look_ports=silent)
        timed_out = sum(1 for r in batch.results if r is not None and r.failure and r.failure.kind == "tcp.host_down")
        expected = n / c * timeout
        section.rows.append(
            [
                f"all end within their deadline ({timed_out}/{n} tcp.host_down)",
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
        options = DestinationOptions(transport="http", auth=AuthType.NONE, timeout=timeout * 30, look_ports=silent)
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

"""4. Cancel latency: from `cancel()` to the final result callback, with each stage in flight."""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.common import Goal, Section, ms, percentile
from core import Application, AuthType, DestinationOptions, OperationCallbacks, UserCredentials, cleanup
from core.lab import Lab

AUTH_LATENCY = 0.2  # the lab delays every response: the auth stage is in flight for ≥ 2 × this
SETTLE = 0.005  # after the stage reports it started, let it reach its blocking call


def _one(app: Application, url: str, options: DestinationOptions, stage: str) -> tuple[float, str | None]:
    started_stage = threading.Event()
    final = threading.Event()
    got: dict[str, Any] = {}

    def progress(op: Any, activity: str, current: str, status: str, percent: int, remaining: int) -> None:
        if current == stage and status == stage:  # "stage X is running" (not "X ok")
            started_stage.set()

    def result(op: Any, *_: Any) -> None:
        got["at"] = time.perf_counter()
        failure = op.diagnosis.failure
        got["stage"] = op.diagnosis.failed_stage
        got["cancelled"] = failure is not None and failure.category.name == "OPERATION_STOPPED"
        final.set()

    session = app.new_session(url, options=options)
    op = session.test_connection(callbacks=OperationCallbacks(instance_result=result, write_progress=progress))
    try:
        if not started_stage.wait(10):
            raise RuntimeError(f"stage {stage} never started (ended at {op.diagnosis.failed_stage})")
        time.sleep(SETTLE)
        if final.is_set():
            raise RuntimeError(f"the test ended before the cancel ({op.diagnosis.failed_stage})")
        t0 = time.perf_counter()
        op.cancel()
        if not final.wait(10):
            raise RuntimeError("no final result after cancel()")
        return got["at"] - t0, got["stage"] if got["cancelled"] else f"{got['stage']} (not reported as cancelled)"
    finally:
        op.close()
        session.close()


def run(quick: bool) -> Section:
    n = 10 if quick else 100
    section = Section(
        f"4. Cancel latency: cancel() → final result callback, {n} times per stage",
        ["stage in flight", "scenario", "N", "p50", "p99", "max", "final result: cancelled in that stage"],
    )
    with (
        Lab(scenarios=["blackhole", "silent"]) as lab,
        Lab(scenarios=["winrm-http", "session-cmd"], latency=AUTH_LATENCY) as slow,
        Application() as app,
    ):
        user, password = next(iter(slow.users.items()))
        cases = [
            (
                "tcp",
                "lab `blackhole` (connect never completes)",
                lab.url("blackhole"),
                DestinationOptions(transport="http", timeout=30),
            ),
            (
                "tls",
                "lab `silent` over https (no ServerHello)",
                lab.url("silent").replace("http://", "https://"),
                DestinationOptions(transport="https", timeout=30),
            ),
            (
                "wsman",
                "lab `silent` (no HTTP answer)",
                lab.url("silent"),
                DestinationOptions(transport="http", timeout=30),
            ),
            (
                "auth",
                f"NTLM to `winrm-http` with {AUTH_LATENCY * 1000:.0f} ms latency",
                slow.url("winrm-http"),
                DestinationOptions(
                    transport="http", auth=AuthType.NTLM, credentials=UserCredentials(user, password), timeout=30
                ),
            ),
            (
                "session",
                f"NTLM, a cmd shell on `session-cmd` with {AUTH_LATENCY * 1000:.0f} ms latency",
                slow.url("session-cmd"),
                DestinationOptions(
                    transport="http", auth=AuthType.NTLM, credentials=UserCredentials(user, password), timeout=30,
                    open_shell=True,
                ),
            ),
        ]
        worst = 0.0
        for stage, label, url, options in cases:
            latencies: list[float] = []
            right = 0
            wrong: list[str] = []
            for _ in range(n):
                latency, failed = _one(app, url, options, stage)
                latencies.append(latency)
                right += failed == stage
                if failed != stage:
                    wrong.append(str(failed))
            p99 = percentile(latencies, 99)
            worst = max(worst, p99)
            section.rows.append(
                [
                    stage,
                    label,
                    str(n),
                    ms(percentile(latencies, 50)),
                    ms(p99),
                    ms(max(latencies)),
                    f"{right}/{n}" + (f" (others: {', '.join(sorted(set(wrong)))})" if wrong else ""),
                ]
            )
        # The shells of the cancelled session tests are deleted in the background; none may stay open on the lab.
        cleanup.wait(cleanup.CLEANUP_SECONDS + 2)
        left = slow.wait_for_no_open_shells(2)
        section.rows.insert(0, ["dns", "-", "0", "-", "-", "-", "not measurable: loopback literals resolve at once"])
        section.goals.append(Goal("p99 < 100 ms in every stage", worst < 0.1, f"worst p99 {ms(worst)}"))
        opened = len(slow.shells("session-cmd"))
        deleted = f"{opened - len(left)} of {opened} deleted"
        section.goals.append(Goal("no shell left open by a cancel", not left, deleted))
        section.notes.append(
            "Cancel is issued from the main thread once the progress callback reports the stage "
            f"running, plus {SETTLE * 1000:g} ms so the worker is inside its blocking call."
        )
    return section

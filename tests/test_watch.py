"""Watching: core.watch's states, changes and wording, and the command line's ``--watch`` against a lab endpoint
that goes down and comes back."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from typing import Any

import pytest

from core import Diagnosis, StageReport, StageStatus, failures
from core.lab import Lab
from core.lab.switchable import Switchable
from core.watch import Health, TargetWatch, Watch, format_duration


def result(ok: bool, cancelled: bool = False) -> Diagnosis:
    stages = tuple(StageReport(n, StageStatus.OK if ok else StageStatus.NOT_RUN) for n in ("dns", "tcp"))
    failure = None
    if cancelled:
        failure = failures.cancelled("tcp")
    elif not ok:
        failure = failures.failure("tcp.refused", "tcp", failures.Context("srv01", 5985, "http"))
    return Diagnosis("srv01", "http://srv01:5985/wsman", stages, failure=failure)


def at(clock: str) -> float:
    return datetime.strptime(f"2026-03-02 {clock}", "%Y-%m-%d %H:%M:%S").timestamp()


def test_a_target_going_down_and_back_is_two_changes_with_times_and_counts() -> None:
    watched = TargetWatch("srv01")
    first = watched.observe(result(True), at("14:00:00"))
    assert first is not None and first.previous is None and first.describe() == "up 14:00:00 (first result)"
    assert watched.observe(result(True), at("14:00:10")) is None  # still up: no change
    down = watched.observe(result(False), at("14:02:11"))
    assert down is not None and down.health is Health.DOWN and down.problem == "Port 5985 closed — WinRM not listening"
    assert watched.observe(result(False, cancelled=True), at("14:03:00")) is None  # says nothing about srv01
    up = watched.observe(result(True), at("14:06:40"))
    assert up is not None and up.describe() == "down 14:02:11 — up 14:06:40, 4 min 29 s"
    assert (watched.passes, watched.failures) == (3, 1)
    assert watched.summary() == "up since 14:06:40 · 3 ✔ 1 ✖"
    assert up.to_dict()["previous_lasted_s"] == 269.0 and up.to_dict()["previous"] == "down"


def test_durations_and_intervals_read_as_a_person_says_them() -> None:
    assert [format_duration(s) for s in (12, 269, 3780, 190_000)] == ["12 s", "4 min 29 s", "1 h 3 min", "2 d 4 h"]
    with pytest.raises(ValueError, match="watch interval"):
        Watch(0.5)


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _next(lines: queue.Queue[str], timeout: float = 10.0) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(lines.get(timeout=timeout))
    return record


def test_cli_watch_prints_a_json_line_per_change_and_exits_130_on_ctrl_c(lab: Lab) -> None:
    with Switchable(lab.endpoint("winrm-http").port) as endpoint:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "check", endpoint.url(), "--watch", "1", "--timeout", "3"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            lines = _lines(process)
            first = _next(lines)
            assert first["ok"] is True and first["watch"]["state"] == "up" and first["watch"]["previous"] is None
            endpoint.down()
            down = _next(lines)
            assert down["ok"] is False and down["failed_stage"] == "tcp"
            assert (down["watch"]["state"], down["watch"]["previous"]) == ("down", "up")
            assert down["watch"]["problem"] == f"Port {endpoint.port} closed — WinRM not listening"
            assert down["watch"]["previous_since"] == first["watch"]["changed_at"]
            endpoint.up()
            up = _next(lines)
            assert (up["watch"]["state"], up["watch"]["previous"]) == ("up", "down")
            assert up["watch"]["previous_lasted_s"] > 0 and up["watch"]["failures"] >= 1
            assert up["watch"]["passes"] >= 2
            time.sleep(0.3)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 130
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_cli_watch_names_a_bad_interval_and_a_report_file_it_cannot_write(capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    for args, words in ((["--watch", "0.5"], "--watch: must be from 1 to 86400 seconds"),
                        (["--watch", "5", "--output", "r.html"], "--output: a watch never ends")):
        with pytest.raises(SystemExit) as exited:
            main(["check", "srv01", *args])
        assert exited.value.code == 2
        assert words in capsys.readouterr().err

"""Runs inside a fresh process for the GUI benchmark (QT_QPA_PLATFORM=offscreen); prints one JSON line.

`startup`: time from the parent's launch stamp to the main window's first paint, through `gui.app.main`.
`batch URL N`: the main window runs N targets; a 5 ms QTimer records the event loop's gaps; RSS at the end.
`watch URL N CYCLES`: the main window watches N targets (every 1 s) until each was tested CYCLES times; the
same gaps are recorded.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def startup() -> dict[str, Any]:
    from gui.qt import QApplication, QEvent, QMainWindow, QObject, QTimer

    app = QApplication.instance() or QApplication(["testconnection"])
    seen: dict[str, float] = {}

    class FirstPaint(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if isinstance(obj, QMainWindow):
                if event.type() == QEvent.Type.Show and "show" not in seen:
                    seen["show"] = time.time()
                if event.type() == QEvent.Type.Paint and "paint" not in seen:
                    seen["paint"] = time.time()
                    app.quit()
            return False

    watcher = FirstPaint()
    app.installEventFilter(watcher)
    QTimer.singleShot(30_000, app.quit)  # never hang the benchmark
    from gui import app as gui_app

    gui_app.main([])
    return {"shown_at": seen.get("show"), "painted_at": seen.get("paint")}


def batch(url: str, n: int) -> dict[str, Any]:
    import psutil

    from gui.qt import QEventLoop, QTimer

    app, window, specs = _window(url, n)
    rss_before = psutil.Process().memory_info().rss
    gaps: list[float] = []
    timer = _gap_timer(gaps)
    profiler: Any = None
    if os.environ.get("BENCH_GUI_PROFILE"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    thread_cpu = time.thread_time()
    started = time.perf_counter()
    keys = window.add_targets(specs)
    window.run(keys)
    loop = QEventLoop()
    window.runner.idle.connect(loop.quit)
    QTimer.singleShot(120_000, loop.quit)
    if window.runner.busy:
        loop.exec()
    elapsed = time.perf_counter() - started
    thread_cpu = time.thread_time() - thread_cpu
    profile = ""
    if profiler is not None:
        from pyinstrument.renderers import ConsoleRenderer

        session = profiler.stop()
        text = ConsoleRenderer(
            unicode=False, color=False, flat=os.environ.get("BENCH_GUI_PROFILE") == "flat", show_all=False
        ).render(session)
        profile = "\n".join(line for line in text.splitlines()[:70] if line.strip())
    for _ in range(20):  # let the last updates land in the model and the view repaint
        app.processEvents()
    timer.stop()
    done = sum(1 for k in keys if (row := window.model.row(k)) is not None and row.final)
    ok = sum(
        1
        for k in keys
        if (row := window.model.row(k)) is not None and row.final and row.diagnosis is not None and row.diagnosis.ok
    )
    rss = psutil.Process().memory_info().rss
    window.close()
    gaps.sort()
    return {
        "elapsed": elapsed,
        "thread_cpu": thread_cpu,
        "profile": profile,
        "over_50ms": sum(1 for g in gaps if g > 0.05),
        "max_gap": gaps[-1] if gaps else None,
        "p99_gap": gaps[int(len(gaps) * 0.99)] if gaps else None,
        "median_gap": gaps[len(gaps) // 2] if gaps else None,
        "ticks": len(gaps),
        "done": done,
        "ok": ok,
        "rss": rss,
        "rss_before": rss_before,
    }


def watch(url: str, n: int, cycles: int) -> dict[str, Any]:
    from gui.qt import QEventLoop, QTimer

    _, window, specs = _window(url, n)
    keys = window.add_targets(specs)
    rows = [window.model.row(k) for k in keys]
    loop = QEventLoop()

    def all_tested() -> None:
        if all(r is not None and r.watch is not None and r.watch.passes + r.watch.failures >= cycles for r in rows):
            loop.quit()

    gaps: list[float] = []
    timer = _gap_timer(gaps, all_tested)
    QTimer.singleShot(300_000, loop.quit)
    started = time.perf_counter()
    window.watching.start(keys, 1)
    loop.exec()
    elapsed = time.perf_counter() - started
    timer.stop()
    tested = sum(r.watch.passes + r.watch.failures for r in rows if r is not None and r.watch is not None)
    window.cancel_all()
    window.close()
    gaps.sort()
    return {
        "elapsed": elapsed,
        "tested": tested,
        "max_gap": gaps[-1] if gaps else None,
        "p99_gap": gaps[int(len(gaps) * 0.99)] if gaps else None,
        "over_50ms": sum(1 for g in gaps if g > 0.05),
    }


def _window(url: str, n: int) -> tuple[Any, Any, list[Any]]:
    """The application, a shown main window settled as gui.app.main leaves it, and N specs for ``url``."""
    from core import AuthType, DestinationOptions
    from gui.app import settle
    from gui.qt import QApplication
    from gui.results_model import TestSpec
    from gui.window import MainWindow

    app = QApplication.instance() or QApplication(["testconnection"])
    window = MainWindow()
    window.show()
    app.processEvents()
    settle()
    options = DestinationOptions(transport="http", auth=AuthType.NONE, timeout=10)
    return app, window, [TestSpec(url, f"target-{i}", options, name=f"t{i}") for i in range(n)]


def _gap_timer(gaps: list[float], each: Any = None) -> Any:
    """A started 5 ms QTimer that appends to ``gaps`` the time since its previous tick: the event loop's stalls."""
    from gui.qt import QTimer

    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if each is not None:
            each()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    return timer


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if os.environ.get("BENCH_SWITCH_INTERVAL"):  # experiment: how much of a stall is waiting for the GIL
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    if argv[0] == "startup":
        result = startup()
    elif argv[0] == "watch":
        result = watch(argv[1], int(argv[2]), int(argv[3]))
    else:
        result = batch(argv[1], int(argv[2]))
    print("BENCH-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

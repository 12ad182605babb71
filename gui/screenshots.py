"""Screenshots for the README: ``python -m gui.screenshots [OUTPUT_DIR]`` (default ``docs/screenshots``).

Runs offscreen unless a display is available, against the in-process demo lab, with a throw-away settings
directory so the pictures never show the user's own state. Every picture is the window at 1366x768, the laptop
the layout is made for:

- ``main.png``: the demo list run — the table, reason first, and an answer's details;
- ``details-failure.png``: a failure's details — what to try, the fixes to copy by where they run, the same check
  from a Windows PC;
- ``watch.png``: a watch in progress — one machine went down and came back (logged in its details), another just
  went down (highlighted).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1366, 768)
WATCH_INTERVAL = 1  # seconds: the pictures need a few cycles, not a realistic pace


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["TESTCONNECTION_HOME"] = tempfile.mkdtemp(prefix="testconnection-shots-")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

    from core.lab import Lab
    from gui.app import demo_list, load_demo
    from gui.columns import Column
    from gui.qt import QApplication
    from gui.settings import Preferences
    from gui.window import MainWindow

    app = QApplication.instance() or QApplication(["testconnection"])
    assert isinstance(app, QApplication)
    app.setApplicationName("TestConnection")

    def grab(window: MainWindow, name: str) -> None:
        wait_until(lambda: False, 0.3)  # let the last changes paint
        path = out / name
        window.grab().save(str(path))
        print(f"wrote {path}")

    with Lab() as lab:
        # No desktop notification or sound from the watch; a timeout that ends the silent scenarios quickly.
        window = MainWindow(preferences=Preferences(timeout=2.0, notify=False, sound=False), persist=False)
        window.setWindowTitle("TestConnection — demo (local lab endpoints)")
        window.resize(*SIZE)
        window.show()
        window.show_demo_list(*demo_list(lab), lab.ca_file)
        window.list_panel.tree.expandAll()
        # The lab's endpoints are all http(s)://127.0.0.1:<port>: their room goes to the Problem instead, as a
        # user may choose (the header's menu, and a drag of the column's edge).
        window.table.show_column(Column.ENDPOINT, False)
        window.table.horizontalHeader().resizeSection(Column.PROBLEM, 360)
        keys = load_demo(window, lab)
        window.run(keys)
        wait_until(lambda: not window.runner.busy, 30)
        names = {e.name: k for e, k in zip(lab.endpoints, keys, strict=True)}

        window.splitter.setSizes([470, 230])  # the table first
        select(window, names["winrm-https"])
        grab(window, "main.png")

        window.splitter.setSizes([190, 510])  # the details first
        select(window, names["blackhole"])
        grab(window, "details-failure.png")

        window.splitter.setSizes([200, 500])
        shoot_watch(window, lab, grab)
        window.close()
    return 0


def shoot_watch(window: MainWindow, lab: object, grab: Callable[[MainWindow, str], None]) -> None:
    """Two machines that reboot (loopback forwarders to the lab's healthy HTTPS listener) and two that do not."""
    from core.demo import options_for
    from core.lab import Lab
    from core.lab.switchable import Switchable
    from gui.columns import Column
    from gui.rows import TestSpec

    assert isinstance(lab, Lab)
    window.clear_finished()
    healthy = lab.endpoint("winrm-https")
    options = options_for(healthy, lab)
    with Switchable(healthy.port) as srv01, Switchable(healthy.port) as srv02:
        specs = [TestSpec(srv01.url("https"), f"127.0.0.1:{srv01.port}", options, name="srv01 (rebooted)"),
                 TestSpec(srv02.url("https"), f"127.0.0.1:{srv02.port}", options, name="srv02 (rebooting)"),
                 TestSpec(healthy.url, "srv03", options, name="srv03"),
                 TestSpec(lab.url("refused"), "srv04", options_for(lab.endpoint("refused"), lab),
                          name="srv04")]
        keys = window.add_targets(specs)
        window.results_pane.watch_interval.setValue(WATCH_INTERVAL)
        window.watch(keys)
        # Where a user drags it while watching: beside the Problem, in view without scrolling sideways.
        header = window.table.horizontalHeader()
        header.moveSection(header.visualIndex(Column.WATCH), header.visualIndex(Column.PROBLEM) + 1)
        header.resizeSection(Column.PROBLEM, 230)
        header.resizeSection(Column.WATCH, 200)
        rows = [window.model.row(key) for key in keys]

        def health(number: int) -> str | None:
            row = rows[number]
            health = None if row is None or row.watch is None else row.watch.health
            return None if health is None else health.value

        wait_until(lambda: all(health(n) is not None for n in range(len(rows))), 10)
        srv01.down()
        wait_until(lambda: health(0) == "down", 10)
        wait_until(lambda: False, 3.5)  # down for a few cycles
        srv01.up()
        wait_until(lambda: health(0) == "up", 10)
        srv02.down()
        wait_until(lambda: health(1) == "down", 10)
        select(window, keys[0])  # its log in the details; srv02 stays highlighted
        grab(window, "watch.png")
        window.cancel_all()


def select(window: MainWindow, key: int) -> None:
    number = window.model.row_number(key) or 0
    window.table.selectRow(window.proxy.mapFromSource(window.model.index(number, 0)).row())


def wait_until(done: Callable[[], bool], seconds: float) -> None:
    """Run the event loop until ``done()`` or ``seconds`` have passed."""
    from gui.qt import QApplication

    ends = time.monotonic() + seconds
    while not done() and time.monotonic() < ends:
        QApplication.processEvents()
        time.sleep(0.02)
    QApplication.processEvents()


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshots of the main states for the docs: ``python -m gui.screenshots [OUTPUT_DIR]``.

Runs offscreen unless a display is available, against the in-process demo lab, with a throw-away settings
directory so the pictures never show the user's own state.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    from gui.qt import QApplication, QEventLoop, QTimer, QWidget
    from gui.settings import Preferences, SettingsDialog
    from gui.window import MainWindow

    app = QApplication.instance() or QApplication(["testconnection"])
    assert isinstance(app, QApplication)
    app.setApplicationName("TestConnection")

    def settle(ms: int = 200) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def grab(widget: QWidget, name: str) -> None:
        settle()
        path = out / name
        widget.grab().save(str(path))
        print(f"wrote {path}")

    with Lab() as lab:
        window = MainWindow(preferences=Preferences(timeout=2.0))
        window.setWindowTitle("TestConnection — demo (local lab endpoints)")
        window.resize(1400, 860)
        window.show()
        window.show_demo_list(*demo_list(lab), lab.ca_file)
        window.list_panel.tree.expandAll()
        keys = load_demo(window, lab)
        window.run(keys)
        loop = QEventLoop()
        window.runner.idle.connect(loop.quit)
        QTimer.singleShot(30_000, loop.quit)
        loop.exec()
        window.target_bar.host.setText("srv01.corp.example")

        ok_row = window.model.row_number(keys[0]) or 0
        window.table.selectRow(window.proxy.mapFromSource(window.model.index(ok_row, 0)).row())
        grab(window, "main.png")

        failing = next(k for k, e in zip(keys, lab.endpoints, strict=True) if e.name == "wrong-password")
        number = window.model.row_number(failing) or 0
        window.table.selectRow(window.proxy.mapFromSource(window.model.index(number, 0)).row())
        grab(window, "details-failure.png")

        window.target_bar.host.setText("srv01:70000")
        window.test_from_bar()
        grab(window, "bad-input.png")

        dialog = SettingsDialog(window.preferences, window)
        dialog.show()
        grab(dialog, "settings.png")
        dialog.close()
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

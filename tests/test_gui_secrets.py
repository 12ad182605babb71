"""The window keeps a typed or saved password to itself.

A marker password goes through every GUI flow a helpdesk user has: typed into the target bar and tested (right and
wrong), saved to a real keyring backend under a name, used by a saved list target, copied (rows, ticket, CSV),
exported (results as HTML/CSV/JSON, the list as CSV/JSON), shown in an error dialog's traceback, logged at DEBUG,
and the window closed (settings, history, list written). Then it is looked for in every file under the app's home
and the export folder (except the keyring's own file), every QSettings value, every clipboard text, every dialog
text, every widget's visible text and tooltip, and every cell of the results table.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyrings.alt.file import PlaintextKeyring

from core.credentials import CredentialStore
from core.lab import Lab
from core.targetlist import Target, TargetList
from tests.quality import tally

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")

MARKER = "Gui-Marker-Pw-4e2b"
LOGGERS = ["", "urllib3", "spnego", "winrm", "core", "gui", "asyncio"]


@pytest.fixture(scope="module")
def marker_lab() -> Iterator[Lab]:
    # Own user names: live labs share one NTLM user file and the first lab's password wins for a shared name.
    with Lab(scenarios=["winrm-http", "access-denied"], users={"erin": MARKER, "frank": "Frank-Other-Pw-1"}) as lab:
        yield lab


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "keyring" / "keyring_pass.cfg"


@pytest.fixture
def store(keyring_file: Path) -> CredentialStore:
    backend = PlaintextKeyring()
    backend.file_path = str(keyring_file)  # an instance attribute overrides the user's real keyring file
    return CredentialStore(backend)


def _texts_of_widgets(root: Any) -> list[str]:
    from gui.qt import QComboBox, QLabel, QLineEdit, QTextBrowser, QWidget

    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        texts += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription(), widget.windowTitle()]
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QLineEdit) and widget.echoMode() is QLineEdit.EchoMode.Normal:
            texts.append(widget.text())  # the password field is the one place the password may be, while typed
        elif isinstance(widget, QTextBrowser):
            texts += [widget.toPlainText(), widget.toHtml()]
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
    return texts


def _texts_of_model(model: Any) -> list[str]:
    from gui.qt import Qt

    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole]
    return [str(model.data(model.index(r, c), role)) for r in range(model.rowCount())
            for c in range(model.columnCount()) for role in roles]  # fmt: skip


def test_marker_password_reaches_no_file_setting_clipboard_dialog_or_log(
    qtbot: Any, marker_lab: Lab, store: CredentialStore, keyring_file: Path, gui_home: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from gui.errors import _excepthook, setup_logging
    from gui.qt import QFileDialog, QGuiApplication, QMessageBox
    from gui.settings import Preferences, ui_settings
    from gui.window import MainWindow

    seen: list[str] = []
    dialogs: list[str] = []

    def capture(box: Any) -> int:
        dialogs.extend([box.text(), box.informativeText(), box.detailedText()])
        return 0

    monkeypatch.setattr(QMessageBox, "exec", capture)
    def answer(_parent: object, title: str, text: str, *_: object) -> int:
        dialogs.append(f"{title} {text}")
        return 0

    for kind in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(answer))
    exports = tmp_path / "exports"
    exports.mkdir()
    answers: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a, **_k: (answers.pop(0), "")))
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    log_path = setup_logging(logging.DEBUG)
    assert log_path is not None

    window = MainWindow(credentials=store, preferences=Preferences(timeout=5.0))
    qtbot.addWidget(window)
    window.show()
    bar = window.target_bar
    try:
        # 1. Typed, right and wrong (frank's password is not the marker), then saved under a name.
        for user, ok in (("erin", True), ("LAB\\frank", False)):
            bar.host.setText(marker_lab.url("winrm-http"))
            bar.auth.setCurrentIndex(bar.auth.findData("ntlm"))
            bar.credential.setCurrentIndex(bar.credential.findData("\x00enter"))
            bar.user.setText(user)
            bar.password.setText(MARKER)
            window.test_from_bar()
            row = window.model.row(window.model.all_keys()[-1])
            assert row is not None
            qtbot.waitUntil(lambda row=row: row.final, timeout=10_000)
            assert row.diagnosis is not None and row.diagnosis.ok is ok, row.diagnosis
        bar.user.setText("erin")
        bar.password.setText(MARKER)
        assert bar.save_typed_credential("erin at the lab") == "erin at the lab"
        stored = store.get("erin at the lab")
        assert stored is not None and stored.password == MARKER  # the flow really stored it, in the keyring

        # 2. A saved list target that uses the stored credential by name.
        lst = TargetList("Secrets").add_targets(
            [(("Lab",), Target(marker_lab.url("winrm-http"), name="lab", auth="ntlm", credential="erin at the lab")),
             (("Lab",), Target(marker_lab.url("access-denied"), name="denied", auth="ntlm",
                               credential="erin at the lab"))])  # fmt: skip
        window.list_panel.commit(lst)
        window.list_panel.test_list()
        qtbot.waitUntil(lambda: window.model.progress().done == 4, timeout=10_000)

        # 3. Everything handed on: copies, exports, a ticket.
        clipboard = QGuiApplication.clipboard()
        window.table.selectAll()
        window.copy_selected()
        seen.append(clipboard.text())
        window.copy_selected_csv()
        seen.append(clipboard.text())
        window.details.copy_for_ticket()
        seen.append(clipboard.text())
        answers += [str(exports / f"results.{kind}") for kind in ("html", "csv", "json")]
        for _ in range(3):
            assert window.export_results() is not None
        answers += [str(exports / "list.csv"), str(exports / "list.json")]
        assert window.list_panel.export_list("csv") and window.list_panel.export_list("json")

        # 4. An unexpected error while a test's options are at hand: the dialog and the log show the traceback.
        first = window.model.row(window.model.all_keys()[0])
        assert first is not None
        options = first.spec.options
        try:
            raise RuntimeError(f"something broke while testing with {options!r}")
        except RuntimeError:
            _excepthook(*sys.exc_info())
        assert any("something broke" in text for text in dialogs)

        seen += _texts_of_widgets(window) + _texts_of_model(window.model) + _texts_of_model(window.list_panel.model)
    finally:
        window.close()  # writes the window state, the list and the history
        for handler in logging.getLogger().handlers[:]:
            if getattr(handler, "baseFilename", None) == log_path:
                logging.getLogger().removeHandler(handler)
                handler.close()

    settings = ui_settings()
    seen += [f"{key}={settings.value(key)!r}" for key in settings.allKeys()]
    # The log counts as two outputs however many records it holds: its text, and the arguments of its records.
    seen += [*dialogs, caplog.text, "\n".join(repr(r.args) for r in caplog.records)]
    files = [p for root in (gui_home, tmp_path) for p in root.rglob("*") if p.is_file() and p != keyring_file]
    names = {p.name for p in files}
    assert {"ui.ini", "targets.json", "history.json", "testconnection.log", "results.html", "list.csv"} <= names
    for path in files:
        data = path.read_bytes()
        seen += [data.decode("utf-8", "replace"), data.decode("utf-16-le", "replace")]

    # Positive control: the user name travels next to the password everywhere; it must be visible.
    assert any("erin" in text for text in seen)
    leaks = [text for text in seen if MARKER in text]
    assert leaks == [], f"the password leaked into {len(leaks)} place(s): {leaks[0][:300]!r}"
    tally("secret_outputs", len(seen))

"""Saved credentials from the GUI: the Credentials dialog and the target bar, with a REAL keyring backend file
(keyrings.alt PlaintextKeyring in tmp) and with no backend at all (session only), against the lab."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backends.fail
import pytest
from keyrings.alt.file import PlaintextKeyring

from core.credentials import INDEX_ENTRY, SERVICE, SESSION_ONLY_MESSAGE, CredentialStore
from core.lab import Lab

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")

MARKER = "Gui-Marker-Secret-91c"


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "keyring" / "keyring_pass.cfg"


def plaintext_at(path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(path)  # an instance attribute overrides the user's real keyring file location
    return backend


@pytest.fixture
def store(keyring_file: Path) -> CredentialStore:
    return CredentialStore(plaintext_at(keyring_file))


class FlakyKeyring(PlaintextKeyring):  # type: ignore[misc]
    """A real file keyring that refuses the next ``failures`` writes, echoing the secret as a bad backend might."""

    failures = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError(f"locked while writing {password}")
        super().set_password(service, username, password)


def dialog_for(qtbot: Any, store: CredentialStore) -> Any:
    from gui.credentialdialog import CredentialDialog

    dialog = CredentialDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(dialog: Any, name: str, user: str, password: str) -> None:
    dialog.name.setText(name)
    dialog.user.setText(user)
    dialog.password.setText(password)


def shown_texts(widget: Any) -> str:
    """Every text a user can see or hear in the widget: labels, buttons, table cells, tooltips, titles."""
    from gui.qt import QLabel, QLineEdit, QPushButton, QTableWidget, QWidget

    texts = [widget.windowTitle()]
    for child in [widget, *widget.findChildren(QWidget)]:
        texts += [child.toolTip(), child.accessibleName(), child.accessibleDescription()]
        if isinstance(child, QLabel | QPushButton):
            texts.append(child.text())
        if isinstance(child, QLineEdit) and child.echoMode() == QLineEdit.EchoMode.Normal:
            texts.append(child.text())
        if isinstance(child, QTableWidget):
            items = (child.item(r, c) for r in range(child.rowCount()) for c in range(child.columnCount()))
            texts += [item.text() for item in items if item is not None]
    return "\n".join(texts)


def answer(monkeypatch: pytest.MonkeyPatch, button_name: str) -> list[str]:
    """Make QMessageBox.question answer ``Yes``/``No``; returns the questions asked."""
    from gui.qt import QMessageBox

    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_: Any) -> Any:
        asked.append(text)
        return getattr(QMessageBox.StandardButton, button_name)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def when_modal(action: Callable[[Any], None]) -> Any:
    """Run ``action`` on the next modal dialog once it is open (its exec() blocks the test until it closes)."""
    from gui.qt import QApplication, QTimer

    timer = QTimer()

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            timer.stop()
            try:
                action(dialog)
            finally:
                dialog.reject()  # type: ignore[attr-defined]  # even when an assertion failed, exec() must return

    timer.timeout.connect(poll)
    timer.start(10)
    return timer  # the caller keeps it alive until the dialog has been handled


# --- the dialog -------------------------------------------------------------------------------------------------


def test_add_replace_and_delete_go_to_the_real_keyring_file(
    qtbot: Any, store: CredentialStore, keyring_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.qt import QLineEdit

    dialog = dialog_for(qtbot, store)
    assert not dialog.banner.isVisible()  # a working keyring: nothing to warn about
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    fill(dialog, "ops", "CORP\\alice", MARKER)
    assert dialog.save_button.text() == "&Add"
    with qtbot.waitSignal(dialog.changed):
        dialog.save_button.click()
    assert not dialog.error.isVisible()
    assert [(dialog.table.item(0, 0).text(), dialog.table.item(0, 1).text())] == [("ops", "CORP\\alice")]
    assert dialog.password.text() == ""  # not left in the form after saving

    # The file a restart would read holds it (PlaintextKeyring base64-encodes, so never the marker itself).
    assert MARKER.encode() not in keyring_file.read_bytes()
    again = CredentialStore(plaintext_at(keyring_file))
    got = again.get("ops")
    assert got is not None and (got.username, got.domain, got.password) == ("alice", "CORP", MARKER)

    # Picking the row fills the form for a replace, without reading the password back into a widget.
    dialog.table.selectRow(0)
    assert (dialog.name.text(), dialog.user.text(), dialog.password.text()) == ("ops", "CORP\\alice", "")
    assert dialog.save_button.text() == "&Replace"
    dialog.user.setText("bob@corp.example")
    dialog.password.setText("second-" + MARKER)
    dialog.save_button.click()
    got = CredentialStore(plaintext_at(keyring_file)).get("ops")
    assert got is not None and (got.username, got.domain, got.password) == ("bob@corp.example", None, "second-" + MARKER)
    assert dialog.names() == ["ops"] and dialog.table.item(0, 1).text() == "bob@corp.example"
    assert MARKER not in shown_texts(dialog)

    dialog.table.selectRow(0)
    asked = answer(monkeypatch, "No")
    dialog.delete_button.click()
    assert asked and "ops" in asked[0]  # it asks first; "No" keeps it
    assert CredentialStore(plaintext_at(keyring_file)).names() == ["ops"]
    answer(monkeypatch, "Yes")
    dialog.table.selectRow(0)
    with qtbot.waitSignal(dialog.changed):
        dialog.delete_button.click()
    assert dialog.names() == []
    assert CredentialStore(plaintext_at(keyring_file)).names() == []
    assert plaintext_at(keyring_file).get_password(SERVICE, "ops") is None


@pytest.mark.parametrize(
    ("name", "user", "password", "field"),
    [
        ("", "alice", MARKER, "Name"),
        ("   ", "alice", MARKER, "Name"),
        (INDEX_ENTRY, "alice", MARKER, "Name"),
        ("bad\x01name", "alice", MARKER, "Name"),
        ("ops", "", MARKER, "User"),
        ("ops", "CORP\\", MARKER, "User"),
        ("ops", "alice", "", "Password"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    qtbot: Any, store: CredentialStore, keyring_file: Path, name: str, user: str, password: str, field: str
) -> None:
    dialog = dialog_for(qtbot, store)
    fill(dialog, name, user, password)
    dialog.save_button.click()
    assert dialog.error.isVisible()
    assert dialog.error.text().startswith(f"⚠ {field}:")
    assert MARKER not in dialog.error.text()
    assert store.names() == [] and dialog.names() == []
    assert dialog.password.text() == password  # nothing typed is lost: fix the field and save again


def test_a_keyring_error_is_shown_and_the_dialog_stays_usable(qtbot: Any, keyring_file: Path) -> None:
    backend = FlakyKeyring()
    backend.file_path = str(keyring_file)
    store = CredentialStore(backend)
    dialog = dialog_for(qtbot, store)
    backend.failures = 1
    fill(dialog, "ops", "alice", MARKER)
    dialog.save_button.click()
    assert dialog.error.isVisible()
    assert "could not save" in dialog.error.text() and "OSError" in dialog.error.text()
    assert MARKER not in shown_texts(dialog)  # the backend's message echoed the secret: it is not shown
    assert dialog.names() == []
    dialog.save_button.click()  # the keyring works again: the same form saves
    assert not dialog.error.isVisible()
    assert dialog.names() == ["ops"]


def test_without_a_keyring_the_banner_says_session_only_and_nothing_is_written(
    qtbot: Any, tmp_path: Path, gui_home: Path
) -> None:
    from gui.targetbar import TargetBar

    store = CredentialStore(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    dialog = dialog_for(qtbot, store)
    assert dialog.banner.isVisible()
    assert dialog.banner.text() == SESSION_ONLY_MESSAGE
    fill(dialog, "ops", "alice", MARKER)
    dialog.save_button.click()
    assert not dialog.error.isVisible()
    assert dialog.names() == ["ops"]
    assert store.get("ops").password == MARKER  # type: ignore[union-attr]

    bar = TargetBar(store)
    qtbot.addWidget(bar)
    assert bar.credential.findData("ops") >= 0  # usable for the rest of the session
    assert "session" in bar.save_credential_button.toolTip()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(MARKER.encode() not in p.read_bytes() for p in written)
    assert not any("keyring" in p.name for p in written)


# --- the target bar ---------------------------------------------------------------------------------------------


def test_save_as_in_the_bar_then_a_new_window_authenticates_with_it(
    qtbot: Any, store: CredentialStore, keyring_file: Path, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.qt import QInputDialog
    from gui.settings import Preferences
    from gui.targetbar import ENTER_CREDENTIAL, TargetBar
    from gui.window import MainWindow

    bar = TargetBar(store)
    qtbot.addWidget(bar)
    bar.show()
    bar.credential.setCurrentIndex(bar.credential.findData(ENTER_CREDENTIAL))
    assert bar.save_credential_button.isVisible()
    bar.user.setText("alice")
    bar.password.setText(lab.users["alice"])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *_a, **_k: ("lab alice", True)))
    with qtbot.waitSignal(bar.credentials_changed):
        bar.save_credential_button.click()
    assert bar.credential.currentData() == "lab alice"  # the saved name is now the choice
    assert not bar.user.isVisible() and not bar.save_credential_button.isVisible()
    assert bar.password.text() == ""

    # As after a restart: a new store over the same keyring file, in a new window.
    assert keyring_file.exists()
    fresh = CredentialStore(plaintext_at(keyring_file))
    assert fresh.names() == ["lab alice"]
    window = MainWindow(credentials=fresh, preferences=Preferences(timeout=5.0))
    qtbot.addWidget(window)
    window.show()
    wbar = window.target_bar
    index = wbar.credential.findData("lab alice")
    assert index >= 0
    wbar.credential.setCurrentIndex(index)
    wbar.host.setText(lab.url("winrm-http"))
    wbar.auth.setCurrentIndex(wbar.auth.findData("ntlm"))
    window.test_from_bar()
    row = window.model.row(window.model.all_keys()[-1])
    assert row is not None
    qtbot.waitUntil(lambda: row.final, timeout=8000)
    assert row.diagnosis is not None and row.diagnosis.ok, row.diagnosis
    assert row.diagnosis.stage("auth").status.value == "ok"
    window.close()


def test_save_as_checks_the_fields_and_asks_before_replacing(
    qtbot: Any, store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.qt import QInputDialog
    from gui.targetbar import ENTER_CREDENTIAL, TargetBar

    store.save("ops", "old-user", "old-password")
    bar = TargetBar(store)
    qtbot.addWidget(bar)
    bar.show()
    bar.credential.setCurrentIndex(bar.credential.findData(ENTER_CREDENTIAL))
    asked_names: list[str] = []

    def get_text(*_a: Any, **_k: Any) -> tuple[str, bool]:
        asked_names.append("asked")
        return ("ops", True)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    assert bar.save_typed_credential() is None  # no user typed
    assert bar.message.text().startswith("⚠ User:") and not asked_names
    bar.user.setText("CORP\\alice")
    assert bar.save_typed_credential() is None  # no password typed
    assert bar.message.text().startswith("⚠ Password:")

    bar.password.setText(MARKER)
    asked = answer(monkeypatch, "No")
    assert bar.save_typed_credential() is None
    assert asked and "ops" in asked[0]
    assert store.get("ops").username == "old-user"  # type: ignore[union-attr]
    assert bar.password.text() == MARKER  # still typed: nothing was saved
    assert bar.save_typed_credential("bad\x01name") is None
    assert bar.message.text().startswith("⚠ Credential name:")
    assert MARKER not in bar.message.text()

    answer(monkeypatch, "Yes")
    assert bar.save_typed_credential() == "ops"
    got = store.get("ops")
    assert got is not None and (got.username, got.domain, got.password) == ("alice", "CORP", MARKER)
    assert bar.credential.currentData() == "ops" and not bar.message.isVisible()


def test_manage_credentials_from_the_combo_reloads_it_and_keeps_the_choice(
    qtbot: Any, store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.targetbar import MANAGE_CREDENTIALS, NO_CREDENTIAL, TargetBar

    store.save("keep", "alice", "pw1")
    store.save("drop", "bob", "pw2")
    bar = TargetBar(store)
    qtbot.addWidget(bar)
    bar.show()
    assert bar.credential.itemText(bar.credential.count() - 1) == "Manage credentials…"
    bar.credential.setCurrentIndex(bar.credential.findData("keep"))

    def add_one(dialog: Any) -> None:
        assert dialog.windowTitle() == "Credentials" and dialog.names() == ["drop", "keep"]
        fill(dialog, "new", "carol", MARKER)
        dialog.save_button.click()

    timer = when_modal(add_one)
    with qtbot.waitSignal(bar.credentials_changed, timeout=5000):
        bar.credential.setCurrentIndex(bar.credential.findData(MANAGE_CREDENTIALS))
    assert bar.credential.currentData() == "keep"  # "Manage…" is an action, not a choice
    assert [bar.credential.itemData(i) for i in range(bar.credential.count())][3:-1] == ["drop", "keep", "new"]

    # Deleting the chosen credential in the dialog leaves a real choice behind, not a dangling name.
    answer(monkeypatch, "Yes")

    def delete_keep(dialog: Any) -> None:
        dialog.reload(select="keep")
        dialog.delete_button.click()

    timer = when_modal(delete_keep)
    with qtbot.waitSignal(bar.credentials_changed, timeout=5000):
        bar.manage_credentials()
    assert bar.credential.findData("keep") == -1
    assert bar.credential.currentData() not in ("keep", MANAGE_CREDENTIALS)

    # Closing the dialog without changes: no signal, the choice stays.
    bar.credential.setCurrentIndex(bar.credential.findData(NO_CREDENTIAL))
    timer = when_modal(lambda dialog: None)
    with qtbot.assertNotEmitted(bar.credentials_changed):
        bar.manage_credentials()
    assert bar.credential.currentData() == NO_CREDENTIAL
    assert not timer.isActive()

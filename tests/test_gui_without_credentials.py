"""Test with what you have: no credentials entered is a calm "not fully tested", never a refusal; and the window's
switch for Basic over plain HTTP, in Settings and inherited from a folder. Against the real lab over loopback."""

from __future__ import annotations

from typing import Any

import pytest

from core.lab import Lab
from core.targetlist import Settings, Target
from tests.test_gui_fixes import enter_target, problem_cell
from tests.test_gui_lists import in_dialog, on_disk, select_ids, wait_idle

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")


@pytest.fixture
def fresh(qtbot: Any, credential_store: Any) -> Any:
    """The window exactly as a first start gives it: the default settings (NTLM, "Enter user/password…")."""
    from gui.settings import Preferences
    from gui.window import MainWindow

    window = MainWindow(credentials=credential_store, preferences=Preferences())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def test_a_host_and_enter_with_the_default_settings_runs_every_stage_but_authentication(qtbot: Any, fresh: Any,
                                                                                        lab: Lab) -> None:
    from core import StageStatus
    from gui.colours import STAGE_SYMBOLS, state_colour
    from gui.columns import Column
    from gui.qt import Qt
    from gui.rows import State

    bar = fresh.target_bar
    assert bar.auth.currentData() == "ntlm" and bar.user.text() == ""  # nothing entered
    row = enter_target(qtbot, fresh, lab.url("winrm-http"))
    assert not bar.message.isVisible()  # no "enter the user name"
    number = fresh.model.row_number(row.key)
    status = fresh.model.index(number, Column.STATUS)
    assert fresh.model.data(status) == "Not fully tested"
    # Its word fits the column beside its 16-px icon, on a first start's default widths.
    needed = fresh.table.fontMetrics().horizontalAdvance("Not fully tested") + 16
    assert fresh.table.horizontalHeader().sectionSize(Column.STATUS) > needed
    assert problem_cell(fresh, row).endswith("; authentication not tested — no credentials")
    marks = [fresh.model.data(fresh.model.index(number, c)) for c in (Column['DNS'], Column['TCP'], Column['WSMAN'],
                                                                      Column['AUTH'])]
    assert marks == ["✔", "✔", "✔", STAGE_SYMBOLS[StageStatus.SKIPPED]]  # the auth stage: neutral, not failed
    tooltip = fresh.model.data(fresh.model.index(number, Column['AUTH']), Qt.ItemDataRole.ToolTipRole)
    assert "auth: skipped — not tested — no credentials" in tooltip
    # Calm: its own colour, neither the failure's red nor a plain OK's green; and not counted as a failure.
    shown = fresh.model.data(status, Qt.ItemDataRole.ForegroundRole).color()
    assert shown == state_colour(State.UNTESTED) and shown not in (state_colour(State.FAILED),
                                                                   state_colour(State.OK))
    assert "Authentication not tested (no credentials): the stages before it passed. To test it too, enter a user " \
           "and password, or pick a saved credential." in fresh.details.browser.toPlainText()
    assert fresh.progress_label.text() == "1 / 1, 0 failed, 1 not fully tested — done"
    assert fresh.run_status.failures_label.text() == ""
    assert fresh.failures_only.isChecked() is False
    fresh.failures_only.setChecked(True)
    assert fresh.proxy.rowCount() == 0  # "failures only" hides it, as it hides an OK row


def test_a_mix_counts_failed_and_not_fully_tested_apart(qtbot: Any, fresh: Any, lab: Lab) -> None:
    enter_target(qtbot, fresh, f"{lab.url('winrm-http')} {lab.url('refused')} {lab.url('omi')}")
    qtbot.waitUntil(lambda: fresh.model.progress().done == 3, timeout=10_000)
    assert fresh.progress_label.text() == "3 / 3, 1 failed, 2 not fully tested — done"


def test_what_is_really_bad_input_is_still_refused(qtbot: Any, fresh: Any) -> None:
    from gui.qt import Qt

    bar = fresh.target_bar
    qtbot.keyClicks(bar.host, "srv01:0")
    qtbot.keyClick(bar.host, Qt.Key.Key_Return)
    assert bar.message.text().startswith("⚠ Port:") and fresh.model.rowCount() == 0
    bar.host.setText("127.0.0.1")
    bar.password.setText("Typed-Passw0rd!")  # a password, but for no user: a slip
    qtbot.keyClick(bar.host, Qt.Key.Key_Return)
    assert bar.message.text() == "⚠ User: enter the user name this password is for"
    assert fresh.model.rowCount() == 0 and bar.password.text() == "Typed-Passw0rd!"  # nothing typed is lost


def test_a_saved_target_without_a_credential_is_tested_with_what_there_is(qtbot: Any, fresh: Any, lab: Lab) -> None:
    from gui.rows import State

    panel = fresh.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "Lab", Settings(auth="ntlm"))
    bare, gone = Target(host=lab.url("winrm-http"), name="no credential"), Target(
        host=lab.url("winrm-http"), name="unknown credential", credential="nobody")
    panel.commit(lst.add_target(folder.id, bare).add_target(folder.id, gone))
    select_ids(fresh, bare.id, gone.id)
    panel.test_selected()
    wait_idle(qtbot, fresh)
    rows = [fresh.model.row(key) for key in fresh.model.all_keys()]
    assert [(r.spec.name, r.state) for r in rows] == [("no credential", State.UNTESTED)]
    # A credential name the store does not know is still named, with its target and field.
    assert "unknown credential — Credential: 'nobody' is not in the credential store" in panel.problems.text()


def basic_over_http(qtbot: Any, window: Any, lab: Lab) -> Any:
    bar = window.target_bar
    bar.auth.setCurrentIndex(bar.auth.findData("basic"))
    bar.user.setText("alice")
    bar.password.setText(lab.users["alice"])
    return enter_target(qtbot, window, lab.url("omi-basic-http"))


def test_allow_unencrypted_in_settings_lets_basic_over_http_through(qtbot: Any, fresh: Any, lab: Lab) -> None:
    from gui.qt import QApplication, QTimer
    from gui.settings import Preferences, SettingsDialog

    refused = basic_over_http(qtbot, fresh, lab)
    assert refused.diagnosis.failure.kind == "auth.basic_in_clear"  # off by default, as on Windows

    def tick() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog) and not dialog.allow_unencrypted.isChecked()
        dialog.allow_unencrypted.setChecked(True)
        dialog.accept()

    QTimer.singleShot(0, tick)
    fresh.open_settings()
    assert Preferences.load().allow_unencrypted is True  # remembered
    allowed = basic_over_http(qtbot, fresh, lab)
    assert allowed.diagnosis.ok, allowed.diagnosis.failure
    assert problem_cell(fresh, allowed).startswith("OK")


def test_a_folder_can_allow_unencrypted_for_the_targets_in_it(qtbot: Any, fresh: Any, lab: Lab,
                                                              credential_store: Any) -> None:
    credential_store.save("lab alice", "alice", lab.users["alice"])
    panel = fresh.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "Linux", Settings(
        auth="basic", credential="lab alice"))
    target = Target(host=lab.url("omi-basic-http"), name="omi")
    panel.commit(lst.add_target(folder.id, target), select=[folder.id])

    def allow(dialog: Any) -> None:
        assert dialog.allow_unencrypted.itemText(0) == "inherit (off, from the app settings)"
        dialog.allow_unencrypted.setCurrentIndex(dialog.allow_unencrypted.findData(True))
        dialog.accept()

    in_dialog(qtbot, panel.act_defaults.trigger, allow)
    saved = on_disk().find_folder(folder.id)
    assert saved is not None and saved.defaults.allow_unencrypted is True
    texts: list[str] = []
    select_ids(fresh, target.id)
    in_dialog(qtbot, panel.act_edit.trigger, lambda dialog: texts.append(dialog.allow_unencrypted.itemText(0)))
    assert texts == ["inherit (on, from folder 'Linux')"]
    panel.test_selected()
    wait_idle(qtbot, fresh)
    row = fresh.model.row(fresh.model.all_keys()[-1])
    assert row.diagnosis.ok, row.diagnosis.failure

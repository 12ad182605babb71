"""The session stage and the Kerberos options in the window, against the real lab: the Settings switch (remembered),
the Session column that shows only when a test opens a shell, the list dialogs' inheritable settings, the demo list."""

from __future__ import annotations

from typing import Any

import pytest

from core.lab import Lab
from core.targetlist import Settings, Target
from tests.test_gui_fixes import enter_target, problem_cell
from tests.test_gui_lists import _rows_by_name, in_dialog, on_disk, select_ids, wait_idle

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")


def change_settings(window: Any, change: Any) -> list[str]:
    """Open File → Settings, let ``change`` fill it, press OK; returns the dialog's message if it stayed open."""
    from gui.qt import QApplication, QTimer
    from gui.settings import SettingsDialog

    said: list[str] = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        change(dialog)
        dialog.accept()
        if dialog.isVisible():
            said.append(dialog.message.text())
            dialog.reject()

    QTimer.singleShot(0, fill)
    window.open_settings()
    return said


def type_user(window: Any, lab: Lab, name: str) -> None:
    """NTLM with the lab endpoint's own user, typed into the target bar."""
    bar = window.target_bar
    endpoint = lab.endpoint(name)
    bar.auth.setCurrentIndex(bar.auth.findData("ntlm"))
    bar.user.setText(endpoint.username or "")
    bar.password.setText(endpoint.password or "")


def session_cell(window: Any, row: Any) -> str:
    from gui.columns import SESSION

    return str(window.model.data(window.model.index(window.model.row_number(row.key), SESSION)))


def session_shown(window: Any) -> bool:
    from gui.columns import SESSION

    return not window.table.horizontalHeader().isSectionHidden(SESSION)


def test_the_session_switch_opens_a_shell_and_a_refused_one_is_the_rows_problem(qtbot: Any, window: Any,
                                                                                 lab: Lab) -> None:
    from gui.settings import Preferences

    type_user(window, lab, "session-quota")
    before = enter_target(qtbot, window, lab.url("session-quota"))
    assert problem_cell(window, before).startswith("OK")  # off by default: the test ends at authentication
    assert not session_shown(window)

    def switch_on(dialog: Any) -> None:
        assert not dialog.session.isChecked() and not dialog.remote_shell.isEnabled()
        dialog.session.setChecked(True)
        assert dialog.remote_shell.isEnabled() and dialog.remote_shell.currentText().startswith("cmd")

    assert change_settings(window, switch_on) == []
    assert Preferences.load().session is True  # remembered
    assert session_shown(window)
    assert session_cell(window, before) == "\N{EN DASH}"  # the earlier row did not ask for a shell

    refused = enter_target(qtbot, window, lab.url("session-quota"))
    assert problem_cell(window, refused) == "Shell quota reached"
    assert session_cell(window, refused) == "✖"
    assert refused.diagnosis.failure.kind == "session.quota"
    assert "MaxShellsPerUser" in window.details.browser.toPlainText()  # the fix, in the details
    assert lab.wait_for_no_open_shells() == []  # and the lab holds no shell of ours


def test_a_typed_endpoint_name_is_the_shell_asked_for(qtbot: Any, window: Any, lab: Lab) -> None:
    def powershell(dialog: Any) -> None:
        dialog.session.setChecked(True)
        dialog.remote_shell.setEditText("Microsoft.PowerShell")  # a session configuration's name, typed

    change_settings(window, powershell)
    type_user(window, lab, "session-denied")
    row = enter_target(qtbot, window, lab.url("session-denied"))
    assert problem_cell(window, row) == "Not allowed to open a PowerShell session"
    assert session_cell(window, row) == "✖"
    assert "Remote Management Users" in window.details.browser.toPlainText()
    assert lab.wait_for_no_open_shells() == []


def test_a_shell_that_cannot_be_asked_for_keeps_settings_open_naming_the_field(qtbot: Any, window: Any) -> None:
    from gui.settings import Preferences

    said = change_settings(window, lambda d: (d.session.setChecked(True), d.remote_shell.setEditText("no such;shell")))
    assert said and said[0].startswith("⚠ Remote shell:") and "'no such;shell'" in said[0]
    assert window.preferences.session is False and Preferences.load() == Preferences()  # nothing changed


def test_the_session_column_shows_while_a_row_asks_and_hides_when_none_does(qtbot: Any, window: Any,
                                                                           lab: Lab) -> None:
    from core.demo import options_for
    from gui.rows import TestSpec

    assert not session_shown(window)  # a first start without the switch
    spec = TestSpec(lab.url("session-cmd"), "session-cmd", options_for(lab.endpoint("session-cmd"), lab))
    keys = window.add_targets([spec])
    window.run(keys)  # a saved target, say, that asks for a shell while the switch is off
    assert session_shown(window)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert session_cell(window, window.model.row(keys[0])) == "✔"
    window.table.selectRow(0)
    window.remove_selected()
    assert not session_shown(window)


# --- saved lists: the Edit and Folder defaults dialogs --------------------------------------------------------


def test_the_edit_dialog_offers_session_and_kerberos_settings_inherited_from_folders(qtbot: Any, window: Any) -> None:
    from gui.listspecs import spec_for
    from gui.settings import Preferences

    panel = window.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "Domain", Settings(
        auth="negotiate", spn="WSMAN", session=True, remote_shell="powershell"))
    target = Target(host="web01.corp.example")
    panel.commit(lst.add_target(folder.id, target), select=[target.id])
    seen: dict[str, str] = {}

    def fill(dialog: Any) -> None:
        seen.update(session=dialog.session.itemText(0), shell=dialog.remote_shell.itemText(0),
                    spn=dialog.spn.placeholderText(), port=dialog.include_port_in_spn.itemText(0))
        dialog.spn.setText("HTTP web01")  # not a principal
        dialog.accept()
        seen["message"] = dialog.message.text() if dialog.isVisible() else "closed"
        dialog.spn.setText("HTTP/web01.corp.example")
        dialog.include_port_in_spn.setCurrentIndex(dialog.include_port_in_spn.findData(True))
        dialog.remote_shell.setEditText("JEA.Helpdesk")
        dialog.accept()

    in_dialog(qtbot, panel.act_edit.trigger, fill)
    assert seen["session"] == "inherit (on, from folder 'Domain')"
    assert seen["shell"] == "inherit (powershell, from folder 'Domain')"
    assert seen["spn"] == "inherit (WSMAN, from folder 'Domain')"
    assert seen["port"] == "inherit (off, default)"
    assert seen["message"].startswith("⚠ Kerberos SPN:") and "not a service principal" in seen["message"]
    saved = on_disk().find_target(target.id)
    assert saved is not None
    assert (saved.spn, saved.include_port_in_spn, saved.remote_shell, saved.session) == (
        "HTTP/web01.corp.example", True, "JEA.Helpdesk", None)  # the session switch is still the folder's
    options = spec_for(on_disk().effective(target.id), Preferences(), window.credentials.get).options
    assert (options.spn, options.include_port_in_spn, options.open_shell, options.remote_shell) == (
        "HTTP/web01.corp.example", True, True, "JEA.Helpdesk")


def test_folder_defaults_take_a_service_class_and_the_session_off_for_their_targets(qtbot: Any,
                                                                                     window: Any) -> None:
    from gui.listspecs import spec_for
    from gui.settings import Preferences

    panel = window.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "Appliances")
    target = Target(host="bmc01")
    panel.commit(lst.add_target(folder.id, target), select=[folder.id])
    window.preferences = Preferences(session=True)  # the switch on for everything else
    panel.set_app_defaults(window.preferences.list_defaults())

    def fill(dialog: Any) -> None:
        assert dialog.session.itemText(0) == "inherit (on, from the app settings)"
        dialog.session.setCurrentIndex(dialog.session.findData(False))
        dialog.spn.setText("WSMAN")
        dialog.accept()

    in_dialog(qtbot, panel.act_defaults.trigger, fill)
    saved = on_disk().find_folder(folder.id)
    assert saved is not None and (saved.defaults.session, saved.defaults.spn) == (False, "WSMAN")
    options = spec_for(on_disk().effective(target.id, window.preferences.list_defaults()), window.preferences,
                       window.credentials.get).options
    assert (options.open_shell, options.spn) == (False, "WSMAN")


# --- the demo list ------------------------------------------------------------------------------------------


def test_the_demo_lists_session_targets_end_as_their_scenarios_say(qtbot: Any, lab: Lab, gui_home: Any,
                                                                   credential_store: Any) -> None:
    from core.demo import mismatch, options_for
    from gui.app import demo_list
    from gui.settings import Preferences
    from gui.window import MainWindow

    window = MainWindow(credentials=credential_store, preferences=Preferences(timeout=5.0), persist=False)
    qtbot.addWidget(window)
    window.show()
    lst, credentials = demo_list(lab)
    window.show_demo_list(lst, credentials, lab.ca_file)
    asking = [e.name for e in lab.endpoints if e.open_shell]
    assert len(asking) >= 9  # every session scenario of the lab is in the demo list
    ids = {t.name: t.id for t in lst.targets()}
    select_ids(window, *(ids[name] for name in asking))
    window.list_panel.test_selected()
    wait_idle(qtbot, window, timeout=20_000)
    rows = _rows_by_name(window)
    assert sorted(rows) == sorted(asking)
    for name in asking:
        row, endpoint = rows[name], lab.endpoint(name)
        wanted = options_for(endpoint, lab)
        assert (row.spec.options.open_shell, row.spec.options.remote_shell) == (True, wanted.remote_shell), name
        assert mismatch(endpoint, row.diagnosis) is None, name
    assert session_shown(window)
    assert lab.wait_for_no_open_shells() == []
    window.close()

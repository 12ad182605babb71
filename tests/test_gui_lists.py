"""Saved target lists in the window: the Targets panel, its dialog, its files, testing from it, and history.

Everything here is checked the way a user would notice it: what the list file on disk holds afterwards, what
the tree and the results table show, which message appears. Tests run against the real lab over loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backends.null
import pytest

from core import UserCredentials
from core.credentials import CredentialStore
from core.importers import import_csv
from core.lab import Lab
from core.listfile import load_list, save_list
from core.paths import default_list_path
from core.targetlist import Folder, Settings, Target, TargetList

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")  # list, history, settings and logs in a temporary directory

MARKER = "Marker-Passw0rd-7731!"


# --- the ResolvedTarget → TestSpec conversion, without a window ----------------------------------------------


def _store() -> CredentialStore:
    return CredentialStore(backend=keyring.backends.null.Keyring())  # type: ignore[no-untyped-call]  # session-only: the password stays in memory


def test_a_saved_target_becomes_a_spec_with_its_folder_settings_and_the_app_preferences() -> None:
    from core import AuthType
    from gui.listspecs import spec_for
    from gui.settings import Preferences

    store = _store()
    store.save("helpdesk", "alice", MARKER, domain="CORP")
    base = TargetList()
    lst, folder = base.add_folder(
        base.root.id, "Servers", Settings(transport="https", auth="ntlm", credential="helpdesk",
                                                  ca_check=False))
    target = Target(host="srv01", name="File server", notes="2nd floor")
    lst = lst.add_target(folder.id, target)
    spec = spec_for(lst.effective(target), Preferences(timeout=7.0, ca_file="/tmp/ca.pem"), store.get)
    assert spec.destination == "https://srv01:5986/wsman"
    assert spec.name == "File server" and spec.description == "2nd floor"
    options = spec.options
    assert options.auth is AuthType.NTLM
    assert isinstance(options.credentials, UserCredentials) and options.credentials.username == "alice"
    assert options.credentials.domain == "CORP"
    assert options.cert_ca_check is False and options.cert_cn_check is True
    assert options.timeout == 7.0 and options.ca_file == "/tmp/ca.pem"


def test_an_unknown_credential_or_a_bad_host_names_the_target_and_the_field_and_the_rest_still_run() -> None:
    from gui.listspecs import specs_for
    from gui.settings import Preferences

    store = _store()
    root = TargetList().root
    lst = TargetList(root=Folder(root.name, id=root.id, targets=(
        Target(host="good01"),
        Target(host="web01", name="Web", auth="ntlm", credential="gone"),
        Target(host="db01:70000", name="DB"),
        Target(host="app01", auth="basic"),
    )))
    specs, problems = specs_for(lst.resolved(), Preferences(), store.get)
    # No credential at all is no reason to refuse: app01 is tested with what there is (all but authentication).
    assert [s.destination for s in specs] == ["http://good01:5985/wsman", "http://app01:5985/wsman"]
    assert specs[1].options.auth == "basic" and specs[1].options.credentials is None
    texts = [str(p) for p in problems]
    assert texts[0].startswith("Web — Credential:") and "'gone' is not in the credential store" in texts[0]
    assert texts[1].startswith("DB — Port:")
    assert [p.field for p in problems] == ["credential", "port"]


# --- helpers for the window ----------------------------------------------------------------------------------


def in_dialog(qtbot: Any, action: Callable[[], Any], fill: Callable[[Any], None]) -> Any:
    """Run ``action`` (which opens a modal TargetDialog) and ``fill`` the dialog once it is up."""
    from gui.qt import QApplication, QTimer
    from gui.targetdialog import TargetDialog

    seen: list[Any] = []

    def handle() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, TargetDialog):
            seen.append(dialog)
            try:
                fill(dialog)
            finally:  # a failed check in fill must not leave the test waiting on an open dialog
                if dialog.isVisible():
                    dialog.reject()
        else:
            QTimer.singleShot(10, handle)

    QTimer.singleShot(0, handle)
    result = action()
    assert seen, "the dialog did not open"
    return result


def on_disk() -> TargetList:
    return load_list(default_list_path())


def folder_named(lst: TargetList, name: str) -> Folder:
    return next(f for f in lst.root.folders if f.name == name)


def make_window(qtbot: Any, store: CredentialStore | None = None) -> Any:
    from gui.settings import Preferences
    from gui.window import MainWindow

    win = MainWindow(credentials=store or _store(), preferences=Preferences(timeout=5.0))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def select_ids(window: Any, *ids: str) -> None:
    window.list_panel.select(list(ids))


def last_result_text(window: Any, target_id: str) -> str:
    model = window.list_panel.model
    from gui.listpanel import LAST

    return str(model.data(model.index_of(target_id, LAST)))


def wait_idle(qtbot: Any, window: Any, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy and window.model.rowCount() > 0, timeout=timeout)


# --- editing, saved at once ----------------------------------------------------------------------------------


def test_new_folder_and_new_target_from_the_panel_are_in_the_list_file(qtbot: Any, window: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QInputDialog

    panel = window.list_panel
    assert not default_list_path().exists()  # nothing written until the first edit
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Servers", True)))
    panel.act_new_folder.trigger()
    folder = folder_named(on_disk(), "Servers")
    assert panel.current_id() == folder.id  # the new folder is selected: a new target goes into it

    def fill(dialog: Any) -> None:
        dialog.name.setText("File server")
        dialog.host.setText("srv01.corp.example")
        dialog.port.setText("5986")
        dialog.transport.setCurrentIndex(dialog.transport.findData("https"))
        dialog.notes.setPlainText("rack 4")
        dialog.accept()

    in_dialog(qtbot, panel.act_new_target.trigger, fill)
    saved = folder_named(on_disk(), "Servers").targets
    assert [(t.name, t.host, t.port, t.transport, t.notes) for t in saved] == [
        ("File server", "srv01.corp.example", 5986, "https", "rack 4")]
    assert default_list_path().with_name("targets.json.bak").exists()  # the previous version is kept
    assert panel.model.data(panel.model.index_of(saved[0].id, 0)) == "File server"


def test_bad_input_in_the_dialog_names_the_field_keeps_it_open_and_changes_nothing(qtbot: Any,
                                                                                   window: Any) -> None:
    panel = window.list_panel
    panel.new_folder("Servers")
    before = default_list_path().read_bytes()
    messages: list[str] = []

    def fill(dialog: Any) -> None:
        dialog.host.setText("srv01")
        dialog.port.setText("70000")
        dialog.accept()
        messages.append(dialog.message.text() if dialog.isVisible() else "closed")
        dialog.port.setText("")
        dialog.host.setText("srv 01")  # a space: not a host
        dialog.accept()
        messages.append(dialog.message.text() if dialog.isVisible() else "closed")
        dialog.reject()

    in_dialog(qtbot, panel.new_target, fill)
    assert messages[0].startswith("⚠ Port:") and "65535" in messages[0]
    assert messages[1].startswith("⚠ Host:")
    assert default_list_path().read_bytes() == before


def test_the_dialog_shows_what_a_target_inherits_and_from_which_folder(qtbot: Any, window: Any) -> None:
    panel = window.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "DMZ",
                                               Settings(transport="https", credential="dmz-admin"))
    target = Target(host="web01")
    panel.commit(lst.add_target(folder.id, target), select=[target.id])
    texts: dict[str, str] = {}

    def fill(dialog: Any) -> None:
        texts.update(transport=dialog.transport.itemText(0), credential=dialog.credential.itemText(0),
                     auth=dialog.auth.itemText(0), port=dialog.port.placeholderText())
        dialog.reject()

    in_dialog(qtbot, panel.act_edit.trigger, fill)
    assert texts["transport"] == "inherit (https, from folder 'DMZ')"
    assert texts["credential"] == "inherit ('dmz-admin', from folder 'DMZ')"
    assert texts["auth"] == "inherit (ntlm, from the app settings)"  # no folder sets it: the preferences do
    assert texts["port"] == "inherit (the transport's default port)"


def test_folder_defaults_dialog_changes_what_the_folders_targets_get(qtbot: Any, window: Any) -> None:
    panel = window.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "Servers")
    target = Target(host="srv01")
    panel.commit(lst.add_target(folder.id, target), select=[folder.id])

    def fill(dialog: Any) -> None:
        assert not dialog.host.isVisibleTo(dialog)  # a folder has no host
        dialog.name.setText("Secure servers")
        dialog.transport.setCurrentIndex(dialog.transport.findData("https"))
        dialog.cn_check.setCurrentIndex(dialog.cn_check.findData(False))
        dialog.accept()

    in_dialog(qtbot, panel.act_defaults.trigger, fill)
    saved = on_disk()
    assert saved.find_folder(folder.id) == Folder("Secure servers", Settings(transport="https", cn_check=False),
                                                  targets=(target,), id=folder.id)
    effective = saved.effective(target.id)
    assert (effective.endpoint().url, effective.cn_check) == ("https://srv01:5986/wsman", False)


def test_rename_duplicate_and_delete_are_on_disk(qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QLineEdit, QMessageBox, Qt

    panel = window.list_panel
    folder = panel.new_folder("Servers")
    assert folder is not None
    target = Target(host="srv01")
    panel.commit(panel.target_list.add_target(folder.id, target), select=[target.id])
    # F2 edits the name in place; Enter saves it.
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_F2)
    editor = panel.tree.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == ""  # no name yet: the host is only shown
    qtbot.keyClicks(editor, "Print server")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: on_disk().find_target(target.id).name == "Print server")  # type: ignore[union-attr]
    assert panel.model.data(panel.model.index_of(target.id)) == "Print server"

    panel.act_duplicate.trigger()
    names = sorted(t.name for t in folder_named(on_disk(), "Servers").targets)
    assert names == ["Print server", "Print server (copy)"]

    # Del on one target: gone, without a question.
    select_ids(window, target.id)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    assert [t.name for t in folder_named(on_disk(), "Servers").targets] == ["Print server (copy)"]

    # Deleting a folder that still holds a target asks first; No keeps it, Yes deletes it.
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def question(_parent: Any, _title: str, text: str, *_: Any) -> Any:
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    select_ids(window, folder.id)
    panel.act_delete.trigger()
    assert "1 target" in asked[0] and "'Servers'" in asked[0]
    assert [f.name for f in on_disk().root.folders] == ["Servers"]
    answer[0] = QMessageBox.StandardButton.Yes
    panel.act_delete.trigger()
    assert on_disk().root.folders == ()


def test_moving_targets_to_another_folder_makes_them_inherit_its_defaults(qtbot: Any, window: Any) -> None:
    panel = window.list_panel
    lst = panel.target_list
    lst, plain = lst.add_folder(lst.root.id, "Plain")
    lst, secure = lst.add_folder(lst.root.id, "Secure", Settings(transport="https", port=443, cn_check=False))
    a, b = Target(host="srv01"), Target(host="srv02")
    panel.commit(lst.add_target(plain.id, a).add_target(plain.id, b))
    assert on_disk().effective(a.id).transport == "http"
    panel.move_targets([a.id, b.id], secure.id)  # what dropping both on "Secure" does
    saved = on_disk()
    assert [t.host for t in folder_named(saved, "Secure").targets] == ["srv01", "srv02"]
    assert folder_named(saved, "Plain").targets == ()
    moved = saved.effective(a.id)
    assert (moved.transport, moved.port, moved.cn_check) == ("https", 443, False)
    assert moved.endpoint().url == "https://srv01:443/wsman"
    assert set(panel.selected_ids()) == {a.id, b.id}  # still selected, in their new place


def test_a_drop_on_a_folder_moves_the_dragged_targets(qtbot: Any, window: Any) -> None:
    from gui.listpanel import MIME_IDS
    from gui.qt import QDropEvent, QMimeData, Qt

    panel = window.list_panel
    lst = panel.target_list
    lst, target_folder = lst.add_folder(lst.root.id, "Target folder")
    t = Target(host="srv09")
    panel.commit(lst.add_target(lst.root.id, t), expand=[lst.root.id])
    mime = panel.model.mimeData([panel.model.index_of(t.id)])
    assert bytes(mime.data(MIME_IDS).data()).decode() == t.id
    copy = QMimeData()
    copy.setData(MIME_IDS, mime.data(MIME_IDS))
    rect = panel.tree.visualRect(panel.model.index_of(target_folder.id))
    possible = panel.model.supportedDragActions()  # what a drag started in the tree offers
    drop = QDropEvent(rect.center().toPointF(), possible, copy, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    panel.tree.dropEvent(drop)
    assert drop.dropAction() == Qt.DropAction.CopyAction  # the view must not remove the rows itself
    qtbot.waitUntil(lambda: folder_named(on_disk(), "Target folder").targets != ())
    assert on_disk().root.targets == ()


# --- testing from the list -----------------------------------------------------------------------------------


def _lab_list(lab: Lab, credential: str = "lab alice") -> tuple[TargetList, dict[str, Target]]:
    lst = TargetList()
    lst, good = lst.add_folder(lst.root.id, "Lab", Settings(auth="ntlm", credential=credential))
    lst, other = lst.add_folder(lst.root.id, "Other")
    targets = {
        "ok": Target(host=lab.url("winrm-http"), name="healthy"),
        "refused": Target(host=lab.url("refused"), name="closed port", auth="none"),
        "omi": Target(host=lab.url("omi"), name="linux omi", auth="none"),
    }
    lst = lst.add_target(good.id, targets["ok"]).add_target(good.id, targets["refused"])
    lst = lst.add_target(other.id, targets["omi"])
    return lst, targets


def _rows_by_name(window: Any) -> dict[str, Any]:
    return {window.model.row(k).spec.name: window.model.row(k) for k in window.model.all_keys()}


def test_test_selected_folder_and_list_run_against_the_lab_with_the_right_verdicts(
        qtbot: Any, window: Any, lab: Lab, credential_store: CredentialStore) -> None:
    from gui.qt import Qt
    from gui.results_model import State

    credential_store.save("lab alice", "alice", lab.users["alice"])
    lst, targets = _lab_list(lab)
    panel = window.list_panel
    panel.commit(lst)

    # Enter on the selection: one target.
    select_ids(window, targets["ok"].id)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
    assert window.model.rowCount() == 1
    wait_idle(qtbot, window)
    row = _rows_by_name(window)["healthy"]
    assert row.state is State.OK, row.diagnosis.failure
    assert row.diagnosis.stage("auth").status.value == "ok"  # the folder's NTLM credential was used

    # Test folder: the folder of the selected target.
    panel.test_folder_button.click()
    assert window.model.rowCount() == 3
    wait_idle(qtbot, window)
    rows = [window.model.row(k) for k in window.model.all_keys()[1:]]
    assert [(r.spec.name, r.state) for r in rows] == [("healthy", State.OK), ("closed port", State.FAILED)]
    assert rows[1].diagnosis.failed_stage == "tcp"

    # Test list: every target, the other folder too.
    panel.test_list_button.click()
    wait_idle(qtbot, window)
    names = [window.model.row(k).spec.name for k in window.model.all_keys()[3:]]
    assert sorted(names) == ["closed port", "healthy", "linux omi"]
    assert all(window.model.row(k).final for k in window.model.all_keys())
    assert not panel.problems.isVisible()


def test_a_missing_credential_is_named_and_the_other_targets_still_run(qtbot: Any, window: Any, lab: Lab) -> None:
    lst, _ = _lab_list(lab, credential="not saved anywhere")
    panel = window.list_panel
    panel.commit(lst)
    panel.test_list_button.click()
    assert panel.problems.isVisible()
    text = panel.problems.text()
    assert "1 target not tested" in text
    assert "healthy — Credential: 'not saved anywhere' is not in the credential store" in text
    wait_idle(qtbot, window)
    assert sorted(_rows_by_name(window)) == ["closed port", "linux omi"]


def test_history_shows_last_ok_after_a_run_and_after_a_restart(qtbot: Any, window: Any, lab: Lab,
                                                               gui_home: Path) -> None:
    lst, targets = _lab_list(lab)
    panel = window.list_panel
    panel.commit(lst)
    omi = targets["omi"].id
    assert last_result_text(window, omi) == "never tested"
    select_ids(window, omi, targets["refused"].id)
    panel.test_selected_button.click()
    wait_idle(qtbot, window)
    assert last_result_text(window, omi) == "last OK just now"
    assert last_result_text(window, targets["refused"].id) == "last failed (tcp) just now"
    assert not (gui_home / "history.json").exists()  # debounced: not written per result
    # Run it again: the details pane says what happened before this run.
    select_ids(window, omi)
    panel.test_selected_button.click()
    wait_idle(qtbot, window)
    assert "Previously: OK just now" in window.details.browser.toPlainText()
    window.close()
    assert (gui_home / "history.json").exists()

    again = make_window(qtbot)
    assert again.list_panel.target_list == on_disk()
    assert last_result_text(again, omi) == "last OK just now"
    again.close()


def test_the_list_file_never_holds_a_password(qtbot: Any, lab: Lab, gui_home: Path) -> None:
    store = _store()
    window = make_window(qtbot, store)
    window.credentials.save("marker", "alice", MARKER)
    lst = TargetList()
    lst, folder = lst.add_folder(lst.root.id, "Lab", Settings(auth="ntlm", credential="marker"))
    target = Target(host=lab.url("winrm-http"), name="with marker")
    window.list_panel.commit(lst.add_target(folder.id, target), select=[target.id])
    window.list_panel.test_selected()
    wait_idle(qtbot, window)
    # The typed password too (target bar), then everything the window writes.
    bar = window.target_bar
    bar.host.setText(lab.url("winrm-http"))
    bar.auth.setCurrentIndex(bar.auth.findData("ntlm"))
    bar.credential.setCurrentIndex(bar.credential.findData("\x00enter"))
    bar.user.setText("alice")
    bar.password.setText(MARKER)
    window.test_from_bar()
    wait_idle(qtbot, window)
    window.list_panel.new_folder("after the run")
    window.close()
    written = [p for p in gui_home.rglob("*") if p.is_file()]
    assert default_list_path() in written and gui_home / "history.json" in written
    for path in written:
        assert MARKER.encode() not in path.read_bytes(), path
    assert "marker" in default_list_path().read_text()  # the credential is referenced by its name only


# --- files: damaged, future, import, export ------------------------------------------------------------------


@pytest.mark.parametrize(("content", "says"), [
    (b'{"format": "testconnection-targets", "version": 1, "list": {"name": "x", "ro', "damaged or incomplete"),
    (b'{"format": "testconnection-targets", "version": 99, "list": {}}', "newer TestConnection"),
])
def test_an_unreadable_list_at_start_is_reported_and_never_overwritten(
        qtbot: Any, gui_home: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, says: str) -> None:
    from gui.qt import QFileDialog

    path = default_list_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    window = make_window(qtbot)
    panel = window.list_panel
    banner = panel.banner.text()
    assert panel.banner.isVisible() and panel.banner_button.isVisible()
    assert "targets.json" in banner and says in banner and "left untouched" in banner
    assert "Save list as" in banner
    assert panel.target_list.root.targets == () and panel.target_list.root.folders == ()
    # Work goes on in memory; the file is not replaced.
    panel.new_folder("Kept in memory")
    assert path.read_bytes() == content
    assert "not saved" in panel.title.text()
    # Save list as… keeps the work in a new file, and later edits go there.
    other = gui_home / "rescued.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(other), "")))
    panel.banner_button.click()
    assert [f.name for f in load_list(other).root.folders] == ["Kept in memory"]
    panel.select([panel.target_list.root.id])
    panel.new_folder("Second")
    assert [f.name for f in load_list(other).root.folders] == ["Kept in memory", "Second"]
    assert path.read_bytes() == content
    assert not panel.banner.isVisible()


def test_opening_a_damaged_file_says_what_is_wrong_and_keeps_the_current_list(
        qtbot: Any, window: Any, gui_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QFileDialog, QMessageBox

    window.list_panel.new_folder("Mine")
    bad = gui_home / "broken.json"
    bad.write_bytes(b"\xff\xfe not a list")
    shown: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, _t, text, *a: shown.append(text)))
    assert window.list_panel.open_list() is False
    assert shown and "broken.json" in shown[0] and "left untouched" in shown[0]
    assert [f.name for f in window.list_panel.target_list.root.folders] == ["Mine"]
    assert bad.read_bytes() == b"\xff\xfe not a list"


def test_open_list_makes_it_the_current_list_also_after_a_restart(
        qtbot: Any, window: Any, gui_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QFileDialog

    other = gui_home / "lists" / "branch office.json"
    lst = TargetList(name="Branch")
    lst, _ = lst.add_folder(lst.root.id, "Routers")
    save_list(lst, other)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(other), "")))
    open_action = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "&Open list…")
    open_action.trigger()
    assert window.list_panel.path == other
    window.list_panel.new_folder("Switches")
    assert [f.name for f in load_list(other).root.folders] == ["Routers", "Switches"]
    assert not default_list_path().exists()
    window.close()
    again = make_window(qtbot)
    assert again.list_panel.path == other
    again.close()
    assert "list_splitter" in (gui_home / "ui.ini").read_text()  # the panel's width is remembered


def test_import_reports_bad_rows_by_line_and_imports_the_good_ones(
        qtbot: Any, window: Any, gui_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QApplication, QFileDialog, QMessageBox

    gui_home.mkdir(parents=True, exist_ok=True)
    csv_file = gui_home / "machines.csv"
    csv_file.write_text("host,port,folder,name\n"
                        "srv01,,Site A,first\n"
                        "srv02,99999,Site A,bad port\n"
                        "srv03,5986,Site B/Rack 2,third\n"
                        "srv 04,,,bad host\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(csv_file), "")))
    result = window.list_panel.import_targets()
    assert result is not None
    report = window.list_panel.last_report
    assert report.startswith("Imported 2 targets from machines.csv; 2 rows skipped:")
    assert "line 3, port:" in report and "line 5, host:" in report
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and box.text() == report  # one dialog says it all
    box.close()
    saved = on_disk()
    assert [f.name for f in saved.root.folders] == ["Site A", "Site B"]
    assert [t.host for t in folder_named(saved, "Site A").targets] == ["srv01"]
    rack = folder_named(saved, "Site B").folders[0]
    assert (rack.name, [(t.host, t.port) for t in rack.targets]) == ("Rack 2", [("srv03", 5986)])


def test_export_as_csv_and_json_round_trips(qtbot: Any, window: Any, gui_home: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QFileDialog

    panel = window.list_panel
    lst = TargetList()
    lst, folder = lst.add_folder(lst.root.id, "Secure", Settings(transport="https", auth="ntlm", credential="ops"))
    lst = lst.add_target(folder.id, Target(host="srv01", name="One, with comma", notes="=not a formula"))
    lst = lst.add_target(lst.root.id, Target(host="srv02", port=8080))
    panel.commit(lst)
    answers = iter([str(gui_home / "out.csv"), str(gui_home / "out.json")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (next(answers), "")))
    assert panel.export_list("csv") == gui_home / "out.csv"
    assert panel.export_list("json") == gui_home / "out.json"
    assert load_list(gui_home / "out.json") == lst  # JSON keeps everything, ids included
    imported = import_csv(gui_home / "out.csv")
    assert imported.errors == []
    again = imported.into(TargetList())
    before = {r.target.host: (r.target.name, r.target.notes, r.folder_path, r.endpoint().url, r.auth, r.credential)
              for r in lst.resolved()}
    after = {r.target.host: (r.target.name, r.target.notes, r.folder_path, r.endpoint().url, r.auth, r.credential)
             for r in again.resolved()}
    assert after == before


def test_load_warnings_are_shown(qtbot: Any, gui_home: Path) -> None:
    path = default_list_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": "testconnection-targets", "version": 1,
           "list": {"name": "T", "root": {"name": "T", "targets": [{"host": "srv01", "password": MARKER}]}}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    window = make_window(qtbot)
    assert "password field" in window.list_panel.banner.text()
    assert MARKER not in window.list_panel.banner.text()
    assert [t.host for t in window.list_panel.target_list.targets()] == ["srv01"]


# --- the demo ------------------------------------------------------------------------------------------------


def test_the_demo_list_is_in_memory_only_and_its_targets_end_as_the_lab_says(qtbot: Any, lab: Lab,
                                                                            gui_home: Path) -> None:
    from core.demo import mismatch
    from gui.app import demo_list
    from gui.settings import Preferences
    from gui.window import MainWindow

    window = MainWindow(credentials=_store(), preferences=Preferences(timeout=5.0), persist=False)
    qtbot.addWidget(window)
    window.show()
    lst, credentials = demo_list(lab)
    window.show_demo_list(lst, credentials, lab.ca_file)
    panel = window.list_panel
    assert "in memory only" in panel.title.text() and "not saved" in panel.banner.text()
    wanted = ["winrm-http", "winrm-https", "wrong-password", "refused", "tls-untrusted", "omi"]
    ids = {t.name: t.id for t in lst.targets()}
    select_ids(window, *(ids[name] for name in wanted))
    panel.test_selected()
    wait_idle(qtbot, window, timeout=15_000)
    rows = _rows_by_name(window)
    assert sorted(rows) == sorted(wanted)
    for name in wanted:
        assert mismatch(lab.endpoint(name), rows[name].diagnosis) is None, name
    panel.new_folder("an edit")
    window.close()
    assert not default_list_path().exists() and not (gui_home / "history.json").exists()
    assert str(lab.endpoint("wrong-password").password) not in json.dumps([str(p) for p in gui_home.rglob("*")])


def test_the_keyring_is_asked_once_per_credential_name_not_once_per_target() -> None:
    from core.credentials import StoredCredential
    from gui.listspecs import specs_for
    from gui.settings import Preferences

    asked: list[str] = []

    def lookup(name: str) -> StoredCredential | None:
        asked.append(name)
        return StoredCredential(name, "alice", MARKER) if name == "ops" else None

    root = TargetList().root
    targets = tuple(Target(host=f"srv{i:03}", auth="ntlm", credential="ops" if i % 2 else "gone")
                    for i in range(200))
    lst = TargetList(root=Folder(root.name, id=root.id, targets=targets))
    specs, problems = specs_for(lst.resolved(), Preferences(), lookup)
    assert (len(specs), len(problems)) == (100, 100)
    assert sorted(asked) == ["gone", "ops"]


def test_new_list_starts_an_empty_list_in_the_chosen_file(qtbot: Any, window: Any, gui_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QFileDialog

    window.list_panel.new_folder("In the default list")
    fresh = gui_home / "lists" / "night shift.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(fresh), "")))
    new_action = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "&New list…")
    new_action.trigger()
    assert window.list_panel.path == fresh
    assert load_list(fresh).root.folders == () and load_list(fresh).name == "night shift"
    window.list_panel.new_folder("Night")
    assert [f.name for f in load_list(fresh).root.folders] == ["Night"]
    assert [f.name for f in on_disk().root.folders] == ["In the default list"]  # the old list is kept as it was


def test_import_of_a_text_file_takes_one_host_per_line(qtbot: Any, window: Any, gui_home: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.qt import QApplication, QFileDialog

    gui_home.mkdir(parents=True, exist_ok=True)
    hosts = gui_home / "hosts.txt"
    hosts.write_text("# branch office\nsrv01\n\nhttps://srv02:5986/wsman\nsrv03:0\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(hosts), "")))
    window.list_panel.import_targets()
    report = QApplication.activeModalWidget()
    assert report is not None
    report.close()
    assert window.list_panel.last_report.startswith("Imported 2 targets from hosts.txt; 1 row skipped:\nline 5, port:")
    assert [t.host for t in on_disk().targets()] == ["srv01", "https://srv02:5986/wsman"]


def test_history_is_written_a_while_after_results_arrive_without_closing(qtbot: Any, window: Any, lab: Lab,
                                                                         gui_home: Path) -> None:
    lst, targets = _lab_list(lab)
    window.list_panel.commit(lst)
    window._history_timer.setInterval(200)  # the debounce, shortened for the test
    select_ids(window, targets["omi"].id)
    window.list_panel.test_selected()
    wait_idle(qtbot, window)
    assert not (gui_home / "history.json").exists()
    qtbot.waitUntil(lambda: (gui_home / "history.json").exists(), timeout=3000)
    saved = json.loads((gui_home / "history.json").read_text())
    assert list(saved["entries"]) == [lab.url("omi")]
    assert saved["entries"][lab.url("omi")][0]["ok"] is True

"""Watching, as a helpdesk uses it: watch a saved target, see it go down and come back, logged with the times."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.lab import Lab
from core.lab.switchable import Switchable

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")  # settings and logs in a temporary directory

CLOCK = r"\d\d:\d\d:\d\d"


@pytest.fixture
def switchable(lab: Lab) -> Any:
    with Switchable(lab.endpoint("winrm-http").port) as endpoint:
        yield endpoint


def saved_target(window: Any, url: str) -> str:
    """Put ``url`` in the saved list and select it, as a user would before pressing Watch."""
    from core.targetlist import Target

    panel = window.list_panel
    target = Target(host=url, name="srv01", auth="none")
    panel.commit(panel.target_list.add_target(panel.target_list.root.id, target), select=[target.id])
    return target.id


def test_watch_sees_a_target_go_down_and_come_back(qtbot: Any, window: Any, switchable: Switchable) -> None:
    from gui.columns import Column
    from gui.rows import State

    saved_target(window, switchable.url())
    window.results_pane.watch_interval.setValue(1)
    window.list_panel.act_watch_selected.trigger()
    assert window.model.rowCount() == 1
    row = window.model.row(window.model.all_keys()[0])
    qtbot.waitUntil(lambda: row.watch is not None and row.watch.passes >= 1, timeout=5000)
    assert "watching 1 target every 1 s" in window.progress_label.text()
    assert row.state is State.OK and not row.changed
    assert not window.table.horizontalHeader().isSectionHidden(Column.WATCH)  # shown once a watch starts

    switchable.down()
    qtbot.waitUntil(lambda: row.watch.failures >= 1 and row.state.value == State.FAILED.value, timeout=5000)
    assert row.changed  # highlighted in the table until the user looks at it
    assert window.model.data(window.model.index(0, Column.PROBLEM)).startswith(f"Port {switchable.port} closed")
    assert window.notifier.sent[-1][0] == "srv01 went down"

    switchable.up()
    qtbot.waitUntil(lambda: row.watch.health == "up", timeout=5000)
    assert window.notifier.sent[-1][0] == "srv01 is back up"
    # Clicking the row (it is the current one already): its details show the log, and the highlight goes.
    qtbot.mouseClick(window.table.viewport(), __import__("gui.qt").qt.Qt.MouseButton.LeftButton,
                     pos=window.table.visualRect(window.proxy.index(0, 1)).center())
    shown = window.details.browser.toPlainText()
    assert re.search(rf"down {CLOCK} — up {CLOCK}, \d+ s", shown), shown
    assert re.search(rf"up {CLOCK} — down {CLOCK}, \d+ s", shown), shown
    assert not row.changed
    watch_cell = window.model.data(window.model.index(0, Column.WATCH))
    assert re.fullmatch(rf"up since {CLOCK} · \d+ ✔ \d+ ✖", watch_cell), watch_cell

    # Cancel stops the watch: no further test starts.
    qtbot.keyClick(window.table, __import__("gui.qt").qt.Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=3000)
    assert not window.watching.active
    runs = row.run_id
    qtbot.wait(1500)
    assert row.run_id == runs
    assert "watching" not in window.progress_label.text()


def test_watching_a_folder_tests_every_target_again(qtbot: Any, window: Any, lab: Lab) -> None:
    from core.targetlist import Target

    panel = window.list_panel
    lst, folder = panel.target_list.add_folder(panel.target_list.root.id, "Servers")
    for name in ("omi", "refused"):
        lst = lst.add_target(folder.id, Target(host=lab.url(name), name=name, auth="none"))
    panel.commit(lst, select=[folder.id])
    window.results_pane.watch_interval.setValue(1)
    panel.act_watch_folder.trigger()
    rows = [window.model.row(k) for k in window.model.all_keys()]
    assert len(rows) == 2
    qtbot.waitUntil(lambda: all(r.watch is not None and r.watch.passes + r.watch.failures >= 2 for r in rows),
                    timeout=8000)
    assert rows[0].watch.passes >= 2 and rows[1].watch.failures >= 2
    assert not any(r.changed for r in rows)  # nothing changed: the first result of each is not a change
    window.cancel_all()
    assert not window.watching.active


def test_notification_and_sound_are_switched_in_settings_and_remembered(qtbot: Any, window: Any) -> None:
    from gui.settings import Preferences, SettingsDialog

    assert window.preferences.notify and window.preferences.sound  # on unless the user turns them off
    dialog = SettingsDialog(window.preferences, window)
    qtbot.addWidget(dialog)
    dialog.notify.setChecked(False)
    dialog.sound.setChecked(False)
    chosen = dialog.preferences()
    chosen.save()
    assert (Preferences.load().notify, Preferences.load().sound) == (False, False)

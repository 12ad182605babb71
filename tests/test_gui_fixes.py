"""Fixes to copy, and the port look, in the window against the real lab: what a helpdesk reads and copies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.lab import Lab

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")


@pytest.fixture
def quick(qtbot: Any, credential_store: Any) -> Iterator[Any]:
    """The window with a short timeout: a port that never answers ends in about a second."""
    from gui.settings import Preferences
    from gui.window import MainWindow

    window = MainWindow(credentials=credential_store, preferences=Preferences(timeout=1.5))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def enter_target(qtbot: Any, window: Any, text: str) -> Any:
    """Type a target into the host box with the window's own defaults, press Enter, wait for the row's end."""
    from gui.qt import Qt

    window.target_bar.host.clear()
    qtbot.keyClicks(window.target_bar.host, text)
    qtbot.keyClick(window.target_bar.host, Qt.Key.Key_Return)
    row = window.model.row(window.model.all_keys()[-1])
    qtbot.waitUntil(lambda: row.final, timeout=10_000)
    return row




def problem_cell(window: Any, row: Any) -> str:
    from gui.results_model import Column

    return str(window.model.data(window.model.index(window.model.row_number(row.key), Column.PROBLEM)))


def click_link(qtbot: Any, browser: Any, href: str) -> None:
    """Click the details pane's link ``href`` with the mouse, where it is drawn (scrolled into view first)."""
    from gui.qt import Qt, QTextCursor

    document = browser.document()
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(document)
                cursor.setPosition(fragment.position() + fragment.length() // 2)
                browser.setTextCursor(cursor)
                browser.ensureCursorVisible()
                qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=browser.cursorRect().center())
                return
            fragments += 1
        block = block.next()
    raise AssertionError(f"no link {href!r} in the details: {browser.toHtml()[:500]}")


def test_a_fix_is_copied_with_the_targets_own_host_and_port(qtbot: Any, quick: Any, lab: Lab) -> None:
    from gui.qt import QGuiApplication

    endpoint = lab.endpoint("blackhole")
    row = enter_target(qtbot, quick, endpoint.url)
    assert row.diagnosis.failure.kind == "tcp.filtered"
    shown = quick.details.browser.toPlainText()
    # Beside the hint, grouped by where they run, each with what it is for.
    assert "What to try" in shown and "Fixes and checks" in shown
    assert shown.index("On the target") < shown.index("On this PC")
    assert "lets the WinRM port in" in shown
    fixes = row.diagnosis.failure.fixes
    check_port = next(n for n, fix in enumerate(fixes) if fix.command.startswith("Test-NetConnection"))
    click_link(qtbot, quick.details.browser, f"copy:fix/{check_port}")
    assert QGuiApplication.clipboard().text() == f"Test-NetConnection 127.0.0.1 -Port {endpoint.port}"
    assert quick.details.copied.text() == f"Copied: Test-NetConnection 127.0.0.1 -Port {endpoint.port}"
    rule = next(n for n, fix in enumerate(fixes) if fix.command.startswith("New-NetFirewallRule"))
    click_link(qtbot, quick.details.browser, f"copy:fix/{rule}")
    assert f"-LocalPort {endpoint.port} -Action Allow" in QGuiApplication.clipboard().text()


def test_the_equivalent_check_is_copied_too_and_both_are_in_the_ticket(qtbot: Any, quick: Any, lab: Lab) -> None:
    from gui.qt import QGuiApplication, Qt

    endpoint = lab.endpoint("refused")
    row = enter_target(qtbot, quick, endpoint.url)
    check = f"Test-WSMan 127.0.0.1 -Port {endpoint.port} -Authentication Negotiate"
    assert "The same check from a Windows PC:" in quick.details.browser.toPlainText()
    click_link(qtbot, quick.details.browser, "copy:check")
    assert QGuiApplication.clipboard().text() == check
    qtbot.mouseClick(quick.details.copy_button, Qt.MouseButton.LeftButton)
    ticket = QGuiApplication.clipboard().text()
    assert "Fixes and checks:" in ticket and "on the target: Enable-PSRemoting -Force" in ticket
    assert f"The same check from a Windows PC: {check}" in ticket
    assert row.diagnosis.failure.kind == "tcp.refused"


def test_a_passing_row_offers_only_the_check(qtbot: Any, quick: Any, lab: Lab) -> None:
    from gui.qt import QGuiApplication

    quick.target_bar.auth.setCurrentIndex(quick.target_bar.auth.findData("none"))
    enter_target(qtbot, quick, lab.url("winrm-http"))
    shown = quick.details.browser.toPlainText()
    assert "Fixes and checks" not in shown and "The same check from a Windows PC:" in shown
    click_link(qtbot, quick.details.browser, "copy:check")
    assert QGuiApplication.clipboard().text() == f"Test-WSMan 127.0.0.1 -Port {lab.endpoint('winrm-http').port}"


def test_no_answer_on_a_host_that_is_up_says_filtered_and_counts_as_one_problem(qtbot: Any, quick: Any,
                                                                                lab: Lab) -> None:
    port = lab.endpoint("blackhole").port
    first = enter_target(qtbot, quick, lab.url("blackhole"))
    # Loopback refuses the ports Windows usually answers on: the host is up, only the WinRM port is dropped.
    assert problem_cell(quick, first).startswith(f"Port {port} filtered — host up (445, 135, 3389")
    assert "Other ports: 445, 135, 3389" in quick.details.browser.toPlainText()
    enter_target(qtbot, quick, lab.url("blackhole"))
    assert quick.run_status.failures_label.text() == f"2 failed: 2 port {port} filtered"


def test_the_port_look_can_be_switched_off_in_settings(qtbot: Any, quick: Any, lab: Lab) -> None:
    from gui.qt import QApplication, QTimer
    from gui.settings import SettingsDialog

    def untick() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        assert dialog.port_look.isChecked()  # on by default
        dialog.port_look.setChecked(False)
        dialog.accept()

    QTimer.singleShot(0, untick)
    quick.open_settings()
    assert quick.preferences.port_look is False
    row = enter_target(qtbot, quick, lab.url("blackhole"))
    assert problem_cell(quick, row) == "No answer — firewall or host down"
    assert "Other ports" not in quick.details.browser.toPlainText()

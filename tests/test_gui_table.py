"""The results table reads the reason first: the Problem in words, stage marks, a laptop-sized layout the user
can change and that is remembered, failures counted by problem, and colours readable in light and dark."""

from __future__ import annotations

from typing import Any

import pytest

from core.lab import Lab
from tests.test_gui_window import press_enter, type_target

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")  # settings and logs in a temporary directory


def problem_of(window: Any, key: int) -> str:
    from gui.columns import Column

    return str(window.model.data(window.model.index(window.model.row_number(key), Column.PROBLEM)))


def test_typing_a_host_and_pressing_enter_shows_the_problem_in_words(qtbot: Any, window: Any, lab: Lab) -> None:
    from gui.columns import Column

    refused = lab.endpoint("refused")
    type_target(qtbot, window, refused.url)
    press_enter(qtbot, window)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    key = window.model.all_keys()[-1]
    assert problem_of(window, key) == f"Port {refused.port} closed — WinRM not listening"
    number = window.model.row_number(key)
    marks = [window.model.data(window.model.index(number, c)) for c in (Column['DNS'], Column['TCP'], Column['TLS'])]
    assert marks == ["✔", "✖", ""]  # passed, failed, never reached
    endpoint = lab.endpoint("wrong-password")
    type_target(qtbot, window, endpoint.url, "ntlm", "alice", endpoint.password or "")
    press_enter(qtbot, window)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    assert problem_of(window, window.model.all_keys()[-1]) == "Wrong user name or password"


@pytest.mark.parametrize("session", [False, True], ids=["default", "session switch on"])
def test_the_default_columns_fit_a_1366_pixel_laptop_without_scrolling_sideways(qtbot: Any, credential_store: Any,
                                                                              session: bool) -> None:
    from core import DestinationOptions
    from gui.columns import SESSION, Column
    from gui.qt import QApplication
    from gui.rows import TestSpec
    from gui.settings import Preferences
    from gui.window import MainWindow

    window = MainWindow(credentials=credential_store, preferences=Preferences(session=session))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.showNormal()
    window.resize(1366, 768)
    # Enough rows for a vertical scroll bar, which takes its width from the viewport.
    window.add_targets([TestSpec(f"http://srv{i:02}:5985/wsman", f"srv{i:02}:5985", DestinationOptions())
                        for i in range(60)])
    QApplication.processEvents()
    header = window.table.horizontalHeader()
    shown = [Column(i) for i in range(header.count()) if not header.isSectionHidden(i)]
    assert shown[:3] == [Column.STATUS, Column.TARGET, Column.PROBLEM]  # the reason comes first
    assert Column.ENDPOINT in shown and Column.TIME in shown
    assert (SESSION in shown) is session  # the session stage's column only while its switch is on
    assert window.table.verticalScrollBar().isVisible()
    assert window.table.horizontalScrollBar().maximum() == 0, (
        window.table.viewport().width(), [header.sectionSize(c) for c in shown])


def test_column_choice_order_and_widths_are_remembered(qtbot: Any, window: Any, credential_store: Any) -> None:
    from gui.columns import HEADERS, Column
    from gui.qt import QMenu
    from gui.settings import Preferences
    from gui.window import MainWindow

    header = window.table.horizontalHeader()
    menu = QMenu()
    window.table.fill_column_menu(menu)  # what the header's context menu shows
    by_text = {a.text(): a for a in menu.actions()}
    assert by_text[HEADERS[Column.ENDPOINT]].isChecked() and not by_text[HEADERS[Column.VERSION]].isChecked()
    by_text[HEADERS[Column.ENDPOINT]].trigger()  # turn Endpoint off
    by_text[HEADERS[Column.VERSION]].trigger()  # and the product version on
    header.moveSection(header.visualIndex(Column.PROBLEM), 0)  # Problem dragged to the front
    header.resizeSection(Column.TARGET, 222)
    window.close()

    again = MainWindow(credentials=credential_store, preferences=Preferences())
    qtbot.addWidget(again)
    restored = again.table.horizontalHeader()
    assert restored.isSectionHidden(Column.ENDPOINT) and not restored.isSectionHidden(Column.VERSION)
    assert restored.visualIndex(Column.PROBLEM) == 0
    assert restored.sectionSize(Column.TARGET) == 222
    again.table.default_columns()
    assert not restored.isSectionHidden(Column.ENDPOINT) and restored.visualIndex(Column.PROBLEM) == 2
    again.close()


def test_sorting_by_problem_groups_failures_and_the_status_bar_counts_them(qtbot: Any, window: Any,
                                                                           lab: Lab) -> None:
    from gui.columns import Column
    from gui.qt import Qt

    names = ["refused", "iis-404", "omi", "refused", "not-http", "iis-404", "refused"]
    type_target(qtbot, window, " ".join(lab.url(n) for n in names))
    press_enter(qtbot, window)
    qtbot.waitUntil(lambda: window.model.progress().done == len(names), timeout=8000)
    window.table.sortByColumn(Column.PROBLEM, Qt.SortOrder.AscendingOrder)
    shown = [window.proxy.index(i, Column.PROBLEM).data() for i in range(window.proxy.rowCount())]
    runs = [p for i, p in enumerate(shown) if i == 0 or shown[i - 1] != p]
    assert len(runs) == len(set(shown)) == 4, shown  # each problem in one block
    port = lab.endpoint("refused").port
    assert window.run_status.failures_label.text() == (
        f"6 failed: 3 port {port} closed, 2 no WinRM at /wsman (HTTP 404), 1 another service on port "
        f"{lab.endpoint('not-http').port}")


def contrast(a: Any, b: Any) -> float:
    """The WCAG contrast ratio of two QColors (4.5 is the floor for body text)."""
    def luminance(c: Any) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_banners_and_messages_carry_their_own_background_so_either_scheme_reads_them(qtbot: Any) -> None:
    import re

    from gui import details, messages
    from gui.qt import QColor

    for style in (messages.ERROR_STYLE, messages.PROBLEM_STYLE, messages.BANNER_STYLE, details._HINT_STYLE,
                  details._NOTE_STYLE):
        background = re.search(r"background:\s*(#[0-9a-f]{6})", style)
        text = re.search(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", style)
        assert background and text, style
        assert contrast(QColor(text.group(1)), QColor(background.group(1))) >= 4.5, style


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_own_colours_are_readable_in_the_light_and_the_dark_scheme(qtbot: Any, window: Any, theme: str) -> None:
    from gui import colours
    from gui.qt import QGuiApplication, QPalette
    from gui.theme import apply_theme

    try:
        apply_theme(theme)
        assert colours.palette_is_dark() is (theme == "dark")
        scheme = colours.scheme()
        palette = QGuiApplication.palette()
        for role in (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase):
            background = palette.color(role)
            for colour in [*scheme.states.values(), scheme.running, scheme.neutral]:
                assert contrast(colour, background) >= 4.5, (theme, colour.name(), background.name())
        # A highlighted (changed) row keeps the palette's text colour readable on its background.
        assert contrast(scheme.changed, palette.color(QPalette.ColorRole.Text)) >= 4.5
    finally:
        apply_theme("light")


def test_each_cell_is_drawn_with_its_own_icon_alignment_and_colour(qtbot: Any, window: Any, lab: Lab) -> None:
    """What the view's delegate takes for each cell, one after another (it reuses one request for all cells)."""
    from gui.columns import Column
    from gui.qt import QStyleOptionViewItem, Qt

    type_target(qtbot, window, lab.url("refused"))
    press_enter(qtbot, window)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    delegate = window.table.itemDelegate()

    def drawn(column: Column) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, window.proxy.index(0, column))
        return option

    for _ in range(2):  # in both orders: nothing of one cell may stay behind for the next
        status, tcp, problem, endpoint = (drawn(c) for c in (Column.STATUS, Column['TCP'], Column.PROBLEM,
                                                             Column.ENDPOINT))
        assert status.text == "Failed" and not status.icon.isNull()
        assert tcp.text == "✖" and tcp.displayAlignment & Qt.AlignmentFlag.AlignHCenter and tcp.icon.isNull()
        assert problem.text.startswith("Port ") and problem.icon.isNull()
        assert not problem.displayAlignment & Qt.AlignmentFlag.AlignHCenter
        assert endpoint.text == lab.url("refused") and endpoint.icon.isNull()
        assert status.palette.text().color() == problem.palette.text().color()  # the failure's colour
        assert endpoint.palette.text().color() != problem.palette.text().color()  # the palette's own text

"""Fixtures for the GUI tests, loaded by ``pytest_plugins = ["tests.conftest_gui"]`` in each tests/test_gui_*.py.

Offscreen Qt, settings and logs in a temporary TESTCONNECTION_HOME, a session-only credential store, and Qt
warnings turned into failures (pytest-qt already fails a test on an exception raised in a slot).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import keyring.backends.null
import pytest

from core.credentials import CredentialStore

# The offscreen platform plugin warns about window hints it cannot honour; that is the test platform, not us.
OFFSCREEN_NOISE = "This plugin does not support"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Qt warnings fail the GUI tests (pyproject's pytest-qt ini is not ours to change)."""
    for item in items:
        if item.path.name.startswith("test_gui_"):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """The windows a GUI test showed are destroyed here, on the GUI thread, not whenever Python frees them.

    pytest-qt closes them and asks Qt to delete them later, but nothing runs an event loop in between; a window
    caught in a reference cycle (its lambdas hold it) is then destroyed by the garbage collector on whichever thread
    next collects — often a worker of a later test. Qt stops a widget's basic timers (a line edit's blinking cursor)
    through the current thread's event dispatcher, which a Python thread does not have: the timer stays registered
    and later fires on freed memory, crashing an unrelated test.
    """
    yield
    if item.path.name.startswith("test_gui_"):
        from gui.qt import QApplication, QEvent

        QApplication.sendPostedEvents(None, int(QEvent.Type.DeferredDelete))


@pytest.fixture
def gui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A GUI test's own settings/log directory (core.paths and gui.settings both honour it).

    Each GUI test module requests it with ``pytestmark``; it is not autouse because a plugin's autouse fixtures
    would reach every test in the session."""
    home = tmp_path / "home"
    monkeypatch.setenv("TESTCONNECTION_HOME", str(home))
    return home


@pytest.fixture
def credential_store() -> CredentialStore:
    return CredentialStore(backend=keyring.backends.null.Keyring())  # type: ignore[no-untyped-call]


@pytest.fixture
def window(qtbot, credential_store: CredentialStore) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from gui.settings import Preferences
    from gui.window import MainWindow

    win = MainWindow(credentials=credential_store, preferences=Preferences(timeout=5.0))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()

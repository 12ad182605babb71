"""``testconnection``: the desktop window. ``--demo`` and ``--self-test`` run it against the in-process lab."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import core

if TYPE_CHECKING:
    from core.credentials import StoredCredential
    from core.lab import Lab, LabEndpoint
    from core.targetlist import TargetList
    from gui.results_model import Row, TestSpec
    from gui.window import MainWindow

log = logging.getLogger(__name__)

ORGANIZATION = "TestConnection"
APPLICATION = "TestConnection"
SELF_TEST_TIMEOUT = 3.0  # seconds per target: long enough for every lab scenario, short enough for CI
EXIT_NO_WINDOW = 3  # the X libraries Qt needs are missing (gui/platformcheck.py says which)
WINDOW_SHOWN = "main window shown"  # logged once the window has painted (bench/gui.py waits for it)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="testconnection", description="Diagnose WinRM / WS-Management connections.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--demo", action="store_true",
                        help="start local lab endpoints that show each kind of failure, and test them")
    parser.add_argument("--self-test", action="store_true",
                        help="run every demo target through the window, check each verdict, and exit 0 if all match")
    # For the packaged builds' smoke tests: prove the bundled keyring backend works (see CredentialStore.self_check).
    parser.add_argument("--keyring-self-check", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def attach_to_console() -> None:
    """Let a windowed Windows build answer in the console it was started from.

    A GUI-subsystem .exe gets no standard output from a console (``sys.stdout`` is None), so ``--version``,
    ``--help`` or ``--self-test`` typed at a prompt would print nothing. Borrow the parent's console instead. Output
    redirected to a file or pipe already works and is left alone, as is a start from Explorer (no console to borrow).
    """
    if sys.platform == "win32" and sys.stdout is None:
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        attach_parent_process, error_access_denied = -1, 5
        # ERROR_ACCESS_DENIED: this process already has a console (Wine gives its GUI programs one); use it too.
        if kernel32.AttachConsole(attach_parent_process) or ctypes.get_last_error() == error_access_denied:
            with contextlib.suppress(OSError):  # no console after all: stay silent, as before
                sys.stdout = sys.stderr = open("CONOUT$", "w", encoding="utf-8", errors="replace")  # noqa: SIM115


def main(argv: Sequence[str] | None = None) -> int:
    began = time.perf_counter()
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments:  # only a start with options can have text to show; a plain start stays a window
        attach_to_console()
    args = parse_args(arguments)
    if args.version:
        print(f"TestConnection {core.__version__}")
        return 0
    if args.keyring_self_check:
        from core.credentials import CredentialStore

        ok, message = CredentialStore().self_check()
        print(message)
        return 0 if ok else 1
    if args.self_test and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") \
            and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    # Imported late: --version must work without Qt (and without a display).
    from core.lab import Lab
    from gui.errors import install_excepthook, setup_logging
    from gui.icons import app_icon
    from gui.platformcheck import problem
    from gui.qt import QApplication, QTimer
    from gui.settings import Preferences
    from gui.theme import apply_theme
    from gui.window import MainWindow

    setup_logging()
    log.info("TestConnection %s starting (%s)", core.__version__, " ".join(
        a for a in ("--demo" if args.demo else "", "--self-test" if args.self_test else "") if a) or "normal")
    missing = None if QApplication.instance() else problem()
    if missing is not None:  # instead of Qt's abort: which packages to install
        log.error("%s", missing)
        print(missing, file=sys.stderr)
        return EXIT_NO_WINDOW
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "testconnection"])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(core.__version__)
    app.setWindowIcon(app_icon())
    preferences = Preferences.load()
    apply_theme(preferences.theme)

    if args.self_test:
        with Lab() as lab:
            window = MainWindow(preferences=replace(preferences, timeout=SELF_TEST_TIMEOUT), persist=False)
            try:
                return self_test(window, lab)
            finally:
                window.close()

    install_excepthook()
    from core.demo import demo_lab as make_demo_lab
    from core.demo import restore_environ, use_kerberos_environ

    demo_lab, no_kerberos = make_demo_lab() if args.demo else (None, None)
    saved_environ: dict[str, str | None] = {}
    try:
        # The demo never reads or writes the user's list and history files.
        window = MainWindow(preferences=preferences, persist=demo_lab is None)
        if demo_lab is not None:
            demo_lab.start()
            saved_environ = use_kerberos_environ(demo_lab)  # the demo's Kerberos never sees the user's own
            window.setWindowTitle("TestConnection — demo (local lab endpoints; the demo list is not saved)")
            note = f"Kerberos rows are missing: {no_kerberos}" if no_kerberos else ""
            if no_kerberos:
                log.warning("demo without Kerberos: %s", no_kerberos)
            window.show_demo_list(*demo_list(demo_lab), demo_lab.ca_file, note)
            window.run(load_demo(window, demo_lab))
        window.show()
        settle()
        # The first turn of the event loop, after the window's first paint: how long a start took, for a slow
        # helpdesk PC's log (and bench/gui.py, which times the packaged program by this line).
        QTimer.singleShot(0, lambda: log.info("%s (%.0f ms after main() began)", WINDOW_SHOWN,
                                              (time.perf_counter() - began) * 1000))
        _quit_on_ctrl_c(window)
        return app.exec()
    finally:
        if demo_lab is not None:
            demo_lab.stop()
            restore_environ(saved_environ)


# The collector's generation thresholds once the window runs (CPython's defaults: 700, 10, 10). Tests make and
# drop thousands of small objects a second, and a collection holds the GIL, so the window waits for it whichever
# thread it runs on: fewer, larger young collections and rarer full ones (bench section 5: the longest stall of a
# 1,000-target watch, median of 8 runs, 47 -> 40 ms).
GC_THRESHOLDS = (10_000, 20, 100)


def settle() -> None:
    """Once the window is built: what exists now lives as long as the program, so the garbage collector's full
    passes need not walk it again. Without this, a full pass over Qt's and the window's objects held every thread
    (the GUI's too) for about 50 ms now and then while a long watch made and dropped results."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _quit_on_ctrl_c(window: MainWindow) -> None:
    """Ctrl+C in the terminal closes the window (and so cancels the tests) instead of being ignored."""
    from gui.qt import QTimer

    signal.signal(signal.SIGINT, lambda *_: window.close())
    # Python only runs signal handlers between bytecodes; Qt's loop runs none unless something wakes it.
    heartbeat = QTimer(window)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)


def demo_specs(lab: Lab, preferences_timeout: float) -> list[TestSpec]:
    """One row per lab endpoint, tried the way the lab suggests. The demo passwords live in memory only."""
    from core.demo import options_for
    from core.target import parse_target
    from gui.results_model import TestSpec

    specs = []
    for endpoint in lab.endpoints:
        options = options_for(endpoint, lab, preferences_timeout)
        specs.append(TestSpec(endpoint.url, parse_target(endpoint.url).label, options, name=endpoint.name,
                              description=endpoint.description))
    return specs


def demo_list(lab: Lab) -> tuple[TargetList, dict[str, StoredCredential]]:
    """The lab endpoints as a saved-list, for the Targets panel; the credentials it names exist only in memory."""
    from core.credentials import StoredCredential
    from core.targetlist import Folder, Target, TargetList

    credentials: dict[str, StoredCredential] = {}
    folders: dict[str, list[Target]] = {name: [] for name in DEMO_FOLDERS.values()}
    for endpoint in lab.endpoints:
        if endpoint.ticket_cache is not None:
            continue  # its own ticket cache is no list setting: from a list it would test this PC's user instead
        if endpoint.look_ports:
            continue  # its other silent ports exist only in the lab's own options: a list cannot say which they are
        credential = None
        if endpoint.username is not None:
            credential = f"demo: {endpoint.name}"  # one each: wrong-password has its own, deliberately wrong one
            credentials[credential] = StoredCredential(credential, endpoint.username, endpoint.password or "")
        folder = DEMO_FOLDERS[endpoint.expect_stage if not endpoint.expect_ok else None]
        folders[folder].append(Target(host=endpoint.url, name=endpoint.name, auth=endpoint.auth,
                                      credential=credential, notes=endpoint.description,
                                      allow_unencrypted=endpoint.allow_unencrypted or None, spn=endpoint.spn,
                                      # A session scenario says which shell; the others follow the settings.
                                      session=endpoint.open_shell or None,
                                      remote_shell=endpoint.remote_shell if endpoint.open_shell else None))
    from gui.listpanel import DEMO_LIST_NAME

    root = Folder(DEMO_LIST_NAME, folders=tuple(Folder(name, targets=tuple(t)) for name, t in folders.items() if t))
    return TargetList(DEMO_LIST_NAME, root), credentials


#: The demo list's folders: where each lab endpoint's test ends (None: it passes), one per stage of the registry.
DEMO_FOLDERS: dict[str | None, str] = {None: "Answers", **{stage.name: stage.area for stage in core.STAGES}}


def load_demo(window: MainWindow, lab: Lab) -> list[int]:
    return window.add_targets(demo_specs(lab, window.preferences.timeout))


def expectation_problem(endpoint: LabEndpoint, row: Row) -> str | None:
    """None when the row ended as the lab says it should; else what differs."""
    d = row.diagnosis
    if d is None or not row.final:
        return "did not finish"
    from core.demo import mismatch  # lazily, as the other imports here: --version must not load the engine

    return mismatch(endpoint, d)


def self_test(window: MainWindow, lab: Lab, limit: float = 60.0) -> int:
    """Run the demo through the window's own model and runner; print one line per target and a summary."""
    from gui.qt import QApplication, QEventLoop, QTimer
    from gui.results_model import Column, State

    keys = load_demo(window, lab)
    started = time.monotonic()
    window.run(keys)
    loop = QEventLoop()
    window.runner.idle.connect(loop.quit)
    QTimer.singleShot(int(limit * 1000), loop.quit)
    if window.runner.busy:
        loop.exec()
    QApplication.processEvents()
    failures = 0
    for endpoint, key in zip(lab.endpoints, keys, strict=True):
        row = window.model.row(key)
        assert row is not None
        problem = expectation_problem(endpoint, row)
        failures += problem is not None
        mark = "ok  " if problem is None else "FAIL"
        verdict = window.model.data(window.model.index(window.model.row_number(key) or 0, Column.PROBLEM))
        state = row.state.value if row.state is not State.RUNNING else "still running"
        print(f"{mark} {endpoint.name:<20} {state:<10} {verdict}" + (f"  <- {problem}" if problem else ""))
    total = len(keys)
    print(f"self-test: {total - failures} / {total} demo targets as expected, {failures} not "
          f"({time.monotonic() - started:.1f} s, Qt platform {QApplication.platformName()})")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

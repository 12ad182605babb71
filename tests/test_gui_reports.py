"""Exporting the results table: real tests against the lab through a window's model, each file format read back,
the marker password in none of them, and a folder that cannot be written."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.exports import CSV_COLUMNS
from core.lab import Lab

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")

MARKER = "Export-Marker-Secret-5d2"
USER = "gui-export-user"  # our own name: live labs share one NTLM user file, the first password wins for a name
CLI_KEYS = {"target", "endpoint", "ok", "result", "result_code", "failed_stage", "stages", "identify", "error",
            "elapsed_ms", "started_at", "notes", "untested", "requires_authentication", "offered_schemes", "outcome",
            "problem", "auth", "mechanism", "check"}  # fmt: skip
SCENARIOS = ["winrm-http", "access-denied", "refused"]


@pytest.fixture(scope="module")
def marker_lab() -> Iterator[Lab]:
    with Lab(scenarios=SCENARIOS, users={USER: MARKER}) as running:
        yield running


@pytest.fixture
def tested(qtbot: Any, window: Any, marker_lab: Lab) -> list[int]:
    """Three finished rows (OK, failed at auth, failed at tcp), typed with the marker password, and one untested."""
    from gui.results_model import TestSpec
    from gui.targetbar import ENTER_CREDENTIAL

    bar = window.target_bar
    bar.host.setText(" ".join(marker_lab.url(name) for name in SCENARIOS))
    bar.auth.setCurrentIndex(bar.auth.findData("ntlm"))
    bar.credential.setCurrentIndex(bar.credential.findData(ENTER_CREDENTIAL))
    bar.user.setText(USER)
    bar.password.setText(MARKER)
    window.test_from_bar()
    qtbot.waitUntil(lambda: not window.runner.busy and window.model.progress().done == 3, timeout=10_000)
    untested = window.model.add([TestSpec("http://127.0.0.1:1/wsman", "never-run", window.model.row(window.model.all_keys()[0]).spec.options)])
    keys: list[int] = window.model.all_keys()
    assert untested[0] == keys[-1]
    return keys


class SaveDialog:
    """Stands in for the user in QFileDialog.getSaveFileName: records what was offered, answers with a path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from gui.qt import QFileDialog

        self.answer: tuple[str, str] = ("", "")
        self.offered: list[tuple[str, str, str]] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(self._ask))

    def _ask(self, _parent: Any, _caption: str, directory: str, filters: str, selected: str) -> tuple[str, str]:
        self.offered.append((directory, filters, selected))
        return self.answer


@pytest.fixture
def save_dialog(monkeypatch: pytest.MonkeyPatch) -> SaveDialog:
    return SaveDialog(monkeypatch)


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Message boxes shown, as (kind, text), instead of blocking the test."""
    from gui.qt import QMessageBox

    shown: list[tuple[str, str]] = []
    for kind in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(lambda _p, _t, text, *_, k=kind: shown.append((k, text))))
    return shown


def no_marker_below(*roots: Path) -> list[Path]:
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        assert MARKER.encode() not in data, path
        assert MARKER.encode("utf-16-le") not in data, path
    return files


@pytest.mark.parametrize(("chosen_filter", "suffix"), [("HTML report (*.html)", ".html"), ("CSV (*.csv)", ".csv"),
                                                       ("JSON (*.json)", ".json")])  # fmt: skip
def test_export_each_format_reads_back_without_the_password(
    window: Any, tested: list[int], save_dialog: SaveDialog, messages: list[Any], tmp_path: Path,
    gui_home: Path, marker_lab: Lab, chosen_filter: str, suffix: str,
) -> None:  # fmt: skip
    from gui.reports import export_results

    save_dialog.answer = (str(tmp_path / "out" / "helpdesk report"), chosen_filter)  # typed without a suffix
    (tmp_path / "out").mkdir()
    path = export_results(window, window.model, tested)
    assert path == tmp_path / "out" / f"helpdesk report{suffix}"
    assert path.is_file()
    assert not messages
    status = window.statusBar().currentMessage()
    assert status.startswith(f"Exported 3 results to {path}")
    assert "1 row skipped (not tested yet or still running)" in status
    _, filters, _ = save_dialog.offered[0]
    assert filters.split(";;") == ["HTML report (*.html)", "CSV (*.csv)", "JSON (*.json)"]

    urls = [marker_lab.url(name) for name in SCENARIOS]
    if suffix == ".json":
        lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        assert [set(line) for line in lines] == [CLI_KEYS] * 3
        assert [(line["ok"], line["failed_stage"]) for line in lines] == [(True, None), (False, "auth"), (False, "tcp")]
        assert [line["endpoint"] for line in lines] == urls
    elif suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert [r[2] for r in rows[1:]] == ["OK", "Failed at auth", "Failed at tcp"]
        fix, check = CSV_COLUMNS.index("fix"), CSV_COLUMNS.index("check")
        assert "Enable-PSRemoting -Force (on the target)" in rows[3][fix]  # the refused port's fixes, and the check
        assert rows[3][check] == f"Test-WSMan 127.0.0.1 -Port {marker_lab.endpoint('refused').port} -Authentication " \
            f"Negotiate -Credential {USER}"
    else:
        text = path.read_text("utf-8")
        assert '<table class="summary">' in text
        assert "<th scope='row'>Targets</th><td>3</td>" in text
        assert text.count('<section class="target">') == 3
        assert all(url in text for url in urls) and "never-run" not in text
        assert "What to do:" in text  # the failures' hints are in the report, and their fixes and the check
        assert "<h3>Fixes and checks</h3>" in text and "<code>Enable-PSRemoting -Force</code>" in text
        assert f"<code>Test-WSMan 127.0.0.1 -Port {marker_lab.endpoint('refused').port}" in text
    written = no_marker_below(tmp_path)  # the export, the settings, the logs: none holds the typed password
    assert path in written and any(p.name == "ui.ini" for p in written)


def test_the_folder_and_format_are_remembered_and_cancel_writes_nothing(
    window: Any, tested: list[int], save_dialog: SaveDialog, messages: list[Any], tmp_path: Path
) -> None:
    from gui.reports import export_results
    from gui.settings import ui_settings

    folder = tmp_path / "reports"
    folder.mkdir()
    save_dialog.answer = (str(folder / "first.csv"), "CSV (*.csv)")
    assert export_results(window, window.model, tested) == folder / "first.csv"
    save_dialog.answer = ("", "")  # the user cancels the second time
    assert export_results(window, window.model, tested) is None
    directory, _, selected = save_dialog.offered[1]
    assert Path(directory).parent == folder and directory.endswith(".csv")
    assert selected == "CSV (*.csv)"
    assert sorted(p.name for p in folder.iterdir()) == ["first.csv"]
    assert not messages
    assert ui_settings().value("export/folder") == str(folder)


def test_nothing_finished_means_nothing_to_export(
    window: Any, save_dialog: SaveDialog, messages: list[Any]
) -> None:
    from gui.reports import export_results, results_for
    from gui.results_model import TestSpec

    keys = window.model.add([TestSpec("http://127.0.0.1:1/wsman", "never-run", __import__("core").DestinationOptions())])
    assert results_for(window.model, keys) == []
    assert export_results(window, window.model, keys) is None
    assert not save_dialog.offered  # no file dialog for an empty report
    assert messages and messages[0][0] == "information" and "nothing to export" in messages[0][1].lower()


def test_results_for_keeps_the_order_given_and_only_finished_rows(window: Any, tested: list[int]) -> None:
    from gui.reports import results_for

    results = results_for(window.model, list(reversed(tested)))
    assert [r["failed_stage"] for r in results] == ["tcp", "auth", None]
    assert results_for(window.model, [tested[0], 9999]) == results[-1:]  # a removed row is just not there


def test_copy_as_csv_puts_the_finished_rows_on_the_clipboard(window: Any, tested: list[int]) -> None:
    from gui.qt import QGuiApplication
    from gui.reports import copy_results_csv

    assert copy_results_csv(window, window.model, tested) == 3
    text = QGuiApplication.clipboard().text()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 4
    assert MARKER not in text
    assert "1 not finished, left out" in window.statusBar().currentMessage()


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write to. As root, permission bits do not stop writes: then the immutable flag does."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    (folder / "old.html").write_text("previous report", "utf-8")
    folder.chmod(0o555)
    immutable = False
    if _writable(folder) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        if _writable(folder):
            pytest.skip("cannot make a read-only folder here")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def test_a_read_only_folder_is_reported_and_nothing_is_written(
    window: Any, tested: list[int], save_dialog: SaveDialog, messages: list[Any], read_only_dir: Path
) -> None:
    from gui.reports import export_results

    target = read_only_dir / "old.html"  # replacing an existing report, as "Save" over it would
    save_dialog.answer = (str(target), "HTML report (*.html)")
    assert export_results(window, window.model, tested) is None
    assert len(messages) == 1
    kind, text = messages[0]
    assert kind == "warning"
    assert str(target) in text
    assert os.strerror(1) in text or os.strerror(13) in text  # EPERM (immutable) or EACCES (permissions)
    assert [p.name for p in read_only_dir.iterdir()] == ["old.html"]  # no temporary file left behind
    assert target.read_text("utf-8") == "previous report"
    assert not window.statusBar().currentMessage().startswith("Exported")

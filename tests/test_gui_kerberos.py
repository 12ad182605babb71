"""The window with Kerberos, against the lab's real KDC: "Current user (single sign-on)" after kinit, and a
failure of the Kerberos table as the helpdesk reads it (the Problem column, the details pane)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.lab import Lab
from gui.details import details_html
from gui.targetbar import CURRENT_USER
from tests.test_gui_window import press_enter, type_target, wait_final

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")


def test_current_user_single_sign_on_after_kinit(
    qtbot: Any, window: Any, klab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gui.results_model import Column

    ccache = f"FILE:{tmp_path / 'krb5cc'}"
    klab.kinit(ccache)
    monkeypatch.setenv("KRB5CCNAME", ccache)
    type_target(qtbot, window, klab.url("kerberos-http"), "kerberos")
    bar = window.target_bar
    bar.credential.setCurrentIndex(bar.credential.findData(CURRENT_USER))
    assert not bar.user.isVisibleTo(window) and not bar.password.isVisibleTo(window)  # nothing to type
    press_enter(qtbot, window)
    row = wait_final(qtbot, window)
    assert row.diagnosis.ok, row.diagnosis.failure
    number = window.model.row_number(row.key)
    assert window.model.data(window.model.index(number, Column['AUTH'])) == "✔"
    assert "kerberos as alice@LAB.TEST (current user), messages encrypted" in details_html(row)


def test_the_current_user_is_refused_for_a_scheme_that_cannot_use_it(qtbot: Any, window: Any, klab: Lab) -> None:
    type_target(qtbot, window, klab.url("kerberos-http"), "ntlm")
    bar = window.target_bar
    bar.credential.setCurrentIndex(bar.credential.findData(CURRENT_USER))
    before = window.model.rowCount()
    press_enter(qtbot, window)
    assert window.model.rowCount() == before
    assert "Credential:" in bar.message.text() and "current user" in bar.message.text()


def test_a_clock_skew_reads_as_the_clock_that_is_off(qtbot: Any, window: Any, klab: Lab) -> None:
    from gui.results_model import Column

    endpoint = klab.endpoint("kerberos-clock-skew")
    type_target(qtbot, window, endpoint.url, "kerberos", endpoint.username or "", endpoint.password or "")
    press_enter(qtbot, window)
    row = wait_final(qtbot, window)
    assert row.diagnosis.failure is not None and row.diagnosis.failure.kind == "auth.time_skew"
    number = window.model.row_number(row.key)
    assert window.model.data(window.model.index(number, Column.PROBLEM)) == "Clocks more than 5 minutes apart"
    details = details_html(row)
    assert "10 min ahead of the domain controller" in details and "w32tm /resync" in details
    assert "0x80090324" in details


def test_the_demo_shows_the_kerberos_rows_as_the_lab_says(
    qtbot: Any, window: Any, kerberos_lab: Lab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `testconnection --demo` does where a KDC can start: the lab's Kerberos for the whole process, every
    Kerberos row through the window's own runner, each ending as its scenario says."""
    from core.demo import restore_environ, use_kerberos_environ
    from gui.app import demo_list, self_test

    for name in kerberos_lab.kerberos_environ:  # so that the restore below is checked against this test's values
        monkeypatch.setenv(name, f"before-{name}")
    saved = use_kerberos_environ(kerberos_lab)
    try:
        assert self_test(window, kerberos_lab, limit=30.0) == 0, capsys.readouterr().out
    finally:
        restore_environ(saved)
    assert all(os.environ[name] == f"before-{name}" for name in kerberos_lab.kerberos_environ)
    lst, _ = demo_list(kerberos_lab)
    listed = {t.name: t for t in lst.targets()}
    assert "kerberos-current-user" not in listed  # its ticket cache is no list setting
    assert listed["kerberos-no-spn"].spn == kerberos_lab.endpoint("kerberos-no-spn").spn

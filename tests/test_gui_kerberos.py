"""The window with Kerberos, against the lab's real KDC: "Current user (single sign-on)" after kinit, and a
failure of the Kerberos table as the helpdesk reads it (the Problem column, the details pane)."""

from __future__ import annotations

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
    assert window.model.data(window.model.index(number, Column.AUTH)) == "✔"
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

"""The results model and its filter, without a window: Diagnosis objects in, roles and rows out."""

from __future__ import annotations

import pytest

from core import STAGE_NAMES, DestinationOptions, Diagnosis, IdentifyInfo, StageReport, StageStatus, failures

pytest_plugins = ["tests.conftest_gui"]
pytestmark = pytest.mark.usefixtures("gui_home")  # settings and logs in a temporary directory

S = StageStatus


def stages(*statuses: tuple[StageStatus, float, str]) -> tuple[StageReport, ...]:
    padded = list(statuses) + [(S.NOT_RUN, 0.0, "")] * (len(STAGE_NAMES) - len(statuses))
    return tuple(StageReport(n, s, ms, d) for n, (s, ms, d) in zip(STAGE_NAMES, padded, strict=True))


def running(target: str = "srv01:5985") -> Diagnosis:
    return Diagnosis(target, "http://srv01:5985/wsman", stages((S.OK, 0.4, "10.0.0.7")), running_stage="tcp")


def ok(target: str = "srv01:5985", ms: float = 12.0) -> Diagnosis:
    ident = IdentifyInfo("http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd", "Microsoft Corporation",
                         "OS: 10.0.20348 SP: 0.0 Stack: 3.0", authenticated=True)
    return Diagnosis(target, f"http://{target}/wsman",
                     stages((S.OK, 0.4, "10.0.0.7"), (S.OK, 1.1, ""), (S.SKIPPED, 0, "http"), (S.OK, 3.0, "MS"),
                            (S.OK, 2.2, "ntlm")), identify=ident, elapsed_ms=ms)


def failed(target: str = "srv02:5985", ms: float = 2000.0) -> Diagnosis:
    failure = failures.failure("tcp.refused", "tcp", failures.Context(target.split(":")[0], 5985, "http"))
    return Diagnosis(target, f"http://{target}/wsman", stages((S.OK, 0.3, ""), (S.FAILED, 1.0, "refused")),
                     failure=failure, elapsed_ms=ms)


def cancelled(target: str = "srv03:5985") -> Diagnosis:
    failure = failures.cancelled("wsman")
    return Diagnosis(target, "", stages((S.OK, 0.3, ""), (S.OK, 1.0, ""), (S.SKIPPED, 0, ""), (S.CANCELLED, 0, "")),
                     failure=failure, elapsed_ms=5.0)


@pytest.fixture
def model(qapp):  # type: ignore[no-untyped-def]
    from gui.results_model import ResultsModel, TestSpec

    m = ResultsModel()
    specs = [TestSpec(f"http://srv0{i}:5985/wsman", f"srv0{i}:5985", DestinationOptions()) for i in (1, 2, 3)]
    m.add(specs)
    return m


def shown_tooltip(model, row: int, column) -> str:  # type: ignore[no-untyped-def]
    """The tooltip's text as Qt displays it: one that looks like HTML (as ours always do) is rendered as HTML."""
    from gui.qt import Qt, QTextDocument

    tip = model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("<p")
    document = QTextDocument()
    document.setHtml(tip)
    return document.toPlainText()


def test_a_tooltip_shows_what_a_server_sent_as_text_not_markup(model, qtbot) -> None:  # type: ignore[no-untyped-def]
    from gui.results_model import Column

    [(k, run_id, _spec)] = model.start_run([model.all_keys()[0]])
    hostile = Diagnosis("srv01:5985", "http://srv01:5985/wsman",
                        stages((S.OK, 0.4, "10.0.0.7"), (S.OK, 1.1, ""), (S.SKIPPED, 0, "http"),
                               (S.FAILED, 3.0, "<b>IIS</b> & <img src='x'>\nline 2")))  # fmt: skip
    model.apply({(k, run_id): (hostile, True)})
    assert shown_tooltip(model, 0, Column['WSMAN']) == "wsman: failed in 3.0 ms — <b>IIS</b> & <img src='x'>\nline 2"


def text(model, row: int, column) -> str:  # type: ignore[no-untyped-def]
    return str(model.data(model.index(row, column)))


def test_rows_go_from_not_tested_to_running_to_ok(model, qtbot) -> None:  # type: ignore[no-untyped-def]
    from gui.qt import Qt
    from gui.results_model import STATE_ROLE, Column, State

    key = model.all_keys()[0]
    assert text(model, 0, Column.STATUS) == "Not tested"
    [(k, run_id, _spec)] = model.start_run([key])
    assert text(model, 0, Column.STATUS) == "Queued"
    with qtbot.waitSignal(model.dataChanged):
        model.apply({(k, run_id): (running(), False)})
    assert text(model, 0, Column.STATUS) == "Testing"
    # The stage columns are compact marks; the time and detail are in the tooltip. A running stage is "…".
    assert text(model, 0, Column['DNS']) == "✔"
    assert text(model, 0, Column['TCP']) == "…"
    assert shown_tooltip(model, 0, Column['DNS']) == "dns: ok in 0.4 ms — 10.0.0.7"
    assert shown_tooltip(model, 0, Column['TCP']) == "tcp: running"
    running_colour = model.data(model.index(0, Column['TCP']), Qt.ItemDataRole.ForegroundRole).color()
    done_colour = model.data(model.index(0, Column['DNS']), Qt.ItemDataRole.ForegroundRole).color()
    assert running_colour != done_colour  # a running stage stands out from the finished ones
    model.apply({(k, run_id): (ok(), True)})
    assert model.data(model.index(0, Column.STATUS), STATE_ROLE) == State.OK.value
    assert text(model, 0, Column.VERSION) == "OS: 10.0.20348 SP: 0.0 Stack: 3.0"
    assert text(model, 0, Column.PROBLEM) == "OK — Windows Server 2022 (10.0.20348)"
    assert text(model, 0, Column['TLS']) == "\N{EN DASH}"  # skipped: neutral, neither a pass nor a failure
    assert text(model, 0, Column.TIME) == "12 ms"
    assert model.data(model.index(0, Column.STATUS), 1) is not None  # DecorationRole: an icon, not colour alone


def test_stale_and_after_final_updates_are_ignored(model) -> None:  # type: ignore[no-untyped-def]
    from gui.results_model import Column

    key = model.all_keys()[1]
    [(_, first, _)] = model.start_run([key])
    [(_, second, _)] = model.start_run([key])
    model.apply({(key, first): (failed(), True)})  # a late result of the earlier run
    assert text(model, 1, Column.STATUS) == "Queued"
    model.apply({(key, second): (failed(), True)})
    model.apply({(key, second): (running(), False)})  # nothing after a final
    assert text(model, 1, Column.STATUS) == "Failed"
    assert text(model, 1, Column.PROBLEM) == "Port 5985 closed — WinRM not listening"
    model.apply({(999, 1): (ok(), True)})  # a removed row


def test_a_watched_row_keeps_its_last_result_while_it_is_tested_again(model) -> None:  # type: ignore[no-untyped-def]
    """A watch tests its rows again every few seconds: each row goes on showing its last result (and counting as
    it) until the new one is in, instead of flickering through Queued and Testing every cycle."""
    from gui.results_model import Column

    key = model.all_keys()[0]
    [(_, first, _)] = model.start_run([key])
    model.apply({(key, first): (ok(), True)})
    [(_, again, _)] = model.start_run([key], keep_shown=True)
    assert text(model, 0, Column.STATUS) == "OK"
    model.apply({(key, again): (running(), False)})
    assert text(model, 0, Column.STATUS) == "OK" and text(model, 0, Column.TIME) == "12 ms"
    assert model.progress().text() == "1 / 1, 0 failed"
    model.apply({(key, first): (failed(), True)})  # the earlier run's result, late: still ignored
    assert text(model, 0, Column.STATUS) == "OK"
    model.apply({(key, again): (failed(), True)})
    assert text(model, 0, Column.STATUS) == "Failed"
    model.apply({(key, again): (ok(), True)})  # nothing after the run's final
    assert text(model, 0, Column.STATUS) == "Failed"
    [(_, normal, _)] = model.start_run([key])  # Re-run, F5: the row shows the test as it goes
    assert text(model, 0, Column.STATUS) == "Queued"
    model.apply({(key, normal): (running(), False)})
    assert text(model, 0, Column.STATUS) == "Testing"


def test_sorting_and_filtering_through_the_proxy(model) -> None:  # type: ignore[no-untyped-def]
    from gui.qt import Qt
    from gui.results_model import Column, ResultsFilter, State

    runs = model.start_run(model.all_keys())
    results = [ok("srv01:5985", 30.0), failed("srv02:5985", 2000.0), cancelled("srv03:5985")]
    model.apply({(k, r): (d, True) for (k, r, _), d in zip(runs, results, strict=True)})
    proxy = ResultsFilter()
    proxy.setSourceModel(model)
    proxy.sort(Column.TIME, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(i, Column.TARGET).data() for i in range(3)] == ["srv02:5985", "srv01:5985", "srv03:5985"]
    proxy.sort(Column.STATUS, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(i, Column.STATUS).data() for i in range(3)] == [
        State.OK.value, State.FAILED.value, State.CANCELLED.value]
    assert [painted(proxy, i, Column.STATUS) for i in range(3)] == [
        State.OK.value, State.FAILED.value, State.CANCELLED.value]  # what the view draws, too
    proxy.set_failures_only(True)
    assert proxy.rowCount() == 1
    assert proxy.index(0, Column.TARGET).data() == "srv02:5985"
    proxy.set_failures_only(False)
    proxy.set_text("SRV03")
    assert proxy.rowCount() == 1
    proxy.set_text("refused")  # matches the failure's own words, not only what the columns show
    assert proxy.rowCount() == 1
    assert painted(proxy, 0, Column.TARGET) == "srv02:5985"
    proxy.set_text("")
    assert proxy.rowCount() == 3
    proxy.sort(-1)  # back to the order the rows were added in
    assert [painted(proxy, i, Column.TARGET) for i in range(3)] == ["srv01:5985", "srv02:5985", "srv03:5985"]
    assert model.progress().text() == "3 / 3, 1 failed, 1 cancelled"


def painted(proxy, row: int, column) -> str:  # type: ignore[no-untyped-def]
    """The text the view paints in a cell: views ask for a cell's roles at once (multiData), not role by role."""
    from gui.qt import QModelRoleData, Qt

    asked = QModelRoleData(Qt.ItemDataRole.DisplayRole)
    proxy.multiData(proxy.index(row, column), asked)
    return str(asked.data())


def test_results_arriving_for_rows_out_of_sight_do_not_repaint_the_rows_on_screen(qtbot) -> None:  # type: ignore[no-untyped-def]
    """While a thousand targets run, painting is what keeps the window waiting (each painted cell calls into
    Python): a flush of results for rows scrolled out of sight must not repaint the rows the user is looking at."""
    from gui.qt import QEvent, QObject
    from gui.results_model import Column, ResultsFilter, ResultsModel, TestSpec
    from gui.resultsview import ResultsView

    model = ResultsModel()
    keys = model.add(TestSpec(f"http://srv{i}:5985/wsman", f"srv{i}:5985", DestinationOptions()) for i in range(400))
    proxy = ResultsFilter()
    proxy.setSourceModel(model)
    view = ResultsView(proxy)
    view.resize(900, 400)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)  # the first paints

    painted_rects = []

    class Paints(QObject):
        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def]
            if event.type() == QEvent.Type.Paint:
                painted_rects.append(event.rect())
            return False

    paints = Paints()
    view.viewport().installEventFilter(paints)
    far = [key for i, key in enumerate(keys) if 200 <= i < 290 and i % 3]  # 60 rows, near each other, out of sight
    runs = model.start_run(far)
    model.apply({(k, r): (running(), False) for k, r, _ in runs})
    qtbot.wait(50)
    assert painted_rects == []
    [(k, r, _)] = model.start_run([keys[2]])
    model.apply({(k, r): (failed(), True)})
    qtbot.waitUntil(lambda: bool(painted_rects))
    row = view.visualRect(proxy.index(2, Column.STATUS))
    # Only that row (and the grid line under it) is repainted, not the screenful.
    assert all(rect.intersects(row) and rect.height() < 2 * row.height() for rect in painted_rects), painted_rects


def test_rows_as_text_and_remove(model) -> None:  # type: ignore[no-untyped-def]
    from gui.columns import Column
    from gui.results_model import rows_as_text

    runs = model.start_run(model.all_keys()[:1])
    model.apply({(runs[0][0], runs[0][1]): (ok(), True)})
    copied = rows_as_text(model, model.all_keys()[:2]).splitlines()
    assert copied[0].split("\t")[:3] == ["Status", "Target", "Problem"]
    assert copied[1].split("\t")[0] == "OK" and len(copied[1].split("\t")) == len(Column)
    assert copied[2].split("\t")[0] == "Not tested"
    keys = model.all_keys()
    model.remove([keys[0], keys[2]])
    assert model.all_keys() == [keys[1]] and model.row_number(keys[1]) == 0


def test_a_long_session_of_qt_calls_and_signals_does_not_abort_the_interpreter() -> None:
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None per void Qt call and to True per emit(): after a
    few thousand the interpreter aborted ("deallocating None"). pyproject excludes it; a child process proves the
    installed binding survives what hours of live updates do."""
    import subprocess
    import sys

    child = """
from gui.qt import QObject, Signal
class Emitter(QObject):
    ping = Signal()
emitter = Emitter()
for _ in range(50_000):
    emitter.setObjectName("x")
    emitter.ping.emit()
print("survived")
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "survived", done.stderr[-500:]

"""The details pane: everything about the selected row, in the words and numbers a Windows admin recognises."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from core import Diagnosis, StageStatus
from core.failures import Fix, Where
from core.history import History, HistoryEntry, format_ago
from core.report import diagnosis_to_dict, problem, test_wsman
from core.textreport import ticket_text
from gui.colours import STAGE_SYMBOLS, state_colour
from gui.qt import QGuiApplication, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QUrl, QVBoxLayout, QWidget
from gui.rows import Row, State, format_ms

_HINT_STYLE = "background:#e3f2fd; color:#0d2b4e; border:1px solid #64b5f6; padding:4px;"
_NOTE_STYLE = "background:#fff3cd; color:#5c4400; border:1px solid #e0b400; padding:4px;"
# The pane's links copy a command: "copy:fix/2" the failure's third fix, "copy:check" the equivalent Test-WSMan.
COPY_CHECK = "copy:check"


def previously(row: Row, history: History | None, now: datetime | None = None) -> str | None:
    """"OK 2 days ago; failed (auth) 3 days ago": the results before this row's run, newest first."""
    if history is None:
        return None
    d = row.diagnosis
    key = (d.endpoint if d is not None and d.endpoint else "") or row.spec.destination
    entries: list[HistoryEntry] = list(history.entries(key))
    if d is not None and d.started_at:
        started = datetime.fromtimestamp(d.started_at, tz=UTC)
        entries = [e for e in entries if e.finished_at < started]  # not this run's own result
    if not entries:
        return "never tested before"
    now = now or datetime.now(UTC)
    words = [("OK" if e.ok else f"failed ({e.failed_stage})" if e.failed_stage else "failed")
             + f" {format_ago(e.finished_at, now)}" for e in reversed(entries[-3:])]
    return "; ".join(words)


def details_html(row: Row, history: History | None = None) -> str:
    """The pane's content as HTML (a function, so tests and screenshots can read it without a window)."""
    spec, d = row.spec, row.diagnosis
    state = row.state
    colour = state_colour(state)
    style = f' style="color:{colour.name()}"' if colour is not None else ""
    title = escape(spec.name or spec.label)
    parts = [f"<h3>{title}</h3>"]
    if spec.description:
        parts.append(f"<p><i>{escape(spec.description)}</i></p>")
    parts.append(f"<p><b>Endpoint:</b> {escape((d.endpoint if d else '') or spec.destination)}<br>")
    parts.append(f"<b>Authentication:</b> {escape(spec.options.auth.value)}")
    before = previously(row, history)
    if before is not None:
        parts.append(f"<br><b>Previously:</b> {escape(before)}")
    parts.append("</p>")
    if row.watch is not None:
        parts.append(_watch_log(row))
    if d is None:
        parts.append(f"<p>{escape(state.value)}.</p>")
        return "".join(parts)
    parts.append(f"<p><b>Result:</b> <b{style}>{_state_symbol(state)} {escape(problem(d))}</b></p>")
    for note in d.notes:
        # Notes weaken a result ("certificate not verified"): shown where nobody can miss them.
        parts.append(f'<p style="{_NOTE_STYLE}"><b>⚠ {escape(note)}</b></p>')
    if d.untested and row.final:
        parts.append(f'<p style="{_HINT_STYLE}"><b>Authentication not tested</b> ({escape(d.untested)}): the '
                     "stages before it passed. To test it too, enter a user and password, or pick a saved "
                     "credential.</p>")
    if d.failure is not None and row.final:
        f = d.failure
        if f.hint:  # first: what the helpdesk does next matters more than the numbers
            parts.append(f'<p style="{_HINT_STYLE}"><b>What to try:</b> {escape(f.hint)}</p>')
        rows = [
            ("Error", escape(f.message)),
            ("MI result", f"{escape(f.result.mi_name)} ({int(f.result)})"),
            ("Error category", f"{escape(f.category.name)} ({int(f.category)})"),
        ]
        if f.windows_code is not None:
            rows.append(("Windows code", f"{f.windows_code} (0x{f.windows_code:08X})"))
        if f.wsman_fault_code is not None:
            rows.append(("WSMan fault code", str(f.wsman_fault_code)))
        parts.append(_fixes(f.fixes))
        parts.append("<h4>Error</h4>" + _table(rows))
    check = test_wsman(d) if row.final else ""
    if check:
        parts.append(f"<p><b>The same check from a Windows PC:</b><br><code>{escape(check)}</code> &nbsp;"
                     f'<a href="{COPY_CHECK}">Copy</a></p>')
    parts.append(_timeline(d))
    if d.identify is not None:
        i = d.identify
        rows = [
            ("Product vendor", escape(i.product_vendor)),
            ("Product version", escape(i.product_version)),
            ("Protocol version", escape(i.protocol_version)),
            ("Security profiles", escape(", ".join(i.security_profiles)) or "—"),
            ("Authenticated", "yes" if i.authenticated else "no (anonymous Identify)"),
        ]
        parts.append("<h4>Identify</h4>" + _table(rows))
    if d.offered_schemes:
        parts.append(f"<p><b>Offered authentication:</b> {escape(', '.join(d.offered_schemes))}</p>")
    return "".join(parts)


def fix_link(number: int) -> str:
    return f"copy:fix/{number}"


def _fixes(fixes: tuple[Fix, ...]) -> str:
    """The failure's commands, grouped by where they run, each with its purpose and a Copy link."""
    groups = []
    for where in Where:
        items = "".join(
            f"<li><code>{escape(fix.command)}</code> &nbsp;<a href=\"{fix_link(number)}\">Copy</a>"
            + (f"<br><i>{escape(fix.purpose)}</i>" if fix.purpose else "") + "</li>"
            for number, fix in enumerate(fixes) if fix.where is where
        )
        if items:
            groups.append(f"<p><b>{escape(where.value[:1].upper() + where.value[1:])}</b></p><ul>{items}</ul>")
    return "<h4>Fixes and checks</h4>" + "".join(groups) if groups else ""


def _watch_log(row: Row) -> str:
    """The watch's state and its changes, newest first: "down 14:02:11 — up 14:06:40, 4 min 29 s"."""
    watch = row.watch
    assert watch is not None
    changes = "".join(f"<li>{escape(change.describe())} — {escape(change.problem)}</li>"
                      for change in reversed(watch.changes))
    return f"<h4>Watch</h4><p>{escape(watch.summary())}</p>" + (f"<ul>{changes}</ul>" if changes else "")


def _state_symbol(state: State) -> str:
    return {State.OK: "✔", State.UNTESTED: "◐", State.FAILED: "✖", State.CANCELLED: "⊘",
            State.INVALID: "⚠"}.get(state, "…")


def _timeline(d: Diagnosis) -> str:
    cells = ['<tr><th align="left">Stage</th><th align="left">Status</th><th align="right">Time</th>'
             '<th align="left">Detail</th></tr>']
    for stage in d.stages:
        if d.running_stage == stage.name:
            status, timing = "… running", ""
        else:
            status = f"{STAGE_SYMBOLS[stage.status]} {stage.status.value}".strip()
            timing = format_ms(stage.elapsed_ms) if stage.status in (StageStatus.OK, StageStatus.FAILED) else ""
        cells.append(f"<tr><td>{stage.name}</td><td>{escape(status)}</td><td align='right'>{timing}</td>"
                     f"<td>{escape(stage.detail)}</td></tr>")
    total = f"<p>Total: {format_ms(d.elapsed_ms)}</p>" if d.running_stage is None else ""
    return "<h4>Stages</h4><table cellspacing='0' cellpadding='3'>" + "".join(cells) + "</table>" + total


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td><b>{name}</b></td><td>{value}</td></tr>" for name, value in rows)
    return f"<table cellspacing='0' cellpadding='2'>{body}</table>"


class DetailsPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row: Row | None = None
        self.history: History | None = None  # for the "Previously:" line
        self.browser = QTextBrowser(self)
        self.browser.setAccessibleName("Details of the selected result")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._copy_link)
        self.copy_button = QPushButton("Copy for &ticket", self)
        self.copy_button.setToolTip("Copy a plain-text summary (target, stages, verdict, hint) for a ticket. "
                                    "Never includes a password.")
        self.copy_button.setAccessibleName("Copy for ticket")
        self.copy_button.clicked.connect(self.copy_for_ticket)
        self.copied = QLabel("", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.copied, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser, 1)
        layout.addLayout(buttons)
        self.show_row(None)

    def show_row(self, row: Row | None) -> None:
        self._row = row
        self.copied.setText("")
        if row is None:
            self.browser.setHtml("<p>Select a result to see its stages, the error in Windows terms and what "
                                 "to try.</p>")
        else:
            self.refresh()
        self.copy_button.setEnabled(row is not None and row.diagnosis is not None)

    def refresh(self) -> None:
        if self._row is None:
            return
        bar = self.browser.verticalScrollBar()
        position = bar.value()  # a live update must not jump the reader back to the top
        self.browser.setHtml(details_html(self._row, self.history))
        bar.setValue(position)
        self.copy_button.setEnabled(self._row.diagnosis is not None)

    @property
    def row(self) -> Row | None:
        return self._row

    def copyable(self, href: str) -> str:
        """The command a Copy link stands for, in the shown row ("" when it has none)."""
        d = self._row.diagnosis if self._row is not None else None
        if d is None:
            return ""
        if href == COPY_CHECK:
            return test_wsman(d)
        fixes = d.failure.fixes if d.failure is not None else ()
        number = href.removeprefix("copy:fix/")
        return fixes[int(number)].command if number.isdigit() and int(number) < len(fixes) else ""

    def _copy_link(self, url: QUrl) -> None:
        command = self.copyable(url.toString())
        if command:
            QGuiApplication.clipboard().setText(command)
            self.copied.setText(f"Copied: {command}")

    def copy_for_ticket(self) -> None:
        if self._row is None or self._row.diagnosis is None:
            return
        QGuiApplication.clipboard().setText(ticket_text(diagnosis_to_dict(self._row.diagnosis)))
        self.copied.setText("Copied.")

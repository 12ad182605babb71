"""The "Credentials" dialog: saved credentials by name and user (never the password); add, replace, delete.

Everything goes through ``core.credentials.CredentialStore``. Problems are shown inside the dialog, naming the
field to fix, so the dialog stays usable; no password ever reaches a label, a tooltip or an error text.
"""

from __future__ import annotations

from core.credentials import CredentialError, CredentialStore
from gui.messages import BANNER_STYLE, message_label
from gui.qt import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)


def split_user(text: str) -> tuple[str, str | None]:
    """``DOMAIN\\user`` → (user, DOMAIN); ``user@realm`` and bare names stay whole, without a domain."""
    domain, _, name = text.strip().rpartition("\\")
    return name, (domain or None)


def check_account(name: str, user: str, password: str) -> str | None:
    """The first problem with typed credential fields as ``Field: what to do``, or None when they will do."""
    if not name.strip():
        return "Name: enter a name to save the credential under"
    username, _ = split_user(user)
    if not username:
        return "User: enter the user as DOMAIN\\user or user@realm"
    if not password:
        return "Password: enter the password"
    return None


class CredentialDialog(QDialog):
    """Manage the store's credentials. ``changed`` is emitted after every successful save or delete."""

    changed = Signal()

    def __init__(self, store: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.setWindowTitle("Credentials")
        self.resize(520, 420)
        self.banner = message_label(self, "Keyring status", BANNER_STYLE, store.message)
        self.banner.setVisible(not store.persistent)

        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Name", "User"])
        self.table.setAccessibleName("Saved credentials")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.name = QLineEdit(self)
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("e.g. Helpdesk admin")
        self.user = QLineEdit(self)
        self.user.setAccessibleName("User")
        self.user.setPlaceholderText("DOMAIN\\user or user@realm")
        self.password = QLineEdit(self)
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.save_button = QPushButton("&Add", self)
        self.save_button.setToolTip("Save this user and password under the name (replaces a credential of that name)")
        self.delete_button = QPushButton("&Delete…", self)
        self.delete_button.setToolTip("Delete the selected credential from the keyring")
        self.error = message_label(self, "Problem")

        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&User:", self.user)
        form.addRow("&Password:", self.password)
        actions = QHBoxLayout()
        actions.addWidget(self.save_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self.name.textChanged.connect(lambda _: self._update_buttons())
        self.password.returnPressed.connect(self.save)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete_selected)
        self.last_saved: str | None = None
        self.reload()

    # --- list -------------------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return [self._item_text(row, 0) for row in range(self.table.rowCount())]

    def reload(self, select: str | None = None) -> None:
        select = select if select is not None else self.selected_name()
        self.table.setRowCount(0)
        try:
            names = self._store.names()
        except CredentialError as exc:
            self.show_error(str(exc))
            names = []
        for name in names:
            try:
                stored = self._store.get(name)
                account = stored.account if stored is not None else "(not readable)"
            except CredentialError:
                account = "(the keyring could not read it)"
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(account))
            if name == select:
                self.table.selectRow(row)
        self._update_buttons()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self._item_text(rows[0].row(), 0) if rows else None

    def _item_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _selection_changed(self) -> None:
        name = self.selected_name()
        if name is not None:
            # Fill the form for a replace; the password is never read back into a widget.
            self.name.setText(name)
            self.user.setText(self._item_text(self.table.currentRow(), 1))
            self.password.clear()
        self._update_buttons()

    def _update_buttons(self) -> None:
        exists = self.name.text().strip() in self.names()
        self.save_button.setText("&Replace" if exists else "&Add")
        self.delete_button.setEnabled(self.selected_name() is not None)

    # --- actions ----------------------------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self.error.setText(f"⚠ {text}")
        self.error.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def save(self) -> bool:
        """Save the form's credential; on bad input or a keyring error say why, save nothing, keep the form."""
        name, user, password = self.name.text().strip(), self.user.text(), self.password.text()
        problem = check_account(name, user, password)
        if problem is not None:
            self.show_error(problem)
            {"Name": self.name, "User": self.user, "Password": self.password}[problem.split(":")[0]].setFocus()
            return False
        username, domain = split_user(user)
        try:
            self._store.save(name, username, password, domain)
        except ValueError as exc:  # the store's own name rules (control characters, the reserved name)
            self.show_error(f"Name: {exc}")
            self.name.setFocus()
            return False
        except CredentialError as exc:
            self.show_error(str(exc))
            return False
        self.clear_error()
        self.password.clear()
        self.last_saved = name
        self.reload(select=name)
        self.changed.emit()
        return True

    def delete_selected(self) -> bool:
        name = self.selected_name()
        if name is None:
            return False
        answer = QMessageBox.question(
            self, "Delete credential",
            f"Delete the saved credential “{name}”?\n\nTargets that use it will need another credential.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self._store.delete(name)
        except CredentialError as exc:
            self.show_error(str(exc))
            return False
        self.clear_error()
        self.name.clear()
        self.user.clear()
        self.password.clear()
        self.reload(select="")
        self.changed.emit()
        return True

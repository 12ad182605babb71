"""The target bar: what to test and how, turned into ``TestSpec`` objects — or a message naming the bad field."""

from __future__ import annotations

import itertools
import re
import sys

from core import AuthType, TargetError, UserCredentials, parse_target
from core.credentials import CredentialError, CredentialStore
from core.schemes import scheme
from gui.credentialdialog import CredentialDialog, split_user
from gui.messages import message_label
from gui.qt import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.rows import TestSpec
from gui.settings import AUTH_LABELS, TRANSPORTS, Preferences

NO_CREDENTIAL = ""
ENTER_CREDENTIAL = "\x00enter"  # cannot clash with a saved name: those may not contain control characters
CURRENT_USER = "\x00current"  # the logged-on user's own identity: Negotiate and Kerberos without a password
# A domain PC's helpdesk tests as itself, as Test-WSMan -Authentication Default does; elsewhere a password is usual.
DEFAULT_CREDENTIAL = CURRENT_USER if sys.platform == "win32" else ENTER_CREDENTIAL
MANAGE_CREDENTIALS = "\x00manage"
FIELD_NAMES = {"host": "Host", "port": "Port", "transport": "Transport", "url_prefix": "URL path",
               "credential": "Credential", "user": "User", "password": "Password", "name": "Credential name"}
# Several targets may be typed at once; no TARGET form contains a comma, a semicolon or a space.
_SEPARATORS = re.compile(r"[\s,;]+")


class InputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{FIELD_NAMES.get(field, field)}: {message}")
        self.field = field
        self.message = message


class TargetBar(QWidget):
    test_requested = Signal()
    cancel_requested = Signal()
    credentials_changed = Signal()  # saved credentials were added, replaced or deleted

    def __init__(self, credentials: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = credentials
        self.host = QLineEdit(self)
        self.host.setPlaceholderText("host, host:port, [v6]:port or https://host:5986/wsman — several allowed")
        self.host.setToolTip("The machine(s) to test. Separate several with spaces or commas. Enter starts the test.")
        self.host.setAccessibleName("Host")
        self.host.setClearButtonEnabled(True)
        self.transport = QComboBox(self)
        self.transport.addItems(list(TRANSPORTS))
        self.transport.setToolTip("http (port 5985) or https (port 5986), unless the target says otherwise")
        self.transport.setAccessibleName("Transport")
        self.auth = QComboBox(self)
        for auth, label in AUTH_LABELS.items():
            self.auth.addItem(label, auth.value)
        self.auth.setToolTip("How to authenticate in the auth stage; None stops after the anonymous Identify")
        self.auth.setAccessibleName("Authentication")
        self.credential = QComboBox(self)
        self.credential.setToolTip("A credential saved in the system keyring, or a user name and password typed here")
        self.credential.setAccessibleName("Credential")
        self.user = QLineEdit(self)
        self.user.setPlaceholderText("DOMAIN\\user or user@realm")
        self.user.setAccessibleName("User")
        self.user.setToolTip("The user to authenticate as; empty: every stage but authentication is tested")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.password.setAccessibleName("Password")
        self.password.setToolTip("Kept in memory for this session only; never saved, logged or copied")
        self.save_credential_button = QToolButton(self)
        self.save_credential_button.setText("Save as…")
        self.save_credential_button.setAccessibleName("Save credential as")
        where = "in the system keyring" if credentials.persistent else "for this session (no system keyring)"
        self.save_credential_button.setToolTip(f"Save this user and password under a name {where}, "
                                               "so it can be picked from the list next time")
        self.test_button = QPushButton("&Test", self)
        self.test_button.setToolTip("Test the target(s) (Enter)")
        self.test_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Cancel the selected running tests, or all of them when none is selected (Esc)")
        self.message = message_label(self, "Input problem")

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        host_label = QLabel("&Host:", self)
        host_label.setBuddy(self.host)
        row.addWidget(host_label)
        row.addWidget(self.host, 3)
        for widget in (self.transport, self.auth, self.credential, self.user, self.password,
                       self.save_credential_button, self.test_button, self.cancel_button):
            row.addWidget(widget, 1 if widget in (self.user, self.password) else 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        # Tab goes left to right, as the eye does.
        order = [self.host, self.transport, self.auth, self.credential, self.user, self.password,
                 self.save_credential_button, self.test_button, self.cancel_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.host.returnPressed.connect(self.test_requested)
        self.user.returnPressed.connect(self.test_requested)
        self.password.returnPressed.connect(self.test_requested)
        self.test_button.clicked.connect(self.test_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.credential.currentIndexChanged.connect(self._credential_changed)
        self.save_credential_button.clicked.connect(lambda: self.save_typed_credential())
        self.host.textEdited.connect(lambda _: self.clear_message())
        self._choice: object = DEFAULT_CREDENTIAL  # the last real choice, kept across reloads and "Manage…"
        self.reload_credentials()

    def apply_preferences(self, preferences: Preferences) -> None:
        self.transport.setCurrentText(preferences.transport)
        self.auth.setCurrentIndex(max(0, self.auth.findData(preferences.auth)))

    def reload_credentials(self, select: str | None = None) -> None:
        """Re-read the saved names; keep the current choice (or pick ``select``) when it still exists."""
        current = select if select is not None else self._choice
        self.credential.blockSignals(True)
        self.credential.clear()
        self.credential.addItem("No credential", NO_CREDENTIAL)
        self.credential.addItem("Current user (single sign-on)", CURRENT_USER)
        self.credential.setItemData(1, "Negotiate and Kerberos as the logged-on user: Windows' own logon, or the "
                                       "Kerberos ticket from kinit on Linux and macOS; no password is sent",
                                    Qt.ItemDataRole.ToolTipRole)
        self.credential.addItem("Enter user/password…", ENTER_CREDENTIAL)
        try:
            names = self._store.names()
        except CredentialError as exc:
            names = []
            self.credential.setToolTip(str(exc))
        for name in names:
            self.credential.addItem(name, name)
        self.credential.addItem("Manage credentials…", MANAGE_CREDENTIALS)
        index = self.credential.findData(current)
        self.credential.setCurrentIndex(index if index >= 0 else self.credential.findData(ENTER_CREDENTIAL))
        self.credential.blockSignals(False)
        self._credential_changed()

    def _credential_changed(self) -> None:
        choice = self.credential.currentData()
        if choice == MANAGE_CREDENTIALS:
            # Not a choice: go back to the previous one and open the dialog once the combo's popup has closed.
            self.credential.blockSignals(True)
            previous = self.credential.findData(self._choice)
            self.credential.setCurrentIndex(previous if previous >= 0 else self.credential.findData(ENTER_CREDENTIAL))
            self.credential.blockSignals(False)
            QTimer.singleShot(0, self.manage_credentials)
            return
        self._choice = choice
        typed = choice == ENTER_CREDENTIAL
        self.user.setVisible(typed)
        self.password.setVisible(typed)
        self.save_credential_button.setVisible(typed)

    def manage_credentials(self) -> None:
        """Open the Credentials dialog; afterwards the list is re-read, keeping the choice if it still exists."""
        dialog = CredentialDialog(self._store, self)
        changed: list[bool] = []
        dialog.changed.connect(lambda: changed.append(True))
        dialog.exec()
        dialog.deleteLater()
        self.reload_credentials()
        if changed:
            self.credentials_changed.emit()

    def save_typed_credential(self, name: str | None = None) -> str | None:
        """Save the typed user and password under a name (asked for when not given) and select it.

        Returns the saved name, or None when the user cancelled or something was wrong (then said in the bar).
        """
        user = self.user.text().strip()
        if not split_user(user)[0]:
            self.show_error(InputError("user", "enter the user to save, as DOMAIN\\user or user@realm"))
            return None
        if not self.password.text():
            self.show_error(InputError("password", "enter the password to save"))
            return None
        if name is None:
            text, ok = QInputDialog.getText(self, "Save credential", f"Save {user} under the name:", text=user)
            if not ok:
                return None
            name = text
        name = name.strip()
        try:
            exists = name in self._store.names()
        except CredentialError as exc:
            self.show_error(InputError("credential", str(exc)))
            return None
        if exists and QMessageBox.question(
            self, "Replace credential", f"A credential called “{name}” exists already. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        ) != QMessageBox.StandardButton.Yes:  # fmt: skip
            return None
        username, domain = split_user(user)
        try:
            self._store.save(name, username, self.password.text(), domain)
        except ValueError as exc:
            self.show_error(InputError("name", str(exc)))
            return None
        except CredentialError as exc:
            self.show_error(InputError("credential", str(exc)))
            return None
        self.clear_message()
        # The keyring holds it now: the typed copy is not needed any more.
        self.password.clear()
        self.reload_credentials(select=name)
        self.credentials_changed.emit()
        return name

    # --- input → specs ----------------------------------------------------------------------------------------

    def show_error(self, error: InputError) -> None:
        self.message.setText(f"⚠ {FIELD_NAMES.get(error.field, error.field)}: {error.message}")
        self.message.show()
        field = {"credential": self.credential, "user": self.user, "password": self.password,
                 "transport": self.transport, "name": self.save_credential_button}.get(error.field, self.host)
        field.setFocus()

    def clear_message(self) -> None:
        self.message.clear()
        self.message.hide()

    def specs(self, preferences: Preferences) -> list[TestSpec]:
        """The targets typed, ready to test; raises InputError naming the field to fix. Changes nothing."""
        texts = [t for t in _SEPARATORS.split(self.host.text()) if t]
        if not texts:
            raise InputError("host", "enter a host name or address")
        endpoints = []
        for text in texts:
            try:
                endpoints.append(parse_target(text, transport=self.transport.currentText()))
            except TargetError as exc:
                prefix = f"{text!r}: " if len(texts) > 1 else ""
                raise InputError(exc.field, prefix + exc.message) from None
        auth = AuthType(str(self.auth.currentData()))
        credentials = self._credentials(auth)
        specs = []
        for endpoint in endpoints:
            options = preferences.destination_options(endpoint, auth, credentials)
            specs.append(TestSpec(endpoint.url, endpoint.label, options))
        return specs

    def _credentials(self, auth: AuthType) -> UserCredentials | None:
        """The credential to test with; None to test with what there is (every stage but authentication)."""
        if auth is AuthType.NONE:
            return None
        choice = self.credential.currentData()
        if choice == NO_CREDENTIAL:
            return None
        if choice == CURRENT_USER:
            if not scheme(auth).current_identity:
                raise InputError("credential", f"{auth.value} cannot use the current user's logon: choose Negotiate "
                                               "or Kerberos, or enter a user and password")
            return None
        if choice == ENTER_CREDENTIAL:
            user = self.user.text().strip()
            if not user:
                if self.password.text():  # a password for nobody is a slip, not a wish to skip authentication
                    raise InputError("user", "enter the user name this password is for")
                return None
            name, domain = split_user(user)
            return UserCredentials(name, self.password.text(), domain=domain)
        try:
            stored = self._store.get(str(choice))
        except CredentialError as exc:
            raise InputError("credential", str(exc)) from None
        if stored is None:
            raise InputError("credential", f"{choice!r} is no longer in the keyring")
        return UserCredentials(stored.username, stored.password, domain=stored.domain)

"""The target bar: what to test and how, turned into ``TestSpec`` objects — or a message naming the bad field."""

from __future__ import annotations

import itertools
import re

from core import AuthType, DestinationOptions, TargetError, UserCredentials, parse_target
from core.credentials import CredentialError, CredentialStore
from gui.qt import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal
from gui.results_model import TestSpec
from gui.settings import AUTH_LABELS, TRANSPORTS, Preferences

NO_CREDENTIAL = ""
ENTER_CREDENTIAL = "\x00enter"  # cannot clash with a saved name: those may not contain control characters
FIELD_NAMES = {"host": "Host", "port": "Port", "transport": "Transport", "url_prefix": "URL path",
               "credential": "Credential", "user": "User", "password": "Password"}
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
        self.user.setToolTip("The user to authenticate as")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.password.setAccessibleName("Password")
        self.password.setToolTip("Kept in memory for this session only; never saved, logged or copied")
        self.test_button = QPushButton("&Test", self)
        self.test_button.setToolTip("Test the target(s) (Enter)")
        self.test_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Cancel the selected running tests, or all of them when none is selected (Esc)")
        self.message = QLabel("", self)
        self.message.setAccessibleName("Input problem")
        self.message.setStyleSheet("color: #c62828; font-weight: bold;")
        self.message.setWordWrap(True)
        self.message.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        host_label = QLabel("&Host:", self)
        host_label.setBuddy(self.host)
        row.addWidget(host_label)
        row.addWidget(self.host, 3)
        for widget in (self.transport, self.auth, self.credential, self.user, self.password,
                       self.test_button, self.cancel_button):
            row.addWidget(widget, 1 if widget in (self.user, self.password) else 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        # Tab goes left to right, as the eye does.
        order = [self.host, self.transport, self.auth, self.credential, self.user, self.password,
                 self.test_button, self.cancel_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.host.returnPressed.connect(self.test_requested)
        self.user.returnPressed.connect(self.test_requested)
        self.password.returnPressed.connect(self.test_requested)
        self.test_button.clicked.connect(self.test_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.credential.currentIndexChanged.connect(self._credential_changed)
        self.host.textEdited.connect(lambda _: self.clear_message())
        self.reload_credentials()

    def apply_preferences(self, preferences: Preferences) -> None:
        self.transport.setCurrentText(preferences.transport)
        self.auth.setCurrentIndex(max(0, self.auth.findData(preferences.auth)))

    def reload_credentials(self) -> None:
        current = self.credential.currentData()
        self.credential.blockSignals(True)
        self.credential.clear()
        self.credential.addItem("No credential", NO_CREDENTIAL)
        self.credential.addItem("Enter user/password…", ENTER_CREDENTIAL)
        try:
            names = self._store.names()
        except CredentialError as exc:
            names = []
            self.credential.setToolTip(str(exc))
        for name in names:
            self.credential.addItem(name, name)
        index = self.credential.findData(current) if current is not None else -1
        self.credential.setCurrentIndex(index if index >= 0 else 1)
        self.credential.blockSignals(False)
        self._credential_changed()

    def _credential_changed(self) -> None:
        typed = self.credential.currentData() == ENTER_CREDENTIAL
        self.user.setVisible(typed)
        self.password.setVisible(typed)

    # --- input → specs ----------------------------------------------------------------------------------------

    def show_error(self, error: InputError) -> None:
        self.message.setText(f"⚠ {FIELD_NAMES.get(error.field, error.field)}: {error.message}")
        self.message.show()
        field = {"credential": self.credential, "user": self.user, "password": self.password,
                 "transport": self.transport}.get(error.field, self.host)
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
            options = DestinationOptions(
                transport=endpoint.transport,
                port=endpoint.port,
                url_prefix=endpoint.url_prefix,
                auth=auth,
                credentials=credentials,
                cert_ca_check=preferences.ca_check,
                cert_cn_check=preferences.cn_check,
                ca_file=preferences.ca_file or None,
                timeout=preferences.timeout,
            )
            specs.append(TestSpec(endpoint.url, endpoint.label, options))
        return specs

    def _credentials(self, auth: AuthType) -> UserCredentials | None:
        if auth is AuthType.NONE:
            return None
        choice = self.credential.currentData()
        if choice == NO_CREDENTIAL:
            raise InputError("credential", f"{auth.value} authentication needs a credential: pick a saved one "
                                           "or choose “Enter user/password…”")
        if choice == ENTER_CREDENTIAL:
            user = self.user.text().strip()
            if not user:
                raise InputError("user", "enter the user name to authenticate as")
            domain, _, name = user.rpartition("\\")
            return UserCredentials(name, self.password.text(), domain=domain or None)
        try:
            stored = self._store.get(str(choice))
        except CredentialError as exc:
            raise InputError("credential", str(exc)) from None
        if stored is None:
            raise InputError("credential", f"{choice!r} is no longer in the keyring")
        return UserCredentials(stored.username, stored.password, domain=stored.domain)

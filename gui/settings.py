"""Preferences and UI state. ``QSettings`` holds only these and window geometry: never a password.

The settings file lives in ``core.paths.config_dir()`` (so ``TESTCONNECTION_HOME`` and portable builds move it
with everything else) rather than in the registry / ~/.config default.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields, replace
from typing import Any

from core import AuthType, DestinationOptions, Endpoint, UserCredentials
from core.batch import DEFAULT_CONCURRENCY
from core.paths import config_dir
from core.shell import ShellChoiceError, shell_target
from core.targetlist import Settings
from gui.messages import message_label
from gui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSettings,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from gui.shellbox import chosen_shell, shell_box
from gui.theme import THEMES

TRANSPORTS = ("http", "https")
AUTH_LABELS = {
    AuthType.NONE: "None (anonymous Identify only)",
    AuthType.NTLM: "NTLM (Negotiate)",
    AuthType.NEGOTIATE: "Negotiate (Kerberos, else NTLM)",
    AuthType.KERBEROS: "Kerberos",
    AuthType.BASIC: "Basic",
    AuthType.CREDSSP: "CredSSP",
}


def ui_settings() -> QSettings:
    return QSettings(str(config_dir() / "ui.ini"), QSettings.Format.IniFormat)


@dataclass(frozen=True)
class Preferences:
    transport: str = "http"
    # Windows: Negotiate as the logged-on user (the target bar's default credential), as Test-WSMan does by default.
    auth: str = (AuthType.NEGOTIATE if sys.platform == "win32" else AuthType.NTLM).value
    timeout: float = 10.0
    concurrency: int = DEFAULT_CONCURRENCY
    ca_check: bool = True
    cn_check: bool = True
    ca_file: str = ""
    allow_unencrypted: bool = False  # Basic over plain HTTP, as WinRM's AllowUnencrypted: off, as on Windows
    port_look: bool = True  # when the WinRM port does not answer, look whether the host answers on other ports
    session: bool = False  # the session stage: after authentication open a remote shell, then delete it at once
    remote_shell: str = "cmd"  # which: cmd, powershell, a session configuration name or a resource URI
    theme: str = "system"
    notify: bool = True  # a desktop notification when a watched target goes down or comes back
    sound: bool = True  # and a sound

    @classmethod
    def load(cls, settings: QSettings | None = None) -> Preferences:
        settings = settings or ui_settings()
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            default = getattr(defaults, f.name)
            raw = settings.value(f"preferences/{f.name}", default)
            values[f.name] = _coerce(raw, default)
        return defaults.checked(**values)

    def checked(self, **changes: Any) -> Preferences:
        """A copy with ``changes``, where values out of range fall back to the defaults (a hand-edited file)."""
        p = replace(self, **changes)
        d = Preferences()
        return replace(
            p,
            transport=p.transport if p.transport in TRANSPORTS else d.transport,
            auth=p.auth if p.auth in {a.value for a in AUTH_LABELS} else d.auth,
            timeout=p.timeout if 0.5 <= p.timeout <= 600 else d.timeout,
            concurrency=p.concurrency if 1 <= p.concurrency <= 512 else d.concurrency,
            theme=p.theme if p.theme in THEMES else d.theme,
            remote_shell=p.remote_shell if _is_shell(p.remote_shell) else d.remote_shell,
        )

    def destination_options(self, endpoint: Endpoint, auth: AuthType, credentials: UserCredentials | None
                            ) -> DestinationOptions:
        """How to test a typed ``endpoint``: every setting from the preferences. A saved target starts from these
        and takes what its list decided (``ResolvedTarget.options``)."""
        return DestinationOptions(
            transport=endpoint.transport,
            port=endpoint.port,
            url_prefix=endpoint.url_prefix,
            auth=auth,
            credentials=credentials,
            cert_ca_check=self.ca_check,
            cert_cn_check=self.cn_check,
            ca_file=self.ca_file or None,
            timeout=self.timeout,
            allow_unencrypted=self.allow_unencrypted,
            port_look=self.port_look,
            open_shell=self.session,
            remote_shell=self.remote_shell,
        )

    def list_defaults(self) -> Settings:
        """What a saved target gets for the settings neither it nor its folders set: the same as a typed one."""
        return Settings(transport=self.transport, auth=self.auth, ca_check=self.ca_check, cn_check=self.cn_check,
                        allow_unencrypted=self.allow_unencrypted, session=self.session,
                        remote_shell=self.remote_shell)

    def save(self, settings: QSettings | None = None) -> None:
        settings = settings or ui_settings()
        for f in fields(self):
            settings.setValue(f"preferences/{f.name}", getattr(self, f.name))
        settings.sync()


def _is_shell(choice: str) -> bool:
    try:
        shell_target(choice)
    except ShellChoiceError:
        return False
    return True


def _coerce(raw: Any, default: Any) -> Any:
    """INI files give strings back; turn them into the default's type."""
    try:
        if isinstance(default, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        return default


class SettingsDialog(QDialog):
    def __init__(self, preferences: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("TestConnection settings")
        self.transport = QComboBox(self)
        self.transport.addItems(list(TRANSPORTS))
        self.transport.setCurrentText(preferences.transport)
        self.transport.setToolTip("Used when the target does not say http:// or https://")
        self.auth = QComboBox(self)
        for auth, label in AUTH_LABELS.items():
            self.auth.addItem(label, auth.value)
        self.auth.setCurrentIndex(max(0, self.auth.findData(preferences.auth)))
        self.timeout = QDoubleSpinBox(self)
        self.timeout.setRange(0.5, 600)
        self.timeout.setDecimals(1)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(preferences.timeout)
        self.timeout.setToolTip("How long one test may take in total before its running stage times out")
        self.concurrency = QSpinBox(self)
        self.concurrency.setRange(1, 512)
        self.concurrency.setValue(preferences.concurrency)
        self.concurrency.setToolTip("How many targets are tested at the same time")
        self.ca_check = QCheckBox("Check that a trusted CA issued the certificate", self)
        self.ca_check.setChecked(preferences.ca_check)
        self.cn_check = QCheckBox("Check that the certificate names the host", self)
        self.cn_check.setChecked(preferences.cn_check)
        self.ca_file = QLineEdit(preferences.ca_file, self)
        self.ca_file.setPlaceholderText("(the system's trusted CAs)")
        self.ca_file.setToolTip("A PEM file with the CA that issued your WinRM listeners' certificates")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        self.allow_unencrypted = QCheckBox("Allow &unencrypted (Basic over HTTP)", self)
        self.allow_unencrypted.setChecked(preferences.allow_unencrypted)
        self.allow_unencrypted.setToolTip("Send Basic credentials over plain HTTP, as WinRM's AllowUnencrypted: the "
                                          "password travels readably. Off, as on Windows; a saved folder or target "
                                          "may decide otherwise (Edit…)")
        self.port_look = QCheckBox("When the WinRM port does not answer, look at &other ports", self)
        self.port_look.setChecked(preferences.port_look)
        self.port_look.setToolTip("Connect (nothing more) to 445, 135, 3389 and the other WinRM port, within the "
                                  "same timeout, to tell a firewall that drops WinRM on a host that is up from a "
                                  "host that is not there at all")
        self.session = QCheckBox("Open a remote &shell after authentication (then delete it)", self)
        self.session.setChecked(preferences.session)
        self.session.setToolTip("The session stage: as Enter-PSSession or winrs would, open a shell as the user and "
                                "delete it at once, never running a command. Tells why a user who authenticates "
                                "still gets no session. A saved folder or target may decide otherwise (Edit…)")
        self.remote_shell = shell_box(self, preferences.remote_shell)
        self.remote_shell.setEnabled(preferences.session)
        self.session.toggled.connect(self.remote_shell.setEnabled)
        self.message = message_label(self, "Input problem")
        self.notify = QCheckBox("Show a desktop &notification", self)
        self.notify.setChecked(preferences.notify)
        self.notify.setToolTip("When a watched target goes down or comes back (where the desktop shows them)")
        self.sound = QCheckBox("Play a so&und", self)
        self.sound.setChecked(preferences.sound)
        self.sound.setToolTip("When a watched target goes down or comes back")
        self.theme = QComboBox(self)
        for key, label in THEMES.items():
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(preferences.theme)))

        form = QFormLayout()
        form.addRow("Default &transport:", self.transport)
        form.addRow("Default &authentication:", self.auth)
        form.addRow("T&imeout per test:", self.timeout)
        form.addRow("&Concurrent tests:", self.concurrency)
        form.addRow("Certificates:", self.ca_check)
        form.addRow("", self.cn_check)
        ca_label = QLabel("CA &file:", self)  # a row holding a layout gets no buddy by itself
        ca_label.setBuddy(self.ca_file)
        form.addRow(ca_label, ca_row)
        form.addRow("Security:", self.allow_unencrypted)
        form.addRow("No answer:", self.port_look)
        form.addRow("Session:", self.session)
        form.addRow("Remote shel&l:", self.remote_shell)
        form.addRow("Watched target changes:", self.notify)
        form.addRow("", self.sound)
        form.addRow("T&heme:", self.theme)
        for widget, name in ((self.transport, "Default transport"), (self.auth, "Default authentication"),
                             (self.timeout, "Timeout per test in seconds"), (self.concurrency, "Concurrent tests"),
                             (self.ca_file, "CA file"), (self.theme, "Theme")):
            widget.setAccessibleName(name)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._base = preferences

    def accept(self) -> None:
        """A shell name that cannot be asked for keeps the dialog open, saying so."""
        try:
            chosen_shell(self.remote_shell)
        except ShellChoiceError as exc:
            self.message.setText(f"⚠ Remote shell: {exc}")
            self.message.show()
            self.remote_shell.setFocus()
            return
        super().accept()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA file", self.ca_file.text(), "PEM files (*.pem *.crt *.cer);;"
                                              "All files (*)")
        if path:
            self.ca_file.setText(path)

    def preferences(self) -> Preferences:
        return self._base.checked(
            transport=self.transport.currentText(),
            auth=str(self.auth.currentData()),
            timeout=float(self.timeout.value()),
            concurrency=int(self.concurrency.value()),
            ca_check=self.ca_check.isChecked(),
            cn_check=self.cn_check.isChecked(),
            ca_file=self.ca_file.text().strip(),
            allow_unencrypted=self.allow_unencrypted.isChecked(),
            port_look=self.port_look.isChecked(),
            session=self.session.isChecked(),
            remote_shell=chosen_shell(self.remote_shell) or self._base.remote_shell,
            theme=str(self.theme.currentData()),
            notify=self.notify.isChecked(),
            sound=self.sound.isChecked(),
        )

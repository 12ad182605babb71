"""Edit… for a saved target, and Folder defaults… for a folder: the same form, every inheritable setting
offering "inherit (value, from folder X)" so the user sees what the target will get.

Bad input keeps the dialog open with a message naming the field; nothing reaches the list until OK succeeds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.inheritance import inherited
from core.shell import ShellChoiceError
from core.target import TargetError, parse_target
from core.targetlist import AUTH_METHODS, TRANSPORTS, Folder, InvalidField, Settings, Target, TargetList
from gui.listspecs import LIST_FIELD_NAMES
from gui.messages import message_label
from gui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)
from gui.shellbox import chosen_shell, shell_box

# Certificate authentication needs a client certificate, which a list cannot hold: not offered here.
AUTH_CHOICES = tuple(a for a in AUTH_METHODS if a != "certificate")
_ON_OFF = {True: "on", False: "off"}


def folder_chain(root: Folder, folder_id: str) -> tuple[Folder, ...] | None:
    """The folders from the root down to (and including) ``folder_id``."""
    if root.id == folder_id:
        return (root,)
    for sub in root.folders:
        below = folder_chain(sub, folder_id)
        if below is not None:
            return (root, *below)
    return None


#: The pseudo-folder above a list's root that holds the window's preferences (``app_settings_folder``).
APP_SETTINGS = "app settings"


def app_settings_folder(defaults: Settings) -> Folder:
    """The preferences as the outermost "folder" of a chain, as ``TargetList.resolved(defaults)`` applies them."""
    return Folder(APP_SETTINGS, defaults, id=APP_SETTINGS)


def _inherit_text(name: str, chain: tuple[Folder, ...]) -> str:
    value, folder = inherited(name, chain)
    source = None if folder is None else folder.name
    if value is None:
        shown = {"port": "the transport's default port", "credential": "no credential",
                 "spn": "HTTP/<host>"}.get(name, "none")
    elif isinstance(value, bool):
        shown = _ON_OFF[value]
    elif name == "credential":
        shown = repr(value)
    else:
        shown = str(value)
    where = "default" if source is None else "from the app settings" if source == APP_SETTINGS else (
        f"from folder {source!r}")
    return f"inherit ({shown}, {where})" if value is not None else f"inherit ({shown})"


def _without_owner(message: str) -> str:
    # InvalidField says "target 'x': port must…"; the dialog already shows whose settings these are.
    if message.startswith(("target ", "folder ")) and ": " in message:
        return message.split(": ", 1)[1]
    return message


class TargetDialog(QDialog):
    """Edit a target (``target`` given, or a new one in ``chain[-1]``) or a folder (``folder`` given)."""

    def __init__(
        self,
        chain: tuple[Folder, ...],
        credential_names: list[str],
        *,
        target: Target | None = None,
        folder: Folder | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._target = target
        self._folder = folder
        self._chain = chain  # the folders whose defaults apply (for a folder: the ones above it)
        self.result_target: Target | None = None
        self.result_folder: Folder | None = None
        self.setMinimumWidth(460)  # room for "inherit (…, from folder '…')"
        is_folder = folder is not None
        values: Settings | Target = folder.defaults if folder is not None else (target or Target(host="x"))
        if is_folder:
            assert folder is not None
            self.setWindowTitle(f"Folder defaults — {folder.name}")
        else:
            self.setWindowTitle(f"Edit target — {target.label}" if target is not None else "New target")

        self.name = QLineEdit(folder.name if folder is not None else (target.name if target else ""), self)
        self.host = QLineEdit(target.host if target is not None else "", self)
        self.host.setPlaceholderText("host, host:port, [v6]:port or https://host:5986/wsman")
        self.port = QLineEdit("" if values.port is None else str(values.port), self)
        self.port.setPlaceholderText(_inherit_text("port", chain))
        self.port.setToolTip("Empty: " + _inherit_text("port", chain) + ". A port written in the host wins.")
        self.transport = self._combo("transport", TRANSPORTS, values.transport)
        self.auth = self._combo("auth", (*AUTH_CHOICES, *(() if values.auth != "certificate" else ("certificate",))),
                                values.auth)
        names = list(credential_names)
        if values.credential is not None and values.credential not in names:
            names.append(values.credential)  # keep what is set, even if the store does not have it (yet)
        self.credential = self._combo("credential", names, values.credential)
        self.ca_check = self._combo("ca_check", (True, False), values.ca_check)
        self.cn_check = self._combo("cn_check", (True, False), values.cn_check)
        self.allow_unencrypted = self._combo("allow_unencrypted", (True, False), values.allow_unencrypted)
        self.session = self._combo("session", (True, False), values.session)
        self.remote_shell = shell_box(self, values.remote_shell, _inherit_text("remote_shell", chain))
        self.spn = QLineEdit(values.spn or "", self)
        self.spn.setPlaceholderText(_inherit_text("spn", chain))
        self.include_port_in_spn = self._combo("include_port_in_spn", (True, False), values.include_port_in_spn)
        self.notes = QPlainTextEdit(target.notes if target is not None else "", self)
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(70)
        self.message = message_label(self, "Input problem")

        form = QFormLayout()
        form.addRow("&Name:", self.name)
        if not is_folder:
            form.addRow("&Host:", self.host)
        form.addRow("&Port:", self.port)
        form.addRow("&Transport:", self.transport)
        form.addRow("&Authentication:", self.auth)
        form.addRow("&Credential:", self.credential)
        form.addRow("C&A check:", self.ca_check)
        form.addRow("Na&me check:", self.cn_check)
        form.addRow("&Unencrypted:", self.allow_unencrypted)
        form.addRow("&Session:", self.session)
        form.addRow("&Remote shell:", self.remote_shell)
        form.addRow("&Kerberos SPN:", self.spn)
        form.addRow("Port &in SPN:", self.include_port_in_spn)
        if not is_folder:
            form.addRow("N&otes:", self.notes)
        else:  # not in the form: keep them from showing up loose in the corner
            self.host.hide()
            self.notes.hide()
        self.name.setPlaceholderText("folder name" if is_folder else "display name (optional)")
        for widget, accessible in ((self.name, "Name"), (self.host, "Host"), (self.port, "Port"),
                                   (self.transport, "Transport"), (self.auth, "Authentication"),
                                   (self.credential, "Credential"), (self.ca_check, "CA check"),
                                   (self.cn_check, "Name check"), (self.allow_unencrypted, "Allow unencrypted"),
                                   (self.session, "Open a remote shell"), (self.spn, "Kerberos service principal"),
                                   (self.include_port_in_spn, "Include the port in the SPN"), (self.notes, "Notes")):
            widget.setAccessibleName(accessible)
        self.ca_check.setToolTip("Check that a trusted CA issued the HTTPS certificate")
        self.cn_check.setToolTip("Check that the HTTPS certificate names the host")
        self.allow_unencrypted.setToolTip("Allow Basic over plain HTTP (WinRM's AllowUnencrypted): the password "
                                          "travels readably. Off unless a folder or the app settings say otherwise")
        self.session.setToolTip("The session stage: after authentication, open a remote shell as the user and "
                                "delete it at once, as far as Enter-PSSession or winrs would go")
        self.spn.setToolTip("Kerberos and Negotiate: the service principal to ask a ticket for (WSMAN/srv01.corp."
                            "example), or a service class alone (WSMAN) for every target below a folder. Empty: "
                            + _inherit_text("spn", chain))
        self.include_port_in_spn.setToolTip("Kerberos and Negotiate: ask for HTTP/<host>:<port>, as "
                                            "New-PSSessionOption -IncludePortInSPN")
        self.credential.setToolTip("A credential saved in the credential store, by name; the list never holds "
                                   "a password")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.name if is_folder or target is not None else self.host).setFocus()

    def _combo(self, name: str, choices: Any, current: Any) -> QComboBox:
        combo = QComboBox(self)
        combo.addItem(_inherit_text(name, self._chain), None)
        for choice in choices:
            combo.addItem(_ON_OFF[choice] if isinstance(choice, bool) else str(choice), choice)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        return combo

    # --- OK ---------------------------------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        text = self.port.text().strip()
        port: int | None = None
        if text:
            if not text.isdigit() or not 1 <= int(text) <= 65535:
                raise InvalidField("port", f"port must be a number from 1 to 65535 (or empty to inherit), got {text!r}")
            port = int(text)
        try:
            remote_shell = chosen_shell(self.remote_shell)
        except ShellChoiceError as exc:
            raise InvalidField("remote_shell", str(exc)) from None
        # The SPN itself is checked where every list's is: Target and Folder refuse one that is not a principal.
        return {"port": port, "transport": self.transport.currentData(), "auth": self.auth.currentData(),
                "credential": self.credential.currentData(), "ca_check": self.ca_check.currentData(),
                "cn_check": self.cn_check.currentData(), "allow_unencrypted": self.allow_unencrypted.currentData(),
                "session": self.session.currentData(), "remote_shell": remote_shell,
                "spn": self.spn.text().strip() or None,
                "include_port_in_spn": self.include_port_in_spn.currentData()}

    def _build(self) -> None:
        settings = self._settings()
        if self._folder is not None:
            self.result_folder = replace(self._folder, name=self.name.text().strip(), defaults=Settings(**settings))
            return
        base = self._target or Target(host="x")
        target = replace(base, host=self.host.text().strip(), name=self.name.text().strip(),
                         notes=self.notes.toPlainText(), **settings)
        # The full TARGET parser, with the settings this target will really get.
        transport = target.transport or inherited("transport", self._chain)[0]
        port = target.port if target.port is not None else inherited("port", self._chain)[0]
        try:
            parse_target(target.host, transport=transport, port=port)
        except TargetError as exc:
            raise InvalidField(exc.field, exc.message) from None
        self.result_target = target

    def accept(self) -> None:
        try:
            self._build()
        except InvalidField as exc:
            self.show_error(exc.field, _without_owner(str(exc)))
            return
        super().accept()

    def show_error(self, field: str, message: str) -> None:
        label = "Name" if field == "folder" else LIST_FIELD_NAMES.get(field, field)
        self.message.setText(f"⚠ {label}: {message}")
        self.message.show()
        widgets = {"name": self.name, "folder": self.name, "host": self.host, "url_prefix": self.host,
                   "port": self.port, "transport": self.transport, "auth": self.auth,
                   "credential": self.credential, "ca_check": self.ca_check, "cn_check": self.cn_check,
                   "allow_unencrypted": self.allow_unencrypted, "session": self.session,
                   "remote_shell": self.remote_shell, "spn": self.spn, "include_port_in_spn": self.include_port_in_spn}
        widgets.get(field, self.host).setFocus()


def chain_for_new_target(lst: TargetList, folder_id: str) -> tuple[Folder, ...]:
    return folder_chain(lst.root, folder_id) or (lst.root,)

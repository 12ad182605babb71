"""The remote-shell box: which shell the session stage opens — cmd, PowerShell, or a named endpoint typed in.

One box for File → Settings and for the Edit / Folder defaults dialogs, so the choices, their words and the check
of a typed name live in one place (the check itself is core's: ``core.shell.shell_target``).
"""

from __future__ import annotations

from core.shell import shell_target
from gui.qt import QComboBox, Qt, QWidget

#: What the box offers besides typing: (value stored in settings and lists, what the user reads).
SHELLS = (("cmd", "cmd (as winrs)"), ("powershell", "powershell (Microsoft.PowerShell, as Enter-PSSession)"))
_INHERIT = ""  # the "inherit (…)" entry's data: no value of its own
TOOLTIP = ("Which shell the session stage opens, then deletes at once: cmd, the PowerShell endpoint, or type a "
           "session configuration's name (a JEA endpoint) or a shell's resource URI")


def shell_box(parent: QWidget, current: str | None, inherit: str | None = None) -> QComboBox:
    """An editable box holding ``current`` (None: the ``inherit`` entry, given for list settings)."""
    box = QComboBox(parent)
    box.setEditable(True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # a typed name is read from the text, not added
    if inherit is not None:
        box.addItem(inherit, _INHERIT)
    for value, label in SHELLS:
        box.addItem(label, value)
    box.setToolTip(TOOLTIP)
    box.setAccessibleName("Remote shell")
    if current is None:
        box.setCurrentIndex(0)
    else:
        index = box.findData(current)
        if index >= 0:
            box.setCurrentIndex(index)
        else:
            box.setEditText(current)
    line = box.lineEdit()
    assert line is not None  # an editable box has one
    line.setPlaceholderText("cmd, powershell or an endpoint's name")
    return box


def chosen_shell(box: QComboBox) -> str | None:
    """The shell picked or typed; None for "inherit". Raises ``core.shell.ShellChoiceError`` saying what is wrong."""
    text = box.currentText().strip()
    index = box.findText(text, Qt.MatchFlag.MatchExactly)
    if index >= 0:
        value = str(box.itemData(index))
        return None if value == _INHERIT else value
    if not text and box.findData(_INHERIT) >= 0:
        return None  # emptied: inherit, as an empty port does
    shell_target(text)
    return text

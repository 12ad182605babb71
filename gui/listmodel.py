"""The saved list as a tree model: folders and targets, their last result, and what a drag carries.

The model is rebuilt from each new list (a light node per entry: Qt asks only for the rows it paints, so a
10,000-target list shows at once). Renames and drops are only requested here; the panel makes the edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.history import History
from core.inheritance import ResolvedTarget
from core.target import TargetError
from core.targetlist import INHERITED, Folder, Target, TargetList
from gui.colours import state_brush
from gui.messages import plain_tooltip
from gui.qt import (
    QAbstractItemModel,
    QApplication,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QStyle,
    Qt,
    QTimer,
    Signal,
)
from gui.rows import State

AnyIndex = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 20
MIME_IDS = "application/x-testconnection-target-ids"
COLUMNS = ("Name", "Last result", "Host")  # the host is in the tooltip too: last, as the panel is narrow
NAME, LAST, HOST = range(3)


class _Node:
    """One row of the tree: a folder or a target, with its place (parent, row) for QModelIndex."""

    __slots__ = ("children", "count", "folder", "parent", "row", "serial", "target", "url")

    def __init__(self, parent: _Node | None, row: int, folder: Folder | None = None,
                 target: Target | None = None) -> None:
        self.parent = parent
        self.row = row
        self.folder = folder
        self.target = target
        self.children: list[_Node] = []
        self.count = 0  # targets in a folder and its subfolders
        self.url: str | None = None  # a target's endpoint URL (the history key), computed when first shown
        self.serial = 0  # the QModelIndex's internal id (a plain number: Qt keeps no reference to a Python object)

    @property
    def id(self) -> str:
        return self.folder.id if self.folder is not None else self.target.id  # type: ignore[union-attr]


def _build(folder: Folder, parent: _Node | None, row: int, nodes: dict[str, _Node]) -> _Node:
    node = _Node(parent, row, folder=folder)
    nodes[folder.id] = node
    # Subfolders first, then targets, as a file browser shows them.
    for sub in folder.folders:
        child = _build(sub, node, len(node.children), nodes)
        node.children.append(child)
        node.count += child.count
    for target in folder.targets:
        child = _Node(node, len(node.children), target=target)
        nodes[target.id] = child
        node.children.append(child)
    node.count += len(folder.targets)
    return node


def _settings_summary(folder: Folder) -> str:
    d = folder.defaults
    parts = [f"{name}={getattr(d, name)}" for name in INHERITED if getattr(d, name) is not None]
    return ("defaults: " + ", ".join(parts)) if parts else ""


class ListModel(QAbstractItemModel):
    """The list as a tree. The list's root folder is the one top-level row, so its defaults can be edited."""

    rename_requested = Signal(str, str)  # (folder or target id, new name)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.history: History | None = None
        self._top = _Node(None, 0)  # invisible: its one child is the list's root folder
        self._nodes: dict[str, _Node] = {}
        self._serials: list[_Node] = [self._top]
        self._resolved: Mapping[str, ResolvedTarget] = {}
        style = QApplication.style()
        self._folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._target_icon = style.standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)

    def set_list(self, lst: TargetList, resolved: Mapping[str, ResolvedTarget]) -> None:
        """Show ``lst``; ``resolved`` is every target with its settings decided (ListDocument.resolutions)."""
        self.beginResetModel()
        self._nodes = {}
        self._top = _Node(None, 0)
        self._top.children = [_build(lst.root, self._top, 0, self._nodes)]
        self._serials = [self._top, *self._nodes.values()]
        for serial, node in enumerate(self._serials):
            node.serial = serial
        self._resolved = resolved
        self.endResetModel()

    def node(self, index: AnyIndex) -> _Node | None:
        if not index.isValid():
            return None
        serial = index.internalId()
        return self._serials[serial] if 0 < serial < len(self._serials) else None

    def index_of(self, item_id: str, column: int = 0) -> QModelIndex:
        node = self._nodes.get(item_id)
        if node is None:
            return QModelIndex()
        return self.createIndex(node.row, column, node.serial)

    def is_target(self, item_id: str) -> bool:
        node = self._nodes.get(item_id)
        return node is not None and node.target is not None

    def target_ids_below(self, folder_id: str) -> list[str]:
        """Every target in the folder and its subfolders, in tree order."""
        out: list[str] = []

        def walk(node: _Node) -> None:
            for child in node.children:
                if child.target is not None:
                    out.append(child.target.id)
                else:
                    walk(child)

        node = self._nodes.get(folder_id)
        if node is not None:
            walk(node)
        return out

    def history_key(self, node: _Node) -> str | None:
        if node.target is None:
            return None
        if node.url is None:
            try:
                node.url = self._resolved[node.target.id].endpoint().url
            except TargetError:
                node.url = ""
        return node.url or None

    # --- Qt model ---------------------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        holder = self.node(parent) or self._top
        if not 0 <= row < len(holder.children) or not 0 <= column < len(COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column, holder.children[row].serial)

    def parent(self, child: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self.node(child)
        if node is None or node.parent is None or node.parent is self._top:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent.serial)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid() and parent.column() != 0:
            return 0
        return len((self.node(parent) or self._top).children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return len(COLUMNS)

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        node = self.node(index)
        if node is None:
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsEditable
        if node.target is not None:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        else:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(node, column, edit=role == Qt.ItemDataRole.EditRole)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self._text(node, column)
            return f"folder {text}" if column == 0 and node.folder is not None else text
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return self._folder_icon if node.folder is not None else self._target_icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self._tooltip(node))
        if role == Qt.ItemDataRole.ForegroundRole and column == LAST and node.target is not None:
            entry = self._last(node)
            if entry is not None:
                return state_brush(State.OK if entry.ok else State.FAILED)
        if role == ID_ROLE:
            return node.id
        return None

    def _last(self, node: _Node) -> Any:
        key = self.history_key(node)
        return self.history.last(key) if self.history is not None and key else None

    def _text(self, node: _Node, column: int, edit: bool = False) -> str:
        if node.folder is not None:
            if column == NAME:
                return node.folder.name
            if column == HOST:
                return _settings_summary(node.folder)
            return f"{node.count} target{'s' if node.count != 1 else ''}"
        target = node.target
        assert target is not None
        if column == NAME:
            return target.name if edit else target.label
        if column == HOST:
            return target.host
        key = self.history_key(node)
        if not key:
            return "invalid host"
        return self.history.describe_last(key) if self.history is not None else ""

    def _tooltip(self, node: _Node) -> str:
        if node.folder is not None:
            return f"Folder {node.folder.name!r}: {node.count} targets. {_settings_summary(node.folder)}".strip()
        assert node.target is not None
        r = self._resolved.get(node.target.id)
        lines = [node.target.label, self.history_key(node) or "(the host cannot be parsed)"]
        if r is not None:
            lines.append(f"{r.auth} authentication" + (f" as {r.credential!r}" if r.credential else ""))
        if node.target.notes:
            lines.append(node.target.notes)
        return "\n".join(lines)

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        node = self.node(index)
        if node is None or role != Qt.ItemDataRole.EditRole or index.column() != 0:
            return False
        # Applied after the editor has closed: the edit rebuilds this model.
        item_id, text = node.id, str(value)
        QTimer.singleShot(0, lambda: self.rename_requested.emit(item_id, text))
        return True

    # --- drag and drop: the view does the move (ListTree.dropEvent); the model only says what is dragged ------

    def mimeTypes(self) -> list[str]:
        return [MIME_IDS]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = []
        for index in indexes:
            node = self.node(index)
            if index.column() == 0 and node is not None and node.target is not None:
                ids.append(node.target.id)
        mime = QMimeData()
        mime.setData(MIME_IDS, "\n".join(ids).encode("ascii"))
        return mime

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        # Copy too, only so that ListTree.dropEvent may answer "copy": see there.
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

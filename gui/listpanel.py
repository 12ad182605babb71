"""The Targets panel: the saved list as a tree of folders and targets, edited in place and saved at once.

The list itself is immutable (core.targetlist); every edit makes a new one, the tree model is rebuilt from it
(a light node per entry: Qt asks only for the rows it paints, so a 10,000-target list shows at once) and the
file is written atomically with the previous version kept as ``.bak``. A file that could not be read is never
written over: the panel says so and offers Save list as….
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

from core.atomicfile import atomic_write_bytes
from core.credentials import CredentialError, CredentialStore
from core.history import History
from core.importers import ImportResult, export_list_csv, import_csv, import_text
from core.paths import lists_dir
from core.target import TargetError
from core.targetlist import (
    INHERITED,
    Folder,
    InvalidField,
    ListFileError,
    ResolvedTarget,
    Settings,
    Target,
    TargetList,
    list_to_json,
    load_list,
    save_list,
)
from gui.listspecs import SpecProblem
from gui.messages import BANNER_STYLE, message_label
from gui.qt import (
    QAbstractItemModel,
    QAbstractItemView,
    QAction,
    QApplication,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QItemSelectionModel,
    QKeySequence,
    QLabel,
    QMenu,
    QMessageBox,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPushButton,
    QStyle,
    Qt,
    QTimer,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.results_model import STATE_BRUSHES, State, plain_tooltip
from gui.targetdialog import TargetDialog, app_settings_folder, folder_chain

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 20
MIME_IDS = "application/x-testconnection-target-ids"
COLUMNS = ("Name", "Last result", "Host")  # the host is in the tooltip too: last, as the panel is narrow
NAME, LAST, HOST = range(3)
DEMO_LIST_NAME = "Demo (local lab)"


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
        self._resolved: dict[str, ResolvedTarget] = {}
        style = QApplication.style()
        self._folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._target_icon = style.standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)

    def set_list(self, lst: TargetList, defaults: Settings = Settings()) -> None:  # noqa: B008 - frozen
        self.beginResetModel()
        self._nodes = {}
        self._top = _Node(None, 0)
        self._top.children = [_build(lst.root, self._top, 0, self._nodes)]
        self._serials = [self._top, *self._nodes.values()]
        for serial, node in enumerate(self._serials):
            node.serial = serial
        # One pass over the list, so testing a folder of thousands does not search the tree per target.
        self._resolved = {r.target.id: r for r in lst.resolved(defaults)}
        self.endResetModel()

    def resolved(self, target_id: str) -> ResolvedTarget:
        return self._resolved[target_id]

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
                return STATE_BRUSHES.get(State.OK if entry.ok else State.FAILED)
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


class ListTree(QTreeView):
    """The tree; a drop of targets asks the panel to move them into the folder under the mouse."""

    move_requested = Signal(object, str)  # (target ids, folder id)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(MIME_IDS):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        super().dragMoveEvent(event)  # drop indicator and auto-scroll
        if event.mimeData().hasFormat(MIME_IDS):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(MIME_IDS):
            event.ignore()
            return
        model = self.model()
        assert isinstance(model, ListModel)
        node = model.node(self.indexAt(event.position().toPoint()))
        if node is None:
            folder_id = model.node(model.index(0, 0)).id  # type: ignore[union-attr]  # below the rows: the top
        else:
            folder_node = node if node.folder is not None else node.parent
            assert folder_node is not None
            folder_id = folder_node.id
        ids = bytes(event.mimeData().data(MIME_IDS).data()).decode("ascii").split()
        # Copy, not Move: the view would otherwise try to remove the dragged rows itself after the drop.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
        QTimer.singleShot(0, lambda: self.move_requested.emit(ids, folder_id))


class ListPanel(QWidget):
    """The Targets panel. ``test_requested`` carries the ResolvedTargets to test."""

    test_requested = Signal(object)

    def __init__(self, credentials: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = credentials
        self.target_list = TargetList()
        # What the window's preferences say for the settings no folder sets (transport, auth, checks).
        self.app_defaults = Settings()
        self.path: Path | None = None
        self.autosave = False  # False: edits stay in memory (demo, or a file that could not be read)
        self.last_report = ""  # the text of the last import/open report, for tests and the log

        self.title = QLabel("", self)
        self.title.setAccessibleName("Target list")
        self.title.setWordWrap(True)
        self.banner = message_label(self, "List file problem", BANNER_STYLE)
        self.banner_button = QPushButton("Save list as…", self)
        self.banner_button.setToolTip("Save this list to another file; edits are then saved there")
        self.banner_button.clicked.connect(lambda: self.save_as())
        self.problems = message_label(self, "Targets not tested", "color: #c62828;")

        self.model = ListModel(self)
        self.model.rename_requested.connect(self.rename)
        self.tree = ListTree(self)
        self.tree.setModel(self.model)
        self.tree.setAccessibleName("Saved targets")
        self.tree.setToolTip("Saved targets. Enter or double-click tests the selection; F2 renames; drag targets "
                             "onto a folder to move them.")
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tree.setUniformRowHeights(True)  # lets the view skip measuring every row of a big list
        self.tree.setDragEnabled(True)
        self.tree.setAcceptDrops(True)
        self.tree.setDropIndicatorShown(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(NAME, 195)  # room for two folder levels of indent and a typical server name
        header.resizeSection(LAST, 175)  # "last failed (wsman) 3 h ago"
        self.tree.doubleClicked.connect(lambda _: self.test_selected())
        self._expanded: set[str] = set()  # folder ids, kept across the model resets of each edit
        # A repaint asks the model again for the visible rows only; a 1,000-target run repaints once a second.
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(1000)
        self._repaint.timeout.connect(self.tree.viewport().update)
        self.tree.expanded.connect(lambda index: self._on_expanded(index, True))
        self.tree.collapsed.connect(lambda index: self._on_expanded(index, False))
        self.tree.move_requested.connect(self.move_targets)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)

        sp = QStyle.StandardPixmap
        # Shortcuts act while the tree has the focus (not in the rename editor, not elsewhere in the window).
        self.act_test_selected = self._act("Test selected", self.test_selected, "Test the selected targets and "
                                           "folders (Enter, double-click)", ["Return", "Enter"], sp.SP_MediaPlay)
        self.act_test_folder = self._act("Test folder", self.test_folder, "Test every target in the selected "
                                         "folder (or the folder of the selected target)")
        self.act_test_list = self._act("Test list", self.test_list, "Test every target in the list")
        self.act_new_target = self._act("New target…", self.new_target, "Add a target to the selected folder (Ins)",
                                        ["Ins"], sp.SP_FileIcon)
        self.act_new_folder = self._act("New folder…", self.new_folder, "Add a folder inside the selected folder "
                                        "(Ctrl+Shift+N)", ["Ctrl+Shift+N"], sp.SP_FileDialogNewFolder)
        self.act_edit = self._act("Edit…", self.edit_current, "Edit the selected target, or the selected folder's "
                                  "defaults (Alt+Enter)", ["Alt+Return", "Alt+Enter"], sp.SP_FileDialogDetailedView)
        self.act_defaults = self._act("Folder defaults…", self.edit_folder_defaults, "The settings the targets in "
                                      "this folder inherit")
        self.act_rename = self._act("Rename", self.rename_current, "Rename the selected folder or target (F2)")
        self.act_duplicate = self._act("Duplicate", self.duplicate_selected, "Copy the selected targets and "
                                       "folders (Ctrl+D)", ["Ctrl+D"], sp.SP_FileLinkIcon)
        self.act_delete = self._act("Delete", self.delete_selected, "Delete the selected targets and folders (Del)",
                                    ["Del"], sp.SP_TrashIcon)
        self.act_rename.setShortcut(QKeySequence("F2"))  # shown in menus; F2 itself is the view's edit key
        self.act_rename.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        for action in (self.act_test_selected, self.act_new_target, self.act_new_folder, self.act_edit,
                       self.act_duplicate, self.act_delete):
            self.tree.addAction(action)

        test_row = QHBoxLayout()
        # Alt+E / Alt+O / Alt+S: letters no other control of the window uses.
        self.test_selected_button = self._button("Test sel&ected", self.act_test_selected)
        self.test_folder_button = self._button("Test f&older", self.act_test_folder)
        self.test_list_button = self._button("Test li&st", self.act_test_list)
        for button in (self.test_selected_button, self.test_folder_button, self.test_list_button):
            test_row.addWidget(button)
        tools = QToolBar("List", self)
        tools.setAccessibleName("List tools")
        for action in (self.act_new_folder, self.act_new_target, self.act_edit, self.act_duplicate, self.act_delete):
            tools.addAction(action)
        for action in tools.actions():
            action.setIconVisibleInMenu(False)

        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.banner_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(banner_row)
        layout.addWidget(tools)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.problems)
        layout.addLayout(test_row)
        self.problems.hide()
        self._set_banner("")
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._update_actions())
        self._show(self.target_list)

    def _act(self, text: str, slot: Callable[[], Any], tip: str, keys: Sequence[str] = (),
             pixmap: QStyle.StandardPixmap | None = None) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if pixmap is not None:
            action.setIcon(self.style().standardIcon(pixmap))
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda *_: slot())
        return action

    def _button(self, text: str, action: QAction) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(action.toolTip())
        button.setAccessibleName(action.text())
        button.clicked.connect(action.trigger)
        return button

    # --- the list and its file -----------------------------------------------------------------------------

    def load(self, path: Path) -> None:
        """Show the list saved at ``path`` (an empty one if there is none yet) and save edits there. A file that
        cannot be read is left alone: the panel starts an empty list in memory and says so."""
        path = Path(path)
        if not path.exists():
            self._set_list(TargetList(), path, autosave=True)
            return
        try:
            lst = load_list(path)
        except ListFileError as exc:
            log.warning("list file %s not loaded: %s", path, exc.message)
            self._set_list(TargetList(), path, autosave=False)
            self._set_banner(f"{exc.message} An empty list is shown; changes are kept in memory only until you "
                             "use Save list as….", offer_save_as=True)
            return
        self._set_list(lst, path, autosave=True)
        if lst.load_warnings:
            self._set_banner(" ".join(lst.load_warnings))

    def show_in_memory(self, lst: TargetList, why: str) -> None:
        """Show a list that is never written to disk (the demo's)."""
        self._set_list(lst, None, autosave=False)
        self._set_banner(why)

    def _set_list(self, lst: TargetList, path: Path | None, autosave: bool) -> None:
        self.path, self.autosave = path, autosave
        self._expanded.clear()
        self._set_banner("")
        self.show_problems([])
        self._show(lst, expand=[lst.root.id])
        self._update_title()

    def _update_title(self) -> None:
        # Names come from files: escaped, so a list called "<h1>…" is shown as typed, not as markup.
        if self.path is None:
            text = f"<b>{escape(self.target_list.name)}</b> — in memory only, not saved"
        elif not self.autosave:
            text = f"<b>{escape(self.path.name)}</b> — not saved (see below)"
        else:
            text = f"<b>{escape(self.path.name)}</b> — saved automatically"
        self.title.setText(text)
        self.title.setToolTip(str(self.path) if self.path is not None else "")

    def _set_banner(self, text: str, offer_save_as: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.banner_button.setVisible(offer_save_as)

    def commit(self, lst: TargetList, select: Iterable[str] = (), expand: Iterable[str] = ()) -> None:
        """Make ``lst`` the current list, show it, and save it now (atomically, keeping ``.bak``)."""
        self._show(lst, select, expand)
        if not self.autosave or self.path is None:
            return
        try:
            save_list(lst, self.path)
        except ListFileError as exc:
            self.autosave = False
            self._set_banner(exc.message + " Use Save list as… to keep your changes.", offer_save_as=True)
            self._update_title()
        except OSError as exc:
            self._set_banner(f"{self.path.name} could not be saved: {exc.strerror or exc}. Your changes are kept "
                             "in memory; try again or use Save list as….", offer_save_as=True)
        else:
            if self.banner_button.isVisible():
                self._set_banner("")

    def _show(self, lst: TargetList, select: Iterable[str] = (), expand: Iterable[str] = ()) -> None:
        select = list(select)
        keep_selected = select or self.selected_ids()
        current = None if select else self.current_id()
        self.target_list = lst
        self.model.set_list(lst, self.app_defaults)
        # The reset forgot which folders were open; the ids say where they are now.
        self._expanded.update(expand)
        for item_id in list(self._expanded):
            index = self.model.index_of(item_id)
            if index.isValid():
                self.tree.setExpanded(index, True)
            else:
                self._expanded.discard(item_id)
        self._select(keep_selected, current)
        self._update_actions()

    def _on_expanded(self, index: QModelIndex, expanded: bool) -> None:
        node = self.model.node(index)
        if node is not None and node.folder is not None:  # expandAll reports every target too
            (self._expanded.add if expanded else self._expanded.discard)(node.id)

    def history_changed(self) -> None:
        """New results arrived: repaint the "Last result" column soon (once, however many results came)."""
        if not self._repaint.isActive():
            self._repaint.start()

    def _select(self, ids: Sequence[str], current: str | None = None) -> None:
        selection = self.tree.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        first = None
        for item_id in ids:
            index = self.model.index_of(item_id)
            if index.isValid():
                self._reveal(index)
                selection.select(index, flags)
                first = first or index
        target = self.model.index_of(current) if current else first
        if target is not None and target.isValid():
            selection.setCurrentIndex(target, QItemSelectionModel.SelectionFlag.NoUpdate)

    def _reveal(self, index: QModelIndex) -> None:
        parent = index.parent()
        while parent.isValid():
            self.tree.setExpanded(parent, True)
            parent = parent.parent()

    # --- what is selected -------------------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        rows = self.tree.selectionModel().selectedRows(0)
        return [str(index.data(ID_ROLE)) for index in rows]

    def current_id(self) -> str | None:
        index = self.tree.selectionModel().currentIndex()
        return str(index.data(ID_ROLE)) if index.isValid() else None

    def select(self, ids: Sequence[str]) -> None:
        self._select(ids)

    def _current_folder(self) -> Folder:
        """The selected folder, or the folder of the selected target, or the top folder."""
        item_id = self.current_id()
        lst = self.target_list
        if item_id is not None:
            folder = lst.find_folder(item_id)
            if folder is not None:
                return folder
            chain = lst.folder_chain(item_id)
            if chain is not None:
                return chain[-1]
        return lst.root

    def _update_actions(self) -> None:
        ids = self.selected_ids()
        has = bool(ids)
        current = self.current_id()
        deletable = any(i != self.target_list.root.id for i in ids)
        for action in (self.act_test_selected, self.act_duplicate):
            action.setEnabled(has if action is self.act_test_selected else deletable)
        self.act_delete.setEnabled(deletable)
        self.act_edit.setEnabled(current is not None)
        self.act_rename.setEnabled(current is not None)
        self.test_selected_button.setEnabled(has)

    # --- testing ----------------------------------------------------------------------------------------------

    def _resolved(self, target_ids: Iterable[str]) -> list[ResolvedTarget]:
        seen: set[str] = set()
        out = []
        for target_id in target_ids:
            if target_id not in seen:
                seen.add(target_id)
                out.append(self.model.resolved(target_id))
        return out

    def selected_targets(self) -> list[ResolvedTarget]:
        ids: list[str] = []
        for item_id in self.selected_ids():
            if self.model.is_target(item_id):
                ids.append(item_id)
            else:
                ids.extend(self.model.target_ids_below(item_id))
        return self._resolved(ids)

    def test_selected(self) -> None:
        self._request(self.selected_targets())

    def test_folder(self) -> None:
        self._request(self._resolved(self.model.target_ids_below(self._current_folder().id)))

    def test_list(self) -> None:
        self._request(self._resolved(self.model.target_ids_below(self.target_list.root.id)))

    def _request(self, targets: list[ResolvedTarget]) -> None:
        if targets:
            self.test_requested.emit(targets)

    def show_problems(self, problems: Sequence[SpecProblem]) -> None:
        """Say which targets were not tested and why (the others run)."""
        if not problems:
            self.problems.hide()
            self.problems.clear()
            return
        shown = [str(p) for p in problems[:8]]
        more = len(problems) - len(shown)
        head = f"⚠ {len(problems)} target{'s' if len(problems) != 1 else ''} not tested:"
        self.problems.setText("\n".join([head, *shown, *([f"… and {more} more"] if more else [])]))
        self.problems.setToolTip("\n".join(str(p) for p in problems[:200]))
        self.problems.show()

    # --- editing ----------------------------------------------------------------------------------------------

    def set_app_defaults(self, defaults: Settings) -> None:
        """New preferences: the settings the list leaves open are resolved again (and shown so in Edit…)."""
        if defaults != self.app_defaults:
            self.app_defaults = defaults
            self._show(self.target_list)

    def _with_app(self, chain: tuple[Folder, ...]) -> tuple[Folder, ...]:
        return (app_settings_folder(self.app_defaults), *chain)

    def _credential_names(self) -> list[str]:
        try:
            return self._store.names()
        except CredentialError:
            return []

    def new_folder(self, name: str | None = None) -> Folder | None:
        parent = self._current_folder()
        if name is None:
            name, ok = QInputDialog.getText(self, "New folder", f"Name of the new folder in {parent.name!r}:")
            if not ok:
                return None
        try:
            lst, folder = self.target_list.add_folder(parent.id, name.strip())
        except InvalidField as exc:
            self._error("New folder", str(exc))
            return None
        self.commit(lst, select=[folder.id], expand=[parent.id])
        return folder

    def new_target(self) -> Target | None:
        folder = self._current_folder()
        chain = folder_chain(self.target_list.root, folder.id) or (self.target_list.root,)
        dialog = TargetDialog(self._with_app(chain), self._credential_names(), parent=self)
        if not dialog.exec() or dialog.result_target is None:
            return None
        target = dialog.result_target
        self.commit(self.target_list.add_target(folder.id, target), select=[target.id], expand=[folder.id])
        return target

    def edit_current(self) -> None:
        item_id = self.current_id()
        if item_id is None:
            return
        target = self.target_list.find_target(item_id)
        if target is None:
            self.edit_folder_defaults()
            return
        chain = self.target_list.folder_chain(item_id) or (self.target_list.root,)
        dialog = TargetDialog(self._with_app(chain), self._credential_names(), target=target, parent=self)
        if dialog.exec() and dialog.result_target is not None:
            self.commit(self.target_list.replace_target(dialog.result_target), select=[item_id])

    def edit_folder_defaults(self) -> None:
        folder = self._current_folder()
        chain = folder_chain(self.target_list.root, folder.id) or (folder,)
        dialog = TargetDialog(self._with_app(chain[:-1]), self._credential_names(), folder=folder, parent=self)
        if dialog.exec() and dialog.result_folder is not None:
            edited = dialog.result_folder
            lst = self.target_list.set_folder_defaults(folder.id, edited.defaults)
            lst = self._renamed(lst, folder.id, edited.name)
            self.commit(lst, select=[folder.id])

    def rename_current(self) -> None:
        index = self.tree.selectionModel().currentIndex()
        if index.isValid():
            self.tree.edit(index.siblingAtColumn(0))

    def _renamed(self, lst: TargetList, item_id: str, name: str) -> TargetList:
        if lst.find_folder(item_id) is not None:
            lst = lst.rename_folder(item_id, name)
            return replace(lst, name=name) if item_id == lst.root.id else lst
        target = lst.find_target(item_id)
        if target is None:
            raise KeyError(item_id)
        # Naming a target after its host is the same as leaving the name empty: the host is shown.
        return lst.replace_target(replace(target, name="" if name == target.host else name))

    def rename(self, item_id: str, name: str) -> None:
        try:
            lst = self._renamed(self.target_list, item_id, name.strip())
        except InvalidField as exc:
            self._error("Rename", str(exc))
            return
        except KeyError:
            return  # deleted meanwhile
        self.commit(lst, select=[item_id])

    def duplicate_selected(self) -> None:
        lst = self.target_list
        copies = []
        for item_id in self.selected_ids():
            if item_id == lst.root.id:
                continue
            if lst.find_folder(item_id) is not None:
                lst, folder = lst.duplicate_folder(item_id)
                copies.append(folder.id)
            elif lst.find_target(item_id) is not None:
                lst, target = lst.duplicate_target(item_id)
                copies.append(target.id)
        if copies:
            self.commit(lst, select=copies)

    def delete_selected(self) -> None:
        lst = self.target_list
        ids = [i for i in self.selected_ids() if i != lst.root.id]
        folders = [f for f in (lst.find_folder(i) for i in ids) if f is not None]
        full = [f for f in folders if f.targets or f.folders]
        if full:
            count = sum(len(self.model.target_ids_below(f.id)) for f in full)
            names = ", ".join(repr(f.name) for f in full[:3]) + (" …" if len(full) > 3 else "")
            answer = QMessageBox.question(
                self, "Delete folder",
                f"Delete {names} with the {count} target{'s' if count != 1 else ''} and folders in "
                f"{'it' if len(full) == 1 else 'them'}?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        for item_id in ids:
            if lst.find_folder(item_id) is not None:
                lst = lst.delete_folder(item_id)
            elif lst.find_target(item_id) is not None:  # may be gone with a folder deleted before it
                lst = lst.delete_target(item_id)
        if ids:
            self.commit(lst)

    def move_targets(self, target_ids: Sequence[str], folder_id: str) -> None:
        """Move targets into a folder (what a drop does); they then inherit that folder's defaults."""
        lst = self.target_list
        if lst.find_folder(folder_id) is None:
            return
        moved = [t for t in target_ids if lst.find_target(t) is not None]
        for target_id in moved:
            lst = lst.move_target(target_id, folder_id)
        if moved:
            self.commit(lst, select=moved, expand=[folder_id])

    def _error(self, title: str, message: str) -> None:
        self.last_report = message
        QMessageBox.warning(self, title, message)

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.act_test_selected, self.act_test_folder, self.act_test_list, None,
                       self.act_new_target, self.act_new_folder, None, self.act_edit, self.act_defaults,
                       self.act_rename, self.act_duplicate, self.act_delete):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.tree.viewport().mapToGlobal(position))

    # --- files: new, open, save as, import, export ------------------------------------------------------------

    def _start_dir(self) -> str:
        return str(self.path.parent if self.path is not None else lists_dir())

    def new_list(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New target list", str(Path(self._start_dir()) / "targets.json"),
                                              "Target lists (*.json)")
        if not path:
            return
        name = Path(path).stem or "Targets"
        lst = TargetList(name=name, root=Folder(name))
        if self._save_to(lst, Path(path)):
            self._set_list(lst, Path(path), autosave=True)

    def open_list(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Open target list", self._start_dir(),
                                              "Target lists (*.json);;All files (*)")
        if not path:
            return False
        try:
            lst = load_list(Path(path))
        except ListFileError as exc:
            self._error("Open target list", exc.message)
            return False
        self._set_list(lst, Path(path), autosave=True)
        if lst.load_warnings:
            self._set_banner(" ".join(lst.load_warnings))
        return True

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save target list as", self._start_dir(), "Target lists (*.json)")
        if not path:
            return False
        if not self._save_to(self.target_list, Path(path)):
            return False
        self.path, self.autosave = Path(path), True
        self._set_banner("")
        self._update_title()
        return True

    def _save_to(self, lst: TargetList, path: Path) -> bool:
        try:
            save_list(lst, path)
        except ListFileError as exc:
            self._error("Save target list", exc.message)
            return False
        except OSError as exc:
            self._error("Save target list", f"{path.name} could not be written: {exc.strerror or exc}")
            return False
        return True

    def import_targets(self) -> ImportResult | None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import targets", self._start_dir(),
            "CSV or text (*.csv *.txt);;CSV files (*.csv);;Text files, one host per line (*.txt *.lst);;All files (*)")
        if not path:
            return None
        source = Path(path)
        try:
            result = import_csv(source) if source.suffix.lower() == ".csv" else import_text(source)
        except OSError as exc:
            self._error("Import targets", f"{source.name} could not be read: {exc.strerror or exc}")
            return None
        if result.targets:
            self.commit(result.into(self.target_list), select=[t.id for _, t in result.targets[:1]])
        count = len(result.targets)
        summary = f"Imported {count} target{'s' if count != 1 else ''} from {source.name}"
        if result.errors:
            summary += f"; {len(result.errors)} row{'s' if len(result.errors) != 1 else ''} skipped:"
        lines = [summary, *(str(e) for e in result.errors[:30])]
        if len(result.errors) > 30:
            lines.append(f"… and {len(result.errors) - 30} more (see Show Details)")
        lines += result.warnings[:5]
        self.last_report = "\n".join(lines)
        box = QMessageBox(QMessageBox.Icon.Warning if result.errors else QMessageBox.Icon.Information,
                          "Import targets", self.last_report, QMessageBox.StandardButton.Ok, self)
        if len(result.errors) > 30 or len(result.warnings) > 5:
            box.setDetailedText("\n".join([*(str(e) for e in result.errors), *result.warnings]))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the import is done; the report need not block anything
        return result

    def export_list(self, kind: str) -> Path | None:
        """Export the list as ``csv`` or ``json``."""
        suggested = Path(self._start_dir()) / f"{self.target_list.name or 'targets'}.{kind}"
        filters = "CSV files (*.csv)" if kind == "csv" else "JSON files (*.json)"
        path, _ = QFileDialog.getSaveFileName(self, f"Export list as {kind.upper()}", str(suggested), filters)
        if not path:
            return None
        # With a BOM, Excel opens UTF-8 CSV correctly instead of guessing the ANSI code page.
        data = (export_list_csv(self.target_list).encode("utf-8-sig") if kind == "csv"
                else list_to_json(self.target_list).encode("utf-8"))
        try:
            atomic_write_bytes(Path(path), data)
        except OSError as exc:
            self._error("Export list", f"{Path(path).name} could not be written: {exc.strerror or exc}")
            return None
        return Path(path)

"""The tree view of the saved list: drag targets onto folders, and which folders are open and which rows are
selected, kept across the model resets every edit makes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from core.inheritance import ResolvedTarget
from core.targetlist import TargetList
from gui.listmodel import ID_ROLE, LAST, MIME_IDS, NAME, ListModel
from gui.qt import (
    QAbstractItemView,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QHeaderView,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    QTreeView,
    QWidget,
    Signal,
)


class ListTree(QTreeView):
    """The tree; a drop of targets asks for them to be moved into the folder under the mouse."""

    move_requested = Signal(object, str)  # (target ids, folder id)

    def __init__(self, model: ListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list_model = model
        self.setModel(model)
        self.setAccessibleName("Saved targets")
        self.setToolTip("Saved targets. Enter or double-click tests the selection; F2 renames; drag targets onto "
                        "a folder to move them.")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setUniformRowHeights(True)  # lets the view skip measuring every row of a big list
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(NAME, 195)  # room for two folder levels of indent and a typical server name
        header.resizeSection(LAST, 175)  # "last failed (wsman) 3 h ago"
        self._expanded: set[str] = set()  # folder ids, kept across the model resets of each edit
        # A repaint asks the model again for the visible rows only; a 1,000-target run repaints once a second.
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(1000)
        self._repaint.timeout.connect(self.viewport().update)
        self.expanded.connect(lambda index: self._on_expanded(index, True))
        self.collapsed.connect(lambda index: self._on_expanded(index, False))

    # --- showing a new list -----------------------------------------------------------------------------------

    def show_list(self, lst: TargetList, resolved: Mapping[str, ResolvedTarget], select: Sequence[str] = (),
                  expand: Iterable[str] = (), forget: bool = False) -> None:
        """Show ``lst``, keeping the open folders and the selection (or selecting ``select``). ``forget``: another
        list altogether, whose folders start closed."""
        if forget:
            self._expanded.clear()
        keep_selected = list(select) or self.selected_ids()
        current = None if select else self.current_id()
        self.list_model.set_list(lst, resolved)
        # The reset forgot which folders were open; the ids say where they are now.
        self._expanded.update(expand)
        for item_id in list(self._expanded):
            index = self.list_model.index_of(item_id)
            if index.isValid():
                self.setExpanded(index, True)
            else:
                self._expanded.discard(item_id)
        self.select(keep_selected, current)

    def _on_expanded(self, index: QModelIndex, expanded: bool) -> None:
        node = self.list_model.node(index)
        if node is not None and node.folder is not None:  # expandAll reports every target too
            (self._expanded.add if expanded else self._expanded.discard)(node.id)

    def repaint_soon(self) -> None:
        """New results arrived: repaint the "Last result" column soon (once, however many results came)."""
        if not self._repaint.isActive():
            self._repaint.start()

    # --- selection --------------------------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        return [str(index.data(ID_ROLE)) for index in self.selectionModel().selectedRows(0)]

    def current_id(self) -> str | None:
        index = self.selectionModel().currentIndex()
        return str(index.data(ID_ROLE)) if index.isValid() else None

    def select(self, ids: Sequence[str], current: str | None = None) -> None:
        selection = self.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        first = None
        for item_id in ids:
            index = self.list_model.index_of(item_id)
            if index.isValid():
                self._reveal(index)
                selection.select(index, flags)
                first = first or index
        target = self.list_model.index_of(current) if current else first
        if target is not None and target.isValid():
            selection.setCurrentIndex(target, QItemSelectionModel.SelectionFlag.NoUpdate)

    def _reveal(self, index: QModelIndex) -> None:
        parent = index.parent()
        while parent.isValid():
            self.setExpanded(parent, True)
            parent = parent.parent()

    # --- drag and drop ----------------------------------------------------------------------------------------

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
        model = self.list_model
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

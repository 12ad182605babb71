"""The Targets panel: the saved list's tree, its tools and buttons, and which targets to test.

The panel only shows and asks: the list and its file are the ListDocument's (gui/listdocument.py), the tree is
gui/listtree.py over gui/listmodel.py, the edits gui/listedits.py and the file dialogs gui/listfiles.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from core.credentials import CredentialError, CredentialStore
from core.importers import ImportResult
from core.inheritance import ResolvedTarget
from core.targetlist import Folder, Settings, Target, TargetList
from gui import listfiles
from gui.listdocument import ListDocument
from gui.listedits import ListEditor
from gui.listmodel import LAST as LAST
from gui.listmodel import MIME_IDS as MIME_IDS
from gui.listmodel import ListModel
from gui.listspecs import SpecProblem
from gui.listtree import ListTree
from gui.messages import BANNER_STYLE, PROBLEM_STYLE, message_label
from gui.qt import (
    QAction,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QMenu,
    QPoint,
    QPushButton,
    QStyle,
    Qt,
    QToolBar,
    QVBoxLayout,
    QWidget,
    Signal,
)

DEMO_LIST_NAME = "Demo (local lab)"


class ListPanel(QWidget):
    """The Targets panel. ``test_requested`` and ``watch_requested`` carry the ResolvedTargets to test."""

    test_requested = Signal(object)
    watch_requested = Signal(object)

    def __init__(self, credentials: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = credentials
        self.document = ListDocument(self)
        self.title = QLabel("", self)
        self.title.setAccessibleName("Target list")
        self.title.setWordWrap(True)
        self.banner = message_label(self, "List file problem", BANNER_STYLE)
        self.banner_button = QPushButton("Save list as…", self)
        self.banner_button.setToolTip("Save this list to another file; edits are then saved there")
        self.banner_button.clicked.connect(lambda: self.save_as())
        self.problems = message_label(self, "Targets not tested", PROBLEM_STYLE)

        self.model = ListModel(self)
        self.tree = ListTree(self.model, self)
        self.editor = ListEditor(self, self.document, self.tree, self._credential_names)
        self.model.rename_requested.connect(self.editor.rename)
        self.tree.move_requested.connect(self.editor.move_targets)
        self.tree.doubleClicked.connect(lambda _: self.test_selected())
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.document.changed.connect(self._show)
        self.document.status_changed.connect(self._show_status)

        sp = QStyle.StandardPixmap
        edit = self.editor
        # Shortcuts act while the tree has the focus (not in the rename editor, not elsewhere in the window).
        self.act_test_selected = self._act("Test selected", self.test_selected, "Test the selected targets and "
                                           "folders (Enter, double-click)", ["Return", "Enter"], sp.SP_MediaPlay)
        self.act_test_folder = self._act("Test folder", self.test_folder, "Test every target in the selected "
                                         "folder (or the folder of the selected target)")
        self.act_test_list = self._act("Test list", self.test_list, "Test every target in the list")
        self.act_watch_selected = self._act("Watch selected", self.watch_selected, "Test the selected targets and "
                                            "folders again and again, and say when one goes down or comes back")
        self.act_watch_folder = self._act("Watch folder", self.watch_folder, "Watch every target in the selected "
                                          "folder")
        self.act_watch_list = self._act("Watch list", self.watch_list, "Watch every target in the list")
        self.act_new_target = self._act("New target…", edit.new_target, "Add a target to the selected folder (Ins)",
                                        ["Ins"], sp.SP_FileIcon)
        self.act_new_folder = self._act("New folder…", edit.new_folder, "Add a folder inside the selected folder "
                                        "(Ctrl+Shift+N)", ["Ctrl+Shift+N"], sp.SP_FileDialogNewFolder)
        self.act_edit = self._act("Edit…", edit.edit_current, "Edit the selected target, or the selected folder's "
                                  "defaults (Alt+Enter)", ["Alt+Return", "Alt+Enter"], sp.SP_FileDialogDetailedView)
        self.act_defaults = self._act("Folder defaults…", edit.edit_folder_defaults, "The settings the targets in "
                                      "this folder inherit")
        self.act_rename = self._act("Rename", edit.rename_current, "Rename the selected folder or target (F2)")
        self.act_duplicate = self._act("Duplicate", edit.duplicate_selected, "Copy the selected targets and "
                                       "folders (Ctrl+D)", ["Ctrl+D"], sp.SP_FileLinkIcon)
        self.act_delete = self._act("Delete", edit.delete_selected, "Delete the selected targets and folders (Del)",
                                    ["Del"], sp.SP_TrashIcon)
        self.act_rename.setShortcut(QKeySequence("F2"))  # shown in menus; F2 itself is the view's edit key
        self.act_rename.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        for action in (self.act_test_selected, self.act_new_target, self.act_new_folder, self.act_edit,
                       self.act_duplicate, self.act_delete):
            self.tree.addAction(action)

        test_row = QHBoxLayout()
        # Alt+E / Alt+O / Alt+S / Alt+W: letters no other control of the window uses.
        self.test_selected_button = self._button("Test sel&ected", self.act_test_selected)
        self.test_folder_button = self._button("Test f&older", self.act_test_folder)
        self.test_list_button = self._button("Test li&st", self.act_test_list)
        self.watch_button = QPushButton("&Watch…", self)
        self.watch_button.setToolTip("Test the selection, the folder or the list again every few seconds (the "
                                     "interval is set above the results), and say when a target goes down or "
                                     "comes back")
        watch_menu = QMenu(self.watch_button)
        for action in (self.act_watch_selected, self.act_watch_folder, self.act_watch_list):
            watch_menu.addAction(action)
        self.watch_button.setMenu(watch_menu)
        for button in (self.test_selected_button, self.test_folder_button, self.test_list_button, self.watch_button):
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
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._update_actions())
        self._show(self.document.target_list, [], [], True)
        self._show_status()

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

    # --- the document's state, shown ------------------------------------------------------------------------

    def _show(self, lst: TargetList, select: Sequence[str], expand: Iterable[str], replaced: bool) -> None:
        if replaced:
            self.show_problems([])
        self.tree.show_list(lst, self.document.resolutions(), select, expand, forget=replaced)
        self._update_actions()

    def _show_status(self) -> None:
        doc = self.document
        # Names come from files: escaped, so a list called "<h1>…" is shown as typed, not as markup.
        if doc.path is None:
            text = f"<b>{escape(doc.target_list.name)}</b> — in memory only, not saved"
        elif not doc.autosave:
            text = f"<b>{escape(doc.path.name)}</b> — not saved (see below)"
        else:
            text = f"<b>{escape(doc.path.name)}</b> — saved automatically"
        self.title.setText(text)
        self.title.setToolTip(str(doc.path) if doc.path is not None else "")
        self.banner.setText(doc.banner)
        self.banner.setVisible(bool(doc.banner))
        self.banner_button.setVisible(doc.offer_save_as)

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

    def history_changed(self) -> None:
        """New results arrived: the "Last result" column is repainted soon."""
        self.tree.repaint_soon()

    def _update_actions(self) -> None:
        ids = self.tree.selected_ids()
        has = bool(ids)
        current = self.tree.current_id()
        deletable = any(i != self.document.target_list.root.id for i in ids)
        self.act_test_selected.setEnabled(has)
        self.act_watch_selected.setEnabled(has)
        self.act_duplicate.setEnabled(deletable)
        self.act_delete.setEnabled(deletable)
        self.act_edit.setEnabled(current is not None)
        self.act_rename.setEnabled(current is not None)
        self.test_selected_button.setEnabled(has)

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.act_test_selected, self.act_test_folder, self.act_test_list, None,
                       self.act_watch_selected, self.act_watch_folder, self.act_watch_list, None,
                       self.act_new_target, self.act_new_folder, None, self.act_edit, self.act_defaults,
                       self.act_rename, self.act_duplicate, self.act_delete):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.tree.viewport().mapToGlobal(position))

    # --- which targets to test --------------------------------------------------------------------------------

    def selected_targets(self) -> list[ResolvedTarget]:
        ids: list[str] = []
        for item_id in self.tree.selected_ids():
            if self.model.is_target(item_id):
                ids.append(item_id)
            else:
                ids.extend(self.model.target_ids_below(item_id))
        return self.document.resolved(ids)

    def folder_targets(self) -> list[ResolvedTarget]:
        return self.document.resolved(self.model.target_ids_below(self.editor.current_folder().id))

    def list_targets(self) -> list[ResolvedTarget]:
        return self.document.resolved(self.model.target_ids_below(self.document.target_list.root.id))

    def test_selected(self) -> None:
        self._request(self.test_requested, self.selected_targets())

    def test_folder(self) -> None:
        self._request(self.test_requested, self.folder_targets())

    def test_list(self) -> None:
        self._request(self.test_requested, self.list_targets())

    def watch_selected(self) -> None:
        self._request(self.watch_requested, self.selected_targets())

    def watch_folder(self) -> None:
        self._request(self.watch_requested, self.folder_targets())

    def watch_list(self) -> None:
        self._request(self.watch_requested, self.list_targets())

    @staticmethod
    def _request(signal: Any, targets: list[ResolvedTarget]) -> None:
        if targets:
            signal.emit(targets)

    # --- the panel's public surface over the document, the tree, the editor and the file dialogs ---------------

    @property
    def target_list(self) -> TargetList:
        return self.document.target_list

    @property
    def path(self) -> Path | None:
        return self.document.path

    @property
    def autosave(self) -> bool:
        return self.document.autosave

    @property
    def last_report(self) -> str:
        return self.document.last_report

    @property
    def app_defaults(self) -> Settings:
        return self.document.app_defaults

    def load(self, path: Path) -> None:
        self.document.load(path)

    def show_in_memory(self, lst: TargetList, why: str) -> None:
        self.document.show_in_memory(lst, why)

    def commit(self, lst: TargetList, select: Iterable[str] = (), expand: Iterable[str] = ()) -> None:
        self.document.commit(lst, select, expand)

    def set_app_defaults(self, defaults: Settings) -> None:
        self.document.set_app_defaults(defaults)

    def selected_ids(self) -> list[str]:
        return self.tree.selected_ids()

    def current_id(self) -> str | None:
        return self.tree.current_id()

    def select(self, ids: Sequence[str]) -> None:
        self.tree.select(ids)

    def new_folder(self, name: str | None = None) -> Folder | None:
        return self.editor.new_folder(name)

    def new_target(self) -> Target | None:
        return self.editor.new_target()

    def move_targets(self, target_ids: Sequence[str], folder_id: str) -> None:
        self.editor.move_targets(target_ids, folder_id)

    def new_list(self) -> None:
        listfiles.new_list(self, self.document)

    def open_list(self) -> bool:
        return listfiles.open_list(self, self.document)

    def save_as(self) -> bool:
        return listfiles.save_as(self, self.document)

    def import_targets(self) -> ImportResult | None:
        return listfiles.import_targets(self, self.document)

    def export_list(self, kind: str) -> Path | None:
        return listfiles.export_list(self, self.document, kind)

    def _credential_names(self) -> list[str]:
        try:
            return self._store.names()
        except CredentialError:
            return []

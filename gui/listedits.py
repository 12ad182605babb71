"""Edits of the saved list the panel offers: new folder or target, edit, rename, duplicate, delete, move.

Each makes a new list from the current one (core.targetlist) and commits it to the ListDocument, which shows and
saves it; the tree says what is selected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from core.targetlist import Folder, InvalidField, Target, TargetList
from gui.listdocument import ListDocument
from gui.listfiles import report_problem
from gui.listtree import ListTree
from gui.qt import QInputDialog, QMessageBox, QWidget
from gui.targetdialog import TargetDialog, app_settings_folder, folder_chain


class ListEditor:
    def __init__(self, parent: QWidget, document: ListDocument, tree: ListTree,
                 credential_names: Callable[[], list[str]]) -> None:
        self._parent = parent
        self._document = document
        self._tree = tree
        self._credential_names = credential_names

    @property
    def _list(self) -> TargetList:
        return self._document.target_list

    def current_folder(self) -> Folder:
        """The selected folder, or the folder of the selected target, or the top folder."""
        item_id = self._tree.current_id()
        lst = self._list
        if item_id is not None:
            folder = lst.find_folder(item_id)
            if folder is not None:
                return folder
            chain = lst.folder_chain(item_id)
            if chain is not None:
                return chain[-1]
        return lst.root

    def _with_app(self, chain: tuple[Folder, ...]) -> tuple[Folder, ...]:
        return (app_settings_folder(self._document.app_defaults), *chain)

    def _error(self, title: str, message: str) -> None:
        report_problem(self._parent, self._document, title, message)

    def new_folder(self, name: str | None = None) -> Folder | None:
        parent = self.current_folder()
        if name is None:
            name, ok = QInputDialog.getText(self._parent, "New folder",
                                            f"Name of the new folder in {parent.name!r}:")
            if not ok:
                return None
        try:
            lst, folder = self._list.add_folder(parent.id, name.strip())
        except InvalidField as exc:
            self._error("New folder", str(exc))
            return None
        self._document.commit(lst, select=[folder.id], expand=[parent.id])
        return folder

    def new_target(self) -> Target | None:
        folder = self.current_folder()
        chain = folder_chain(self._list.root, folder.id) or (self._list.root,)
        dialog = TargetDialog(self._with_app(chain), self._credential_names(), parent=self._parent)
        accepted = dialog.exec()
        dialog.deleteLater()  # parented to the window, it would otherwise live as long as the window
        if not accepted or dialog.result_target is None:
            return None
        target = dialog.result_target
        self._document.commit(self._list.add_target(folder.id, target), select=[target.id], expand=[folder.id])
        return target

    def edit_current(self) -> None:
        item_id = self._tree.current_id()
        if item_id is None:
            return
        target = self._list.find_target(item_id)
        if target is None:
            self.edit_folder_defaults()
            return
        chain = self._list.folder_chain(item_id) or (self._list.root,)
        dialog = TargetDialog(self._with_app(chain), self._credential_names(), target=target, parent=self._parent)
        accepted = dialog.exec()
        dialog.deleteLater()
        if accepted and dialog.result_target is not None:
            self._document.commit(self._list.replace_target(dialog.result_target), select=[item_id])

    def edit_folder_defaults(self) -> None:
        folder = self.current_folder()
        chain = folder_chain(self._list.root, folder.id) or (folder,)
        dialog = TargetDialog(self._with_app(chain[:-1]), self._credential_names(), folder=folder,
                              parent=self._parent)
        accepted = dialog.exec()
        dialog.deleteLater()
        if accepted and dialog.result_folder is not None:
            edited = dialog.result_folder
            lst = self._list.set_folder_defaults(folder.id, edited.defaults)
            lst = _renamed(lst, folder.id, edited.name)
            self._document.commit(lst, select=[folder.id])

    def rename_current(self) -> None:
        index = self._tree.selectionModel().currentIndex()
        if index.isValid():
            self._tree.edit(index.siblingAtColumn(0))

    def rename(self, item_id: str, name: str) -> None:
        try:
            lst = _renamed(self._list, item_id, name.strip())
        except InvalidField as exc:
            self._error("Rename", str(exc))
            return
        except KeyError:
            return  # deleted meanwhile
        self._document.commit(lst, select=[item_id])

    def duplicate_selected(self) -> None:
        lst = self._list
        copies = []
        for item_id in self._tree.selected_ids():
            if item_id == lst.root.id:
                continue
            if lst.find_folder(item_id) is not None:
                lst, folder = lst.duplicate_folder(item_id)
                copies.append(folder.id)
            elif lst.find_target(item_id) is not None:
                lst, target = lst.duplicate_target(item_id)
                copies.append(target.id)
        if copies:
            self._document.commit(lst, select=copies)

    def delete_selected(self) -> None:
        lst = self._list
        ids = [i for i in self._tree.selected_ids() if i != lst.root.id]
        folders = [f for f in (lst.find_folder(i) for i in ids) if f is not None]
        full = [f for f in folders if f.targets or f.folders]
        if full:
            count = sum(len(self._tree.list_model.target_ids_below(f.id)) for f in full)
            names = ", ".join(repr(f.name) for f in full[:3]) + (" …" if len(full) > 3 else "")
            answer = QMessageBox.question(
                self._parent, "Delete folder",
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
            self._document.commit(lst)

    def move_targets(self, target_ids: Sequence[str], folder_id: str) -> None:
        """Move targets into a folder (what a drop does); they then inherit that folder's defaults."""
        lst = self._list
        if lst.find_folder(folder_id) is None:
            return
        moved = [t for t in target_ids if lst.find_target(t) is not None]
        for target_id in moved:
            lst = lst.move_target(target_id, folder_id)
        if moved:
            self._document.commit(lst, select=moved, expand=[folder_id])


def _renamed(lst: TargetList, item_id: str, name: str) -> TargetList:
    if lst.find_folder(item_id) is not None:
        lst = lst.rename_folder(item_id, name)
        return replace(lst, name=name) if item_id == lst.root.id else lst
    target = lst.find_target(item_id)
    if target is None:
        raise KeyError(item_id)
    # Naming a target after its host is the same as leaving the name empty: the host is shown.
    return lst.replace_target(replace(target, name="" if name == target.host else name))

"""The saved list being edited and the file it lives in: load, save at every edit, open, save as, import, export.

No widgets: the panel shows what this holds, and the file dialogs (gui/listfiles.py) ask where. The list itself
is immutable (core.targetlist); every edit makes a new one, which ``commit`` shows and writes atomically with the
previous version kept as ``.bak``. A file that could not be read is never written over: the document says so in
its banner and offers Save list as….
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from core.atomicfile import atomic_write_bytes
from core.importers import ImportResult, export_list_csv, import_csv, import_text
from core.inheritance import ResolvedTarget
from core.listfile import ListFileError, list_to_json, load_list, save_list
from core.targetlist import Folder, Settings, TargetList
from gui.qt import QObject, Signal

log = logging.getLogger(__name__)


class DocumentError(Exception):
    """A file could not be read or written; the message says which and why, in the user's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ListDocument(QObject):
    #: a new list is current: (the list, ids to select, folder ids to expand, whether it is another list or file)
    changed = Signal(object, object, object, bool)
    #: the file, whether it is saved, or the banner changed
    status_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target_list = TargetList()
        # What the window's preferences say for the settings no folder sets (transport, auth, checks).
        self.app_defaults = Settings()
        self.path: Path | None = None
        self.autosave = False  # False: edits stay in memory (demo, or a file that could not be read)
        self.banner = ""  # a problem with the file, or a note about it; empty when there is none
        self.offer_save_as = False  # the banner's problem is solved by saving elsewhere
        self.last_report = ""  # the text of the last import/open/edit report, for tests and the log
        self._resolved: tuple[TargetList, Settings, dict[str, ResolvedTarget]] | None = None

    # --- which list, which file -------------------------------------------------------------------------------

    def load(self, path: Path) -> None:
        """The list saved at ``path`` (an empty one if there is none yet), edits saved there. A file that cannot
        be read is left alone: an empty list is edited in memory and the banner says so."""
        path = Path(path)
        if not path.exists():
            self._replace(TargetList(), path, autosave=True)
            return
        try:
            lst = load_list(path)
        except ListFileError as exc:
            log.warning("list file %s not loaded: %s", path, exc.message)
            self._replace(TargetList(), path, autosave=False)
            self.set_banner(f"{exc.message} An empty list is shown; changes are kept in memory only until you "
                            "use Save list as….", offer_save_as=True)
            return
        self._replace(lst, path, autosave=True)
        if lst.load_warnings:
            self.set_banner(" ".join(lst.load_warnings))

    def show_in_memory(self, lst: TargetList, why: str) -> None:
        """A list that is never written to disk (the demo's)."""
        self._replace(lst, None, autosave=False)
        self.set_banner(why)

    def open(self, path: Path) -> None:
        try:
            lst = load_list(path)
        except ListFileError as exc:
            raise DocumentError(exc.message) from None
        self._replace(lst, path, autosave=True)
        if lst.load_warnings:
            self.set_banner(" ".join(lst.load_warnings))

    def new(self, path: Path) -> None:
        """Start an empty list saved at ``path``, named after the file."""
        name = path.stem or "Targets"
        lst = TargetList(name=name, root=Folder(name))
        self._write(lst, path)
        self._replace(lst, path, autosave=True)

    def save_as(self, path: Path) -> None:
        """Save the list to ``path``; edits are saved there from now on."""
        self._write(self.target_list, path)
        self.path, self.autosave = path, True
        self.set_banner("")

    def _replace(self, lst: TargetList, path: Path | None, autosave: bool) -> None:
        self.path, self.autosave = path, autosave
        self.banner, self.offer_save_as = "", False
        self.target_list = lst
        self.changed.emit(lst, [], [lst.root.id], True)
        self.status_changed.emit()

    def set_banner(self, text: str, offer_save_as: bool = False) -> None:
        self.banner, self.offer_save_as = text, offer_save_as
        self.status_changed.emit()

    # --- edits ------------------------------------------------------------------------------------------------

    def commit(self, lst: TargetList, select: Iterable[str] = (), expand: Iterable[str] = ()) -> None:
        """Make ``lst`` the current list, show it, and save it now (atomically, keeping ``.bak``)."""
        self.target_list = lst
        self.changed.emit(lst, list(select), list(expand), False)
        if not self.autosave or self.path is None:
            return
        try:
            save_list(lst, self.path)
        except ListFileError as exc:
            self.autosave = False
            self.set_banner(exc.message + " Use Save list as… to keep your changes.", offer_save_as=True)
        except OSError as exc:
            self.set_banner(f"{self.path.name} could not be saved: {exc.strerror or exc}. Your changes are kept "
                            "in memory; try again or use Save list as….", offer_save_as=True)
        else:
            if self.offer_save_as:
                self.set_banner("")

    def set_app_defaults(self, defaults: Settings) -> None:
        """New preferences: the settings the list leaves open are resolved again (and shown so in Edit…)."""
        if defaults != self.app_defaults:
            self.app_defaults = defaults
            self.changed.emit(self.target_list, [], [], False)

    def resolutions(self) -> dict[str, ResolvedTarget]:
        """Every target by id with every setting decided (its folders', else the app's). One pass over the list,
        kept until the next change, so testing a folder of thousands does not search the tree per target."""
        cached = self._resolved
        # By identity: comparing two lists of thousands of targets field by field would cost what this saves.
        if cached is None or cached[0] is not self.target_list or cached[1] != self.app_defaults:
            everything = {r.target.id: r for r in self.target_list.resolved(self.app_defaults)}
            cached = self._resolved = (self.target_list, self.app_defaults, everything)
        return cached[2]

    def resolved(self, target_ids: Iterable[str]) -> list[ResolvedTarget]:
        """The targets with these ids, each once, in the order given."""
        everything = self.resolutions()
        return [everything[i] for i in dict.fromkeys(target_ids) if i in everything]

    # --- other files: import and export -----------------------------------------------------------------------

    def import_file(self, source: Path) -> ImportResult:
        """Add the targets of a CSV or text file; the result says which rows were skipped and why."""
        try:
            result = import_csv(source) if source.suffix.lower() == ".csv" else import_text(source)
        except OSError as exc:
            raise DocumentError(f"{source.name} could not be read: {exc.strerror or exc}") from None
        if result.targets:
            self.commit(result.into(self.target_list), select=[t.id for _, t in result.targets[:1]])
        return result

    def export(self, kind: str, path: Path) -> None:
        """Write the list as ``csv`` or ``json``."""
        # With a BOM, Excel opens UTF-8 CSV correctly instead of guessing the ANSI code page.
        data = (export_list_csv(self.target_list).encode("utf-8-sig") if kind == "csv"
                else list_to_json(self.target_list).encode("utf-8"))
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise DocumentError(f"{path.name} could not be written: {exc.strerror or exc}") from None

    def _write(self, lst: TargetList, path: Path) -> None:
        try:
            save_list(lst, path)
        except ListFileError as exc:
            raise DocumentError(exc.message) from None
        except OSError as exc:
            raise DocumentError(f"{path.name} could not be written: {exc.strerror or exc}") from None

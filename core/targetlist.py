"""Saved target lists: folders of targets whose settings are inherited from the folders above them.

A setting left as ``None`` means "inherit": the nearest folder that sets it wins, then the application
default (RDCMan / Royal TS style). Lists and folders are immutable; every edit returns a new ``TargetList``,
so the GUI can keep the previous one for undo and a worker thread never sees a half-edited list.

The file format has no password field at all; credentials are referenced by the NAME they have in the keyring.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.kerberos.names import check_spn
from core.mi import AuthType
from core.shell import ShellChoiceError, shell_target
from core.target import is_port

if TYPE_CHECKING:
    from core.inheritance import ResolvedTarget

log = logging.getLogger(__name__)

FORMAT = "testconnection-targets"
VERSION = 1
TRANSPORTS = ("http", "https")
AUTH_METHODS = tuple(auth.value for auth in AuthType)
#: The fields a folder can give its targets. The order is the order of CSV columns and of the JSON keys.
INHERITED = (
    "port", "transport", "auth", "credential", "ca_check", "cn_check", "allow_unencrypted", "session", "remote_shell",
    "spn", "include_port_in_spn",
)  # fmt: skip
_SWITCHES = ("ca_check", "cn_check", "allow_unencrypted", "session", "include_port_in_spn")
APP_DEFAULTS: dict[str, Any] = {
    "transport": "http",
    "auth": "none",
    "ca_check": True,
    "cn_check": True,
    "allow_unencrypted": False,
    "session": False,
    "remote_shell": "cmd",
    "spn": None,
    "include_port_in_spn": False,
}


class InvalidField(ValueError):
    """A value that cannot be stored. ``field`` names the setting, ``str(error)`` says whose and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def new_id() -> str:
    return uuid.uuid4().hex


def _check_settings(owner: str, values: Settings | Target) -> None:
    """Validate the inheritable settings; shared by targets and folder defaults so the rules live once."""
    port = values.port
    if port is not None and not is_port(port):
        raise InvalidField("port", f"{owner}: port must be a number from 1 to 65535, got {port!r}")
    if values.transport is not None and values.transport not in TRANSPORTS:
        raise InvalidField("transport", f"{owner}: transport must be http or https, got {values.transport!r}")
    if values.auth is not None and values.auth not in AUTH_METHODS:
        raise InvalidField("auth", f"{owner}: auth must be one of {', '.join(AUTH_METHODS)}, got {values.auth!r}")
    if values.credential is not None and (not isinstance(values.credential, str) or not values.credential):
        raise InvalidField("credential", f"{owner}: credential must be a non-empty name, got {values.credential!r}")
    for name in _SWITCHES:
        value = getattr(values, name)
        if value is not None and not isinstance(value, bool):
            raise InvalidField(name, f"{owner}: {name} must be true or false, got {value!r}")
    if values.remote_shell is not None:
        try:
            shell_target(values.remote_shell)
        except ShellChoiceError as exc:
            raise InvalidField("remote_shell", f"{owner}: remote_shell {exc}") from None
    if values.spn is not None:
        problem = check_spn(values.spn) if isinstance(values.spn, str) else "a service principal is text"
        if problem is not None:
            raise InvalidField("spn", f"{owner}: {problem}")


@dataclass(frozen=True)
class Settings:
    """Folder defaults: the inheritable settings, each ``None`` for "inherit from the folder above"."""

    port: int | None = None
    transport: str | None = None
    auth: str | None = None
    credential: str | None = None
    ca_check: bool | None = None
    cn_check: bool | None = None
    allow_unencrypted: bool | None = None  # Basic over plain HTTP, as WinRM's AllowUnencrypted
    session: bool | None = None  # the session stage: open a remote shell after auth, then delete it
    remote_shell: str | None = None  # which: cmd, powershell, a session configuration name or a resource URI
    spn: str | None = None  # Kerberos: the service principal, or a service class alone ("WSMAN") for a folder
    include_port_in_spn: bool | None = None  # Kerberos: HTTP/<host>:<port>


@dataclass(frozen=True)
class Target:
    """One saved machine. ``host`` is any TARGET form; a scheme or port written there beats the settings."""

    host: str
    name: str = ""
    port: int | None = None
    transport: str | None = None
    auth: str | None = None
    credential: str | None = None
    ca_check: bool | None = None
    cn_check: bool | None = None
    allow_unencrypted: bool | None = None  # Basic over plain HTTP, as WinRM's AllowUnencrypted
    session: bool | None = None  # the session stage: open a remote shell after auth, then delete it
    remote_shell: str | None = None  # which: cmd, powershell, a session configuration name or a resource URI
    spn: str | None = None  # Kerberos: the service principal, or a service class alone ("WSMAN") for a folder
    include_port_in_spn: bool | None = None  # Kerberos: HTTP/<host>:<port>
    notes: str = ""
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        # Cheap checks only, so a 10,000-target list loads fast; importers and the GUI run the full TARGET
        # parser (core.target.parse_target) on what a user types.
        owner = f"target {self.label!r}"
        if not isinstance(self.host, str) or not self.host.strip():
            raise InvalidField("host", f"{owner}: host must not be empty")
        if any(c.isspace() for c in self.host):
            raise InvalidField("host", f"{owner}: host must not contain spaces, got {self.host!r}")
        if not isinstance(self.name, str) or not isinstance(self.notes, str):
            raise InvalidField("name", f"{owner}: name and notes must be text")
        if not isinstance(self.id, str) or not self.id:
            raise InvalidField("id", f"{owner}: id must be a non-empty string")
        _check_settings(owner, self)

    @property
    def label(self) -> str:
        """What to call the target in the UI and in messages."""
        return self.name or str(self.host)


@dataclass(frozen=True)
class Folder:
    name: str
    defaults: Settings = Settings()
    targets: tuple[Target, ...] = ()
    folders: tuple[Folder, ...] = ()
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or "/" in self.name:
            # "/" separates folders in CSV files and folder paths, so it cannot be part of a name.
            raise InvalidField("folder", f"folder {self.name!r}: name must be non-empty text without '/'")
        _check_settings(f"folder {self.name!r}", self.defaults)


@dataclass(frozen=True)
class TargetList:
    name: str = "Targets"
    root: Folder = field(default_factory=lambda: Folder("Targets"))
    version: int = VERSION
    #: Things noticed while loading (e.g. password fields that were dropped); not part of the list itself.
    load_warnings: tuple[str, ...] = field(default=(), compare=False)

    # --- finding ---------------------------------------------------------------------------------

    def folder_chain(self, target_id: str) -> tuple[Folder, ...] | None:
        """The folders from the root down to the one holding the target, or None if it is not in the list."""
        return _chain_to_target(self.root, target_id, ())

    def find_target(self, target_id: str) -> Target | None:
        chain = self.folder_chain(target_id)
        if chain is None:
            return None
        return next(t for t in chain[-1].targets if t.id == target_id)

    def find_folder(self, folder_id: str) -> Folder | None:
        return next((f for f in _walk_folders(self.root) if f.id == folder_id), None)

    def targets(self) -> Iterator[Target]:
        for folder in _walk_folders(self.root):
            yield from folder.targets

    def resolved(self, defaults: Settings = Settings()) -> Iterator[ResolvedTarget]:
        """Every target with its effective settings in display order (a folder's targets, then subfolders).

        ``defaults`` are the application's (the window's preferences, the CLI's flags): they sit above the root
        folder, and only what they leave unset falls back to ``APP_DEFAULTS``."""
        from core.inheritance import resolve_all

        yield from resolve_all(self.root, (Folder("defaults", defaults),))

    def effective(self, target: Target | str, defaults: Settings = Settings()) -> ResolvedTarget:
        target_id = target if isinstance(target, str) else target.id
        chain = self.folder_chain(target_id)
        if chain is None:
            raise KeyError(target_id)
        found = next(t for t in chain[-1].targets if t.id == target_id)
        from core.inheritance import resolve

        return resolve(found, (Folder("defaults", defaults), *chain))

    # --- editing: each returns a new list --------------------------------------------------------

    def add_target(self, folder_id: str, target: Target) -> TargetList:
        return self._edit_folder(folder_id, lambda f: replace(f, targets=(*f.targets, target)))

    def replace_target(self, target: Target) -> TargetList:
        """Put an edited target (same id) where the old one was; this is also how a target is renamed."""
        chain = self._chain_or_raise(target.id)
        return self._edit_folder(
            chain[-1].id,
            lambda f: replace(f, targets=tuple(target if t.id == target.id else t for t in f.targets)),
        )

    def duplicate_target(self, target_id: str) -> tuple[TargetList, Target]:
        """A copy with a new id, placed right after the original in the same folder."""
        chain = self._chain_or_raise(target_id)
        original = next(t for t in chain[-1].targets if t.id == target_id)
        copy = replace(original, id=new_id(), name=f"{original.label} (copy)")

        def insert(f: Folder) -> Folder:
            out: list[Target] = []
            for t in f.targets:
                out.append(t)
                if t.id == target_id:
                    out.append(copy)
            return replace(f, targets=tuple(out))

        return self._edit_folder(chain[-1].id, insert), copy

    def delete_target(self, target_id: str) -> TargetList:
        chain = self._chain_or_raise(target_id)
        return self._edit_folder(
            chain[-1].id, lambda f: replace(f, targets=tuple(t for t in f.targets if t.id != target_id))
        )

    def move_target(self, target_id: str, folder_id: str) -> TargetList:
        target = self.find_target(target_id)
        if target is None:
            raise KeyError(target_id)
        if self.find_folder(folder_id) is None:
            raise KeyError(folder_id)
        return self.delete_target(target_id).add_target(folder_id, target)

    def add_folder(self, parent_id: str, name: str, defaults: Settings = Settings()) -> tuple[TargetList, Folder]:
        folder = Folder(name, defaults)
        return self._edit_folder(parent_id, lambda f: replace(f, folders=(*f.folders, folder))), folder

    def rename_folder(self, folder_id: str, name: str) -> TargetList:
        return self._edit_folder(folder_id, lambda f: replace(f, name=name))

    def set_folder_defaults(self, folder_id: str, defaults: Settings) -> TargetList:
        return self._edit_folder(folder_id, lambda f: replace(f, defaults=defaults))

    def duplicate_folder(self, folder_id: str) -> tuple[TargetList, Folder]:
        """A deep copy (new ids throughout) placed right after the original."""
        if folder_id == self.root.id:
            raise ValueError("the top folder cannot be duplicated")
        original = self.find_folder(folder_id)
        if original is None:
            raise KeyError(folder_id)
        copy = replace(_with_new_ids(original), name=f"{original.name} (copy)")
        parent = self._parent_of(folder_id)

        def insert(f: Folder) -> Folder:
            out: list[Folder] = []
            for sub in f.folders:
                out.append(sub)
                if sub.id == folder_id:
                    out.append(copy)
            return replace(f, folders=tuple(out))

        return self._edit_folder(parent.id, insert), copy

    def delete_folder(self, folder_id: str) -> TargetList:
        """Delete a folder with everything in it."""
        if folder_id == self.root.id:
            raise ValueError("the top folder cannot be deleted")
        parent = self._parent_of(folder_id)
        return self._edit_folder(
            parent.id, lambda f: replace(f, folders=tuple(s for s in f.folders if s.id != folder_id))
        )

    def add_targets(self, items: Iterable[tuple[Sequence[str], Target]]) -> TargetList:
        """Add many targets by folder path (names below the root), creating folders as needed.

        Used by importers; one pass, so importing 10,000 rows does not copy the list 10,000 times. A path
        element matches the first existing subfolder of that name.
        """
        return replace(self, root=_add_by_path(self.root, [(tuple(p), t) for p, t in items]))

    # --- helpers ---------------------------------------------------------------------------------

    def _chain_or_raise(self, target_id: str) -> tuple[Folder, ...]:
        chain = self.folder_chain(target_id)
        if chain is None:
            raise KeyError(target_id)
        return chain

    def _parent_of(self, folder_id: str) -> Folder:
        parent = next(
            (f for f in _walk_folders(self.root) if any(s.id == folder_id for s in f.folders)),
            None,
        )
        if parent is None:
            raise KeyError(folder_id)
        return parent

    def _edit_folder(self, folder_id: str, change: Any) -> TargetList:
        new_root = _map_folder(self.root, folder_id, change)
        if new_root is None:
            raise KeyError(folder_id)
        return replace(self, root=new_root)


def _walk_folders(folder: Folder) -> Iterator[Folder]:
    yield folder
    for sub in folder.folders:
        yield from _walk_folders(sub)


def _chain_to_target(folder: Folder, target_id: str, above: tuple[Folder, ...]) -> tuple[Folder, ...] | None:
    chain = (*above, folder)
    if any(t.id == target_id for t in folder.targets):
        return chain
    for sub in folder.folders:
        found = _chain_to_target(sub, target_id, chain)
        if found is not None:
            return found
    return None


def _map_folder(folder: Folder, folder_id: str, change: Any) -> Folder | None:
    """``folder`` with the folder ``folder_id`` replaced by ``change(it)``; None if it is not below here."""
    if folder.id == folder_id:
        changed: Folder = change(folder)
        return changed
    for i, sub in enumerate(folder.folders):
        new_sub = _map_folder(sub, folder_id, change)
        if new_sub is not None:
            return replace(folder, folders=(*folder.folders[:i], new_sub, *folder.folders[i + 1 :]))
    return None


def _with_new_ids(folder: Folder) -> Folder:
    return replace(
        folder,
        id=new_id(),
        targets=tuple(replace(t, id=new_id()) for t in folder.targets),
        folders=tuple(_with_new_ids(f) for f in folder.folders),
    )


def _add_by_path(folder: Folder, items: list[tuple[tuple[str, ...], Target]]) -> Folder:
    here = [t for path, t in items if not path]
    below: dict[str, list[tuple[tuple[str, ...], Target]]] = {}
    for path, t in items:
        if path:
            below.setdefault(path[0], []).append((path[1:], t))
    subs = list(folder.folders)
    for name, sub_items in below.items():
        index = next((i for i, f in enumerate(subs) if f.name == name), None)
        if index is None:
            subs.append(_add_by_path(Folder(name), sub_items))
        else:
            subs[index] = _add_by_path(subs[index], sub_items)
    return replace(folder, targets=(*folder.targets, *here), folders=tuple(subs))

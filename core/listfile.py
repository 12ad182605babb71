"""Saved target lists on disk: the versioned JSON file, written atomically, never overwriting what it cannot read.

A list file holds folders and targets with their settings and credential NAMES; a password-like field found in a
file is dropped on load and reported, and the file is rewritten without it. A damaged file, or one from a newer
version, is never replaced (the panel offers *Save list as…*); the previous version is kept as ``.bak``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from core.atomicfile import atomic_write_bytes
from core.targetlist import FORMAT, INHERITED, VERSION, Folder, Settings, Target, TargetList, new_id

log = logging.getLogger(__name__)


class ListFileError(Exception):
    """A list file that cannot be read or must not be replaced. The message is meant for the user."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = Path(path)
        self.message = message


def _settings_to_json(values: Settings | Target) -> dict[str, Any]:
    return {name: getattr(values, name) for name in INHERITED if getattr(values, name) is not None}


def _folder_to_json(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.id,
        "name": folder.name,
        "defaults": _settings_to_json(folder.defaults),
        "targets": [
            {"id": t.id, "name": t.name, "host": t.host, **_settings_to_json(t), "notes": t.notes}
            for t in folder.targets
        ],
        "folders": [_folder_to_json(f) for f in folder.folders],
    }


def list_to_json(lst: TargetList) -> str:
    """The storage format (also the JSON export format)."""
    body = {"name": lst.name, "root": _folder_to_json(lst.root)}
    doc = {"format": FORMAT, "version": VERSION, "list": body}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _drop_passwords(found: list[int]) -> Any:
    """A json object hook that never lets a password-like key into the parsed objects."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        kept = {}
        for key, value in pairs:
            if "password" in key.casefold():
                found[0] += 1
                continue
            kept[key] = value
        return kept

    return hook


def _expect(obj: Any, kind: type, what: str) -> Any:
    if not isinstance(obj, kind):
        expected = "an object" if kind is dict else "a list"
        raise ValueError(f"{what} should be {expected}, got {type(obj).__name__}")
    return obj


def _settings_kwargs(obj: dict[str, Any]) -> dict[str, Any]:
    return {name: obj[name] for name in INHERITED if name in obj}


def _target_from_json(obj: Any) -> Target:
    obj = _expect(obj, dict, "a target")
    host = obj.get("host")
    if not isinstance(host, str):
        raise ValueError(f"target {obj.get('name', '?')!r}: host must be text, got {host!r}")
    return Target(
        host=host,
        name=obj.get("name", ""),
        notes=obj.get("notes", ""),
        id=obj.get("id") or new_id(),
        **_settings_kwargs(obj),
    )


def _folder_from_json(obj: Any) -> Folder:
    obj = _expect(obj, dict, "a folder")
    defaults = _expect(obj.get("defaults", {}), dict, f"folder {obj.get('name')!r} defaults")
    try:
        settings = Settings(**_settings_kwargs(defaults))
    except TypeError as exc:  # pragma: no cover - all keys are known fields
        raise ValueError(str(exc)) from None
    return Folder(
        name=obj.get("name", ""),
        defaults=settings,
        targets=tuple(_target_from_json(t) for t in _expect(obj.get("targets", []), list, "targets")),
        folders=tuple(_folder_from_json(f) for f in _expect(obj.get("folders", []), list, "folders")),
        id=obj.get("id") or new_id(),
    )


def parse_list(data: bytes, path: Path) -> TargetList:
    """Parse the bytes of a list file; raises ListFileError with a message naming the problem."""
    return _parse(data, path)[0]


def _parse(data: bytes, path: Path) -> tuple[TargetList, int]:
    """The list and how many password fields were dropped from it."""
    name = Path(path).name
    untouched = "The file was left untouched."
    passwords = [0]
    try:
        doc = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_drop_passwords(passwords))
    except UnicodeDecodeError:
        raise ListFileError(path, f"{name} is not a text file (not UTF-8). {untouched}") from None
    except json.JSONDecodeError as exc:
        raise ListFileError(
            path,
            f"{name} is damaged or incomplete (line {exc.lineno}, column {exc.colno}: {exc.msg}). " + untouched,
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ListFileError(path, f"{name} is not a TestConnection target list. {untouched}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ListFileError(path, f"{name} has an invalid format version {version!r}. {untouched}")
    if version > VERSION:
        raise ListFileError(
            path,
            f"{name} was written by a newer TestConnection (format version {version}); "
            f"this version reads version {VERSION}. {untouched}",
        )
    try:
        body = _expect(doc.get("list"), dict, "the list")
        list_name = body.get("name", "Targets")
        if not isinstance(list_name, str):
            raise ValueError(f"the list name must be text, got {list_name!r}")
        root = _folder_from_json(body.get("root"))
    except (ValueError, TypeError) as exc:
        raise ListFileError(path, f"{name} contains an invalid entry: {exc}. {untouched}") from None
    warnings: tuple[str, ...] = ()
    if passwords[0]:
        # Only the count: the values themselves must not reach a log or a message.
        warnings = (
            f"{name} contained {passwords[0]} password field(s). They were ignored and will not be saved; "
            "keep passwords in the credential store and refer to them by name.",
        )
        log.warning("%s: ignored %d password field(s)", path, passwords[0])
    return TargetList(name=list_name, root=root, version=VERSION, load_warnings=warnings), passwords[0]


def load_list(path: Path) -> TargetList:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ListFileError(path, f"{path.name} could not be read: {exc.strerror or exc}") from None
    return parse_list(data, path)


def save_list(lst: TargetList, path: Path, *, force: bool = False) -> None:
    """Write the list atomically, keeping the previous file as ``<name>.bak``.

    An existing file that is not a readable list (damaged, or from a newer version) is not replaced unless
    ``force`` is true; it is then kept as ``<name>.unreadable`` rather than overwriting a good ``.bak``.
    """
    path = Path(path)
    if path.exists():
        old_bytes = path.read_bytes()
        try:
            old, passwords = _parse(old_bytes, path)
        except ListFileError as exc:
            if not force:
                reason = exc.message.replace(" The file was left untouched.", "")
                raise ListFileError(
                    path, f"Not saved: {reason} Saving would replace it, so it was left untouched."
                ) from None
            atomic_write_bytes(path.with_name(path.name + ".unreadable"), old_bytes)
        else:
            # A file someone put passwords into is backed up without them: we never write a password.
            backup = list_to_json(old).encode("utf-8") if passwords else old_bytes
            atomic_write_bytes(path.with_name(path.name + ".bak"), backup)
    atomic_write_bytes(path, list_to_json(lst).encode("utf-8"))

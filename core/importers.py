"""Bring targets in from CSV files and plain host lists, and export a list as CSV.

Imports never stop at the first bad row: good rows are kept and every bad row is reported with its line
number and the field to fix. A ``password`` column is refused outright: its values are blanked as soon as a row
is read, so no password from a spreadsheet reaches a target, a message or a log.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.exports import spreadsheet_safe, spreadsheet_unescape
from core.target import TargetError, parse_target
from core.targetlist import INHERITED, Folder, InvalidField, Target, TargetList

#: Columns of a list CSV, in export order. Only ``host`` is required on import.
LIST_COLUMNS = (
    "host", "port", "transport", "auth", "credential", "folder", "name", "notes", "ca_check", "cn_check",
    "allow_unencrypted", "session", "remote_shell", "spn", "include_port_in_spn",
)  # fmt: skip
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


@dataclass(frozen=True)
class RowError:
    """A row (or the header) that could not be imported. ``line`` is 1-based, as an editor shows it."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    targets: list[tuple[tuple[str, ...], Target]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def into(self, lst: TargetList) -> TargetList:
        """``lst`` with the imported targets added, folders created as their paths say."""
        return lst.add_targets(self.targets)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: a BOM decides; else UTF-8 if valid; else Windows-1252 (what Excel writes)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _read_source(source: str | bytes | os.PathLike[str]) -> tuple[str, list[str]]:
    """A ``str`` is the content itself; a path is read as bytes and decoded."""
    warnings: list[str] = []
    if isinstance(source, str):
        return source.removeprefix("\ufeff"), warnings
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text, encoding = decode_bytes(data)
    if encoding == "cp1252":
        warnings.append("The file is not UTF-8; it was read as Windows-1252 (Western European).")
    return text, warnings


def _is_password_column(name: str) -> bool:
    squashed = name.replace(" ", "").replace("_", "").replace("-", "")
    return "password" in squashed or squashed in {"pwd", "passwd", "pass", "secret"}


def _parse_bool(text: str, column: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidField(column, f"{column} must be true or false (or empty to inherit), got {text!r}")


def _parse_port(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise InvalidField("port", f"port must be a number from 1 to 65535 (or empty to inherit), got {text!r}")
    return int(value)


def _target_from_cells(cells: dict[str, str]) -> tuple[tuple[str, ...], Target]:
    host = cells.get("host", "").strip()
    port = _parse_port(cells.get("port", ""))
    transport = cells.get("transport", "").strip().lower() or None
    try:
        parse_target(host, transport=transport if transport in ("http", "https") else None, port=port)
    except TargetError as exc:
        raise InvalidField(exc.field, exc.message) from None
    folder = tuple(part.strip() for part in cells.get("folder", "").split("/") if part.strip())
    target = Target(
        host=host,
        name=cells.get("name", "").strip(),
        port=port,
        transport=transport,
        auth=cells.get("auth", "").strip().lower() or None,
        credential=cells.get("credential", "").strip() or None,
        ca_check=_parse_bool(cells.get("ca_check", ""), "ca_check"),
        cn_check=_parse_bool(cells.get("cn_check", ""), "cn_check"),
        allow_unencrypted=_parse_bool(cells.get("allow_unencrypted", ""), "allow_unencrypted"),
        session=_parse_bool(cells.get("session", ""), "session"),
        remote_shell=cells.get("remote_shell", "").strip() or None,
        spn=cells.get("spn", "").strip() or None,
        include_port_in_spn=_parse_bool(cells.get("include_port_in_spn", ""), "include_port_in_spn"),
        notes=cells.get("notes", ""),
    )
    return folder, target


def import_csv(source: str | bytes | os.PathLike[str]) -> ImportResult:
    """Import a CSV of targets. Pass a ``Path`` for a file (any of the usual encodings); a ``str`` is CSV text."""
    text, warnings = _read_source(source)
    result = ImportResult(warnings=warnings)
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: dict[str, int] | None = None
    secret_columns: list[int] = []
    header_line = 0
    last_line = 0
    for row in reader:
        line, last_line = last_line + 1, reader.line_num
        for i in secret_columns:  # blank before anything else looks at the row
            if i < len(row):
                row[i] = ""
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            header_line = line
            columns, secret_columns = _read_header(row, line, result)
            if "host" not in columns:
                result.errors.append(
                    RowError(
                        line,
                        "host",
                        f"the first row must name the columns and include 'host' "
                        f"(found: {', '.join(c.strip() for c in row)})",
                    )
                )
                return result
            continue
        cells = {name: spreadsheet_unescape(row[i]) if i < len(row) else "" for name, i in columns.items()}
        try:
            result.targets.append(_target_from_cells(cells))
        except InvalidField as exc:
            result.errors.append(RowError(line, exc.field, _without_owner(str(exc))))
    if columns is None:
        result.errors.append(RowError(max(header_line, 1), "host", "the file is empty"))
    return result


def _read_header(row: list[str], line: int, result: ImportResult) -> tuple[dict[str, int], list[int]]:
    columns: dict[str, int] = {}
    secrets: list[int] = []
    for i, raw in enumerate(row):
        name = raw.strip().lower()
        if _is_password_column(name):
            secrets.append(i)
            result.errors.append(
                RowError(
                    line,
                    raw.strip(),
                    f"column {raw.strip()!r} was refused: passwords are never stored "
                    "in target lists. Save the credential in the credential store and put its name in "
                    "the 'credential' column. The column's values were not read.",
                )
            )
        elif name in LIST_COLUMNS and name not in columns:
            columns[name] = i
        elif name in columns:
            result.warnings.append(f"column {raw.strip()!r} appears twice; the first one was used")
        elif name:
            result.warnings.append(f"column {raw.strip()!r} is not used by TestConnection and was ignored")
    return columns, secrets


def _without_owner(message: str) -> str:
    # Target validation says "target 'x': port must ..."; in an import report the line number says which row.
    return message.split(": ", 1)[1] if message.startswith("target ") and ": " in message else message


def import_text(source: str | bytes | os.PathLike[str]) -> ImportResult:
    """One TARGET per line; blank lines and lines starting with ``#`` are skipped."""
    text, warnings = _read_source(source)
    result = ImportResult(warnings=warnings)
    for line, raw in enumerate(text.splitlines(), start=1):
        host = raw.strip()
        if not host or host.startswith("#"):
            continue
        try:
            parse_target(host)
            result.targets.append(((), Target(host=host)))
        except TargetError as exc:
            result.errors.append(RowError(line, exc.field, exc.message))
        except InvalidField as exc:
            result.errors.append(RowError(line, exc.field, _without_owner(str(exc))))
    return result


def _rows(folder: Folder, path: tuple[str, ...], inherited: dict[str, Any]) -> Iterator[list[str]]:
    """CSV rows with each setting as it applies (own or inherited from a folder); app defaults stay blank."""
    merged = dict(inherited)
    merged.update({k: getattr(folder.defaults, k) for k in INHERITED if getattr(folder.defaults, k) is not None})
    for t in folder.targets:
        values: dict[str, Any] = {k: getattr(t, k) if getattr(t, k) is not None else merged.get(k) for k in INHERITED}
        cells = {**values, "host": t.host, "folder": "/".join(path), "name": t.name, "notes": t.notes}
        yield [_cell(cells.get(name)) for name in LIST_COLUMNS]
    for sub in folder.folders:
        yield from _rows(sub, (*path, sub.name), merged)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_safe(str(value))


def export_list_csv(lst: TargetList) -> str:
    """The list as CSV, one row per target. Folder defaults are written into each row (CSV has no folders
    of its own), so re-importing gives every target the same effective settings; JSON keeps the structure."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(LIST_COLUMNS)
    writer.writerows(_rows(lst.root, (), {}))
    return out.getvalue()

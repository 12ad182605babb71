"""Checks of the built files themselves, read back on any OS: what the one-file archives hold, and the Windows
program's first impression (subsystem, icon, version resource, manifest) as Windows will read it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Check:
    """One line of a smoke test's summary."""

    name: str
    ok: bool
    detail: str


#: Never inside either program, on any OS: test suites of dependencies.
NOT_SHIPPED = ("winrm.tests",)

# PE constants (winnt.h).
SUBSYSTEM_WINDOWS_GUI, SUBSYSTEM_WINDOWS_CUI = 2, 3
RT_GROUP_ICON, RT_VERSION, RT_MANIFEST = 14, 16, 24


def archive_names(program: Path) -> list[str]:
    """Every entry of a PyInstaller one-file program: its files, and the modules inside its PYZ."""
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller.utils.cliutils.archive_viewer", "--recursive", "--brief", str(program)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cannot list {program.name}: {result.stderr.strip()[-500:]}")
    return [line.strip() for line in result.stdout.splitlines() if line.startswith(" ")]


def contents(gui: Path, cli: Path, not_shipped: tuple[str, ...] = ()) -> list[Check]:
    """Nothing of ``NOT_SHIPPED + not_shipped`` (module prefixes or file names) is inside either program."""
    unwanted = tuple(name.lower() for name in (*NOT_SHIPPED, *not_shipped))
    checks = []
    for program in (gui, cli):
        label = f"{program.name} does not contain {', '.join(unwanted)}"
        try:
            names = archive_names(program)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            checks.append(Check(label, False, str(exc)))
            continue

        def unwanted_entry(entry: str) -> bool:
            entry = entry.lower().replace("\\", "/")
            base = entry.rsplit("/", 1)[-1]
            return any(entry == u or entry.startswith(u + ".") or base == u for u in unwanted)

        found = sorted({n for n in names if unwanted_entry(n)})
        detail = f"{len(names)} entries listed" + (f"; found {', '.join(found[:10])}" if found else ", none of these")
        checks.append(Check(label, bool(names) and not found, detail))
    return checks


def _version_strings(pe: object) -> dict[str, str]:
    strings: dict[str, str] = {}
    for info in getattr(pe, "FileInfo", []) or []:
        for entry in info:
            for table in getattr(entry, "StringTable", []):
                strings.update({k.decode(): v.decode() for k, v in table.entries.items()})
    return strings


def _manifest(pe: object) -> str:
    for kind in getattr(pe, "DIRECTORY_ENTRY_RESOURCE").entries:  # noqa: B009 - set by parse_data_directories
        if kind.id != RT_MANIFEST:
            continue
        for name in kind.directory.entries:
            for language in name.directory.entries:
                data = language.data.struct
                raw: bytes = pe.get_data(data.OffsetToData, data.Size)  # type: ignore[attr-defined]
                return raw.decode("utf-8", errors="replace")
    return ""


def windows_resources(gui: Path, cli: Path, version: str) -> list[Check]:
    """What Explorer and Windows read from each .exe: GUI or console subsystem, icon, version, manifest."""
    import pefile

    checks = []
    for program, subsystem in ((gui, SUBSYSTEM_WINDOWS_GUI), (cli, SUBSYSTEM_WINDOWS_CUI)):
        pe = pefile.PE(str(program), fast_load=True)
        try:
            pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]])
            resources = getattr(pe, "DIRECTORY_ENTRY_RESOURCE", None)
            kinds = {entry.id for entry in resources.entries} if resources is not None else set()
            strings = _version_strings(pe)
            manifest = _manifest(pe)
            actual_subsystem = pe.OPTIONAL_HEADER.Subsystem
        finally:
            pe.close()
        window = "a window, no console" if subsystem == SUBSYSTEM_WINDOWS_GUI else "a console program"
        checks.append(
            Check(f"{program.name} is {window}", actual_subsystem == subsystem,
                   f"PE subsystem {actual_subsystem} (want {subsystem})")
        )
        checks.append(Check(f"{program.name} has an icon", RT_GROUP_ICON in kinds, f"resource types {sorted(kinds)}"))
        wanted = {"ProductName": "TestConnection", "FileVersion": version, "ProductVersion": version,
                  "OriginalFilename": program.name}
        wrong = {k: strings.get(k) for k, v in wanted.items() if strings.get(k) != v}
        checks.append(
            Check(f"{program.name} version resource", RT_VERSION in kinds and not wrong,
                   f"{strings.get('FileDescription')!r} {strings.get('FileVersion')}"
                   + (f"; wrong: {wrong}" if wrong else ""))
        )
        settings = {
            "per-monitor DPI aware (v2)": re.search(r"<dpiAwareness[^>]*>\s*PerMonitorV2", manifest),
            "long paths": re.search(r"<longPathAware[^>]*>\s*true\s*<", manifest),
            "runs as the invoking user": re.search(r'level="asInvoker"', manifest),
        }
        missing = [name for name, found in settings.items() if not found]
        checks.append(
            Check(f"{program.name} manifest: {', '.join(settings)}", bool(manifest) and not missing,
                   "as built" if not missing else f"missing {', '.join(missing)}:\n{manifest[:2000]}")
        )
    return checks

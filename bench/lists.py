"""6. Saved target lists: load and save 10,000 targets."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.common import Goal, Section, main_thread_profile, median, ms
from core.listfile import list_to_json, load_list, save_list
from core.targetlist import Folder, Settings, Target, TargetList


def make_list(n: int, folders: int = 100) -> TargetList:
    per = n // folders
    subfolders = tuple(
        Folder(
            f"site{f:03d}",
            defaults=Settings(transport="https" if f % 2 else None, auth="ntlm"),
            targets=tuple(
                Target(f"srv{f:03d}-{i:04d}.corp.example", name=f"Server {f}-{i}", notes="rack 4") for i in range(per)
            ),
        )
        for f in range(folders)
    )
    return TargetList("Bench", Folder("Targets", folders=subfolders))


def _save_breakdown(lst: TargetList, load_time: float) -> str:
    """Why a save costs about twice a load: measured pieces of `save_list`."""
    started = time.perf_counter()
    text = list_to_json(lst)
    to_json = time.perf_counter() - started
    doc = json.loads(text)
    started = time.perf_counter()
    json.dumps(doc, ensure_ascii=False, indent=1)
    indented = time.perf_counter() - started
    started = time.perf_counter()
    json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    compact = time.perf_counter() - started
    return (
        f"Where a save goes: `save_list` first re-reads and validates the existing file (as a load, "
        f"{ms(load_time)}) to decide it may be replaced and kept as `.bak`; `list_to_json` takes {ms(to_json)}, of "
        f"which `json.dumps(indent=1)` is {ms(indented)} because `indent` forces the pure-Python encoder (compact "
        f"output uses the C encoder: {ms(compact)}); then two atomic writes with fsync (`.bak` and the list)."
    )


def run(quick: bool) -> Section:
    n = 10_000
    repeats = 1 if quick else 5
    section = Section(f"6. Target lists: {n:,} targets in 100 folders", ["operation", "N", "median", "max", "goal"])
    lst = make_list(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "targets.json"
        save_list(lst, path)
        saves, loads = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            save_list(lst, path)
            saves.append(time.perf_counter() - started)
            started = time.perf_counter()
            loaded = load_list(path)
            loads.append(time.perf_counter() - started)
        count = sum(1 for _ in loaded.targets())
        size = path.stat().st_size
        section.rows = [
            ["save_list (atomic write, .bak kept)", str(repeats), ms(median(saves)), ms(max(saves)), "< 1 s"],
            [
                f"load_list ({count:,} targets back, {size / 1024:,.0f} KiB)",
                str(repeats),
                ms(median(loads)),
                ms(max(loads)),
                "< 1 s",
            ],
        ]
        section.notes.append(_save_breakdown(lst, median(loads)))
        section.goals.append(Goal("save < 1 s", max(saves) < 1.0, ms(max(saves))))
        section.goals.append(Goal("load < 1 s", max(loads) < 1.0 and count == n, ms(max(loads))))
        if max(saves) >= 1.0 or max(loads) >= 1.0:

            def both() -> None:
                save_list(lst, path)
                load_list(path)

            section.profile = main_thread_profile(both)
    return section

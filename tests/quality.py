"""The counts in the README's quality section, tallied by the tests that earn them.

A hardening test calls ``tally(key)`` once per case *after* its assertions held, so a count is the number of cases
that were tried and survived. When a test session passes and every key below was tallied (the suite ran in full),
``tests/conftest.py`` records the counts in ``.quality-counts.json`` (git-ignored): running the tests changes no
tracked file. Writing them into the README is a separate, deliberate step:

    python -m tests.quality            # write the README's table from the last full passing run
    python -m tests.quality --check    # exit 1 unless the README's table is that run's (CI runs this)

Nobody types these numbers.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from core.atomicfile import atomic_write_bytes

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RECORD = ROOT / ".quality-counts.json"  # git-ignored
START = "<!-- quality:start (written by `python -m tests.quality` from the last full passing run) -->"
END = "<!-- quality:end -->"
_SECTION = re.compile(r"<!-- quality:start.*?" + re.escape(END), re.S)  # any wording of the start marker

#: key → (what was tried, what surviving it means). The order is the table's.
ROWS: dict[str, tuple[str, str]] = {
    "hostile_replies": (
        "Replies from a fuzzing server: mutated HTTP (status lines, headers, lengths, chunking, early close), "
        "hostile XML (nesting, entities, huge attributes, wrong namespaces, truncation) and binary junk",
        "one final result, classified, within the deadline",
    ),
    "parser_inputs": (
        "Documents fed straight to the Identify and fault parsers, including a billion-laughs bomb and "
        "100,000-deep nesting",
        "parsed, or refused with an XmlError, each in under a second",
    ),
    "target_inputs": (
        "Typed targets: empty, spaces, unicode and IDN names, IPv6 with and without brackets and zones, URLs "
        "with paths, queries and credentials, ports 0 / 65536 / non-numeric — in the parser and the CLI",
        "parsed and round-tripped, or refused naming the field",
    ),
    "file_inputs": (
        "Loaded files: list JSON, CSV and text imports (encodings, BOMs, quotes, garbage bytes) and settings "
        "files with hostile values",
        "loaded, or refused naming the field or line; the saved file is never damaged",
    ),
    "large_import_rows": (
        "Rows in one CSV import (good rows with bad ones mixed in)",
        "every good row imported, every bad row reported with its line number",
    ),
    "lab_scenarios": (
        "Broken-machine scenarios of the lab, run through the real client",
        "the stage, MI result, category and Windows code of the diagnosis table (docs/diagnosis.md), and a hint",
    ),
    "cancel_cases": (
        "Cancellations: every stage, every authentication scheme, sync and async",
        "exactly one final result, no callback after it, no thread or descriptor left",
    ),
    "cancel_races": (
        "Cancels fired while a stage was finishing",
        "the stage reported as cancelled, never as failed",
    ),
    "shells_deleted": (
        "Remote shells the session stage opened or was asked to open against the lab, cancels and deadlines included",
        "every shell the lab created was deleted, as the lab's own record shows",
    ),
    "soak_sequential": (
        "Tests in a row against the lab (soak)",
        "threads and descriptors back to start, memory within 30 MiB",
    ),
    "soak_parallel": (
        "Tests in parallel through one batch (soak)",
        "threads and descriptors back to start, memory within 30 MiB",
    ),
    "secret_outputs": (
        "Outputs scanned for a marker password after CLI, API, export and GUI flows (files, logs at DEBUG, "
        "stdout, clipboard, settings, exception texts, child command lines)",
        "the marker appears in none of them",
    ),
    "kills_during_save": (
        "Processes killed (SIGKILL) while saving a 2,000-target list",
        "the list on disk loads: the old one or the new one",
    ),
}

_counts: Counter[str] = Counter()
_lock = threading.Lock()  # tallies come from worker threads too


def tally(key: str, n: int = 1) -> None:
    if key not in ROWS:
        raise KeyError(f"unknown quality count {key!r}: add it to tests/quality.py ROWS")
    with _lock:
        _counts[key] += n


def counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def section(found: dict[str, int]) -> str:
    lines = [
        START,
        "Counted by the tests themselves in the last full passing run of the suite (`tests/quality.py`):",
        "",
        "| Tried | Count | Survived means |",
        "|---|---:|---|",
    ]
    lines += [f"| {tried} | {found[key]:,} | {meaning} |" for key, (tried, meaning) in ROWS.items()]
    lines.append(END)
    return "\n".join(lines)


def complete(found: dict[str, int]) -> bool:
    """Whether every row was counted: only a run of the whole suite tallies them all."""
    return all(found.get(key, 0) > 0 for key in ROWS)


def record_run(found: dict[str, int], path: Path | None = None) -> bool:
    """Keep the counts of a full passing run (True), or nothing when some row was not counted (False)."""
    if not complete(found):
        return False
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    record = {"recorded_at": when, "counts": {key: found[key] for key in ROWS}}
    atomic_write_bytes(path or RECORD, (json.dumps(record, indent=1) + "\n").encode())
    return True


def recorded(path: Path | None = None) -> dict[str, int] | None:
    """The counts of the last full passing run, or None when none is recorded (or the rows have changed since)."""
    try:
        counts = json.loads((path or RECORD).read_text(encoding="utf-8"))["counts"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(counts, dict) or set(counts) != set(ROWS):
        return None
    if not all(isinstance(value, int) and value > 0 for value in counts.values()):
        return None
    return counts


def readme_section(text: str) -> str | None:
    found = _SECTION.search(text)
    return found.group(0) if found else None


def write_readme(found: dict[str, int], readme: Path | None = None) -> bool:
    """Put the table for ``found`` between the README's markers; True when the README changed."""
    readme = readme or README
    text = readme.read_text(encoding="utf-8")
    if readme_section(text) is None:
        raise ValueError(f"{readme.name} has no quality section ({END} and its start marker)")
    new = _SECTION.sub(lambda _: section(found), text, count=1)
    if new == text:
        return False
    atomic_write_bytes(readme, new.encode("utf-8"))
    return True


def main(argv: Sequence[str] | None = None, readme: Path | None = None, record: Path | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.quality",
        description="Write (or check) the README's quality table from the last full passing test run.",
    )
    parser.add_argument("--check", action="store_true", help="only check: exit 1 if the README's table differs")
    args = parser.parse_args(argv)
    readme, record = readme or README, record or RECORD
    found = recorded(record)
    if found is None:
        print(
            f"No full passing run is recorded in {record.name}: run the whole suite first "
            "(`python -m pytest -q`; every count of tests/quality.py must be tallied).",
            file=sys.stderr,
        )
        return 1
    if not args.check:
        changed = write_readme(found, readme)
        print(f"{readme.name}: quality table {'updated' if changed else 'already up to date'}.")
        return 0
    current = readme_section(readme.read_text(encoding="utf-8")) or ""
    wanted = section(found)
    if current == wanted:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), wanted.splitlines(), f"{readme.name} (as it is)", "the last full passing run", lineterm=""
    )
    print(
        f"{readme.name}'s quality table is not the one the last full passing run counted.\n"
        "Run `python -m tests.quality` and commit README.md.\n" + "\n".join(diff),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

"""What happened the last few times each endpoint was tested ("last OK 2 days ago").

History is a convenience, not a record: a damaged history file is replaced (after a warning in the log)
rather than blocking anything, unlike a target list.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.atomicfile import atomic_write_bytes
from core.diagnosis import Diagnosis
from core.paths import history_path
from core.textreport import is_cancelled

log = logging.getLogger(__name__)

FORMAT = "testconnection-history"
VERSION = 1
DEFAULT_KEEP = 5
MAX_KEYS = 20_000  # the least recently tested endpoints are forgotten beyond this


@dataclass(frozen=True)
class HistoryEntry:
    finished_at: datetime  # timezone-aware
    ok: bool
    failed_stage: str | None
    result: str


class History:
    """The last ``keep`` results per key (the endpoint URL). Not thread-safe: use it from the GUI thread."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.keep = keep
        self._entries: dict[str, list[HistoryEntry]] = {}

    def record(self, key: str, entry: HistoryEntry) -> None:
        entries = self._entries.pop(key, [])  # re-inserted last: dict order is "least recently tested first"
        self._entries[key] = [*entries, entry][-self.keep :]
        while len(self._entries) > MAX_KEYS:
            del self._entries[next(iter(self._entries))]

    def record_result(self, result: Mapping[str, Any], finished_at: datetime | None = None) -> None:
        """Record a CLI-schema result dict. A cancelled run says nothing about the machine, so it is skipped."""
        if is_cancelled(result) or not result.get("endpoint"):
            return
        self._remember(str(result["endpoint"]), bool(result.get("ok")), result.get("failed_stage"),
                       str(result.get("result") or ""), finished_at)

    def record_diagnosis(self, diagnosis: Diagnosis, finished_at: datetime | None = None) -> None:
        """Record a final Diagnosis, as ``record_result`` records its CLI dict: the window records every finished
        row while tests run, and building the whole dict for four of its fields cost the GUI thread ~0.2 ms each."""
        if diagnosis.cancelled or not diagnosis.endpoint:
            return
        self._remember(diagnosis.endpoint, diagnosis.ok, diagnosis.failed_stage, diagnosis.result.mi_name, finished_at)

    def _remember(self, key: str, ok: bool, failed_stage: str | None, result: str, at: datetime | None) -> None:
        self.record(key, HistoryEntry(finished_at=at or datetime.now(UTC), ok=ok, failed_stage=failed_stage,
                                      result=result))

    def entries(self, key: str) -> tuple[HistoryEntry, ...]:
        """Oldest first."""
        return tuple(self._entries.get(key, ()))

    def last(self, key: str) -> HistoryEntry | None:
        entries = self._entries.get(key)
        return entries[-1] if entries else None

    def describe_last(self, key: str, now: datetime | None = None) -> str:
        entry = self.last(key)
        if entry is None:
            return "never tested"
        ago = format_ago(entry.finished_at, now or datetime.now(UTC))
        if entry.ok:
            return f"last OK {ago}"
        return f"last failed ({entry.failed_stage}) {ago}" if entry.failed_stage else f"last failed {ago}"

    # --- storage -------------------------------------------------------------------------------------------

    def to_json(self) -> str:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "entries": {
                key: [
                    {"finished_at": e.finished_at.isoformat(), "ok": e.ok, "failed_stage": e.failed_stage,
                     "result": e.result}
                    for e in entries
                ]
                for key, entries in self._entries.items()
            },
        }  # fmt: skip
        return json.dumps(doc, ensure_ascii=False) + "\n"

    def save(self, path: Path | None = None) -> None:
        atomic_write_bytes(Path(path or history_path()), self.to_json().encode("utf-8"))

    @classmethod
    def load(cls, path: Path | None = None, keep: int = DEFAULT_KEEP) -> History:
        """The saved history, or an empty one if there is none or it cannot be read."""
        history = cls(keep)
        path = Path(path or history_path())
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != FORMAT or doc.get("version") != VERSION:
                raise ValueError(f"format {doc.get('format')!r} version {doc.get('version')!r}")
            for key, entries in doc["entries"].items():
                history._entries[str(key)] = [
                    HistoryEntry(
                        finished_at=_aware(datetime.fromisoformat(e["finished_at"])),
                        ok=bool(e["ok"]),
                        failed_stage=e.get("failed_stage"),
                        result=str(e.get("result") or ""),
                    )
                    for e in entries
                ][-keep:]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("history file %s could not be read (%s); starting an empty history", path, exc)
            history._entries.clear()
        return history


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_ago(then: datetime, now: datetime) -> str:
    """Say "5 minutes ago", "2 days ago", or "just now" (also for a time in the future, after a clock change)."""
    seconds = (_aware(now) - _aware(then)).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"  # pragma: no cover - unreachable, kept for the type checker

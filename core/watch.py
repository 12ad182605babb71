"""Watching targets: each is tested again every few seconds, and this keeps, per target, whether it is up or down,
since when, how many tests passed and failed, and each change ("down 14:02:11 — up 14:06:40, 4 min 29 s").

No Qt and no threads: the command line (``--watch``) and the window test, and feed every final result here.
"""

from __future__ import annotations

import datetime as _dt
import enum
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from core.diagnosis import Diagnosis
from core.report import iso_time, problem

DEFAULT_INTERVAL = 10.0  # seconds from one test of a target to the next
KEPT_CHANGES = 100  # per target: a flapping target must not grow without bound over a long watch


class Health(enum.StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class Change:
    """A target's state changed (or was seen for the first time: ``previous`` is None)."""

    target: str
    health: Health
    at: float  # time.time() when the result that changed it arrived
    problem: str  # the new state in words (core.report.problem)
    previous: Health | None = None
    since: float | None = None  # when the previous state began

    @property
    def lasted(self) -> float | None:
        """How long the previous state held, in seconds."""
        return None if self.since is None else max(0.0, self.at - self.since)

    def describe(self) -> str:
        """"down 14:02:11 — up 14:06:40, 4 min 29 s": the previous state from its start, the new one, how long the
        previous one lasted."""
        if self.previous is None or self.since is None:
            return f"{self.health} {clock(self.at)} (first result)"
        return (f"{self.previous} {clock(self.since)} — {self.health} {clock(self.at)}, "
                f"{format_duration(self.lasted or 0.0)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.health.value,
            "previous": None if self.previous is None else self.previous.value,
            "changed_at": iso_time(self.at),
            "previous_since": None if self.since is None else iso_time(self.since),
            "previous_lasted_s": None if self.lasted is None else round(self.lasted, 3),
            "problem": self.problem,
        }


@dataclass
class TargetWatch:
    """One watched target: its state, since when, its counts and its recent changes."""

    target: str
    health: Health | None = None  # None until the first result
    since: float | None = None
    passes: int = 0
    failures: int = 0
    changes: deque[Change] = field(default_factory=lambda: deque(maxlen=KEPT_CHANGES))

    def observe(self, diagnosis: Diagnosis, at: float | None = None) -> Change | None:
        """Count a final result; return the change it makes, if any. A cancelled or unfinished test says nothing
        about the target and is not counted."""
        if diagnosis.cancelled or diagnosis.running_stage is not None:
            return None
        at = time.time() if at is None else at
        health = Health.UP if diagnosis.ok else Health.DOWN
        if health is Health.UP:
            self.passes += 1
        else:
            self.failures += 1
        if health is self.health:
            return None
        change = Change(self.target, health, at, problem(diagnosis), self.health, self.since)
        self.health, self.since = health, at
        self.changes.append(change)
        return change

    def counts(self) -> dict[str, int]:
        return {"passes": self.passes, "failures": self.failures}

    def summary(self) -> str:
        """"down since 14:02:11 · 2 ✔ 3 ✖", as the window's Watch column shows it."""
        if self.health is None or self.since is None:
            return "waiting for the first result"
        return f"{self.health} since {clock(self.since)} · {self.passes} ✔ {self.failures} ✖"


class Watch:
    """Many watched targets, by the caller's key (a row, a list entry, a command-line position)."""

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        if not 1 <= interval <= 86_400:
            raise ValueError(f"watch interval: must be from 1 second to a day, not {interval:g} s")
        self.interval = interval
        self.targets: dict[Any, TargetWatch] = {}

    def add(self, key: Any, target: str) -> TargetWatch:
        """Start watching ``target`` under ``key`` (kept if it is watched already)."""
        return self.targets.setdefault(key, TargetWatch(target))

    def observe(self, key: Any, diagnosis: Diagnosis, at: float | None = None) -> Change | None:
        return self.add(key, diagnosis.target).observe(diagnosis, at)

    def get(self, key: Any) -> TargetWatch | None:
        return self.targets.get(key)

    def forget(self, key: Any) -> None:
        self.targets.pop(key, None)


def clock(timestamp: float) -> str:
    """The local time of day, as a helpdesk reads it off a wall clock: 14:02:11."""
    return _dt.datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")


def format_duration(seconds: float) -> str:
    """"12 s", "4 min 29 s", "1 h 3 min", "2 d 4 h"."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


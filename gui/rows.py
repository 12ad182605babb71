"""A results row: what to test, its latest diagnosis and the state it is in; a run's progress in numbers."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from core import DestinationOptions, Diagnosis
from core.mi import MIErrorCategory


class State(enum.StrEnum):
    """What the status column says. Each has a word and an icon: colour is never the only signal."""

    NOT_TESTED = "Not tested"
    QUEUED = "Queued"
    RUNNING = "Testing"
    OK = "OK"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    INVALID = "Invalid input"


@dataclass(frozen=True)
class TestSpec:
    """What to test for one row. ``options`` may carry a password: it stays in memory and is never shown."""

    __test__ = False  # not a pytest test class

    destination: str  # the endpoint URL handed to core
    label: str  # host:port, as the target column shows it
    options: DestinationOptions
    name: str = ""  # e.g. the demo scenario
    description: str = ""


@dataclass
class Row:
    key: int
    spec: TestSpec
    run_id: int = 0
    diagnosis: Diagnosis | None = None
    final: bool = False
    cells: tuple[str, ...] | None = None  # display texts, computed on first paint after each change

    @property
    def state(self) -> State:
        d = self.diagnosis
        if self.run_id == 0:
            return State.NOT_TESTED
        if d is None:
            return State.QUEUED
        if not self.final:
            return State.RUNNING
        if d.ok:
            return State.OK
        if d.cancelled:
            return State.CANCELLED
        if d.failure is not None and d.failure.category is MIErrorCategory.INVALID_ARGUMENT:
            return State.INVALID
        return State.FAILED


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    cancelled: int
    running: int

    def text(self) -> str:
        text = f"{self.done} / {self.total}, {self.failed} failed"
        return text + (f", {self.cancelled} cancelled" if self.cancelled else "")


# (row key, run id) → (the latest Diagnosis, whether it is final)
Updates = Mapping[tuple[int, int], tuple[Diagnosis, bool]]


def format_ms(ms: float) -> str:
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"

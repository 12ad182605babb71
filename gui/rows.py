"""A results row: what to test, its latest diagnosis and the state it is in; a run's progress in numbers."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from core import DestinationOptions, Diagnosis
from core.watch import TargetWatch


class State(enum.StrEnum):
    """What the status column says. Each has a word and an icon: colour is never the only signal."""

    NOT_TESTED = "Not tested"
    QUEUED = "Queued"
    RUNNING = "Testing"
    OK = "OK"
    UNTESTED = "Not fully tested"  # every stage it could run passed; authentication was not tested (no credentials)
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
    shown_run: int = 0  # the run whose diagnosis is shown: a watched row shows its last result while tested again
    cells: tuple[str, ...] | None = None  # display texts, computed on first paint after each change
    problem: str = ""  # core.report.problem() of the final diagnosis: shown, sorted and counted
    watch: TargetWatch | None = None  # while the row is watched: its state, since when, counts, changes
    changed: bool = False  # its watched state changed, and the row has not been selected since

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
            return State.UNTESTED if d.untested else State.OK
        if d.cancelled:
            return State.CANCELLED
        if d.failure is not None and d.failure.stage is None:  # refused before any stage ran: the input is wrong
            return State.INVALID
        return State.FAILED


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    cancelled: int
    running: int
    untested: int = 0  # passed, but authentication not tested: neither OK nor failed

    def text(self) -> str:
        text = f"{self.done} / {self.total}, {self.failed} failed"
        text += f", {self.untested} not fully tested" if self.untested else ""
        return text + (f", {self.cancelled} cancelled" if self.cancelled else "")


def failure_summary(problems: Counter[str], shown: int = 4) -> str:
    """"19 failed: 6 wrong user name or password, 4 no answer, …": the failures counted by problem, the most
    common first, each in its short form (the words before the dash)."""
    total = sum(problems.values())
    if not total:
        return ""
    # Counted by the short form: "Port 5985 filtered — host up (3389, 445)" and "… (445)" are one problem.
    short: Counter[str] = Counter()
    for text, count in problems.items():
        short[_short(text)] += count
    parts = [f"{count} {text}" for text, count in short.most_common(shown)]
    more = ", …" if len(short) > shown else ""
    return f"{total} failed: {', '.join(parts)}{more}"


def _short(problem: str) -> str:
    head = problem.split(" — ", 1)[0]
    first = head.split(" ", 1)[0]
    # "Port 5985 closed" reads "port 5985 closed" after a number; "DNS did not answer" keeps its acronym.
    return head if len(first) > 1 and first.isupper() else head[:1].lower() + head[1:]


# (row key, run id) → (the latest Diagnosis, whether it is final)
Updates = Mapping[tuple[int, int], tuple[Diagnosis, bool]]


def format_ms(ms: float) -> str:
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"

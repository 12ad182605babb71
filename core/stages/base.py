"""What a stage is: one layer of the test, with its name, its words for people, and how it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from core.failures import Context
    from core.mi import DestinationOptions
    from core.probe import Probe


class Skipped(NamedTuple):
    """A stage that did not run, or not to the end, for a reason worth its cell (not the stage's usual one)."""

    detail: str


class Stage(NamedTuple):
    name: str  # stable: JSON, CSV and the saved history use it
    title: str  # the column heading
    tooltip: str  # what the stage checks, in a sentence
    skip_reason: str  # the cell's text when the stage does not apply ("http" for tls)
    run: Callable[[Probe], str | Skipped | None]  # a passed stage's detail; None: the stage does not apply
    timeout_kind: Callable[[Context], str]  # the failure kind when the deadline ends this stage
    area: str  # what the stage is about, as a heading ("Name resolution"): the demo list's folders
    asked: Callable[[DestinationOptions], bool] = lambda _options: True  # False: skipped with its skip_reason


def fixed(kind: str) -> Callable[[Context], str]:
    """A stage that always times out the same way."""
    return lambda _ctx: kind

"""What a failure kind is: its stable id, its place in Windows' vocabulary, and its wording as data.

Wording is a template filled from the test's facts (``{host}``, ``{port}``, …): the catalogue states each kind once,
``docs/diagnosis.md`` is generated from it, and tests assert kinds by id, never by their text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple

from core.mi import MIErrorCategory, MIResult


class Where(enum.StrEnum):
    """Where a fix is run."""

    TARGET = "on the target"
    CLIENT = "on this PC"
    DOMAIN = "in the domain"


class Fix(NamedTuple):
    """A command that fixes or checks a failure, with the target's own name and port filled in."""

    where: Where
    command: str
    purpose: str = ""


class Kind(NamedTuple):
    id: str  # stable: tests, the GUI and the JSON refer to a failure by it
    stage: str | None  # where it is normally found; a failure's own stage is the one in flight
    result: MIResult
    category: MIErrorCategory
    problem: str  # the reason in a few plain words, for a table cell
    message: str
    hint: str
    detail: str  # the short text of the failed stage's cell
    windows_code: int | None = None  # what a Windows client shows, where a public source confirms it
    fixes: tuple[Fix, ...] = ()


class Facts(dict[str, object]):
    """Template values; one that is missing reads as ``?`` rather than failing a test that already failed."""

    def __missing__(self, key: str) -> str:
        return "?"


def fill(template: str, facts: Mapping[str, object]) -> str:
    return template.format_map(facts if isinstance(facts, Facts) else Facts(facts))


__all__ = ["Facts", "Fix", "Kind", "Where", "fill"]

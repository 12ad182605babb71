"""The one exception type a test raises for what it finds: a failure kind of the catalogue, and its facts.

Foreign exceptions (socket, ssl, h11, pyspnego, XML) are turned into a :class:`Problem` where they arise — in
``core.wire``, ``core.http``, each scheme — so the classifier decides between our own kinds and never looks at a
library's exception names or texts.
"""

from __future__ import annotations


class Problem(Exception):
    """What a stage found: ``kind`` names an entry of ``core.failures``; ``facts`` fill its wording.

    ``stage`` names an earlier stage when that is the layer that failed, although a later one noticed it (a TLS 1.3
    server refuses a missing client certificate only at the first read).
    """

    def __init__(self, kind: str, *, stage: str | None = None, **facts: object) -> None:
        super().__init__(kind)
        self.kind = kind
        self.stage = stage
        self.facts = facts

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in self.facts.items())
        return f"{self.kind} ({details})" if details else self.kind


class Timeout(Problem):
    """No answer in time: the stage in flight decides which timeout kind it is (see ``core.stages``)."""

    def __init__(self) -> None:
        super().__init__("timeout")


__all__ = ["Problem", "Timeout"]

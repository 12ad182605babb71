"""Shared fixtures."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# Before anything imports Qt or reads a path: no screen needed, and never the user's own settings or lists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TESTCONNECTION_HOME"] = tempfile.mkdtemp(prefix="testconnection-tests-")

from core.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Every lab endpoint, running for the whole test session (DEFAULT_USERS)."""
    with Lab() as running:
        yield running


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A passing run that tallied every count records them (git-ignored); the README changes only on request."""
    from tests import quality

    if exitstatus == 0 and quality.record_run(quality.counts()):
        section = quality.readme_section(quality.README.read_text(encoding="utf-8"))
        if section != quality.section(quality.counts()):
            print("\nThe README's quality table is not this run's: `python -m tests.quality` writes it.")

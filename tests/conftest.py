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
    """A passing run that tallied every hardening count refreshes the README's quality section."""
    from tests import quality

    if exitstatus == 0 and quality.update_readme(quality.counts()):
        print(f"\nREADME.md quality section updated from this run's counts: {quality.counts()}")

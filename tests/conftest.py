"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Every lab endpoint, running for the whole test session (DEFAULT_USERS)."""
    with Lab() as running:
        yield running

"""Shared fixtures."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

# Before anything imports Qt or reads a path: no screen needed, and never the user's own settings or lists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TESTCONNECTION_HOME"] = tempfile.mkdtemp(prefix="testconnection-tests-")

from core.lab import KERBEROS_SCENARIOS, Lab, kdc, kerberos_unavailable_reason

# Nor the user's own Kerberos: every file MIT krb5 and GSSAPI would look for (krb5.conf, tickets, keytabs, replay
# cache, mechanisms) is the test session's own: no realm, no DNS lookups, no tickets. A Kerberos test points them
# at its lab's realm instead (Lab.kerberos_environ).
KERBEROS_HOME = tempfile.mkdtemp(prefix="testconnection-krb5-")
os.environ.update(kdc.isolated_environ(KERBEROS_HOME, os.path.join(KERBEROS_HOME, "krb5.conf")))
with open(os.environ["KRB5_CONFIG"], "w") as _config:
    _config.write(kdc.client_config({}, "NO-REALM.INVALID"))
open(os.environ["GSS_MECH_CONFIG"], "w").close()
atexit.register(shutil.rmtree, KERBEROS_HOME, True)


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Every lab endpoint, running for the whole test session (DEFAULT_USERS)."""
    with Lab() as running:
        yield running


@pytest.fixture(scope="session")
def kerberos_lab() -> Iterator[Lab]:
    """The Kerberos scenarios with the lab's MIT KDCs, for the whole test session (.ci/run installs them)."""
    assert kerberos_unavailable_reason() is None, kerberos_unavailable_reason()
    with Lab(scenarios=KERBEROS_SCENARIOS) as running:
        yield running


@pytest.fixture
def klab(kerberos_lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The Kerberos scenarios, and this test's Kerberos pointed at the lab's realms and an empty ticket cache."""
    for name, value in kerberos_lab.kerberos_environ.items():
        monkeypatch.setenv(name, value)
    return kerberos_lab


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A passing run that tallied every count records them (git-ignored); the README changes only on request."""
    from tests import quality

    if exitstatus == 0 and quality.record_run(quality.counts()):
        section = quality.readme_section(quality.README.read_text(encoding="utf-8"))
        if section != quality.section(quality.counts()):
            print("\nThe README's quality table is not this run's: `python -m tests.quality` writes it.")

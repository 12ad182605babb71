"""Recent results per endpoint and how they are described."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core import paths
from core.history import History, HistoryEntry, format_ago
from tests.test_exports import sample_results

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))


def test_describe_last() -> None:
    history = History()
    ok, auth, tls, cancelled = sample_results()
    assert history.describe_last("http://srv01:5985/wsman", NOW) == "never tested"
    history.record_result(ok, NOW - timedelta(days=2, hours=3))
    history.record_result(auth, NOW - timedelta(minutes=5))
    history.record_result(tls, NOW - timedelta(seconds=10))
    history.record_result(cancelled, NOW)  # a cancelled run says nothing about the machine
    assert history.describe_last("http://srv01:5985/wsman", NOW) == "last OK 2 days ago"
    assert history.describe_last("http://srv02:5985/wsman", NOW) == "last failed (auth) 5 minutes ago"
    assert history.describe_last("https://srv03:5986/wsman", NOW) == "last failed (tls) just now"
    assert history.describe_last("http://srv04:5985/wsman", NOW) == "never tested"


def test_format_ago() -> None:
    assert format_ago(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert format_ago(NOW - timedelta(hours=5, minutes=59), NOW) == "5 hours ago"
    assert format_ago(NOW + timedelta(hours=1), NOW) == "just now"  # clock moved back
    assert format_ago(datetime(2026, 11, 23, 12, 0), NOW) == "1 day ago"  # naive times are taken as UTC


def test_keeps_last_n_and_round_trips(tmp_path: Path) -> None:
    history = History(keep=3)
    for i in range(5):
        history.record("k", HistoryEntry(NOW + timedelta(minutes=i), i % 2 == 0, None if i % 2 == 0 else "tcp", "R"))
    assert [e.finished_at.minute for e in history.entries("k")] == [2, 3, 4]
    history.save()
    assert paths.history_path().exists()
    loaded = History.load(keep=3)
    assert loaded.entries("k") == history.entries("k")
    assert History.load(keep=2).entries("k") == history.entries("k")[-2:]


def test_damaged_or_missing_history_starts_empty(tmp_path: Path) -> None:
    assert History.load().entries("k") == ()
    path = tmp_path / "h.json"
    path.write_text('{"format": "testconnection-history", "version": 1, "entries": {"k": [{"ok": tru')
    assert History.load(path).last("k") is None


def test_a_diagnosis_is_remembered_as_its_result_would_be() -> None:
    """The window records finished rows straight from their Diagnosis; the entry is the one the CLI's result
    dict of that diagnosis gives."""
    from core import Diagnosis, StageReport, StageStatus, failures
    from core.report import diagnosis_to_dict

    refused = failures.failure("tcp.refused", "tcp", failures.Context("srv02", 5985, "http"))
    diagnoses = [
        Diagnosis("srv01:5985", "http://srv01:5985/wsman", (StageReport("dns", StageStatus.OK, 0.4, ""),)),
        Diagnosis("srv02:5985", "http://srv02:5985/wsman", (StageReport("tcp", StageStatus.FAILED, 1.0, ""),),
                  failure=refused),
        Diagnosis("srv03:5985", "http://srv03:5985/wsman", (StageReport("tcp", StageStatus.CANCELLED, 1.0, ""),),
                  failure=failures.cancelled("tcp")),
    ]
    direct, via_dict = History(), History()
    for diagnosis in diagnoses:
        direct.record_diagnosis(diagnosis, NOW)
        via_dict.record_result(diagnosis_to_dict(diagnosis), NOW)
    for endpoint in ("http://srv01:5985/wsman", "http://srv02:5985/wsman", "http://srv03:5985/wsman"):
        assert direct.entries(endpoint) == via_dict.entries(endpoint)
    assert direct.describe_last("http://srv02:5985/wsman", NOW) == "last failed (tcp) just now"
    assert direct.describe_last("http://srv03:5985/wsman", NOW) == "never tested"  # cancelled: says nothing

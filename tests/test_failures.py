"""The failure catalogue: every kind the code can raise exists, every wording fills in, and the docs are current."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from core.failures import KINDS, Context, failure
from core.failures.__main__ import main as write_docs
from core.failures.kinds import Kind
from core.mi import AuthType

CORE = Path(__file__).resolve().parent.parent / "core"
# What a boundary tells about a problem, besides what the test's Context gives (core/failures/__init__.py).
PROBLEM_FACTS = {
    "field", "reason", "protocol", "error", "error_type", "banner", "status", "server", "location", "location_host",
    "request_bytes", "fault", "fault_name", "fault_code", "install_hint", "windows_code", "wsman_fault_code",
    # the session stage's: the shell and what fits it (core.failures.session.shell_facts), and who answered
    "shell_label", "configuration", "enable_endpoint", "list_endpoints", "plugin_quota", "account_note", "vendor",
    # Kerberos (core/kerberos/attempt.py Attempt.facts, errors.py, clock.py)
    "spn", "principal", "realm", "realm_lower", "host_short", "kinit", "krb_error", "clock_story",
    "answering", "looked",
}  # fmt: skip
CONTEXT = Context(
    host="srv01.corp.example", port=5986, transport="https", auth=AuthType.BASIC, auth_label="Basic",
    user="CORP\\alice", offered=("Negotiate", 'Basic realm="WSMAN"'), enable_command="Set-Item x", enable_hint=": x",
)  # fmt: skip


def _placeholders(kind: Kind) -> set[str]:
    texts = [kind.problem, kind.message, kind.hint, kind.detail, *(f.command for f in kind.fixes)]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("kind_id", sorted(KINDS))
def test_every_kind_fills_in_from_the_tests_and_the_problems_facts(kind_id: str) -> None:
    kind = KINDS[kind_id]
    unknown = _placeholders(kind) - set(CONTEXT.facts()) - PROBLEM_FACTS
    assert not unknown, f"{kind_id} quotes facts nobody gives: {unknown}"
    facts = {name: f"<{name}>" for name in PROBLEM_FACTS if name not in ("windows_code", "wsman_fault_code")}
    found = failure(kind_id, kind.stage, CONTEXT, **facts)
    for text in (found.problem, found.message, found.hint, found.detail, *(f.command for f in found.fixes)):
        assert text and "?" not in text.replace("(?", "") and "{" not in text.replace("@{", ""), (kind_id, text)
    assert found.kind == kind_id and (found.result, found.category) == (kind.result, kind.category)


def test_every_kind_the_code_raises_is_in_the_catalogue() -> None:
    raised: set[str] = set()
    for path in CORE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'Problem\(\s*"([a-z_.]+)"', text))
        raised |= set(re.findall(r'failure\(\s*"([a-z_.]+)"', text))
        raised |= set(re.findall(r'return "([a-z]+\.[a-z_]+)"', text))  # stages' timeout kinds
    assert raised, "the scan found nothing: it no longer matches how the code raises problems"
    assert raised <= set(KINDS), raised - set(KINDS)


def test_the_diagnosis_table_in_docs_is_generated_from_the_catalogue() -> None:
    assert write_docs(["--check"]) == 0, "docs/diagnosis.md is stale: run python -m core.failures"

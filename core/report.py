"""A diagnosis in words and in the JSON contract: the one place a result is put into what people and scripts read.

``diagnosis_to_dict`` builds the object of docs/cli.md; every rendering (the CLI's text and ``--json``, Copy for
ticket, the HTML, CSV and JSON reports in ``core.exports``, the window's export) starts from it. ``problem`` is the
reason in a few plain words, as the window's table and the reports lead with it. No password can appear here: a
diagnosis never holds one.
"""

from __future__ import annotations

import time
from typing import Any

from core.diagnosis import Diagnosis
from core.failures import scheme_names
from core.mi import MIErrorCategory
from core.products import product_name
from core.target import parse_target


def problem(diagnosis: Diagnosis) -> str:
    """"Wrong user name or password", "Port 5985 closed — WinRM not listening", "OK — Windows Server 2022
    (10.0.20348)": the failure kind's own words, or what answered. The table, its sorting and the status bar's
    failure counts all go through this one function."""
    if diagnosis.running_stage is not None:
        return f"Testing ({diagnosis.running_stage})…"
    failure = diagnosis.failure
    if failure is not None:
        return failure.problem or failure.category.name.lower()
    if diagnosis.requires_authentication and diagnosis.identify is None:
        offered = ", ".join(scheme_names(diagnosis.offered_schemes))
        return "Listening — needs authentication" + (f" ({offered})" if offered else "")
    text = "OK"
    if diagnosis.identify is not None:
        text += " — " + product_name(diagnosis.identify.product_vendor, diagnosis.identify.product_version)
    if diagnosis.untested:
        text += f"; authentication not tested — {diagnosis.untested}"
    return text


def outcome(diagnosis: Diagnosis) -> str:
    """Short and groupable: "OK", "Not fully tested", "Failed at auth", "Cancelled", "Invalid input"."""
    failure = diagnosis.failure
    if diagnosis.running_stage is not None:
        return "Testing"
    if failure is None:
        return "Not fully tested" if diagnosis.untested else "OK"
    if failure.category is MIErrorCategory.OPERATION_STOPPED:
        return "Cancelled"
    return f"Failed at {failure.stage}" if failure.stage else "Invalid input"


def test_wsman(diagnosis: Diagnosis) -> str:
    """The same check from a Windows PC, so the helpdesk and the admin can compare: ``Test-WSMan srv01 -Port 5986
    -UseSSL -Authentication Negotiate -Credential CORP\\alice``; "" where the target could not be parsed."""
    from core.schemes import scheme

    try:
        endpoint = parse_target(diagnosis.endpoint)
        name = scheme(diagnosis.auth or "none").test_wsman
    except ValueError:
        return ""
    parts = ["Test-WSMan", endpoint.host, "-Port", str(endpoint.port)]
    if endpoint.transport == "https":
        parts.append("-UseSSL")
    if name:
        parts += ["-Authentication", name]
        if diagnosis.user:
            parts += ["-Credential", diagnosis.user]
    return " ".join(parts)


def diagnosis_to_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    failure = diagnosis.failure
    identify = diagnosis.identify
    return {
        "target": diagnosis.target,
        "endpoint": diagnosis.endpoint,
        "ok": diagnosis.ok,
        "outcome": outcome(diagnosis),
        "problem": problem(diagnosis),
        "result": diagnosis.result.mi_name,
        "result_code": int(diagnosis.result),
        "failed_stage": diagnosis.failed_stage,
        "auth": diagnosis.auth or None,
        "mechanism": diagnosis.mechanism or None,
        "stages": [
            {"name": s.name, "status": s.status.value, "elapsed_ms": s.elapsed_ms, "detail": s.detail}
            for s in diagnosis.stages
        ],
        "identify": None
        if identify is None
        else {
            "protocol_version": identify.protocol_version,
            "product_vendor": identify.product_vendor,
            "product_version": identify.product_version,
            "security_profiles": list(identify.security_profiles),
        },
        "error": None
        if failure is None
        else {
            "kind": failure.kind,
            "problem": failure.problem,
            "message": failure.message,
            "result": failure.result.mi_name,
            "category": failure.category.name,
            "category_code": int(failure.category),
            "windows_code": failure.windows_code,
            "wsman_fault_code": failure.wsman_fault_code,
            "hint": failure.hint,
            "fix": [{"where": f.where.name.lower(), "command": f.command, "purpose": f.purpose} for f in failure.fixes],
        },
        "check": test_wsman(diagnosis) or None,
        "untested": diagnosis.untested or None,
        "requires_authentication": diagnosis.requires_authentication,
        "offered_schemes": list(diagnosis.offered_schemes),
        "elapsed_ms": diagnosis.elapsed_ms,
        "started_at": iso_time(diagnosis.started_at),
        "notes": list(diagnosis.notes),
    }


def iso_time(timestamp: float) -> str | None:
    """A time.time() as the JSON writes every time: ISO 8601 in UTC, to the second; None for none (0)."""
    if not timestamp:
        return None
    # What datetime's isoformat(timespec="seconds") in UTC writes, without importing datetime (about a millisecond of
    # every CLI start): rounded to the microsecond first, as datetime.fromtimestamp rounds.
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(round(timestamp, 6)))


__all__ = ["diagnosis_to_dict", "iso_time", "outcome", "problem", "test_wsman"]

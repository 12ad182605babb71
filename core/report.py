"""A diagnosis in the shapes people hand on: the CLI's JSON object, and the plain text for a ticket.

``diagnosis_to_dict`` is the one place the JSON contract of docs/cli.md is produced; exports and the GUI use it too.
No password can appear here: a diagnosis never holds one.
"""

from __future__ import annotations

from typing import Any

from core.diagnosis import Diagnosis, StageStatus
from core.mi import MIErrorCategory


def verdict(diagnosis: Diagnosis) -> str:
    """The result in plain words, as the window and the reports show it."""
    if diagnosis.running_stage is not None:
        return f"Testing ({diagnosis.running_stage})…"
    failure = diagnosis.failure
    if failure is None:
        return "OK"
    if failure.category is MIErrorCategory.OPERATION_STOPPED:
        return "Cancelled"
    if failure.stage is None:
        return "Invalid input"
    return f"Failed at {failure.stage}: {failure.detail or failure.category.name.lower()}"


def diagnosis_to_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    failure = diagnosis.failure
    identify = diagnosis.identify
    return {
        "target": diagnosis.target,
        "endpoint": diagnosis.endpoint,
        "ok": diagnosis.ok,
        "result": diagnosis.result.mi_name,
        "result_code": int(diagnosis.result),
        "failed_stage": diagnosis.failed_stage,
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
            "category": failure.category.name,
            "windows_code": failure.windows_code,
            "wsman_fault_code": failure.wsman_fault_code,
            "hint": failure.hint,
            "fix": [{"where": f.where.name.lower(), "command": f.command, "purpose": f.purpose} for f in failure.fixes],
        },
        "untested": diagnosis.untested or None,
        "requires_authentication": diagnosis.requires_authentication,
        "offered_schemes": list(diagnosis.offered_schemes),
        "elapsed_ms": diagnosis.elapsed_ms,
        "started_at": _iso(diagnosis.started_at),
        "notes": list(diagnosis.notes),
    }


def ticket_text(diagnosis: Diagnosis) -> str:
    """A plain-text summary to paste into a ticket: target, time, stages, verdict, versions, error, hint."""
    lines = [
        f"TestConnection result for {diagnosis.target}",
        f"Endpoint: {diagnosis.endpoint or '-'}",
        f"Tested:   {_iso(diagnosis.started_at) or '-'}",
        f"Verdict:  {verdict(diagnosis)}",
        "",
        "Stages:",
    ]
    for stage in diagnosis.stages:
        timing = f"{stage.elapsed_ms:.1f} ms" if stage.status in (StageStatus.OK, StageStatus.FAILED) else ""
        lines.append(f"  {stage.name:<6} {stage.status.value:<9} {timing:>10}  {stage.detail}".rstrip())
    if diagnosis.identify is not None:
        ident = diagnosis.identify
        lines += ["", "Answered:", f"  Vendor:   {ident.product_vendor}", f"  Version:  {ident.product_version}"]
        lines.append(f"  Protocol: {ident.protocol_version}")
        if ident.security_profiles:
            lines.append(f"  Profiles: {', '.join(ident.security_profiles)}")
    if diagnosis.notes:
        lines += ["", "Notes:", *(f"  {note}" for note in diagnosis.notes)]
    failure = diagnosis.failure
    if failure is not None:
        lines += [
            "",
            "Error:",
            f"  {failure.message}",
            f"  MI result: {failure.result.mi_name} ({int(failure.result)})",
        ]
        lines.append(f"  Category:  {failure.category.name} ({int(failure.category)})")
        if failure.windows_code is not None:
            lines.append(f"  Windows code: {failure.windows_code} (0x{failure.windows_code:08X})")
        if failure.wsman_fault_code is not None:
            lines.append(f"  WSMan fault code: {failure.wsman_fault_code}")
        lines += ["", f"What to try: {failure.hint}"]
    return "\n".join(lines) + "\n"


def _iso(timestamp: float) -> str | None:
    if not timestamp:
        return None
    import datetime  # here: only a finished test needs it, and the CLI's start is worth the few hundred µs

    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).isoformat(timespec="seconds")

"""A diagnosis in the shapes people hand on: the CLI's JSON object, and the plain text for a ticket.

``diagnosis_to_dict`` is the one place the JSON contract of docs/cli.md is produced; exports and the GUI use it too.
No password can appear here: a diagnosis never holds one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

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


def problem(diagnosis: Diagnosis) -> str:
    """The short reason in plain words, first in the window's table: "Wrong user name or password", "Port 5985
    closed — WinRM not listening", "OK — Windows Server 2022 (10.0.20348)". The table, its sorting and the
    status bar's failure counts all go through this one function.

    INTERIM: derived from what a Diagnosis holds today (the failure's stage and short detail, the Identify
    answer). Core's failure catalogue, with a stable kind id and a reason per kind, replaces this body.
    """
    if diagnosis.running_stage is not None:
        return f"Testing ({diagnosis.running_stage})…"
    failure = diagnosis.failure
    if failure is None:
        return "OK" if diagnosis.identify is None else "OK — " + product_name(
            diagnosis.identify.product_vendor, diagnosis.identify.product_version)
    if failure.category is MIErrorCategory.OPERATION_STOPPED:
        return "Cancelled"
    if failure.stage is None:
        return f"Invalid input — {failure.message}"
    detail = failure.detail
    port = _port(diagnosis.endpoint)
    if detail.startswith("no answer in "):  # the overall deadline ran out in this stage
        return _TIMEOUTS.get(failure.stage, "No answer in time — service slow or connection held")
    if detail.startswith("401 with "):
        return "Wrong user name or password"
    if detail.endswith(" not offered"):
        return f"{detail.removesuffix(' not offered').capitalize()} not enabled on the listener"
    if detail.startswith("HTTP ") and detail.endswith("(proxy)"):
        return "A proxy answered instead of the host"
    if detail.startswith("fault "):
        return f"Refused by the service ({detail})"
    known = _REASONS.get(detail)
    if known is not None:
        return known.format(port=port)
    return f"{failure.stage.upper()} failed — {detail or failure.category.name.lower()}"


_TIMEOUTS = {
    "dns": "DNS did not answer in time",
    "tcp": "No answer — firewall or host down",
    "tls": "TLS handshake did not finish — not an HTTPS listener?",
}
_REASONS = {
    "name not found": "Name not found in DNS",
    "connection refused": "Port {port} closed — WinRM not listening",
    "no route": "No route to the host — check VPN or address",
    "connection reset": "Connection closed without an answer",
    "certificate expired": "Certificate expired or not yet valid",
    "certificate not trusted": "Certificate not trusted",
    "certificate names another host": "Certificate names another host",
    "not TLS": "Port {port} speaks HTTP, not HTTPS",
    "TLS too old": "No common TLS version or cipher",
    "closed during handshake": "Connection closed during the TLS handshake",
    "TLS failed": "TLS handshake failed",
    "not HTTP": "Port {port} is another service, not HTTP",
    "broken HTTP": "Broken HTTP answer — not WinRM",
    "HTTP 404": "No WinRM at this URL (HTTP 404)",
    "HTTP 413": "Request refused as too large (HTTP 413)",
    "HTTP 503": "WinRM service unavailable (HTTP 503)",
    "not WS-Management": "Not a WS-Management answer",
    "answer too large": "Answer too large — not WS-Management",
    "access denied (fault)": "Access denied — user may not use WinRM",
    "timed out (fault)": "Service too slow (WS-Man timeout)",
    "no NTLM challenge": "No NTLM answer — Negotiate disabled or stripped",
    "Basic over HTTP refused": "Basic over HTTP refused — use HTTPS",
    "auth library error": "Authentication failed on this PC",
}


def _port(endpoint: str) -> str:
    try:
        parts = urlsplit(endpoint)
        return str(parts.port or (5986 if parts.scheme == "https" else 5985))
    except ValueError:
        return "?"


# Windows builds as WS-Management reports them ("OS: 10.0.20348 SP: 0.0 Stack: 3.0"). A server and a client
# release share some builds; both are named there, as the build alone cannot tell them apart.
WINDOWS_BUILDS = {
    "6.1.7600": "Windows Server 2008 R2 / Windows 7",
    "6.1.7601": "Windows Server 2008 R2 SP1 / Windows 7 SP1",
    "6.2.9200": "Windows Server 2012 / Windows 8",
    "6.3.9600": "Windows Server 2012 R2 / Windows 8.1",
    "10.0.10240": "Windows 10 1507",
    "10.0.10586": "Windows 10 1511",
    "10.0.14393": "Windows Server 2016 / Windows 10 1607",
    "10.0.15063": "Windows 10 1703",
    "10.0.16299": "Windows 10 1709",
    "10.0.17134": "Windows 10 1803",
    "10.0.17763": "Windows Server 2019 / Windows 10 1809",
    "10.0.18362": "Windows 10 1903",
    "10.0.18363": "Windows 10 1909",
    "10.0.19041": "Windows 10 2004",
    "10.0.19042": "Windows 10 20H2",
    "10.0.19043": "Windows 10 21H1",
    "10.0.19044": "Windows 10 21H2",
    "10.0.19045": "Windows 10 22H2",
    "10.0.20348": "Windows Server 2022",
    "10.0.22000": "Windows 11 21H2",
    "10.0.22621": "Windows 11 22H2",
    "10.0.22631": "Windows 11 23H2",
    "10.0.25398": "Windows Server 23H2",
    "10.0.26100": "Windows Server 2025 / Windows 11 24H2",
    "10.0.26200": "Windows 11 25H2",
}
_OS_VERSION = re.compile(r"OS:\s*(\d+\.\d+\.\d+)")


def product_name(vendor: str, product_version: str) -> str:
    """"Windows Server 2022 (10.0.20348)" from Windows' "OS: 10.0.20348 SP: 0.0 Stack: 3.0"; the raw version
    where the build is not known; another vendor's name and version as they answered."""
    match = _OS_VERSION.search(product_version)
    if match is None:
        return " ".join(part for part in (vendor.strip(), product_version.strip()) if part) or "no version given"
    build = match.group(1)
    if build == "0.0.0":  # Windows tells the OS version to an authenticated Identify only
        return "Windows (OS version shown only after authentication)"
    name = WINDOWS_BUILDS.get(build)
    return f"{name} ({build})" if name else f"Windows {build}"


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

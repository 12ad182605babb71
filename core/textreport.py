"""Plain-text renderings of a result: what the CLI prints, and Copy for ticket; with the words every format shares.

Like every rendering, they start from the result dict of the JSON contract (``core.report.diagnosis_to_dict``).
This module imports nothing heavy: the CLI's start-up pays for it on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Result = Mapping[str, Any]


def is_cancelled(result: Result) -> bool:
    return any(s.get("status") == "cancelled" for s in result.get("stages") or ())


def short_verdict(result: Result) -> str:
    """Short and groupable ("OK", "Failed at auth", "Cancelled"): report headings and the CSV's verdict column.
    The result's own ``outcome`` where it has one (``core.report.outcome``); worked out for older results."""
    if result.get("outcome"):
        return str(result["outcome"])
    if result.get("ok"):
        return "OK"
    if is_cancelled(result):
        return "Cancelled"
    stage = result.get("failed_stage")
    return f"Failed at {stage}" if stage else "Invalid input"


def problem_text(result: Result) -> str:
    """The reason in plain words (``core.report.problem``); the short verdict for results older than it."""
    return as_text(result.get("problem")) or short_verdict(result)


def fixes(result: Result) -> list[tuple[str, str, str]]:
    """(where it runs, command, purpose) of each fix, in the catalogue's order."""
    error = result.get("error") or {}
    return [
        (_WHERE.get(str(f.get("where")), as_text(f.get("where"))), as_text(f.get("command")), as_text(f.get("purpose")))
        for f in error.get("fix") or ()
        if f.get("command")
    ]


_WHERE = {"target": "on the target", "client": "on this PC", "domain": "in the domain"}


def windows_code_text(code: Any) -> str:
    """``5 (0x00000005)``; negative HRESULTs are shown as Windows prints them (``0x80338012``)."""
    if isinstance(code, bool) or not isinstance(code, int):
        return "" if code is None else str(code)
    return f"{code} (0x{code & 0xFFFFFFFF:08X})"


def ms_text(value: Any) -> str:
    return f"{value:g} ms" if isinstance(value, int | float) and not isinstance(value, bool) else ""


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def text_block(result: Result) -> str:
    """What the CLI prints for one target: a line with the result, then what answered or what went wrong."""
    mark = "OK  " if result.get("ok") else "FAIL"
    elapsed = _number(result.get("elapsed_ms"))
    lines = [f"{mark} {as_text(result.get('target')):<28} {problem_text(result)}  ({elapsed} ms)"]
    identify = result.get("identify")
    if identify and result.get("ok"):
        lines.append(f"     {as_text(identify.get('product_vendor'))}; {as_text(identify.get('product_version'))}")
    lines += [f"     note: {note}" for note in result.get("notes") or ()]
    error = result.get("error")
    if error:
        code = error.get("windows_code")
        code_text = f", Windows code {windows_code_text(code)}" if code is not None else ""
        lines.append(f"     {as_text(error.get('message'))}")
        lines.append(f"     {as_text(result.get('result'))} ({as_text(result.get('result_code'))}), "
                     f"{as_text(error.get('category'))}{code_text}")
        lines.append(f"     try: {as_text(error.get('hint'))}")
        lines += [f"     fix ({where}): {command}" for where, command, _ in fixes(result)]
    return "\n".join(lines) + "\n"


def ticket_text(result: Result) -> str:
    """A plain-text summary to paste into a ticket: target, time, stages, result, versions, error, hint, fixes."""
    lines = [
        f"TestConnection result for {as_text(result.get('target'))}",
        f"Endpoint: {as_text(result.get('endpoint')) or '-'}",
        f"Tested:   {as_text(result.get('started_at')) or '-'}",
        f"Result:   {problem_text(result)} ({short_verdict(result)})",
        "",
        "Stages:",
    ]
    stages = result.get("stages") or ()
    width = max((len(as_text(stage.get("name"))) for stage in stages), default=0)  # "session" is the longest
    for stage in stages:
        timing = ms_text(stage.get("elapsed_ms")) if stage.get("status") in ("ok", "failed") else ""
        lines.append(f"  {as_text(stage.get('name')):<{width}} {as_text(stage.get('status')):<9} {timing:>10}  "
                     f"{as_text(stage.get('detail'))}".rstrip())
    identify = result.get("identify")
    if identify:
        lines += ["", "Answered:", f"  Vendor:   {as_text(identify.get('product_vendor'))}",
                  f"  Version:  {as_text(identify.get('product_version'))}",
                  f"  Protocol: {as_text(identify.get('protocol_version'))}"]
        if identify.get("security_profiles"):
            lines.append(f"  Profiles: {', '.join(identify['security_profiles'])}")
    if result.get("notes"):
        lines += ["", "Notes:", *(f"  {note}" for note in result["notes"])]
    error = result.get("error")
    if error:
        lines += ["", "Error:", f"  {as_text(error.get('message'))}",
                  f"  MI result: {as_text(result.get('result'))} ({as_text(result.get('result_code'))})",
                  f"  Category:  {as_text(error.get('category'))} ({as_text(error.get('category_code'))})"]
        if error.get("windows_code") is not None:
            lines.append(f"  Windows code: {windows_code_text(error['windows_code'])}")
        if error.get("wsman_fault_code") is not None:
            lines.append(f"  WSMan fault code: {error['wsman_fault_code']}")
        lines += ["", f"What to try: {as_text(error.get('hint'))}"]
        commands = fixes(result)
        if commands:
            lines += ["", "Fixes and checks:", *(f"  {where}: {command}" for where, command, _ in commands)]
    if result.get("check"):
        lines += ["", f"The same check from a Windows PC: {result['check']}"]
    return "\n".join(lines) + "\n"


def _number(value: Any) -> str:
    return f"{value:.0f}" if isinstance(value, int | float) and not isinstance(value, bool) else "?"



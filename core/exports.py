"""Results as files a helpdesk hands on: JSON lines (as the CLI prints them), CSV for spreadsheets, printable HTML.

The input is always the result dict of the CLI's ``--json`` schema (docs/cli.md, built by
``core.report.diagnosis_to_dict``), so every format says the same thing in the same words as the plain-text ones
(``core.textreport``). Missing keys are shown as
blanks, not errors, so a partial or older result (a cancelled run, the history file) can still be reported.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.atomicfile import atomic_write_bytes
from core.stages import STAGE_NAMES
from core.textreport import (
    Result,
    as_text,
    fixes,
    is_cancelled,
    ms_text,
    problem_text,
    short_verdict,
    windows_code_text,
)

STAGES = STAGE_NAMES  # the registry's order: a new stage gets its column here by itself
STATUS_TEXT = {
    "ok": "✔ ok",
    "failed": "✘ failed",
    "skipped": "↷ skipped",
    "not_run": "○ not run",
    "cancelled": "■ cancelled",
}
CSV_COLUMNS = (
    "target", "endpoint", "verdict", "problem", "result", "failed_stage", *STAGES, "product_vendor",
    "product_version", "kind", "windows_code", "wsman_fault_code", "message", "hint", "fix", "check", "notes",
    "started_at", "elapsed_ms",
)  # fmt: skip
# Cells starting with these are formulas to a spreadsheet (CSV injection); tab and CR too, per OWASP.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """Prefix a formula-looking cell with ``'`` so a spreadsheet shows it as text.

    Cells that already start with ``'`` before such a character get one more, so ``spreadsheet_unescape``
    gives back exactly the original.
    """
    if cell.lstrip("'").startswith(_FORMULA_START):
        return "'" + cell
    return cell


def spreadsheet_unescape(cell: str) -> str:
    if cell.startswith("'") and cell.lstrip("'").startswith(_FORMULA_START):
        return cell[1:]
    return cell


def _stage_map(result: Result) -> dict[str, Mapping[str, Any]]:
    return {str(s.get("name")): s for s in result.get("stages") or ()}


# --- JSON lines and CSV ------------------------------------------------------------------------------------


def results_to_json(results: Iterable[Result]) -> str:
    """One JSON object per line, exactly as ``testconnection-cli check --json`` prints them."""
    return "".join(json.dumps(dict(r), ensure_ascii=False) + "\n" for r in results)


def results_to_csv(results: Iterable[Result]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        stages = _stage_map(r)
        identify = r.get("identify") or {}
        error = r.get("error") or {}
        row: dict[str, str] = {
            "target": as_text(r.get("target")),
            "endpoint": as_text(r.get("endpoint")),
            "verdict": short_verdict(r),
            "problem": problem_text(r),
            "result": as_text(r.get("result")),
            "failed_stage": as_text(r.get("failed_stage")),
            "product_vendor": as_text(identify.get("product_vendor")),
            "product_version": as_text(identify.get("product_version")),
            "kind": as_text(error.get("kind")),
            "windows_code": windows_code_text(error.get("windows_code")),
            "wsman_fault_code": as_text(error.get("wsman_fault_code")),
            "message": as_text(error.get("message")),
            "hint": as_text(error.get("hint")),
            "fix": " ; ".join(f"{command} ({where})" for where, command, _ in fixes(r)),
            "check": as_text(r.get("check")),
            "notes": "; ".join(str(n) for n in r.get("notes") or ()),
            "started_at": as_text(r.get("started_at")),
            "elapsed_ms": as_text(r.get("elapsed_ms")),
        }
        for name in STAGES:
            stage = stages.get(name)
            row[name] = "" if stage is None else f"{stage.get('status', '')} {ms_text(stage.get('elapsed_ms'))}".strip()
        writer.writerow([spreadsheet_safe(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


# --- HTML ------------------------------------------------------------------------------------------------------

_CSS = """
body { font: 10.5pt/1.4 "Segoe UI", system-ui, sans-serif; color: #1b1b1b; margin: 2em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 12.5pt; margin: 1.6em 0 .4em; }
.meta { color: #555; margin: 0 0 1em; }
table { border-collapse: collapse; margin: .4em 0; }
th, td { border: 1px solid #bbb; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
dl { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; margin: .4em 0; }
dt { font-weight: 600; } dd { margin: 0; }
.ok { color: #0a6b1f; } .failed { color: #a4161a; } .cancelled, .skipped, .not_run { color: #555; }
.untested { color: #00695c; }
section.target { border-top: 2px solid #ccc; }
.hint { background: #fff8d6; border-left: 4px solid #c9a400; padding: .4em .8em; }
.problem { font-weight: 600; } .where { color: #555; font-size: 90%; }
code { font: 9.5pt Consolas, "DejaVu Sans Mono", monospace; background: #f4f4f4; padding: 0 .2em; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  section.target { break-inside: avoid; page-break-inside: avoid; }
  th { background: none; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: Any) -> str:
    return html.escape(as_text(value), quote=True)


def _status(status: Any) -> str:
    key = as_text(status)
    return f'<span class="{_e(key)}">{_e(STATUS_TEXT.get(key, key))}</span>'


def _dl(pairs: Sequence[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs if v not in (None, ""))
    return f"<dl>{items}</dl>" if items else ""


def _summary(results: Sequence[Result]) -> str:
    untested = sum(1 for r in results if r.get("ok") and r.get("untested"))  # passed, authentication not tested
    ok = sum(1 for r in results if r.get("ok")) - untested
    cancelled = sum(1 for r in results if not r.get("ok") and is_cancelled(r))
    failed = len(results) - ok - untested - cancelled
    by_stage = Counter(
        as_text(r.get("failed_stage")) or "unknown" for r in results if not r.get("ok") and not is_cancelled(r)
    )
    rows = [("Targets", len(results)), ("✔ OK", ok), ("✘ Failed", failed), ("■ Cancelled", cancelled)]
    if untested:
        rows.insert(2, ("◐ Not fully tested", untested))
    rows += [(f"Failed at {stage}", by_stage[stage]) for stage in (*STAGES, "unknown") if by_stage[stage]]
    body = "".join(f"<tr><th scope='row'>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="summary">{body}</table>'


def _section(r: Result) -> str:
    ok = bool(r.get("ok"))
    state = "ok" if ok else "cancelled" if is_cancelled(r) else "failed"
    symbol = STATUS_TEXT[state].split(" ")[0]
    if ok and r.get("untested"):
        state, symbol = "untested", "◐"
    parts = [
        f'<section class="target"><h2><span class="{state}">{_e(symbol)} {_e(short_verdict(r))}</span>: '
        f"{_e(r.get('target'))}</h2>",
        f'<p class="problem">{_e(problem_text(r))}</p>',
        _dl([("Endpoint", r.get("endpoint")), ("Started", r.get("started_at")),
             ("Total time", ms_text(r.get("elapsed_ms")))]),
    ]  # fmt: skip
    stages = r.get("stages") or ()
    if stages:
        rows = "".join(
            f"<tr><td>{_e(s.get('name'))}</td><td>{_status(s.get('status'))}</td>"
            f"<td>{_e(ms_text(s.get('elapsed_ms')))}</td><td>{_e(s.get('detail'))}</td></tr>"
            for s in stages
        )
        parts.append(
            "<table><thead><tr><th>Stage</th><th>Status</th><th>Time</th><th>Detail</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    identify = r.get("identify")
    if identify:
        profiles = ", ".join(str(p) for p in identify.get("security_profiles") or ())
        parts.append("<h3>Identify</h3>" + _dl([
            ("Protocol version", identify.get("protocol_version")),
            ("Product vendor", identify.get("product_vendor")),
            ("Product version", identify.get("product_version")),
            ("Security profiles", profiles),
        ]))  # fmt: skip
    error = r.get("error")
    if error:
        code = r.get("result_code")
        result_name = as_text(r.get("result")) + (f" ({code})" if code is not None else "")
        parts.append("<h3>Error</h3>" + _dl([
            ("MI result", result_name),
            ("Error category", error.get("category")),
            ("Windows error code", windows_code_text(error.get("windows_code"))),
            ("WS-Management fault code", error.get("wsman_fault_code")),
            ("Message", error.get("message")),
        ]))  # fmt: skip
        if error.get("hint"):
            parts.append(f'<p class="hint"><strong>What to do:</strong> {_e(error.get("hint"))}</p>')
        commands = "".join(
            f"<li><code>{_e(command)}</code> <span class='where'>{_e(where)}</span>"
            + (f" — {_e(purpose)}" if purpose else "") + "</li>"
            for where, command, purpose in fixes(r)
        )
        if commands:
            parts.append(f"<h3>Fixes and checks</h3><ul class='fixes'>{commands}</ul>")
    if r.get("check"):
        parts.append(f"<p>The same check from a Windows PC: <code>{_e(r.get('check'))}</code></p>")
    notes = r.get("notes") or ()
    if notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def results_to_html(
    results: Iterable[Result], title: str = "TestConnection report", generated_at: datetime | str | None = None
) -> str:
    """A self-contained printable report: inline CSS, no scripts, no external resources."""
    items = list(results)
    if generated_at is None:
        generated_at = datetime.now(UTC)
    when = generated_at.isoformat(timespec="seconds") if isinstance(generated_at, datetime) else generated_at
    sections = "\n".join(_section(r) for r in items)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head>\n<body>\n"
        f'<h1>{_e(title)}</h1>\n<p class="meta">Generated {_e(when)} by TestConnection</p>\n'
        f"{_summary(items)}\n{sections}\n</body></html>\n"
    )


REPORT_SUFFIXES = (".html", ".htm", ".csv", ".json", ".jsonl")


def write_report(results: Iterable[Result], path: Path) -> None:
    """Write results as .html, .csv or .json (JSON lines) by the file's suffix, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        data = results_to_html(results).encode("utf-8")
    elif suffix == ".csv":
        # With a BOM, Excel opens UTF-8 CSV correctly instead of guessing the ANSI code page.
        data = results_to_csv(results).encode("utf-8-sig")
    elif suffix in (".json", ".jsonl"):
        data = results_to_json(results).encode("utf-8")
    else:
        raise ValueError(f"cannot write a report as {suffix or 'a file without a suffix'!r}: use .html, .csv or .json")
    atomic_write_bytes(path, data)

"""Results export: JSON lines, CSV, and the printable HTML report, read back as a user would see them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from core.exports import (
    CSV_COLUMNS,
    results_to_csv,
    results_to_html,
    results_to_json,
    write_report,
)
from core.textreport import windows_code_text


def _stages(*statuses: tuple[str, str, float, str]) -> list[dict[str, Any]]:
    return [{"name": n, "status": s, "elapsed_ms": ms, "detail": d} for n, s, ms, d in statuses]


def sample_results() -> list[dict[str, Any]]:
    """Four realistic results in the CLI --json schema: OK, failed at auth, failed at TLS, cancelled."""
    identify = {
        "protocol_version": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
        "product_vendor": "Microsoft Corporation",
        "product_version": "OS: 10.0.20348 SP: 0.0 Stack: 3.0",
        "security_profiles": ["http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos"],
    }
    return [
        {
            "target": "srv01:5985", "endpoint": "http://srv01:5985/wsman", "ok": True,
            "result": "MI_RESULT_OK", "result_code": 0, "failed_stage": None,
            "stages": _stages(("dns", "ok", 0.4, "10.0.0.7"), ("tcp", "ok", 1.1, ""), ("tls", "skipped", 0, "http"),
                              ("wsman", "ok", 3.0, "Microsoft Corporation; offers Negotiate, Kerberos"),
                              ("auth", "ok", 12.5, "Negotiate (Kerberos)")),
            "identify": identify, "error": None, "elapsed_ms": 17.0,
            "started_at": "2026-11-24T09:15:02+00:00",
        },
        {
            "target": "srv02:5985", "endpoint": "http://srv02:5985/wsman", "ok": False,
            "result": "MI_RESULT_ACCESS_DENIED", "result_code": 2, "failed_stage": "auth",
            "stages": _stages(("dns", "ok", 0.5, "10.0.0.8"), ("tcp", "ok", 1.0, ""), ("tls", "skipped", 0, "http"),
                              ("wsman", "ok", 2.9, "Microsoft Corporation; offers Negotiate, Basic"),
                              ("auth", "failed", 2.2, "401 with Negotiate <NTLM>")),
            "identify": {**identify, "product_version": "OS: 0.0.0 SP: 0.0 Stack: 3.0"},
            "error": {"message": "Access is denied.", "category": "AUTHENTICATION_ERROR", "windows_code": 5,
                      "wsman_fault_code": None,
                      "hint": "Check the user name & password; the account must be in Remote Management Users."},
            "elapsed_ms": 6.6, "started_at": "2026-11-24T09:15:02+00:00",
        },
        {
            "target": "=srv03:5986", "endpoint": "https://srv03:5986/wsman", "ok": False,
            "result": "MI_RESULT_FAILED", "result_code": 1, "failed_stage": "tls",
            "stages": _stages(("dns", "ok", 0.3, "10.0.0.9"), ("tcp", "ok", 0.9, ""),
                              ("tls", "failed", 4.1, "certificate issued for 'web01', not 'srv03'"),
                              ("wsman", "not_run", 0, ""), ("auth", "not_run", 0, "")),
            "identify": None,
            "error": {"message": "The SSL certificate contains a common name (CN) that does not match the hostname.",
                      "category": "SECURITY_ERROR", "windows_code": 12175, "wsman_fault_code": -2144108526,
                      "hint": "Use the name on the certificate, or reissue it for srv03."},
            "elapsed_ms": 5.3, "notes": ["certificate not verified", "<b>not bold</b>"],
        },
        {
            "target": "srv04:5985", "endpoint": "http://srv04:5985/wsman", "ok": False,
            "result": "MI_RESULT_FAILED", "result_code": 1, "failed_stage": None,
            "stages": _stages(("dns", "ok", 0.2, "10.0.0.10"), ("tcp", "cancelled", 250.0, "cancelled by user"),
                              ("tls", "not_run", 0, ""), ("wsman", "not_run", 0, ""), ("auth", "not_run", 0, "")),
            "identify": None,
            "error": {"message": "The operation was cancelled.", "category": "OPERATION_STOPPED",
                      "windows_code": None, "wsman_fault_code": None, "hint": ""},
            "elapsed_ms": 250.2,
        },
    ]  # fmt: skip


class _Visible(HTMLParser):
    """The text a reader sees, plus every tag and attribute, from the report."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _read_html(page: str) -> _Visible:
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return parser


def test_json_lines_round_trip() -> None:
    results = sample_results()
    text = results_to_json(results)
    assert len(text.splitlines()) == 4
    assert [json.loads(line) for line in text.splitlines()] == results


def test_csv_has_one_row_per_target_and_neutralises_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(results_to_csv(sample_results()), newline="")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["verdict"] for r in rows] == ["OK", "Failed at auth", "Failed at tls", "Cancelled"]
    assert rows[0]["auth"] == "ok 12.5 ms" and rows[0]["tls"] == "skipped 0 ms"
    assert rows[0]["product_version"] == "OS: 10.0.20348 SP: 0.0 Stack: 3.0"
    assert rows[1]["windows_code"] == "5 (0x00000005)" and rows[1]["failed_stage"] == "auth"
    assert rows[2]["windows_code"] == "12175 (0x00002F8F)"
    assert rows[2]["target"] == "'=srv03:5986"  # a formula in a spreadsheet otherwise
    assert rows[2]["wsman_fault_code"] == "'-2144108526"
    assert rows[2]["notes"] == "certificate not verified; <b>not bold</b>"
    assert rows[3]["tcp"] == "cancelled 250 ms"


def test_windows_codes_in_decimal_and_hex() -> None:
    assert windows_code_text(5) == "5 (0x00000005)"
    assert windows_code_text(-2144108526) == "-2144108526 (0x80338012)"
    assert windows_code_text(None) == ""


def test_html_report_shows_what_a_helpdesk_needs() -> None:
    page = results_to_html(sample_results(), title="Site A <check>", generated_at=datetime(2026, 11, 24, tzinfo=UTC))
    seen = _read_html(page)
    text = "\n".join(seen.text)
    assert seen.text[0] == "Site A <check>"
    assert "Generated 2026-11-24T00:00:00+00:00 by TestConnection" in text
    summary = dict(zip(seen.text[2:14:2], seen.text[3:14:2], strict=True))
    assert summary == {"Targets": "4", "✔ OK": "1", "✘ Failed": "2", "■ Cancelled": "1",
                       "Failed at tls": "1", "Failed at auth": "1"}  # fmt: skip
    for expected in (
        "✔ OK", "✘ Failed at auth", "✘ Failed at tls", "■ Cancelled",  # status is text + symbol, not colour
        "✔ ok", "✘ failed", "↷ skipped", "○ not run", "■ cancelled",
        "401 with Negotiate <NTLM>", "Microsoft Corporation", "OS: 10.0.20348 SP: 0.0 Stack: 3.0",
        "MI_RESULT_ACCESS_DENIED (2)", "AUTHENTICATION_ERROR", "5 (0x00000005)", "12175 (0x00002F8F)",
        "-2144108526", "Check the user name & password; the account must be in Remote Management Users.",
        "<b>not bold</b>", "certificate not verified", "12.5 ms",
    ):  # fmt: skip
        assert expected in seen.text, expected
    assert "b" not in {tag for tag, _ in seen.tags}  # the note was escaped, not interpreted


def test_html_report_counts_a_result_not_fully_tested_apart_from_ok_and_failed() -> None:
    untested = dict(sample_results()[0], untested="no credentials", outcome="Not fully tested")
    seen = _read_html(results_to_html([untested, sample_results()[0]]))
    summary = dict(zip(seen.text[2:12:2], seen.text[3:12:2], strict=True))
    assert summary == {"Targets": "2", "✔ OK": "1", "◐ Not fully tested": "1", "✘ Failed": "0", "■ Cancelled": "0"}
    assert "◐ Not fully tested" in seen.text and ("span", [("class", "untested")]) in seen.tags


def test_html_report_is_self_contained_and_printable() -> None:
    page = results_to_html(sample_results())
    seen = _read_html(page)
    tags = {tag for tag, _ in seen.tags}
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert not any(name in ("src", "href") for _, attrs in seen.tags for name, _ in attrs)
    assert "@media print" in page and "http://" not in page.split("<body>")[0]


def test_html_escapes_everything() -> None:
    evil = dict(sample_results()[1], target='<script>alert("x")</script>', endpoint="http://a/'\"><img src=x>")
    seen = _read_html(results_to_html([evil], title="<i>t</i>"))
    assert {tag for tag, _ in seen.tags}.isdisjoint({"script", "img", "i"})
    assert '<script>alert("x")</script>' in "".join(seen.text)


@pytest.mark.parametrize("suffix", [".html", ".csv", ".json"])
def test_write_report_by_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"report{suffix.upper()}"
    write_report(sample_results(), path)
    data = path.read_bytes()
    if suffix == ".csv":
        assert data.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
        assert data.decode("utf-8-sig") == results_to_csv(sample_results())
    elif suffix == ".json":
        assert [json.loads(x) for x in data.decode().splitlines()] == sample_results()
    else:
        assert "Failed at auth: srv02:5985" in " ".join(_read_html(data.decode()).text).replace(" :", ":")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary files left behind


def test_write_report_rejects_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'\.txt'"):
        write_report(sample_results(), tmp_path / "r.txt")


def test_bad_input_is_called_invalid_input_as_in_the_window() -> None:
    bad: dict[str, object] = {"target": "srv 01", "endpoint": None, "ok": False, "result": "MI_RESULT_INVALID_PARAMETER",
           "result_code": 4, "failed_stage": None, "stages": [], "identify": None,
           "error": {"message": "host: 'srv 01' contains a space", "category": "INVALID_ARGUMENT",
                     "windows_code": 87, "wsman_fault_code": None, "hint": "Fix the host."},
           "elapsed_ms": 0.0, "started_at": None}  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(results_to_csv([bad]), newline="")))
    assert rows[0]["verdict"] == "Invalid input"
    assert "✘ Invalid input" in " ".join(_read_html(results_to_html([bad])).text)

"""What a user loads: CSV and text imports, list files and the settings file, however mangled.

Each property states what the user sees. An import brings in exactly the good rows, and each bad row is reported
with the line an editor shows it on and the field to fix. A list file either loads or is refused with a message,
and a refused file is never overwritten. A settings file with hostile values still gives working preferences.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.importers import import_csv, import_text
from core.listfile import ListFileError, list_to_json, load_list, save_list
from core.targetlist import TargetList
from tests.quality import tally
from tests.test_targetlist import sample_list

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

GOOD_HOSTS = st.sampled_from(["srv01", "srv02.corp.example", "10.0.0.7", "[fe80::1]", "bücher.example", "h-1"])
BAD_HOSTS = st.sampled_from(["", "srv 06", "[::1", "a..b", "host:abc", "http://h:0/"])
NOTES = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)  # commas, quotes, newlines, BOMs…
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])


def _line_breaks(text: str) -> int:
    """Line breaks as an editor (and Python's universal newlines) count them: \r\n, \r or \n."""
    return len(re.findall(r"\r\n|\r|\n", text))


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, list[str], list[int]]:
    """A CSV file, the hosts that must import (in order) and the editor line of each row that must be refused."""
    encoding = draw(ENCODINGS)
    notes = NOTES if encoding != "cp1252" else st.sampled_from(["", "racked, row 3", 'say "hi"', "two\nlines", "é"])
    out = io.StringIO(newline="")
    quoting: Literal[0, 1] = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    writer = csv.writer(out, quoting=quoting, lineterminator=terminator)
    if quoting == csv.QUOTE_MINIMAL and terminator == "\n":
        # csv.writer then leaves a lone \r unquoted, which no reader (nor a spreadsheet) reads back as one field.
        notes = notes.map(lambda note: note.replace("\r", ""))
    writer.writerow(["Host", "port", "notes"])  # header names are matched case-insensitively
    good: list[str] = []
    bad_lines: list[int] = []
    for _ in range(draw(st.integers(0, 12))):
        line = _line_breaks(out.getvalue()) + 1  # the line the row starts on (notes may hold line breaks)
        kind = draw(st.sampled_from(["good", "bad host", "bad port"]))
        host = draw(BAD_HOSTS if kind == "bad host" else GOOD_HOSTS)
        port = draw(st.sampled_from(["0", "x", "70000"] if kind == "bad port" else ["5985", "1", ""]))
        if host == "":
            port = "5985"  # a row with nothing in it is skipped, not refused
        if kind == "good":
            good.append(host)
        else:
            bad_lines.append(line)
        writer.writerow([host, port, draw(notes)])
    return out.getvalue().encode(encoding), good, bad_lines


@PROPERTY
@given(case=csv_files())
def test_csv_import_takes_the_good_rows_and_names_each_bad_line(case: tuple[bytes, list[str], list[int]]) -> None:
    data, good, bad_lines = case
    result = import_csv(data)
    assert [target.host for _, target in result.targets] == good
    assert [error.line for error in result.errors] == bad_lines, [str(e) for e in result.errors]
    for error in result.errors:
        assert error.field in ("host", "port", "url_prefix") and error.message.strip()
        assert str(error).startswith(f"line {error.line}, {error.field}: ")
    tally("file_inputs")


@PROPERTY
@given(data=st.one_of(st.binary(max_size=600), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_csv_and_text_import_of_any_bytes_report_or_import(data: bytes) -> None:
    for result in (import_csv(data), import_text(data)):
        for _, target in result.targets:
            assert target.host.strip()
        for error in result.errors:
            assert error.line >= 1 and error.field and error.message.strip()
    tally("file_inputs")


@PROPERTY
@given(lines=st.lists(st.one_of(GOOD_HOSTS, BAD_HOSTS, st.just("# a comment"), st.just("")), max_size=15),
       bom=st.sampled_from([b"", codecs.BOM_UTF8]))  # fmt: skip
def test_text_import_names_each_bad_line(lines: list[str], bom: bytes) -> None:
    result = import_text(bom + "\n".join(lines).encode("utf-8"))
    imported = [target.host for _, target in result.targets]
    refused = [error.line for error in result.errors]
    listed = [(n, text) for n, text in enumerate(lines, start=1) if text.strip() and not text.startswith("#")]
    assert sorted(imported + [lines[n - 1] for n in refused]) == sorted(text for _, text in listed)
    assert all(lines[n - 1] not in ("", "# a comment") for n in refused)
    tally("file_inputs")


def test_a_hundred_thousand_rows_with_bad_ones_mixed_in() -> None:
    rows = ["host,port,folder,notes"]
    bad_lines = []
    for i in range(100_000):
        if i % 997 == 0:
            rows.append(f"srv{i},0,Site {i % 5},bad port")
            bad_lines.append(len(rows))
        else:
            rows.append(f'srv{i}.corp.example,,Site {i % 5},"rack {i}, row 2"')
    result = import_csv("\n".join(rows).encode("utf-8-sig"))
    assert [error.line for error in result.errors] == bad_lines
    assert all(error.field == "port" for error in result.errors)
    assert len(result.targets) == 100_000 - len(bad_lines)
    lst = result.into(TargetList())
    assert sorted(f.name for f in lst.root.folders) == [f"Site {n}" for n in range(5)]
    tally("large_import_rows", 100_000)


# --- list files -------------------------------------------------------------------------------------------------

GOOD_FILE = list_to_json(sample_list()).encode("utf-8")


@st.composite
def mangled_list_files(draw: st.DrawFn) -> bytes:
    data = bytearray(GOOD_FILE)
    how = draw(st.sampled_from(["truncate", "flip", "insert", "retype", "version", "binary"]))
    if how == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if how == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "insert":
        at = draw(st.integers(0, len(data)))
        return bytes(data[:at]) + draw(st.binary(min_size=1, max_size=20)) + bytes(data[at:])
    if how == "binary":
        return draw(st.binary(max_size=200))
    doc = json.loads(GOOD_FILE)
    if how == "version":
        doc["version"] = draw(st.one_of(st.integers(-3, 10**20), st.text(max_size=3), st.none(), st.floats()))
    else:  # a value of the wrong type somewhere a user might hand-edit
        site = doc["list"]["root"]["folders"][0]
        key = draw(st.sampled_from(["port", "transport", "auth", "credential", "ca_check", "name", "targets"]))
        value = draw(st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none(), st.lists(st.integers())))
        (site["defaults"] if key in ("port", "transport", "auth", "credential", "ca_check") else site)[key] = value
    return json.dumps(doc).encode("utf-8")


@PROPERTY
@given(data=mangled_list_files())
def test_a_mangled_list_file_loads_or_is_refused_and_never_overwritten(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "targets.json"
    path.write_bytes(data)
    path.with_name("targets.json.bak").unlink(missing_ok=True)
    try:
        loaded = load_list(path)
    except ListFileError as exc:
        assert "targets.json" in exc.message and "left untouched" in exc.message, exc.message
        with pytest.raises(ListFileError, match="Not saved"):
            save_list(sample_list(), path)
        assert path.read_bytes() == data, "a file that could not be read was changed"
    else:
        save_list(loaded, path)  # what the app does after an edit: the old bytes become the backup
        assert load_list(path) == loaded
        assert path.with_name("targets.json.bak").read_bytes() == data, "the previous file is the backup, as it was"
    tally("file_inputs")


# --- the settings file ------------------------------------------------------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e309", "9" * 5000, "-1", "0", "true", "@ByteArray(\\0)", "@Invalid()"]),
    st.integers(-(10**30), 10**30).map(str),
)


@PROPERTY
@given(values=st.dictionaries(st.sampled_from(["transport", "auth", "timeout", "concurrency", "ca_check",
                                               "cn_check", "ca_file", "theme"]), HOSTILE_VALUES),
       junk=st.binary(max_size=200))  # fmt: skip
def test_a_hostile_settings_file_still_gives_working_preferences(
    tmp_path: Path, values: dict[str, str], junk: bytes
) -> None:
    from gui.qt import QSettings
    from gui.settings import AUTH_LABELS, TRANSPORTS, Preferences
    from gui.theme import THEMES

    ini = tmp_path / "ui.ini"
    lines = "".join(f"{key}={json.dumps(value)[1:-1]}\n" for key, value in values.items())
    ini.write_bytes(b"[preferences]\n" + lines.encode("utf-8", "surrogatepass") + junk)
    preferences = Preferences.load(QSettings(str(ini), QSettings.Format.IniFormat))
    assert preferences.transport in TRANSPORTS
    assert preferences.auth in {a.value for a in AUTH_LABELS}
    assert 0.5 <= preferences.timeout <= 600
    assert 1 <= preferences.concurrency <= 512
    assert preferences.theme in THEMES
    assert isinstance(preferences.ca_check, bool) and isinstance(preferences.cn_check, bool)
    assert isinstance(preferences.ca_file, str)
    tally("file_inputs")

"""Importing targets from CSV and host lists, and exporting a list as CSV."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings

from core.importers import export_list_csv, import_csv, import_text
from core.targetlist import Settings, Target, TargetList
from tests.test_targetlist import sample_list, target_lists

MIXED = """\
Name,HOST,port,Transport,auth,folder,notes,owner
srv01,srv01.corp.example,5986,https,ntlm,Site A/Servers,"racked, row 3",alice

,,,,,,,
bad port,srv02.corp.example,70000,,,,,
bad auth,srv03.corp.example,,,digest,,,
"multi
line name",srv04.corp.example,,,,Site A,,
no host,,,,,,,
bad transport,srv05,,ftp,,,,
spaces,srv 06,,,,,,
url,https://srv07.corp.example:444/wsman,,,,,,
"""


def test_mixed_good_and_bad_rows_report_line_and_field() -> None:
    result = import_csv(MIXED)
    assert [t.host for _, t in result.targets] == [
        "srv01.corp.example", "srv04.corp.example", "https://srv07.corp.example:444/wsman",
    ]  # fmt: skip
    assert [(e.line, e.field) for e in result.errors] == [
        (5, "port"), (6, "auth"), (9, "host"), (10, "transport"), (11, "host"),
    ]  # fmt: skip
    assert "70000" in result.errors[0].message
    assert str(result.errors[0]).startswith("line 5, port:")
    assert result.warnings == ["column 'owner' is not used by TestConnection and was ignored"]
    folder, srv01 = result.targets[0]
    assert folder == ("Site A", "Servers")
    assert (srv01.name, srv01.port, srv01.transport, srv01.auth, srv01.notes) == (
        "srv01", 5986, "https", "ntlm", "racked, row 3",
    )  # fmt: skip
    assert result.targets[1][1].name == "multi\nline name"


def test_folder_paths_create_nested_folders() -> None:
    lst = import_csv("host,folder\na,X/Y\nb,X\nc,X / Y\nd,\n").into(TargetList())
    x = lst.root.folders[0]
    assert [f.name for f in lst.root.folders] == ["X"] and [f.name for f in x.folders] == ["Y"]
    assert [t.host for t in x.folders[0].targets] == ["a", "c"]
    assert [t.host for t in lst.root.targets] == ["d"]


def test_header_is_required_to_name_host() -> None:
    result = import_csv("srv01,5985\nsrv02,5985\n")
    assert result.targets == [] and [(e.line, e.field) for e in result.errors] == [(1, "host")]
    assert import_csv("").errors[0].message == "the file is empty"


def test_password_column_is_refused_and_its_values_are_not_read() -> None:
    result = import_csv("host,Password,credential\nsrv01,Marker-Secret-7f3a,ops\n")
    assert [(e.line, e.field) for e in result.errors] == [(1, "Password")]
    assert "refused" in result.errors[0].message
    assert [t.credential for _, t in result.targets] == ["ops"]
    assert "Marker-Secret-7f3a" not in repr(result)


TEXT = "host,name,notes\nsrv-ü.example,Zürich,Größe € 5\n"


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with a BOM, as Excel's "Unicode text" writes it
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "cp1252"],
)
def test_encodings(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(encoded)
    result = import_csv(path)
    assert not result.errors
    [(_, target)] = result.targets
    assert (target.host, target.name, target.notes) == ("srv-ü.example", "Zürich", "Größe € 5")
    assert import_csv(encoded).targets[0][1].name == "Zürich"  # bytes work as well as a path


def test_crlf_line_endings_and_quotes() -> None:
    result = import_csv('host,notes\r\n"srv01","say ""hi"", then\r\nleave"\r\n')
    assert result.targets[0][1].notes == 'say "hi", then\r\nleave'


def test_import_text_skips_comments_and_blank_lines() -> None:
    result = import_text("# site A\nsrv01\n\n  srv02:5986  \n[fe80::1]:5985\nbad host\nhttp://x:99999/\n")
    assert [t.host for _, t in result.targets] == ["srv01", "srv02:5986", "[fe80::1]:5985"]
    assert [(e.line, e.field) for e in result.errors] == [(6, "host"), (7, "port")]


def test_session_columns_import_and_name_the_field_when_wrong() -> None:
    result = import_csv(
        "host,session,remote_shell\nsrv01,yes,powershell\nsrv02,,\nsrv03,maybe,\nsrv04,true,two words\n"
    )
    assert [(t.host, t.session, t.remote_shell) for _, t in result.targets] == [
        ("srv01", True, "powershell"), ("srv02", None, None)]
    assert [(e.line, e.field) for e in result.errors] == [(4, "session"), (5, "remote_shell")]


def test_export_writes_inherited_settings_into_each_row_and_is_spreadsheet_safe() -> None:
    lst = TargetList()
    lst, folder = lst.add_folder(lst.root.id, "Site", Settings(transport="https", credential="ops"))
    lst = lst.add_target(folder.id, Target("srv01", notes='=HYPERLINK("x")', name="@admin"))
    csv_text = export_list_csv(lst)
    assert csv_text.splitlines()[0] == (
        "host,port,transport,auth,credential,folder,name,notes,ca_check,cn_check,allow_unencrypted,session,"
        "remote_shell,spn,include_port_in_spn"
    )
    assert csv_text.splitlines()[1] == 'srv01,,https,,ops,Site,\'@admin,"\'=HYPERLINK(""x"")",,,,,,,'
    [(path, back)] = import_csv(csv_text).targets
    assert (path, back.name, back.notes, back.transport) == (("Site",), "@admin", '=HYPERLINK("x")', "https")


def _effective(lst: TargetList) -> list[tuple[object, ...]]:
    rows = [
        (r.folder_path, r.target.host, r.target.name, r.target.notes, r.port, r.transport, r.auth, r.credential,
         r.ca_check, r.cn_check)
        for r in lst.resolved()
    ]  # fmt: skip
    return sorted(rows, key=repr)


def test_sample_list_round_trips_through_csv() -> None:
    lst = sample_list()
    assert _effective(import_csv(export_list_csv(lst)).into(TargetList())) == _effective(lst)


@settings(max_examples=60, deadline=None)
@given(target_lists)
def test_any_list_round_trips_through_csv(lst: TargetList) -> None:
    """CSV has no folder defaults or ids, so what survives is what matters: every target's effective settings."""
    result = import_csv(export_list_csv(lst))
    assert result.errors == []
    assert _effective(result.into(TargetList())) == _effective(lst)

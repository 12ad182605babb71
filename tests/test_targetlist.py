"""Saved target lists: inheritance, editing, and a file format that never loses what was saved."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import paths
from core.listfile import ListFileError, list_to_json, load_list, save_list
from core.targetlist import AUTH_METHODS, Folder, InvalidField, Settings, Target, TargetList
from tests.quality import tally

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))


# --- strategies shared with test_importers ----------------------------------------------------------------

text = st.text(st.characters(codec="utf-8"), max_size=15)  # no lone surrogates: not encodable
clean_text = text.map(str.strip)
hosts = st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]{2,6}){0,2}", fullmatch=True)
folder_names = clean_text.filter(lambda s: bool(s) and "/" not in s)
optional = {
    "port": st.none() | st.integers(1, 65535),
    "transport": st.none() | st.sampled_from(["http", "https"]),
    "auth": st.none() | st.sampled_from(AUTH_METHODS),
    "credential": st.none() | folder_names,
    "ca_check": st.none() | st.booleans(),
    "cn_check": st.none() | st.booleans(),
}
settings_st = st.builds(Settings, **optional)
targets = st.builds(Target, host=hosts, name=clean_text, notes=text, **optional)
folders = st.recursive(
    st.builds(Folder, name=folder_names, defaults=settings_st, targets=st.lists(targets, max_size=4).map(tuple)),
    lambda children: st.builds(
        Folder,
        name=folder_names,
        defaults=settings_st,
        targets=st.lists(targets, max_size=3).map(tuple),
        folders=st.lists(children, max_size=3).map(tuple),
    ),
    max_leaves=6,
)
target_lists = st.builds(TargetList, name=text, root=folders)


def sample_list() -> TargetList:
    lst = TargetList("Helpdesk")
    lst, site = lst.add_folder(lst.root.id, "Site A", Settings(transport="https", auth="ntlm", credential="ops"))
    lst, servers = lst.add_folder(site.id, "Servers", Settings(port=5986, ca_check=False))
    lst = lst.add_target(servers.id, Target("srv01.corp.example", name="srv01"))
    lst = lst.add_target(servers.id, Target("srv02.corp.example", name="srv02", auth="kerberos"))
    lst = lst.add_target(lst.root.id, Target("[fe80::1]:5985", name="lab", notes="bench"))
    return lst


def big_list(n: int) -> TargetList:
    lst = TargetList("Big")
    items = [((f"Site{i % 7}", f"Rack{i % 13}"), Target(f"srv{i:05d}.corp.example", notes="n")) for i in range(n)]
    return lst.add_targets(items)


# --- inheritance ------------------------------------------------------------------------------------------------


def test_nearest_folder_default_wins_then_app_defaults() -> None:
    lst = sample_list()
    by_name = {r.target.label: r for r in lst.resolved()}
    srv01 = by_name["srv01"]
    assert srv01.folder_path == ("Site A", "Servers")
    assert (srv01.port, srv01.transport, srv01.auth, srv01.credential) == (5986, "https", "ntlm", "ops")
    assert (srv01.ca_check, srv01.cn_check) == (False, True)
    assert by_name["srv02"].auth == "kerberos"  # the target's own setting beats every folder
    lab = by_name["lab"]
    assert (lab.port, lab.transport, lab.auth, lab.credential, lab.ca_check) == (None, "http", "none", None, True)
    assert lab.endpoint().port == 5985 and lab.endpoint().transport == "http"
    assert srv01.endpoint().url == "https://srv01.corp.example:5986/wsman"


def test_application_defaults_sit_between_the_folders_and_the_built_in_defaults() -> None:
    lst = sample_list()
    app = Settings(transport="https", auth="ntlm", credential="helpdesk", cn_check=False)
    by_name = {r.target.label: r for r in lst.resolved(app)}
    lab = by_name["lab"]  # in the root folder, which sets nothing: the application's settings apply
    assert (lab.transport, lab.auth, lab.credential, lab.ca_check, lab.cn_check) == ("https", "ntlm", "helpdesk",
                                                                                       True, False)
    srv01 = by_name["srv01"]  # its folders set transport, auth, credential and ca_check: they win
    assert (srv01.auth, srv01.credential, srv01.ca_check, srv01.cn_check) == ("ntlm", "ops", False, False)
    assert lst.effective(lab.target.id, app) == lab


def test_effective_by_target_or_id_and_unknown_id() -> None:
    lst = sample_list()
    target = next(t for t in lst.targets() if t.name == "srv01")
    assert lst.effective(target) == lst.effective(target.id)
    with pytest.raises(KeyError):
        lst.effective("nope")


def test_the_session_switch_and_its_shell_are_inherited_like_any_setting() -> None:
    lst = TargetList()
    lst, site = lst.add_folder(lst.root.id, "Remoting", Settings(session=True, remote_shell="powershell"))
    lst, jea = lst.add_folder(site.id, "JEA", Settings(remote_shell="JEA_Helpdesk"))
    lst = lst.add_target(site.id, Target("srv01")).add_target(jea.id, Target("srv02"))
    lst = lst.add_target(lst.root.id, Target("srv03")).add_target(site.id, Target("srv04", session=False))
    by_host = {r.target.host: (r.session, r.remote_shell) for r in lst.resolved()}
    assert by_host == {"srv01": (True, "powershell"), "srv02": (True, "JEA_Helpdesk"), "srv03": (False, "cmd"),
                       "srv04": (False, "powershell")}
    with pytest.raises(InvalidField, match="target 'srv05': remote_shell must be cmd, powershell") as e:
        Target("srv05", remote_shell="two words")
    assert e.value.field == "remote_shell"
    with pytest.raises(InvalidField, match="folder 'F': session must be true or false") as e:
        Folder("F", Settings(session="yes"))  # type: ignore[arg-type]
    assert e.value.field == "session"


# --- editing --------------------------------------------------------------------------------------------------


def test_folder_and_target_operations_return_new_lists() -> None:
    lst = sample_list()
    site = lst.root.folders[0]
    servers = site.folders[0]
    srv01 = servers.targets[0]

    renamed = lst.replace_target(Target(**{**srv01.__dict__, "name": "primary"}))
    assert renamed.find_target(srv01.id).name == "primary"  # type: ignore[union-attr]
    assert lst.find_target(srv01.id).name == "srv01"  # type: ignore[union-attr]  # the old list is unchanged

    dup, copy = lst.duplicate_target(srv01.id)
    assert copy.id != srv01.id and copy.name == "srv01 (copy)"
    assert [t.name for t in dup.find_folder(servers.id).targets] == ["srv01", "srv01 (copy)", "srv02"]  # type: ignore[union-attr]

    moved = lst.move_target(srv01.id, lst.root.id)
    assert moved.effective(srv01.id).folder_path == ()
    assert moved.effective(srv01.id).transport == "http"  # no longer inherits from Site A
    assert len(list(moved.targets())) == 3

    gone = lst.delete_target(srv01.id)
    assert gone.find_target(srv01.id) is None

    with_new, new_folder = lst.add_folder(site.id, "Workstations")
    assert with_new.find_folder(new_folder.id) is not None
    assert with_new.rename_folder(new_folder.id, "Desktops").find_folder(new_folder.id).name == "Desktops"  # type: ignore[union-attr]
    changed = lst.set_folder_defaults(site.id, Settings(transport="http"))
    assert changed.effective(srv01.id).transport == "http"

    dup_lst, dup_folder = lst.duplicate_folder(servers.id)
    assert dup_folder.name == "Servers (copy)"
    assert len(list(dup_lst.targets())) == 5
    ids = [t.id for t in dup_lst.targets()]
    assert len(set(ids)) == 5  # the copy has ids of its own

    assert len(list(lst.delete_folder(site.id).targets())) == 1
    with pytest.raises(ValueError, match="top folder"):
        lst.delete_folder(lst.root.id)
    with pytest.raises(KeyError):
        lst.move_target(srv01.id, "no-such-folder")


def test_add_targets_creates_nested_folders_and_reuses_existing_ones() -> None:
    lst = sample_list().add_targets([(("Site A", "New"), Target("a")), (("Other",), Target("b")), ((), Target("c"))])
    site = lst.root.folders[0]
    assert [f.name for f in site.folders] == ["Servers", "New"]
    assert [f.name for f in lst.root.folders] == ["Site A", "Other"]
    assert lst.effective(next(t for t in lst.targets() if t.host == "a")).transport == "https"


def test_validation_names_the_field_and_the_target() -> None:
    with pytest.raises(InvalidField, match=r"target 'srv01': port must be a number from 1 to 65535, got 70000") as e:
        Target("srv01.corp", name="srv01", port=70000)
    assert e.value.field == "port"
    with pytest.raises(InvalidField, match="auth must be one of") as e:
        Target("srv01", auth="digest")
    assert e.value.field == "auth"
    with pytest.raises(InvalidField, match="spaces"):
        Target("srv 01")
    with pytest.raises(InvalidField, match="folder 'a/b'"):
        Folder("a/b")
    with pytest.raises(InvalidField, match="folder 'F': transport"):
        Folder("F", Settings(transport="ftp"))


# --- storage ------------------------------------------------------------------------------------------------


def test_json_round_trip_keeps_ids_structure_and_settings(tmp_path: Path) -> None:
    lst = sample_list()
    path = tmp_path / "targets.json"
    save_list(lst, path)
    doc = json.loads(path.read_text("utf-8"))
    assert (doc["format"], doc["version"]) == ("testconnection-targets", 1)
    loaded = load_list(path)
    assert loaded == lst
    assert [r for r in loaded.resolved()] == [r for r in lst.resolved()]


def test_previous_file_is_kept_as_bak(tmp_path: Path) -> None:
    path = tmp_path / "targets.json"
    first = sample_list()
    save_list(first, path)
    assert not path.with_name("targets.json.bak").exists()
    second = first.delete_target(next(first.targets()).id)
    save_list(second, path)
    assert load_list(path.with_name("targets.json.bak")) == first
    assert load_list(path) == second


GOOD = list_to_json(TargetList())
BROKEN = {
    "truncated": (GOOD[: len(GOOD) // 2], "damaged or incomplete"),
    "corrupt": ("{\x00\x01 not json", "damaged or incomplete"),
    "binary": ("\udcff", "not a text file"),
    "future": (json.dumps({"format": "testconnection-targets", "version": 3, "list": {}}),
               "written by a newer TestConnection (format version 3); this version reads version 1"),
    "wrong_type": (json.dumps([1, 2, 3]), "not a TestConnection target list"),
    "other_app": (json.dumps({"format": "something-else", "version": 1}), "not a TestConnection target list"),
    "bad_port": (GOOD.replace('"targets": []', '"targets": [{"host": "srv01", "name": "srv01", "port": 70000}]', 1),
                 "target 'srv01': port must be a number from 1 to 65535, got 70000"),
    "targets_not_list": (GOOD.replace('"targets": []', '"targets": {}', 1), "targets should be a list"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_unreadable_file_gives_a_clear_message_and_is_never_overwritten(tmp_path: Path, kind: str) -> None:
    content, expected = BROKEN[kind]
    path = tmp_path / "targets.json"
    data = content.encode("utf-8", errors="surrogateescape")
    path.write_bytes(data)
    with pytest.raises(ListFileError, match=re.escape(expected)) as e:
        load_list(path)
    assert "targets.json" in e.value.message and "left untouched" in e.value.message
    with pytest.raises(ListFileError, match="Not saved"):
        save_list(sample_list(), path)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.json"]

    replacement = sample_list()
    save_list(replacement, path, force=True)  # the user chose to replace it: the old bytes are still kept
    assert load_list(path) == replacement
    assert path.with_name("targets.json.unreadable").read_bytes() == data


def test_password_fields_are_dropped_reported_and_never_written_back(tmp_path: Path) -> None:
    original = sample_list()
    doc = json.loads(list_to_json(original))
    doc["password"] = "Marker-Secret-7f3a"
    doc["list"]["root"]["folders"][0]["defaults"]["Password"] = "Marker-Secret-7f3a"
    doc["list"]["root"]["targets"][0]["password"] = "Marker-Secret-7f3a"
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(doc), "utf-8")
    loaded = load_list(path)
    assert loaded == original
    assert "3 password field(s)" in loaded.load_warnings[0]
    assert "Marker-Secret-7f3a" not in repr(loaded)
    save_list(loaded, path)
    for written in (path, path.with_name("targets.json.bak")):  # the backup is written without them too
        assert b"Marker-Secret-7f3a" not in written.read_bytes()


def test_ten_thousand_targets_round_trip(tmp_path: Path) -> None:
    lst = big_list(10_000)
    path = tmp_path / "big.json"
    save_list(lst, path)
    assert load_list(path) == lst


# Runs in a child interpreter: imports once, then forks one saver per iteration and SIGKILLs it at a random
# moment (forking avoids paying the interpreter start-up 50 times). Prints each directory it finished with.
_KILLER = """
import os, random, signal, sys, time
from pathlib import Path
from core.targetlist import Target, TargetList
from core.listfile import save_list
base, iterations = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(int(sys.argv[3]))
lists = [TargetList(f"gen{g}").add_targets([((f"F{i % 9}",), Target(f"h{i}.example", notes="x" * (g * 40)))
                                            for i in range(2000)]) for g in range(2)]
for it in range(iterations):
    d = base / f"it{it}"
    d.mkdir()
    save_list(TargetList("initial"), d / "targets.json")
    pid = os.fork()
    if pid == 0:
        n = 0
        while True:
            save_list(lists[n % 2], d / "targets.json")
            n += 1
    time.sleep(rng.uniform(0, 0.12))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print(d, flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_killed_during_save_leaves_a_loadable_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _KILLER, str(tmp_path), "50", "1234"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    ).stdout.split()  # fmt: skip
    assert len(done) == 50
    names = set()
    for d in map(Path, done):
        lst = load_list(d / "targets.json")
        names.add(lst.name)
        assert lst.name == "initial" or len(list(lst.targets())) == 2000
        if (d / "targets.json.bak").exists():
            load_list(d / "targets.json.bak")
    assert names - {"initial"}, "no save ever finished; the kills came too early to test anything"
    tally("kills_during_save", len(done))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target_lists)
def test_any_list_round_trips_through_save_and_load(tmp_path: Path, lst: TargetList) -> None:
    path = tmp_path / "prop.json"
    save_list(lst, path)
    assert load_list(path) == lst


# --- paths ---------------------------------------------------------------------------------------------------


def test_paths_follow_the_home_override(tmp_path: Path) -> None:
    assert paths.config_dir() == tmp_path / "home"
    assert paths.default_list_path() == tmp_path / "home" / "targets.json"
    assert paths.history_path().parent == paths.lists_dir().parent == paths.logs_dir().parent


def test_portable_mode_beside_a_frozen_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.HOME_ENV)
    exe = tmp_path / "app" / "TestConnection.exe"
    exe.parent.mkdir()
    exe.write_bytes(b"")
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert paths.portable_dir() is None
    assert paths.config_dir() != exe.parent / "TestConnection-data"
    (exe.parent / "TestConnection.portable").write_text("")
    assert paths.config_dir() == exe.parent.resolve() / "TestConnection-data"
    monkeypatch.setattr(sys, "frozen", False)
    assert paths.portable_dir() is None


def test_kerberos_principal_settings_are_inherited_saved_and_checked(tmp_path: Path) -> None:
    lst = TargetList()
    lst, folder = lst.add_folder(lst.root.id, "IIS farm", Settings(auth="kerberos", spn="WSMAN"))
    lst = lst.add_target(folder.id, Target("web01.corp.example"))
    lst = lst.add_target(folder.id, Target("web02.corp.example", spn="HTTP/web02.corp.example", include_port_in_spn=True))
    first, second = lst.resolved()
    assert (first.spn, first.include_port_in_spn) == ("WSMAN", False)
    assert (second.spn, second.include_port_in_spn) == ("HTTP/web02.corp.example", True)
    path = tmp_path / "targets.json"
    save_list(lst, path)
    assert [(r.spn, r.include_port_in_spn) for r in load_list(path).resolved()] == [("WSMAN", False),
                                                                                    ("HTTP/web02.corp.example", True)]
    with pytest.raises(InvalidField) as bad:
        Target("web03", spn="HTTP/a b")
    assert bad.value.field == "spn"

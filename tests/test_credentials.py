"""Named credentials in a real keyring backend, the session-only fallback, and no password in any of our files."""

from __future__ import annotations

import json
from pathlib import Path

import keyring.backends.fail
import keyring.backends.null
import pytest
from keyrings.alt.file import PlaintextKeyring

from core import paths
from core.credentials import INDEX_ENTRY, SELF_CHECK_ENTRY, SESSION_ONLY_MESSAGE, CredentialStore
from core.exports import results_to_csv, results_to_html, results_to_json, write_report
from core.history import History
from core.importers import export_list_csv, import_csv
from core.listfile import list_to_json, load_list, save_list
from core.targetlist import Target, TargetList
from tests.test_exports import sample_results

MARKER = "Marker-Secret-7f3a"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))


@pytest.fixture
def plaintext(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    # file_path is a NonDataProperty in keyrings.alt: an instance attribute overrides the default location
    # (~/.local/share/python_keyring), so the test never touches the real user's keyring file.
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    return backend


def test_round_trip_through_a_real_keyring_backend(plaintext: PlaintextKeyring) -> None:
    store = CredentialStore(plaintext)
    assert store.backend_available and store.persistent and store.message == ""
    assert "PlaintextKeyring" in store.backend_name
    assert store.names() == [] and store.get("ops") is None
    saved = store.save("ops", "alice", MARKER, domain="CORP")
    store.save("lab", "bob", "pw2")
    assert MARKER not in repr(saved) and MARKER not in str(saved)
    assert saved.account == "CORP\\alice"

    again = CredentialStore(plaintext)  # a new store (as after a restart) reads the same keyring
    assert again.names() == ["lab", "ops"]
    got = again.get("ops")
    assert got is not None and (got.username, got.domain, got.password) == ("alice", "CORP", MARKER)
    again.save("ops", "alice2", "new")  # replacing keeps one index entry
    assert again.names() == ["lab", "ops"] and again.get("ops").username == "alice2"  # type: ignore[union-attr]
    again.delete("ops")
    again.delete("ops")  # deleting twice is fine
    assert again.names() == ["lab"] and again.get("ops") is None
    with pytest.raises(ValueError, match="reserved"):
        again.save(INDEX_ENTRY, "x", "y")
    with pytest.raises(ValueError, match="name"):
        again.save("  ", "x", "y")


def test_entry_written_by_something_else_is_ignored(plaintext: PlaintextKeyring) -> None:
    plaintext.set_password("TestConnection", "foreign", "just-a-password")
    assert CredentialStore(plaintext).get("foreign") is None


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()])  # type: ignore[no-untyped-call]
def test_no_keyring_means_session_only(backend: object) -> None:
    store = CredentialStore(backend)
    assert not store.backend_available and not store.persistent
    assert store.message == SESSION_ONLY_MESSAGE
    store.save("ops", "alice", MARKER)
    assert store.get("ops").password == MARKER  # type: ignore[union-attr]
    assert store.names() == ["ops"]
    store.delete("ops")
    assert store.names() == [] and store.get("ops") is None
    assert CredentialStore(backend).names() == []  # nothing outlives the session


def test_no_password_in_any_file_or_export(tmp_path: Path, plaintext: PlaintextKeyring) -> None:
    """The marker password goes everywhere a user could put it; it must come out nowhere but the keyring."""
    store = CredentialStore(plaintext)
    store.save("ops", "alice", MARKER, domain="CORP")

    lst = TargetList().add_targets([(("Site",), Target("srv01", credential="ops"))])
    list_path = paths.default_list_path()
    save_list(lst, list_path)

    # Someone edits the list file by hand and adds passwords; loading drops them and saving writes none back.
    doc = json.loads(list_path.read_text("utf-8"))
    doc["list"]["root"]["folders"][0]["targets"][0]["password"] = MARKER
    doc["list"]["root"]["folders"][0]["defaults"]["password"] = MARKER
    list_path.write_text(json.dumps(doc), "utf-8")
    edited = load_list(list_path)
    save_list(edited, list_path)

    imported = import_csv(f"host,password,credential\nsrv02,{MARKER},ops\n")
    lst = imported.into(edited)
    save_list(lst, paths.lists_dir() / "site.json")
    exports = [list_to_json(lst), export_list_csv(lst), repr(lst), repr(imported), repr(store.get("ops"))]
    exports += [str(e) for e in imported.errors] + list(edited.load_warnings)

    results = sample_results()
    exports += [results_to_json(results), results_to_csv(results), results_to_html(results)]
    for suffix in ("html", "csv", "json"):
        write_report(results, tmp_path / "reports" / f"r.{suffix}")
    history = History()
    for r in results:
        history.record_result(r)
    history.save()

    for text in exports:
        assert MARKER not in text
    keyring_file = Path(plaintext.file_path)
    assert keyring_file.exists()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"targets.json", "targets.json.bak", "site.json", "history.json",
                                          "r.csv", "r.html", "r.json"}  # fmt: skip
    for path in written:
        # The keyring backend's own store is where passwords are meant to be (PlaintextKeyring keeps them
        # base64-encoded, so it would not match anyway); every other file is ours and must not hold one.
        if path == keyring_file:
            continue
        data = path.read_bytes()
        assert MARKER.encode() not in data, path
        assert MARKER.encode("utf-16-le") not in data, path


def test_keyring_self_check_round_trips_and_leaves_the_keyring_as_it_was(plaintext: PlaintextKeyring) -> None:
    store = CredentialStore(plaintext)
    ok, message = store.self_check()
    assert ok and "PlaintextKeyring" in message and "saved, read back and deleted" in message
    assert plaintext.get_password("TestConnection", INDEX_ENTRY) is None  # no index was there: none is left
    store.save("ops", "alice", MARKER)
    ok, _ = store.self_check()
    assert ok and store.names() == ["ops"] and store.get("ops").password == MARKER  # type: ignore[union-attr]
    assert MARKER not in message


def test_keyring_self_check_fails_without_a_keyring() -> None:
    ok, message = CredentialStore(keyring.backends.fail.Keyring()).self_check()  # type: ignore[no-untyped-call]
    assert not ok and "not usable" in message


def test_keyring_self_check_flag_of_both_programs(tmp_path: Path) -> None:
    # The hidden --keyring-self-check the packaged builds' smoke tests call, here against a keyring file in tmp_path.
    import subprocess
    import sys

    config = tmp_path / "keyringrc.cfg"
    config.write_text("[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    for module in ("core.cli", "gui.app"):
        result = subprocess.run([sys.executable, "-m", module, "--keyring-self-check"], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "PlaintextKeyring: saved, read back and deleted a test credential" in result.stdout
    left = PlaintextKeyring()
    left.file_path = str(tmp_path / "data" / "python_keyring" / "keyring_pass.cfg")
    assert Path(left.file_path).is_file()  # the programs really used this keyring file...
    assert left.get_password("TestConnection", SELF_CHECK_ENTRY) is None  # ...and left nothing in it
    assert left.get_password("TestConnection", INDEX_ENTRY) is None

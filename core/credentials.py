"""Credentials kept in the OS keyring under a NAME; target lists only ever hold that name.

Each credential is one keyring entry (service ``TestConnection``, user = the credential's name) whose secret
is a small JSON object with username, domain and password, so the three are saved and deleted together.
keyring cannot enumerate entries, so the names are kept in one more entry, the index.

Without a working keyring (keyring's ``fail`` or ``null`` backend, or one that errors when first used) the
store keeps credentials in memory for this session only and says so (``persistent``/``message``).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "TestConnection"
# Not a control character: Windows Credential Manager builds C strings from these names. The name is reserved.
INDEX_ENTRY = "(TestConnection credential index)"
SELF_CHECK_ENTRY = "(TestConnection keyring self-check)"
SESSION_ONLY_MESSAGE = "No system keyring is available; credentials are kept for this session only."


class CredentialError(Exception):
    """The keyring refused an operation; the message is meant for the user (it never contains a password)."""


@dataclass(frozen=True)
class StoredCredential:
    name: str
    username: str
    password: str = field(repr=False)
    domain: str | None = None

    @property
    def account(self) -> str:
        """``DOMAIN\\user`` as Windows shows it, or the bare user name."""
        return f"{self.domain}\\{self.username}" if self.domain else self.username


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a credential needs a name")
    if any(ord(c) < 32 for c in name):
        raise ValueError(f"credential name {name!r} contains control characters")
    if name in (INDEX_ENTRY, SELF_CHECK_ENTRY):
        raise ValueError(f"{name!r} is reserved")
    return name


class CredentialStore:
    """Save, look up and delete named credentials. Safe to use from several threads."""

    def __init__(self, backend: Any | None = None) -> None:
        self._lock = threading.Lock()
        self._session: dict[str, StoredCredential] = {}
        self._backend: Any = backend if backend is not None else keyring.get_keyring()
        self.backend_name: str = str(getattr(self._backend, "name", type(self._backend).__name__))
        self.backend_available: bool = self._probe()
        self.message: str = "" if self.backend_available else SESSION_ONLY_MESSAGE

    @property
    def persistent(self) -> bool:
        """True when saved credentials survive a restart (they are in the OS keyring)."""
        return self.backend_available

    def _probe(self) -> bool:
        backend = self._backend
        if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
            return False
        if hasattr(backend, "backends") and not backend.backends:  # a ChainerBackend with nothing to chain
            return False
        try:
            backend.get_password(SERVICE, INDEX_ENTRY)
        except Exception as exc:  # any failure here means "do not rely on this keyring"
            log.warning("keyring backend %s is not usable: %s", self.backend_name, type(exc).__name__)
            return False
        return True

    # --- public API ----------------------------------------------------------------------------------------

    def save(self, name: str, username: str, password: str, domain: str | None = None) -> StoredCredential:
        """Store (or replace) the credential called ``name``."""
        cred = StoredCredential(_check_name(name), username, password, domain or None)
        with self._lock:
            if not self.backend_available:
                self._session[name] = cred
                return cred
            blob = json.dumps({"username": username, "domain": cred.domain, "password": password})
            self._call("save", lambda: self._backend.set_password(SERVICE, name, blob))
            names = self._read_index()
            if name not in names:
                self._write_index([*names, name])
        return cred

    def get(self, name: str) -> StoredCredential | None:
        with self._lock:
            if not self.backend_available:
                return self._session.get(name)
            blob = self._call("read", lambda: self._backend.get_password(SERVICE, name))
        if blob is None:
            return None
        try:
            data = json.loads(blob)
            return StoredCredential(name, str(data["username"]), str(data["password"]), data.get("domain"))
        except (ValueError, KeyError, TypeError):
            # Written by something else under our service name; do not guess, and do not log its contents.
            log.warning("keyring entry %r is not a TestConnection credential; ignored", name)
            return None

    def delete(self, name: str) -> None:
        """Remove the credential; deleting a name that does not exist is not an error."""
        with self._lock:
            if not self.backend_available:
                self._session.pop(name, None)
                return
            try:
                self._backend.delete_password(SERVICE, name)
            except keyring.errors.PasswordDeleteError:
                pass  # already gone
            except Exception as exc:
                raise CredentialError(f"The keyring could not delete {name!r}: {type(exc).__name__}") from None
            names = self._read_index()
            if name in names:
                self._write_index([n for n in names if n != name])

    def names(self) -> list[str]:
        with self._lock:
            if not self.backend_available:
                return sorted(self._session)
            return sorted(self._read_index())

    def self_check(self) -> tuple[bool, str]:
        """Save, read back and delete a throwaway credential in the keyring: (it worked, what happened).

        Behind the programs' hidden ``--keyring-self-check``, so that a packaged build proves its keyring backend
        (Windows Credential Manager, macOS Keychain, Secret Service) was bundled and works. The password is random
        and never shown; nothing is left behind, not even the index entry if there was none before.
        """
        if not self.backend_available:
            return False, f"keyring {self.backend_name}: not usable ({self.message})"
        password = secrets.token_urlsafe(16)
        with self._lock:
            had_index = self._read_index_raw() is not None
            try:
                blob = json.dumps({"username": "self-check", "domain": "TESTCONNECTION", "password": password})
                self._call("save", lambda: self._backend.set_password(SERVICE, SELF_CHECK_ENTRY, blob))
                self._write_index([*self._read_index(), SELF_CHECK_ENTRY])
                read = self._call("read", lambda: self._backend.get_password(SERVICE, SELF_CHECK_ENTRY))
                listed = SELF_CHECK_ENTRY in self._read_index()
            finally:
                self._call("delete", lambda: self._backend.delete_password(SERVICE, SELF_CHECK_ENTRY))
                if had_index:
                    self._write_index([n for n in self._read_index() if n != SELF_CHECK_ENTRY])
                else:
                    self._call("delete", lambda: self._backend.delete_password(SERVICE, INDEX_ENTRY))
            gone = self._call("read", lambda: self._backend.get_password(SERVICE, SELF_CHECK_ENTRY)) is None
        if read != blob or not listed:
            return False, f"keyring {self.backend_name}: the test credential did not come back intact"
        if not gone:
            return False, f"keyring {self.backend_name}: the test credential was not deleted"
        return True, f"keyring {self.backend_name}: saved, read back and deleted a test credential"

    # --- helpers -------------------------------------------------------------------------------------------

    def _call(self, what: str, action: Any) -> Any:
        try:
            return action()
        except Exception as exc:
            # Only the exception type: backend messages can echo what was being stored.
            raise CredentialError(
                f"The keyring ({self.backend_name}) could not {what} the credential: {type(exc).__name__}"
            ) from None

    def _read_index_raw(self) -> str | None:
        raw: str | None = self._call("read the list of", lambda: self._backend.get_password(SERVICE, INDEX_ENTRY))
        return raw

    def _read_index(self) -> list[str]:
        raw = self._read_index_raw()
        if not raw:
            return []
        try:
            names = json.loads(raw)
        except ValueError:
            log.warning("the credential index in the keyring is damaged; starting a new one")
            return []
        return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def _write_index(self, names: list[str]) -> None:
        blob = json.dumps(sorted(set(names)))
        self._call("update the list of", lambda: self._backend.set_password(SERVICE, INDEX_ENTRY, blob))


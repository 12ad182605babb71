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
    if name == INDEX_ENTRY:
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

    # --- helpers -------------------------------------------------------------------------------------------

    def _call(self, what: str, action: Any) -> Any:
        try:
            return action()
        except Exception as exc:
            # Only the exception type: backend messages can echo what was being stored.
            raise CredentialError(
                f"The keyring ({self.backend_name}) could not {what} the credential: {type(exc).__name__}"
            ) from None

    def _read_index(self) -> list[str]:
        raw = self._call("read the list of", lambda: self._backend.get_password(SERVICE, INDEX_ENTRY))
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

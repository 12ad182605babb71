"""The NTLM acceptor's user store.

pyspnego's NTLM acceptor only reads users from the file named by the process-wide environment variable
NTLM_USER_FILE (spnego/_ntlm.py). So every live Lab in this process shares one private file holding the
union of their users (smbpasswd format: hashes, never the cleartext password). Limitation: when two live
labs give the same username different passwords, the lab registered first wins for NTLM; each lab still
rejects users it does not know itself. NTLM users may be written `alice`, `.\\alice`, `LAB\\alice` or `alice@LAB.TEST`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Mapping

from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1

from core.lab.kdc import REALM

_ENV = "NTLM_USER_FILE"
LAB_DOMAIN = "LAB"
_lock = threading.Lock()
_live: dict[int, dict[str, str]] = {}
_dir: str | None = None
_saved_env: str | None = None


def check_usernames(users: Mapping[str, str]) -> None:
    for name in users:
        if not name or any(c in name for c in ":\r\n"):
            raise ValueError(f"lab usernames must be non-empty without ':' or newlines: {name!r}")


def _rewrite() -> None:
    assert _dir is not None
    lines: dict[str, str] = {}
    for users in _live.values():
        for name, password in users.items():
            lm, nt = lmowfv1(password).hex().upper(), ntowfv1(password).hex().upper()
            # NTLM matches the domain exactly: accept the forms a helpdesk types for a local account, and the
            # UPN a Kerberos user name is, which Negotiate's fallback to NTLM sends as it is (as Windows does).
            for qualified in (name, f".\\{name}", f"{LAB_DOMAIN}\\{name}", f"{name}@{REALM}"):
                lines.setdefault(qualified.lower(), f"{qualified}:0:{lm}:{nt}:[U]:LCT-00000000\n")
    tmp = os.path.join(_dir, "users.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.writelines(lines.values())
    # Atomic: an acceptor reading the file concurrently sees the old or the new list, never half.
    os.replace(tmp, os.path.join(_dir, "users"))


def register(key: int, users: Mapping[str, str]) -> None:
    global _dir, _saved_env
    with _lock:
        if _dir is None:
            _dir = tempfile.mkdtemp(prefix="testconnection-ntlm-")  # mkdtemp makes it 0700
            _saved_env = os.environ.get(_ENV)
            os.environ[_ENV] = os.path.join(_dir, "users")
        _live[key] = dict(users)
        _rewrite()


def unregister(key: int) -> None:
    global _dir, _saved_env
    with _lock:
        if _live.pop(key, None) is None or _dir is None:
            return
        if _live:
            _rewrite()
            return
        shutil.rmtree(_dir, ignore_errors=True)
        _dir = None
        if _saved_env is None:
            os.environ.pop(_ENV, None)
        else:
            os.environ[_ENV] = _saved_env
        _saved_env = None

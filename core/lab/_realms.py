"""The lab's Kerberos world: its domain, a second domain whose clock is off, and one whose KDC is down.

- LAB.TEST: the lab's users, plus the accounts the failure scenarios need (password expired, disabled), and
  the service principal HTTP/localhost with its current keys and a stale copy.
- SKEW.TEST: the same users and service name, served by a KDC whose clock is ten minutes behind this
  machine's, so its tickets reach a listener whose clock differs from the KDC's: KRB_AP_ERR_SKEW.
- OFFLINE.TEST: named in krb5.conf, but nothing listens on its KDC's port.
- SILENT.TEST: its KDC's port accepts the connection and answers nothing (MIT waits 25 s for it), closing it after
  SILENT_FOR seconds: longer than a demo's deadline, short enough that an abandoned exchange ends soon after.

One krb5.conf names them all; `environ` points a client's Kerberos at it and at an empty ticket cache; `tickets`
is a second cache where the lab's first user is logged on (kinit), for tests as the current user.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from core.lab import kdc

if TYPE_CHECKING:
    from core.lab._kerberos import KerberosService

REALM = kdc.REALM
SKEWED_REALM = "SKEW.TEST"
OFFLINE_REALM = "OFFLINE.TEST"
SILENT_REALM = "SILENT.TEST"
CLOCK_OFFSET = -600  # seconds: twice the five minutes Kerberos tolerates by default
EXPIRED_USER = "expired"
DISABLED_USER = "disabled"
UNKNOWN_USER = "nobody"
KEYS = ("current", "stale", "skewed")  # which keys an endpoint's service holds
SILENT_FOR = 5.0  # seconds the silent KDC holds a connection before closing it


class Realms:
    def __init__(self, directory: str, users: Mapping[str, str]) -> None:
        reserved = {EXPIRED_USER, DISABLED_USER, UNKNOWN_USER} & {name.lower() for name in users}
        if reserved:
            raise ValueError(f"lab usernames reserved for the Kerberos scenarios: {', '.join(sorted(reserved))}")
        self._dir = directory
        password = next(iter(users.values()))
        accounts = [kdc.Account(name, secret) for name, secret in users.items()]
        self.lab = kdc.Kdc([
            *accounts,
            kdc.Account(EXPIRED_USER, password, ("+requires_preauth", '-pwexpire "2000-01-01 00:00:00 UTC"')),
            kdc.Account(DISABLED_USER, password, ("+requires_preauth", "-allow_tix")),
        ])
        self.skewed = kdc.Kdc(accounts, realm=SKEWED_REALM, clock_offset=CLOCK_OFFSET)
        self.silent = SilentKdc()
        self._first = next(iter(users.items()))

    def start(self, tickets: bool = False) -> None:
        """Start the KDCs; with ``tickets``, also log the lab's first user on into ``self.tickets``."""
        try:
            self.lab.start()
            self.skewed.start()
            realms = {kdc.REALM: self.lab.port, SKEWED_REALM: self.skewed.port, OFFLINE_REALM: kdc.free_port(),
                      SILENT_REALM: self.silent.port}
            with open(self.config, "w", encoding="utf-8") as f:
                f.write(kdc.client_config(realms, kdc.REALM))
            open(self.environ["GSS_MECH_CONFIG"], "w").close()  # no extra GSSAPI mechanisms
            if tickets:
                self.lab.kinit(*self._first, self.tickets, self.config)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.silent.close()
        self.skewed.stop()
        self.lab.stop()

    @property
    def tickets(self) -> str:
        return "FILE:" + os.path.join(self._dir, "tickets")

    @property
    def config(self) -> str:
        return os.path.join(self._dir, "krb5.conf")

    @property
    def environ(self) -> dict[str, str]:
        return kdc.isolated_environ(self._dir, self.config)

    def service(self, keys: str, certificate: str | None) -> KerberosService:
        from core.lab._kerberos import KerberosService  # gssapi: only where Kerberos runs

        keytab = {"current": self.lab.keytab, "stale": self.lab.stale_keytab, "skewed": self.skewed.keytab}[keys]
        return KerberosService(keytab, os.path.join(self._dir, "replay-cache"), certificate)


class SilentKdc:
    """A KDC port that accepts connections and never answers, closing each after SILENT_FOR seconds."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._held: list[threading.Timer] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="testconnection-lab-silent-kdc", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            hang_up = threading.Timer(SILENT_FOR, conn.close)
            hang_up.daemon = True
            with self._lock:
                self._held.append(hang_up)
            hang_up.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # not listening any more
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            held, self._held = self._held, []
        for hang_up in held:
            hang_up.cancel()
            hang_up.function()  # close the connection now

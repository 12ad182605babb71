"""The lab's Kerberos world: its domain, a second domain whose clock is off, and one whose KDC is down.

- LAB.TEST: the lab's users, plus the accounts the failure scenarios need (password expired, disabled), and
  the service principal HTTP/localhost with its current keys and a stale copy.
- SKEW.TEST: the same users and service name, served by a KDC whose clock is ten minutes behind this
  machine's, so its tickets reach a listener whose clock differs from the KDC's: KRB_AP_ERR_SKEW.
- OFFLINE.TEST: named in krb5.conf, but nothing listens on its KDC's port.

One krb5.conf names all three; `environ` points a client's Kerberos at it and at an empty ticket cache.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from core.lab import kdc

if TYPE_CHECKING:
    from core.lab._kerberos import KerberosService

REALM = kdc.REALM
SKEWED_REALM = "SKEW.TEST"
OFFLINE_REALM = "OFFLINE.TEST"
CLOCK_OFFSET = -600  # seconds: twice the five minutes Kerberos tolerates by default
EXPIRED_USER = "expired"
DISABLED_USER = "disabled"
UNKNOWN_USER = "nobody"
KEYS = ("current", "stale", "skewed")  # which keys an endpoint's service holds


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

    def start(self) -> None:
        try:
            self.lab.start()
            self.skewed.start()
            realms = {kdc.REALM: self.lab.port, SKEWED_REALM: self.skewed.port, OFFLINE_REALM: kdc.free_port()}
            with open(self.config, "w", encoding="utf-8") as f:
                f.write(kdc.client_config(realms, kdc.REALM))
            open(self.environ["GSS_MECH_CONFIG"], "w").close()  # no extra GSSAPI mechanisms
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.skewed.stop()
        self.lab.stop()

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

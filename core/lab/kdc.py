"""A throwaway MIT Kerberos realm on loopback: the lab's domain controller (Debian's krb5-kdc).

`Kdc` makes a realm database in a private temporary directory (`kdb5_util create`), adds the accounts and the
service principal with `kadmin.local`, exports the service's keys to keytabs, and runs `krb5kdc` in the
foreground on a free 127.0.0.1 TCP port until stop(), which ends it and deletes the directory.

Nothing here reads or writes the user's own Kerberos files: every program gets an environment that names the
realm's own krb5.conf, kdc.conf and ticket cache (`isolated_environ()`: the variables MIT krb5 reads), and passwords go
to the programs on stdin, never on their command line.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

REALM = "LAB.TEST"
SERVICE = "HTTP/localhost"  # what Windows' client asks for http://localhost:…: only `localhost` is loopback everywhere
PROGRAMS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")  # where Debian puts the KDC programs: not on a user's PATH
_FAKETIME = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
             "/usr/local/lib/faketime/libfaketime.so.1")
INSTALL = (
    "apt-get install krb5-kdc krb5-admin-server krb5-user libkrb5-dev faketime, "
    "then pip install 'testconnection[kerberos]'"
)
START_TIMEOUT = 5.0
_HOLDER = 'krb5kdc="$1"; shift; "$krb5kdc" "$@" & read -r _; kill $!; wait $!'


@dataclass(frozen=True)
class Account:
    """A realm principal: `name` without the realm; `options` are kadmin addprinc's (Windows-like by default)."""

    name: str
    password: str
    options: tuple[str, ...] = ("+requires_preauth",)  # Active Directory always asks for pre-authentication


def program(name: str) -> str | None:
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *_SBIN]))


def faketime_library() -> str | None:
    """libfaketime (Debian's `faketime`), which runs a KDC whose clock is off without touching the machine's."""
    return next((path for pattern in _FAKETIME for path in sorted(glob.glob(pattern))), None)


def unavailable_reason(clock_offset: bool = True) -> str | None:
    """Why the lab's realms (with `clock_offset`: also one whose clock is off) cannot start here (None: they can)."""
    missing = [name for name in PROGRAMS if program(name) is None]
    if clock_offset and faketime_library() is None:
        missing.append("libfaketime")
    try:
        import gssapi  # noqa: F401 - the lab's acceptor and every Kerberos client here use it
        import krb5  # noqa: F401
    except ImportError:
        missing.append("the Python packages gssapi and krb5")
    if not missing:
        return None
    return f"Kerberos needs {', '.join(missing)}: {INSTALL}."


def isolated_environ(directory: str, config: str) -> dict[str, str]:
    """Every variable by which MIT krb5 and its GSSAPI find files, pointed into `directory`.

    Read when a krb5 context is made (KRB5_CONFIG, KRB5_KDC_PROFILE), whenever the default ticket cache or
    keytab is resolved (KRB5CCNAME, KRB5_KTNAME, KRB5_CLIENT_KTNAME: the latter lets GSSAPI get a ticket on its
    own), when an acceptor opens its replay cache (KRB5RCACHEDIR; /var/tmp otherwise), and when GSSAPI loads its
    mechanism list (GSS_MECH_CONFIG, /etc/gss/mech otherwise). KRB5_TRACE is left alone: it only writes a trace
    where the user asked for one. ~/.k5identity is turned off in client_config().
    """
    return {
        "KRB5_CONFIG": config,
        "KRB5_KDC_PROFILE": os.path.join(directory, "kdc.conf"),
        "KRB5CCNAME": "FILE:" + os.path.join(directory, "ccache"),
        "KRB5_KTNAME": "FILE:" + os.path.join(directory, "no-default.keytab"),
        "KRB5_CLIENT_KTNAME": "FILE:" + os.path.join(directory, "no-client.keytab"),
        "KRB5RCACHEDIR": directory,
        "GSS_MECH_CONFIG": os.path.join(directory, "gss-mech"),
    }


def client_config(realms: Mapping[str, int], default_realm: str) -> str:
    """A krb5.conf for clients of these realms (realm -> KDC TCP port on 127.0.0.1), DNS kept out of it.

    `localhost` is deliberately in no [domain_realm]: MIT then asks the client's own realm first (a referral),
    as a Windows client asks its own domain, so one service name serves users of every lab realm.
    """
    entries = "".join(f"    {realm} = {{\n        kdc = 127.0.0.1:{port}\n    }}\n" for realm, port in realms.items())
    return (
        "[libdefaults]\n"
        f"    default_realm = {default_realm}\n"
        "    dns_lookup_kdc = false\n"
        "    dns_lookup_realm = false\n"
        "    dns_canonicalize_hostname = false\n"
        "    rdns = false\n"
        "    udp_preference_limit = 1\n"  # TCP always: the lab KDCs listen on TCP only
        f"[realms]\n{entries}"
        "[domain_realm]\n"
        f"    .{default_realm.lower()} = {default_realm}\n"
        # Nor ~/.k5identity, which MIT would read to choose among the user's tickets.
        "[plugins]\n"
        "    ccselect = {\n        disable = k5identity\n    }\n"
    )


class Kdc:
    """One realm and its running KDC; `clock_offset` (seconds) runs the KDC with its clock that far off."""

    def __init__(self, accounts: Sequence[Account], realm: str = REALM, clock_offset: int = 0) -> None:
        names = [a.name for a in accounts]
        if len(set(names)) != len(names):
            raise ValueError("duplicate account names")
        for account in accounts:
            _check_argument("account name", account.name)
            _check_argument("password", account.password)
        self.realm = realm
        self.clock_offset = clock_offset
        self._accounts = list(accounts)
        self._dir: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    # ---- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._dir is not None:
            raise RuntimeError("KDC already started")
        reason = unavailable_reason(clock_offset=bool(self.clock_offset))
        if reason is not None:
            raise RuntimeError(reason)
        self._dir = tempfile.mkdtemp(prefix="testconnection-kdc-")  # 0700, removed on stop
        try:
            self._create()
            self._run()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """End the KDC and delete the realm; safe to call twice."""
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()  # the holder ends the KDC and waits for it
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Kdc:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- what it offers ---------------------------------------------------------------------------------

    @property
    def directory(self) -> str:
        if self._dir is None:
            raise RuntimeError("the realm exists only while its KDC runs")
        return self._dir

    @property
    def keytab(self) -> str:
        """The service's current keys (HTTP/localhost), as its machine account would hold them."""
        return os.path.join(self.directory, "service.keytab")

    @property
    def stale_keytab(self) -> str:
        """The service's keys before they were changed: tickets issued now cannot be opened with them."""
        return os.path.join(self.directory, "stale.keytab")

    @property
    def config(self) -> str:
        """A krb5.conf naming this realm alone (for its own programs and for clients of this realm only)."""
        return os.path.join(self.directory, "krb5.conf")

    @property
    def log_file(self) -> str:
        return os.path.join(self.directory, "kdc.log")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def principal(self, name: str) -> str:
        return f"{name}@{self.realm}"

    def kinit(self, name: str, password: str, ccache: str, config: str | None = None) -> None:
        """Get `name`'s ticket-granting ticket into `ccache` with MIT's own kinit (a user's `kinit`)."""
        kinit = shutil.which("kinit")
        if kinit is None:
            raise RuntimeError(f"kinit is missing: {INSTALL}")
        env = {**self._tool_env(), "KRB5_CONFIG": config or self.config, "KRB5CCNAME": ccache}
        done = subprocess.run(
            [kinit, self.principal(name)], input=(password + "\n").encode(), env=env,
            capture_output=True, timeout=10, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kinit {self.principal(name)} failed: {done.stderr.decode(errors='replace').strip()}")

    # ---- making the realm -------------------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def _tool_env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            "LC_ALL": "C",
            **isolated_environ(self.directory, self.config),
        }

    def _create(self) -> None:
        self.port = free_port()
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(client_config({self.realm: self.port}, self.realm))
        with open(self._path("kdc.conf"), "w", encoding="utf-8") as f:
            f.write(self._kdc_conf())
        env = self._tool_env()
        master = secrets.token_urlsafe(24)  # never needed again: the stash file (-s) unlocks the database
        self._tool("kdb5_util", ["create", "-s", "-r", self.realm], f"{master}\n{master}\n", env)
        commands = [
            *(f"addprinc -pw {_quoted(a.password)} {' '.join(a.options)} {_quoted(a.name)}" for a in self._accounts),
            f"addprinc -randkey {SERVICE}",
            # The first keys go to the stale keytab; changing them (as a machine password change does) leaves
            # that keytab out of date, the usual cause of Windows' 0x80090322.
            f"ktadd -k {self.stale_keytab} {SERVICE}",
            f"ktadd -k {self.keytab} {SERVICE}",
        ]
        admin = ["-r", self.realm, "-p", f"kadmin/admin@{self.realm}"]  # -p: not a name from a ticket cache
        self._tool("kadmin.local", admin, "\n".join(commands) + "\n", env)

    def _kdc_conf(self) -> str:
        return (
            "[kdcdefaults]\n"
            "    kdc_listen = \"\"\n"  # no UDP: one TCP port is all the lab needs, and it can be checked for readiness
            f"    kdc_tcp_listen = 127.0.0.1:{self.port}\n"
            "[realms]\n"
            f"    {self.realm} = {{\n"
            f"        database_name = {self._path('principal')}\n"
            f"        key_stash_file = {self._path('stash')}\n"
            f"        acl_file = {self._path('kadm5.acl')}\n"
            "        kdc_listen = \"\"\n"
            f"        kdc_tcp_listen = 127.0.0.1:{self.port}\n"
            "        max_life = 10h\n"
            "    }\n"
            "[logging]\n"
            f"    kdc = FILE:{self.log_file}\n"
            f"    admin_server = FILE:{self._path('kadmin.log')}\n"
            f"    default = FILE:{self._path('krb5.log')}\n"
            "[plugins]\n"
            "    kdcpreauth = {\n        disable = spake\n    }\n"  # unconfigured SPAKE only logs an error
        )

    def _tool(self, name: str, args: list[str], stdin: str, env: Mapping[str, str]) -> None:
        path = program(name)
        assert path is not None  # unavailable_reason() said so
        done = subprocess.run(
            [path, *args], input=stdin.encode(), env=dict(env), capture_output=True, timeout=30, check=False
        )
        # kadmin.local echoes each command (with its -pw) to stdout: only stderr is worth showing.
        errors = done.stderr.decode(errors="replace").strip()
        # It also reports a failed command on stderr and still exits 0.
        if done.returncode != 0 or any(w in errors for w in ("add_principal: ", "ktadd: ", "while ")):
            raise RuntimeError(f"{name} failed ({done.returncode}): {errors}")

    def _run(self) -> None:
        path = program("krb5kdc")
        assert path is not None
        env = self._tool_env()
        if self.clock_offset:
            library = faketime_library()
            assert library is not None
            env.update(LD_PRELOAD=library, FAKETIME=f"{self.clock_offset:+d}", FAKETIME_DONT_FAKE_MONOTONIC="1",
                       DONT_FAKE_MONOTONIC="1")
        # A shell holds the KDC (-n: in the foreground) and ends it once its stdin reaches end of file: when
        # stop() closes our end, or when this process dies, however it dies. No KDC outlives its lab.
        self._process = subprocess.Popen(
            ["/bin/sh", "-c", _HOLDER, "kdc-holder", path, "-n", "-r", self.realm], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.005)
        raise RuntimeError(f"krb5kdc did not listen on 127.0.0.1:{self.port} within {START_TIMEOUT:.0f} s: "
                           f"{_tail(self.log_file)}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return " / ".join(f.read().splitlines()[-lines:]) or "its log is empty"
    except OSError:
        return "it wrote no log"


def _check_argument(what: str, value: str) -> None:
    if not value or any(c in value for c in "\r\n\0"):
        raise ValueError(f"a lab Kerberos {what} must be non-empty, on one line: {value!r}")


def _quoted(value: str) -> str:
    """One argument for kadmin's command parser: double quotes, a quote inside doubled."""
    return '"' + value.replace('"', '""') + '"'

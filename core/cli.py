"""``testconnection-cli check TARGET...``: the command line of docs/cli.md. No Qt is imported here.

Exit codes: 0 every target passed, 1 any failed, 2 usage error, 130 interrupted (how ``--watch`` ends).
Passwords come only from an environment variable or standard input, never from the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from core import __version__, checks
from core.batch import DEFAULT_CONCURRENCY, BatchJob
from core.mi import AuthType, DestinationOptions, UserCredentials
from core.target import TargetError, parse_target

EXIT_USAGE = 2  # the others are the checks' own: 0 all passed, 1 any failed, 130 interrupted
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = checks.EXIT_OK, checks.EXIT_FAILED, checks.EXIT_INTERRUPTED


class UsageError(Exception):
    pass


class _RefusePassword(argparse.Action):
    """``--password`` exists only to refuse it without echoing it: argv is visible to every user of the PC."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        parser.error(
            "--password: passwords are not taken on the command line; use --password-env VAR or --password-stdin"
        )


class _KeyringSelfCheck(argparse.Action):
    """Hidden ``--keyring-self-check``: proves a packaged build's keyring works (packaging/ smoke tests use it)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help=argparse.SUPPRESS)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from core.credentials import CredentialStore

        ok, message = CredentialStore().self_check()
        print(message)
        parser.exit(EXIT_OK if ok else EXIT_FAILED)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal's width. Left to itself it imports shutil to ask
    (``shutil.get_terminal_size``), which costs about 1.5 ms of every check's start (bench 1b): argparse makes a
    formatter for each argument it is given, not only for ``--help``."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _terminal_columns() - 2)


def _terminal_columns() -> int:
    """As shutil.get_terminal_size: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):  # no stdout, or not a terminal
        return 80


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        formatter_class=_HelpFormatter,
        prog="testconnection-cli",
        description="Tell, stage by stage, why a WinRM / WS-Management connection fails.",
    )
    parser.add_argument("--version", action="version", version=f"TestConnection {__version__}")
    parser.add_argument("--keyring-self-check", action=_KeyringSelfCheck)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="test one or more targets", allow_abbrev=False,
                                formatter_class=_HelpFormatter)
    check.add_argument(
        "targets", nargs="*", metavar="TARGET", help="host, host:port, [v6]:port or http(s)://host[:port][/prefix]"
    )
    check.add_argument("--transport", choices=["http", "https"], help="default: http, or what the TARGET says")
    check.add_argument("--port", type=int, help="default: 5985 for http, 5986 for https")
    check.add_argument(
        "--auth", choices=[a.value for a in AuthType],
        help="default: none (anonymous Identify only); negotiate and kerberos without --user test as the current user",
    )
    check.add_argument(
        "--user", help="DOMAIN\\user for NTLM, user@REALM for Kerberos; kerberos without a password: the user's ticket"
    )
    check.add_argument("--password", action=_RefusePassword, help=argparse.SUPPRESS)
    secret = check.add_mutually_exclusive_group()
    secret.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    secret.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    check.add_argument(
        "--spn", help="Kerberos: the service principal to ask a ticket for (default HTTP/<host as typed>), or a "
        "service class alone (WSMAN)",
    )
    check.add_argument(
        "--include-port-in-spn", action="store_true", help="Kerberos: ask for HTTP/<host>:<port> (-IncludePortInSPN)"
    )
    check.add_argument("--ca-file", help="PEM file of the CA that issued the listener's certificate")
    check.add_argument("--skip-ca-check", action="store_true", help="do not verify the certificate's issuer")
    check.add_argument("--skip-cn-check", action="store_true", help="do not verify the certificate's host name")
    check.add_argument(
        "--allow-unencrypted", action="store_true", help="allow Basic over plain HTTP (sends the password readably)"
    )
    check.add_argument(
        "--session", action="store_true",
        help="after authentication, open a remote shell as the user and delete it at once (never runs a command)",
    )
    check.add_argument(
        "--shell", metavar="SHELL",
        help="the shell --session opens: cmd (default), powershell, a PowerShell session configuration name "
        "(JEA endpoints) or a resource URI; implies --session",
    )
    check.add_argument(
        "--no-port-look",
        action="store_true",
        help="when the WinRM port does not connect, do not look whether the host answers on 445, 135, 3389 or the "
        "other WinRM port",
    )
    check.add_argument("--timeout", type=float, default=10.0, help="overall deadline per target in seconds (10)")
    check.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="targets tested at once (32)")
    check.add_argument("--targets-file", type=Path, help="a saved list (.json), a CSV with a host column, or text")
    check.add_argument("--json", action="store_true", help="one JSON object per target per line")
    check.add_argument("--output", type=Path, help="also write a report: .html, .csv or .json")
    check.add_argument(
        "--watch",
        type=float,
        metavar="SECONDS",
        help="test the targets again every SECONDS until Ctrl+C (exit code 130), printing one JSON line per state "
        "change: the --json object plus \"watch\": {state (up/down), previous, changed_at, previous_since, "
        "previous_lasted_s, problem, passes, failures}; a target's first result is its first line",
    )
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        try:
            jobs = _jobs(args, stdin or sys.stdin)
        except UsageError as exc:
            parser.exit(EXIT_USAGE, f"testconnection-cli: error: {exc}\n")
        if args.watch is not None:
            return checks.watch(jobs, args, out)
        return checks.run(jobs, args, out)
    except KeyboardInterrupt:
        # Ctrl+C before the tests began (typing a password, reading a targets file): no traceback, and 130 on
        # Windows too, where an uncaught KeyboardInterrupt would end the process with 0xC000013A instead.
        print("testconnection-cli: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _report_suffixes() -> tuple[str, ...]:
    from core.exports import REPORT_SUFFIXES

    return REPORT_SUFFIXES


def _password(args: argparse.Namespace, stdin: TextIO) -> str | None:
    if args.password_env:
        if args.password_env not in os.environ:
            raise UsageError(f"--password-env: the environment variable {args.password_env} is not set")
        return os.environ[args.password_env]
    if args.password_stdin:
        return stdin.readline().rstrip("\r\n")
    return None


def _jobs(args: argparse.Namespace, stdin: TextIO) -> list[BatchJob]:
    if args.timeout <= 0 or args.timeout > 3600:
        raise UsageError(f"--timeout: must be between 0 and 3600 seconds, not {args.timeout:g}")
    if args.concurrency < 1 or args.concurrency > 1024:
        raise UsageError(f"--concurrency: must be from 1 to 1024, not {args.concurrency}")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError(f"--port: must be from 1 to 65535, not {args.port}")
    if args.watch is not None and not 1 <= args.watch <= 86_400:
        raise UsageError(f"--watch: must be from 1 to 86400 seconds, not {args.watch:g}")
    if args.watch is not None and args.output is not None:
        raise UsageError("--output: a watch never ends by itself; redirect its JSON lines to a file instead")
    if args.ca_file is not None and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file: cannot read {args.ca_file}")
    if args.shell is not None:
        from core.shell import ShellChoiceError, shell_target

        try:
            shell_target(args.shell)
        except ShellChoiceError as exc:
            raise UsageError(f"--shell: {exc}") from None
    session = args.session or args.shell is not None
    if args.output is not None and args.output.suffix.lower() not in _report_suffixes():
        raise UsageError(f"--output: the file name must end in .html, .csv or .json, not {args.output.name!r}")
    auth = AuthType(args.auth) if args.auth else AuthType.NONE
    password = _password(args, stdin)
    # Kerberos can take a named user's ticket from the ticket cache; the other schemes need the password.
    needs_password = auth not in (AuthType.NONE, AuthType.KERBEROS, AuthType.CERTIFICATE)
    if args.user and password is None and needs_password:
        raise UsageError("--user needs a password: give --password-env VAR or --password-stdin")
    current_user = auth in (AuthType.NEGOTIATE, AuthType.KERBEROS)  # no --user: the logged-on user (single sign-on)
    if needs_password and not current_user and not args.user and not args.targets_file:
        raise UsageError(f"--auth {auth.value} needs --user")
    if args.spn is not None:
        from core.kerberos.names import check_spn

        if (problem := check_spn(args.spn)) is not None:
            raise UsageError(f"--spn: {problem}")
    credentials = UserCredentials(args.user, password or "") if args.user else None
    base = DestinationOptions(
        transport=args.transport or "http",
        port=args.port,
        auth=auth,
        credentials=credentials,
        cert_ca_check=not args.skip_ca_check,
        cert_cn_check=not args.skip_cn_check,
        ca_file=args.ca_file,
        timeout=args.timeout,
        allow_unencrypted=args.allow_unencrypted,
        open_shell=session,
        remote_shell=args.shell or "cmd",
        spn=args.spn,
        include_port_in_spn=args.include_port_in_spn,
        port_look=not args.no_port_look,
    )
    jobs: list[BatchJob] = []
    for text in args.targets:
        try:
            parse_target(text, args.transport, args.port)
        except TargetError as exc:
            raise UsageError(f"target {text!r}: {exc}") from None
        jobs.append(BatchJob(text, base))
    if args.targets_file is not None:
        jobs += _jobs_from_file(args, base)
    if not jobs:
        raise UsageError("give at least one TARGET or --targets-file")
    return jobs


def _jobs_from_file(args: argparse.Namespace, base: DestinationOptions) -> list[BatchJob]:

    from core.importers import import_csv, import_text
    from core.listfile import ListFileError, load_list
    from core.targetlist import Settings, TargetList

    path: Path = args.targets_file
    try:
        if path.suffix.lower() == ".json":
            loaded = load_list(path)
        else:
            imported = import_csv(path) if path.suffix.lower() == ".csv" else import_text(path)
            for error in imported.errors:
                print(f"testconnection-cli: {path.name}: {error} (row skipped)", file=sys.stderr)
            loaded = imported.into(TargetList())
    except (OSError, ListFileError) as exc:
        raise UsageError(f"--targets-file: {exc}") from None
    # The command line's options sit above the list's own folders: what the list says wins, then the flags.
    flags = Settings(
        port=args.port,
        transport=args.transport,
        auth=args.auth,
        ca_check=False if args.skip_ca_check else None,
        cn_check=False if args.skip_cn_check else None,
        allow_unencrypted=True if args.allow_unencrypted else None,
        session=True if args.session or args.shell is not None else None,
        remote_shell=args.shell,
        spn=args.spn,
        include_port_in_spn=True if args.include_port_in_spn else None,
    )
    jobs = []
    for resolved in loaded.resolved(flags):
        credentials = base.credentials
        if resolved.credential:
            credentials = _stored_credentials(resolved.credential)
        options = resolved.options(base, credentials)
        jobs.append(BatchJob(resolved.target.host, options))
    return jobs


def _stored_credentials(name: str) -> UserCredentials | None:
    from core.credentials import CredentialStore

    stored = CredentialStore().get(name)
    if stored is None:
        print(f"testconnection-cli: credential {name!r} is not in the keyring", file=sys.stderr)
        return None
    return UserCredentials(stored.username, stored.password, domain=stored.domain)


if __name__ == "__main__":
    raise SystemExit(main())

"""`testconnection-lab` / `python -m core.lab`: run the lab endpoints in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence

from core.lab import KERBEROS_SCENARIOS, SCENARIOS, Lab, kerberos_unavailable_reason


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="testconnection-lab", description="Local WinRM-like endpoints on 127.0.0.1 (until Ctrl-C)."
    )
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="extra delay before every HTTP response")
    parser.add_argument(
        "--only", metavar="NAME[,NAME]",
        help=f"scenarios to run (of: {', '.join(SCENARIOS)}; and with a KDC: {', '.join(KERBEROS_SCENARIOS)})",
    )
    parser.add_argument("--kerberos", action="store_true",
                        help="also run the Kerberos scenarios, with the lab's own MIT KDC")
    args = parser.parse_args(argv)
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    try:
        lab = Lab(scenarios=only, latency=args.latency, kerberos=args.kerberos)
    except ValueError as exc:
        parser.error(str(exc))
    if any(name in KERBEROS_SCENARIOS for name in (only or (KERBEROS_SCENARIOS if args.kerberos else ()))):
        reason = kerberos_unavailable_reason()
        if reason is not None:
            parser.error(reason)
    with lab:
        width = max(len(e.name) for e in lab.endpoints) if lab.endpoints else 0
        for e in lab.endpoints:
            # Loopback itself refuses the usual Windows ports: only these silent ones make the host look down.
            silent = f" Its silent other ports: {', '.join(map(str, e.look_ports))}." if e.look_ports else ""
            print(f"{e.name:<{width}}  {e.url:<34}  {e.description}{silent}")
        print(f"\nCA file to trust for https: {lab.ca_file}")
        for user, password in lab.users.items():
            print(f"Test user: {user}  password: {password}  (a lab account, not a secret)")
        if any(e.auth == "kerberos" for e in lab.endpoints):
            # The lab's realms, for a Kerberos client in another shell (kinit, a script, the CLI).
            print("\nKerberos (realm LAB.TEST): in another shell, first")
            for name, value in lab.kerberos_environ.items():
                print(f"  export {name}={value}")
        print("\nPress Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopping the lab.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

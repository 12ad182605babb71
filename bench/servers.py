"""1d. Servers that are not Windows: lab endpoints that behave as OMI 1.9 and openwsman 2.8, beside a pywinrm script.

OMI holds an anonymous request silent and openwsman resets a kept connection after its 401; before the fix the
first ate the whole deadline and the second failed. The goal is the issue's: an authenticated Basic test passes
within one second, over HTTP and HTTPS, and an anonymous one says what it met without waiting for the deadline.
"""

from __future__ import annotations

import time

from winrm.protocol import Protocol

from bench.common import Goal, Section, WireCounter, median, ms
from core import Application, AuthType, DestinationOptions, UserCredentials
from core.lab import Lab

IDENTIFY = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
    "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
)
CASES = ("omi-basic", "omi-basic-http", "openwsman-basic", "openwsman-basic-http", "omi", "openwsman")
TIMEOUT = 10.0


def run(quick: bool) -> Section:
    n = 3 if quick else 15
    section = Section(
        "1d. Servers that are not Windows (lab endpoints shaped as OMI 1.9.1 and openwsman 2.8.1, loopback)",
        ["test", "N", "TestConnection median", "verdict", "connections / requests per test", "pywinrm script median"],
    )
    counter = WireCounter()
    with counter.installed(), Lab(scenarios=list(CASES)) as lab, Application() as app:
        user, password = next(iter(lab.users.items()))
        for name in CASES:
            endpoint = lab.endpoint(name)
            https = endpoint.transport == "https"
            authenticated = endpoint.auth == "basic"
            options = DestinationOptions(
                transport=endpoint.transport,
                auth=AuthType.BASIC if authenticated else AuthType.NONE,
                credentials=UserCredentials(user, password) if authenticated else None,
                ca_file=lab.ca_file if https else None,
                allow_unencrypted=not https,
                timeout=TIMEOUT,
            )
            times, verdicts = [], set()
            before = counter.snapshot(name)
            for _ in range(n):
                started = time.perf_counter()
                with app.new_session(endpoint.url, options=options) as session, session.test_connection() as op:
                    op.get_instance()
                    diagnosis = op.diagnosis
                times.append(time.perf_counter() - started)
                failure = diagnosis.failure
                verdicts.add("OK" if failure is None else f"failed: {failure.kind}")
            after = counter.snapshot(name)
            reference = _pywinrm(endpoint.url, user, password, lab.ca_file, n) if authenticated else float("nan")
            section.rows.append(
                [
                    f"{'Basic' if authenticated else 'anonymous'}, {name}",
                    str(n),
                    ms(median(times)),
                    ", ".join(sorted(verdicts)),
                    f"{(after[0] - before[0]) / n:g} / {(after[1] - before[1]) / n:g}",
                    ms(reference),
                ]
            )
            limit = 1.0 if authenticated else TIMEOUT / 4
            section.goals.append(
                Goal(
                    f"{name}: passes within {limit:g} s ({'Basic' if authenticated else 'anonymous'})",
                    verdicts == {"OK"} and median(times) < limit,
                    f"median {ms(median(times))}, {', '.join(sorted(verdicts))}",
                )
            )
    section.notes += [
        "OMI's median includes the anonymous Identify's share of the deadline (0.3 s on loopback: a few round "
        "trips, at least 0.3 s) before the authenticated Identify proves the service.",
        "openwsman: the Basic Identify is sent again on a fresh connection after the server resets the one its "
        "401 left open, so each test opens two connections.",
        "The pywinrm column is a plain `Protocol(...).transport.send_message(Identify)` with the same credentials: "
        "the 20-line script the bug report compared against (it sends no anonymous Identify).",
    ]
    return section


def _pywinrm(url: str, user: str, password: str, ca_file: str, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        protocol = Protocol(url, transport="basic", username=user, password=password, ca_trust_path=ca_file)
        protocol.transport.send_message(IDENTIFY)
        times.append(time.perf_counter() - started)
    return median(times)

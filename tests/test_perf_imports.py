"""Cold start: an anonymous check loads only the standard library, h11 and defusedxml (bench 1b).

pyspnego and cryptography cost the CLI tens of milliseconds of imports; they are loaded only when a test
authenticates with a scheme that needs them. pywinrm, requests and urllib3 are never loaded: TestConnection speaks
HTTP itself (h11). Each case runs the real CLI in a fresh interpreter against the lab and lists which of
those packages ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core.lab import Lab

# The standard library's email (date parsing, ~7 ms) and ssl (~5 ms) are heavy too, for a plain-HTTP check.
HEAVY = ("winrm", "requests", "requests_ntlm", "urllib3", "spnego", "cryptography", "email", "ssl")

CHILD = (
    f"HEAVY = {HEAVY!r}\n"
    + """
import json, sys
from core.cli import main
code = main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print(json.dumps({"code": code, "heavy": heavy}))
"""
)


def _check(*argv: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "check", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    result: dict[str, object] = json.loads(last)
    return result


def test_anonymous_check_does_not_import_the_authentication_stack(lab: Lab) -> None:
    result = _check(lab.url("winrm-http"))
    assert result == {"code": 0, "heavy": []}


def test_anonymous_check_of_a_failing_target_does_not_import_it_either(lab: Lab) -> None:
    # The failure is classified (connection refused) without importing the libraries whose errors it also knows.
    result = _check("--timeout", "2", lab.url("refused"))
    assert result == {"code": 1, "heavy": []}


def test_basic_over_https_needs_no_authentication_library(lab: Lab) -> None:
    result = _check(
        "--auth",
        "basic",
        "--user",
        "alice",
        "--password-env",
        "TC_PW",
        "--ca-file",
        lab.ca_file,
        lab.url("winrm-https"),
        env={"TC_PW": lab.users["alice"]},
    )
    assert result == {"code": 0, "heavy": ["ssl"]}  # TLS, of course; nothing for Basic


def test_ntlm_loads_pyspnego_and_nothing_of_pywinrm_or_requests(lab: Lab) -> None:
    result = _check(
        "--auth", "ntlm", "--user", "alice", "--password-env", "TC_PW", lab.url("winrm-http"),
        env={"TC_PW": lab.users["alice"]},
    )
    assert result["code"] == 0
    heavy = result["heavy"]
    assert isinstance(heavy, list) and "spnego" in heavy
    assert not {"winrm", "requests", "requests_ntlm", "urllib3"} & set(heavy)

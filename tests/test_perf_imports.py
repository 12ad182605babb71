"""Cold start: an anonymous check loads only the standard library, h11 and defusedxml (bench 1b).

pyspnego and cryptography cost the CLI tens of milliseconds of imports; they are loaded only when a test
authenticates with a scheme that needs them. pywinrm, requests and urllib3 are never loaded: TestConnection speaks
HTTP itself (h11). Each case runs the real CLI in a fresh interpreter against the lab and lists which of
those packages ended up in ``sys.modules``. TestConnection's own modules on the check's path stay light too
(CONTRIBUTING.md, "The check's import path"); the last case holds what keeps them so.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from core.lab import Lab

ROOT = Path(__file__).resolve().parent.parent

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


# Loaded only when a test needs them: the token schemes and what they share, and json and datetime (the CLI's
# --json and the watch need json; the report's times need neither); shutil only if argparse asks it for the
# terminal's width (core.cli tells it).
NOT_FOR_AN_ANONYMOUS_CHECK = (
    "core.schemes.negotiate",
    "core.schemes.ntlm",
    "core.schemes.kerberos",
    "core.schemes.credssp",
    "core.schemes.handshake",
    "core.kerberos.attempt",
    "core.sealing",
    "json",
    "datetime",
    "shutil",
)

LIGHT_CHILD = (
    f"NOT_FOR_AN_ANONYMOUS_CHECK = {NOT_FOR_AN_ANONYMOUS_CHECK!r}\n"
    + """
import sys
from core.cli import main
code = main(sys.argv[1:])
loaded = sorted(set(NOT_FOR_AN_ANONYMOUS_CHECK) & set(sys.modules))
ours = [m for name, m in list(sys.modules.items()) if name == "core" or name.startswith("core.")]
dataclasses = sorted(
    f"{m.__name__}.{name}"
    for m in ours
    for name, value in vars(m).items()
    if isinstance(value, type) and value.__module__ == m.__name__ and "__dataclass_fields__" in vars(value)
)
print(repr({"code": code, "loaded": loaded, "dataclasses": dataclasses}))
"""
)


def test_anonymous_check_loads_no_token_scheme_and_defines_no_dataclass(lab: Lab) -> None:
    # A frozen dataclass costs about half a millisecond of generated methods at every start; TestConnection's
    # records on this path are NamedTuples (h11 itself still imports dataclasses).
    done = subprocess.run(
        [sys.executable, "-c", LIGHT_CHILD, "check", lab.url("winrm-http")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    result = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": [], "dataclasses": []}


def test_the_program_imports_with_the_collector_off_and_freezes_what_the_imports_made(lab: Lab) -> None:
    # Else the garbage collector walks those objects again and again, last at exit: about 12 ms of a check
    # (core.program). It can be off before the imports begin only if ``import core`` itself loads nothing more.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'testconnection-cli = "core.program:main"' in pyproject
    assert "from core.program import main" in (ROOT / "packaging" / "entry_cli.py").read_text(encoding="utf-8")
    child = (
        "import gc, sys\n"
        "import core.program\n"
        "before = sorted(name for name in sys.modules if name.startswith('core'))\n"
        "code = core.program.main()\n"
        "print(code, before, gc.isenabled(), gc.get_freeze_count() > 10_000)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, "check", lab.url("winrm-http")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.stdout.strip().splitlines()[-1] == "0 ['core', 'core.program'] True True"

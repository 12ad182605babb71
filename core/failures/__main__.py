"""``python -m core.failures [--check]``: write docs/diagnosis.md from the catalogue (or check that it is current).

The catalogue is the one statement of every failure kind; the document is generated so that it cannot drift.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.failures import KINDS
from core.failures.kinds import Kind
from core.stages import STAGE_NAMES

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnosis.md"

INTRO = """\
# Diagnosis table

Generated from the failure catalogue (`core/failures/`) by `python -m core.failures`; do not edit by hand.

Every failure TestConnection reports is one **kind** of this catalogue. Its id (`tcp.refused`) is stable: the JSON
output carries it as `error.kind`, tests assert it, and the window groups rows by it. Each kind states, as data:

- **stage**: the layer where it is normally found. A failure is reported at the stage that was running when it was
  found (a `http.closed` during `auth` is an `auth` failure), except where a later stage noticed an earlier layer's
  failure (a TLS 1.3 server refuses a missing client certificate only at the first read: that is a `tls` failure).
- **MI result** and **category**: `MI_Result` and `MI_ErrorCategory`, as the Windows MI API reports them.
- **Windows code**: what a Windows client shows for the same failure (an HRESULT such as `0x80338012`, or a Win32
  error), only where a public source confirms it (Microsoft's wsmerror.h, winerror.h and winhttp.h, as quoted in
  Microsoft Learn and in pywinrm's and pyspnego's sources). Blank where none is confirmed.
- **problem**, **message**, **hint** and **fixes**: the words a helpdesk reads. `<host>`, `<port>` and the like are
  filled in with the test's own values; a fix says where its command runs.

A test that cannot authenticate for lack of credentials is not a failure: its `auth` stage is *not tested* and the
result stays OK (a neutral result).
"""


def _template(text: str) -> str:
    return text.replace("{", "<").replace("}", ">").replace("!r>", ">").replace("|", "\\|")


def _code(kind: Kind) -> str:
    code = kind.windows_code
    if code is None:
        return ""
    return f"`0x{code:08X}`" if code > 0xFFFF else f"`{code}`"


def _row(kind: Kind) -> str:
    fixes = "<br>".join(f"{f.where.value}: `{_template(f.command)}`" for f in kind.fixes)
    cells = [
        f"`{kind.id}`",
        _template(kind.problem),
        kind.result.mi_name.removeprefix("MI_RESULT_"),
        kind.category.name,
        _code(kind),
        _template(kind.hint),
        fixes,
    ]
    return "| " + " | ".join(cells) + " |"


def render() -> str:
    lines = [INTRO]
    order = [*STAGE_NAMES, None]
    for stage in order:
        kinds = [k for k in KINDS.values() if k.stage == stage]
        if not kinds:
            continue
        lines.append(f"\n## {stage or 'Before or around the stages'}\n")
        lines.append("| kind | problem | MI result | category | Windows code | hint | fixes |")
        lines.append("|---|---|---|---|---|---|---|")
        lines.extend(_row(kind) for kind in kinds)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.failures", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/diagnosis.md is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print("docs/diagnosis.md is out of date: run python -m core.failures", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

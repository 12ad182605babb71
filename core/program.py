"""The ``testconnection-cli`` program: :func:`core.cli.main`, started clear of CPython's garbage collector.

Each check is a new process (bench 1b). Its imports make some 16,000 objects that live as long as the process, yet the
collector would walk them again and again while they are made, and once more in the full collection it runs at exit:
about 12 ms of a 70 ms check here. So the collector is off while the command line is imported, and what the imports
made is then frozen, out of its sight; whatever the checks make is collected as usual. This module imports nothing
else at the top, so that the collector is off before the imports begin; ``core.cli.main`` stays as it is for callers
in a long-lived process, such as the tests.
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    try:
        from core import cli
    finally:
        gc.enable()
    gc.freeze()
    return cli.main()

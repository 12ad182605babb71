"""The command line's checks once they are set up: one pass over the targets, or a watch; what is printed as each
result arrives; Ctrl+C; the exit code (0 every target passed, 1 any failed, 130 interrupted).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any, TextIO

from core.batch import Batch, BatchJob
from core.diagnosis import Diagnosis
from core.report import diagnosis_to_dict

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def run(jobs: list[BatchJob], args: argparse.Namespace, out: TextIO) -> int:
    printed = threading.Lock()

    def on_update(index: int, diagnosis: Diagnosis, final: bool) -> None:
        if final:
            with printed:
                out.write(_render(diagnosis, args.json))
                out.flush()

    batch = Batch(jobs, concurrency=args.concurrency, on_update=on_update)
    with _CtrlC() as ctrl_c:
        try:
            _until_done(batch, ctrl_c)
        except KeyboardInterrupt:  # only where no handler could be set (not the main thread)
            ctrl_c.pressed = True
            batch.cancel_all()
        finally:
            batch.close()
            _wait_for_shell_cleanup()
    interrupted = ctrl_c.pressed
    results = [r for r in batch.results if r is not None]
    if args.output is not None:
        from core.exports import write_report

        write_report([diagnosis_to_dict(r) for r in results], args.output)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if results and all(r.ok for r in results) else EXIT_FAILED


def _until_done(batch: Batch, ctrl_c: _CtrlC) -> None:
    """Run ``batch`` to its end; Ctrl+C cancels every test and gives their final results 2 s to arrive."""
    batch.start()
    while not batch.wait(0.2) and not ctrl_c.pressed:
        pass
    if ctrl_c.pressed:
        batch.cancel_all()
        batch.wait(2.0)


def _wait_for_shell_cleanup() -> None:
    """Shells of interrupted tests are being deleted on their own connections: say so while the exit waits for them
    (each cleanup is bounded, core.cleanup.CLEANUP_SECONDS)."""
    cleanup = sys.modules.get("core.cleanup")  # not loaded: no test opened a shell
    if cleanup is not None and cleanup.pending():
        print(f"testconnection-cli: deleting {cleanup.pending()} remote shell(s) the interrupted tests opened…",
              file=sys.stderr)
        cleanup.wait(cleanup.CLEANUP_SECONDS + 1)


def watch(jobs: list[BatchJob], args: argparse.Namespace, out: TextIO) -> int:
    """Test every target again every ``--watch`` seconds; print a JSON line when a target's state changes."""
    import json

    from core.watch import Watch

    watch = Watch(args.watch)
    printed = threading.Lock()

    def on_update(index: int, diagnosis: Diagnosis, final: bool) -> None:
        if not final:
            return
        with printed:
            change = watch.observe(index, diagnosis)
            if change is None:
                return
            watched = watch.targets[index]
            line = diagnosis_to_dict(diagnosis) | {"watch": change.to_dict() | watched.counts()}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()

    with _CtrlC() as ctrl_c:
        try:
            while not ctrl_c.pressed:
                started = time.monotonic()
                batch = Batch(jobs, concurrency=args.concurrency, on_update=on_update)
                try:
                    _until_done(batch, ctrl_c)
                finally:
                    batch.close()
                next_cycle = started + args.watch
                while not ctrl_c.pressed and time.monotonic() < next_cycle:
                    time.sleep(min(0.2, max(0.0, next_cycle - time.monotonic())))
        except KeyboardInterrupt:  # only where no handler could be set (not the main thread)
            pass
        finally:
            _wait_for_shell_cleanup()
    return EXIT_INTERRUPTED


class _CtrlC:
    """Ctrl+C as a flag the wait loops read, while the tests run.

    Only a flag: no lock may be taken in the handler, as a second Ctrl+C can run it again inside the first (a
    one-file build's launcher passes the terminal's Ctrl+C on as well), and a KeyboardInterrupt raised inside the
    batch's or threading's code could leave one of their locks held.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None
        self._installed = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> _CtrlC:
        if self._installed:
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._pressed)
        return self

    def _pressed(self, *_: object) -> None:
        self.pressed = True

    def __exit__(self, *_: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)


def _render(diagnosis: Diagnosis, as_json: bool) -> str:
    result = diagnosis_to_dict(diagnosis)
    if as_json:
        import json  # here: the text a plain check prints needs no json, and its start is spared the import

        return json.dumps(result, ensure_ascii=False) + "\n"
    from core.textreport import text_block

    return text_block(result)

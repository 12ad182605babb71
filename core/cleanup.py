"""Remote shells a test may have left open, deleted on a fresh connection from a thread of their own.

A test that is cancelled or runs out of time is abandoned at once: ``core.operation`` shuts every socket of the test
down and delivers the final result. A shell the test opened must still be deleted, or it counts against the user's
shell quota until the service's idle timeout ends it. So the session stage hands here every shell whose Delete was
not answered: a thread opens a new connection, authenticates again with the same credentials, and sends the Delete.
Each attempt is bounded (``ATTEMPT_SECONDS``) and so is the whole cleanup (``CLEANUP_SECONDS``); the threads are not
daemons, so a program that exits right after a cancel still deletes its shells first, for at most that long.

When the cancel lands while the Create is in flight, the client does not know whether the shell exists yet. It knows
its ShellId when it proposed one (``core.shell``): the Delete goes out for that id, and when the service says no such
shell, once or twice more after a pause, in case the service was still creating it. A shell created even later, or
on a service too old to take a proposed id (WS-Management stack 2.0), is beyond the client's reach: the IdleTimeOut
the Create asked for ends it within about a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.failures import codes
from core.http import Reply
from core.wsman import parse_fault

log = logging.getLogger(__name__)

ATTEMPT_SECONDS = 3.0  # one attempt: connect, authenticate, Delete
CLEANUP_SECONDS = 6.0  # every attempt of one shell together
RETRY_AFTER = (0.5, 1.5)  # pauses before trying again for a shell whose Create was cut short

Sender = Callable[[bytes], Reply]
# Opens a fresh authenticated connection within the given seconds: (send a message, close the connection).
Connect = Callable[[float], tuple[Sender, Callable[[], None]]]

_changed = threading.Condition()
_threads: set[threading.Thread] = set()
_in_hand = 0  # shells a running test may have opened and not yet deleted or handed over


@dataclass(frozen=True)
class Leftover:
    """A shell a test may have left open."""

    shell_id: str
    delete: bytes  # the Delete request for it
    created: bool  # True: the Create was answered, the shell exists; False: its answer never came
    connect: Connect
    where: str  # the endpoint, for the log


def is_deleted(reply: Reply) -> bool:
    """Whether a Delete's answer says the shell is gone: deleted now, or not there (w:InvalidSelectors, WSManFault
    ERROR_WSMAN_UNEXPECTED_SELECTORS: "the shell was not found on the server")."""
    if reply.status == 200:
        return True
    fault = parse_fault(reply.body) if reply.status >= 400 else None
    if fault is None:
        return False
    return (
        fault.wsman_fault_code == codes.ERROR_WSMAN_UNEXPECTED_SELECTORS
        or (fault.subcode or "").rsplit(":", 1)[-1] == "InvalidSelectors"
    )


class Watch:
    """A test's shell from just before its Create goes out until it is deleted or handed over, so that ``wait()``
    also waits for a cancelled test that is still unwinding (its final result is delivered before that)."""

    def __enter__(self) -> Watch:
        global _in_hand
        with _changed:
            _in_hand += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _in_hand
        with _changed:
            _in_hand -= 1
            _changed.notify_all()


def hand_over(leftover: Leftover) -> None:
    """Delete ``leftover`` from a thread of its own; returns at once."""
    thread = threading.Thread(target=_delete, args=(leftover,), name=f"delete shell {leftover.shell_id}")
    with _changed:
        _threads.add(thread)
    thread.start()


def pending() -> int:
    """How many shells are being deleted, or may still need to be."""
    with _changed:
        return len(_threads) + _in_hand


def wait(timeout: float | None = None) -> bool:
    """Wait until every shell is deleted or given up on; False if some are still going at ``timeout``."""
    with _changed:
        return _changed.wait_for(lambda: not _threads and not _in_hand, timeout)


def _delete(leftover: Leftover) -> None:
    ends = time.monotonic() + CLEANUP_SECONDS
    pauses = (0.0,) if leftover.created else (0.0, *RETRY_AFTER)
    outcome = "not tried"
    try:
        for pause in pauses:
            if time.monotonic() + pause >= ends:
                break
            time.sleep(pause)
            outcome = _attempt(leftover, min(ATTEMPT_SECONDS, ends - time.monotonic()))
            if outcome == "deleted":
                log.info("deleted remote shell %s on %s", leftover.shell_id, leftover.where)
                return
        if leftover.created:
            log.warning("could not delete remote shell %s on %s (%s); it ends after its idle timeout",
                        leftover.shell_id, leftover.where, outcome)
        else:
            log.info("no remote shell %s on %s to delete (%s)", leftover.shell_id, leftover.where, outcome)
    finally:
        with _changed:
            _threads.discard(threading.current_thread())
            _changed.notify_all()


def _attempt(leftover: Leftover, seconds: float) -> str:
    close: Callable[[], None] | None = None
    try:
        send, close = leftover.connect(seconds)
        reply = send(leftover.delete)
    except Exception as exc:  # any failure of this attempt; the next one, if any, starts afresh
        return f"{type(exc).__name__}: {exc}"
    finally:
        if close is not None:
            close()
    if reply.status == 200:
        return "deleted"
    # "Not there" deletes nothing when the Create was cut short: the service may still be creating the shell.
    if is_deleted(reply):
        return "deleted" if leftover.created else "not there"
    return f"HTTP {reply.status}"


__all__ = ["ATTEMPT_SECONDS", "CLEANUP_SECONDS", "Leftover", "Watch", "hand_over", "is_deleted", "pending", "wait"]

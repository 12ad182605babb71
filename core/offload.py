"""Blocking calls that no socket of ours carries, run where the test can walk away from them.

A Kerberos exchange with a domain controller (a KDC) is C code inside MIT's libkrb5: nothing interrupts it, and
behind a firewall that drops its packets MIT takes about 15 s to give up, whatever the test's deadline. So it runs
on a helper thread; the test waits for it no longer than its deadline or a cancel, then abandons it. An abandoned
call ends on its own later; what it made is handed to ``discard`` (a ticket cache to destroy), never to the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from core.errors import Timeout
from core.wire import Deadline, Interrupted, Interrupter

T = TypeVar("T")


class _Call(Generic[T]):
    def __init__(self, work: Callable[[], T], discard: Callable[[T], None] | None) -> None:
        self._work = work
        self._discard = discard
        self._lock = threading.Lock()
        self.wake = threading.Event()  # set when the call ends, or by the interrupter on a cancel or the deadline
        self.done = False
        self.abandoned = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            value = self._work()
        except BaseException as exc:  # handed to the waiting test, which raises it on its own thread
            self.error = exc
            value = None
        with self._lock:
            self.value = value
            abandoned = self.abandoned
            self.done = True
        self.wake.set()
        if abandoned and value is not None and self._discard is not None:
            self._discard(value)

    def abandon(self) -> bool:
        """Give up on the call; False when it finished first (its result is the test's after all)."""
        with self._lock:
            if self.done:
                return False
            self.abandoned = True
            return True


def call(
    work: Callable[[], T],
    deadline: Deadline,
    interrupter: Interrupter,
    discard: Callable[[T], None] | None = None,
    within: float | None = None,
) -> T:
    """``work()`` on a helper thread; its result, or what it raised. Raises :class:`Timeout` when the deadline (or
    ``within`` seconds, where that comes first) passes, and :class:`~core.wire.Interrupted` on a cancel."""
    running = _Call(work, discard)
    interrupter.watch(running.wake)
    threading.Thread(target=running.run, name="testconnection-kdc-exchange", daemon=True).start()
    try:
        running.wake.wait(deadline.remaining() if within is None else min(within, deadline.remaining()))
    finally:
        interrupter.unwatch(running.wake)
    if running.abandon():
        if interrupter.reason is not None:
            raise Interrupted(f"test {interrupter.reason.value}")
        raise Timeout()
    if running.error is not None:
        raise running.error
    return running.value  # type: ignore[return-value]  # None only if work() returned None


__all__ = ["call"]

"""``MI_Application`` and ``MI_Session``: the containers a test connection is opened from, and closed with.

Opening either never touches the network; closing one closes everything it opened (docs/api.md).
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from core.mi import DestinationOptions, OperationCallbacks
from core.operation import Operation


class Session:
    """``MI_Session``: a destination and its options. Opening one never touches the network."""

    def __init__(self, application: Application, destination: str, protocol: str, options: DestinationOptions) -> None:
        self.application = application
        self.destination = destination
        self.protocol = protocol
        self.options = options
        self._operations: set[Operation] = set()
        self._lock = threading.Lock()
        self._closed = False

    def test_connection(self, flags: int = 0, callbacks: OperationCallbacks | None = None) -> Operation:
        if self._closed:
            raise RuntimeError("the session is closed")
        operation = Operation(self, flags, callbacks)
        with self._lock:
            self._operations.add(operation)
        return operation

    def _forget(self, operation: Operation) -> None:
        with self._lock:
            self._operations.discard(operation)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            operations = list(self._operations)
        for operation in operations:
            operation.close()
        self.application._forget(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Application:
    """``MI_Application``: closing it closes every session and operation it opened."""

    def __init__(self) -> None:
        self._sessions: set[Session] = set()
        self._lock = threading.Lock()
        self._closed = False

    def new_session(
        self, destination: str, protocol: str = "WINRM", options: DestinationOptions | None = None
    ) -> Session:
        if self._closed:
            raise RuntimeError("the application is closed")
        session = Session(self, destination, protocol, options or DestinationOptions())
        with self._lock:
            self._sessions.add(session)
        return session

    def _forget(self, session: Session) -> None:
        with self._lock:
            self._sessions.discard(session)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sessions = list(self._sessions)
        for session in sessions:
            session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

"""Long work as plain functions that take a progress/cancel token (after Orange's TaskState).

The UI runs them on a worker thread and shows progress; the CLI calls them directly; tests
call them with a token of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled."""


class Progress:
    def __init__(self, on_progress: Callable[[int, int, str], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._on = on_progress
        self.done = 0
        self.total = 0
        self.message = ""

    def report(self, done: int, total: int, message: str = "") -> None:
        self.done, self.total, self.message = done, total, message
        if self._on is not None:
            self._on(done, total, message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def event(self) -> threading.Event:
        return self._cancel

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

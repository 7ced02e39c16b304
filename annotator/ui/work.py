"""The UI's one background-work runner: every thread the desktop app starts starts here.

- ``run_job(fn, ...)`` runs one long task (opening the store, rendering, preparing a
  package, suggestions, the frame cache, writing derived files) on a worker thread.  If
  ``fn`` takes a ``progress`` keyword it gets a ``Progress`` token: its reports come back as
  the ``progress`` signal and ``cancel()`` stops the work at its next check.  The result,
  the error or the cancellation comes back on the UI thread through queued signals, and
  not at all once the widget that asked (``owner``) is gone.
- ``worker_thread(loop, name)`` starts the few long-lived workers that own a queue of
  their own (the video decoder, the thumbnail loader): they serve the latest request, not
  one task.

Widgets never create threads themselves (tests/test_architecture.py checks it).
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QObject, pyqtSignal

from annotator.jobs import Cancelled, Progress


class Job(QObject):
    """Run ``fn`` on a worker thread.  If ``fn`` takes a ``progress`` keyword it gets a
    ``Progress`` token (``cancel()`` sets it; the function stops at its next check)."""

    progress = pyqtSignal(int, int, str)
    done = pyqtSignal(object)
    failed = pyqtSignal(object)  # the exception
    cancelled = pyqtSignal()
    _running: set[Job] = set()  # keeps jobs alive until their outcome was delivered

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "annotator-job",
                 **kwargs: Any) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.token = Progress(lambda d, t, m: self.progress.emit(int(d), int(t), m))
        try:
            self._wants_progress = "progress" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            self._wants_progress = False
        self.finished_event = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Job:
        """Start the work; connect the callbacks before this.  The job stays referenced
        until its outcome was delivered on the UI thread: dropped (and so deleted) on the
        worker thread right after the emit, it took its queued deliveries with it, and a
        loaded machine lost a result now and then (an editor that never got its frame index).
        """
        Job._running.add(self)
        ref = weakref.ref(self)

        def release(*_: object) -> None:  # connected last: runs after the callbacks
            job = ref()
            if job is not None:
                Job._running.discard(job)

        for signal in (self.done, self.failed, self.cancelled):
            signal.connect(release)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished_event.wait(timeout)

    def _run(self) -> None:
        kw = dict(self.kwargs)
        if self._wants_progress:
            kw["progress"] = self.token
        try:
            self.result = self.fn(*self.args, **kw)
        except Cancelled:
            self.finished_event.set()
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 (shown to the user, never lost)
            self.error = exc
            self.finished_event.set()
            self.failed.emit(exc)
        else:
            self.finished_event.set()
            self.done.emit(self.result)


def run_job(fn: Callable[..., Any], *args: Any, owner: QObject | None = None,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[int, int, str], None] | None = None,
            on_cancel: Callable[[], None] | None = None, **kwargs: Any) -> Job:
    """Start ``fn`` on a worker thread; the callbacks run on the UI thread, and not at all
    once ``owner`` (the widget they update) was deleted: a window closed while its job runs
    must not get a late call on a dead widget."""
    job = Job(fn, *args, **kwargs)
    for signal, cb in ((job.done, on_done), (job.failed, on_error),
                       (job.progress, on_progress), (job.cancelled, on_cancel)):
        if cb is not None:
            signal.connect(bound_to(owner, cb))
    return job.start()


def bound_to(owner: QObject | None, cb: Callable[..., None]) -> Callable[..., None]:
    """``cb``, or nothing once ``owner`` (the widget it updates) was deleted."""
    if owner is None:
        return cb
    return lambda *a: None if sip.isdeleted(owner) else cb(*a)


def worker_thread(loop: Callable[[], None], name: str) -> threading.Thread:
    """Start a long-lived worker (a daemon thread: it never keeps the app from quitting)."""
    t = threading.Thread(target=loop, name=name, daemon=True)
    t.start()
    return t

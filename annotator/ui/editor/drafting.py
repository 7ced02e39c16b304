"""Drafts made in the background while the editor is open.

The drafting itself runs in a process of its own at the lowest CPU priority
(``annotator.drafts.worker``: the frame cache and the seeks never share the interpreter or
a CPU with it).  This object tells it what the window needs (the rows on screen first, the
frame cache's progress, changed steps and redactions) and takes its drafts in on one thread
of the UI's runner, which hands batches of them to the window through one queued signal.
While the window seeks (``hold``, until ``release``), drafts are kept, not handed over
(except the first screen's), so that seeking is not interrupted by repaints.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from annotator.drafts import Draft, RecordingDrafts
from annotator.drafts.worker import DraftProcess
from annotator.ui.work import worker_thread

HOLD_MAX_S = 1.5  # a hold without its release ends after this
EMIT_EVERY_S = 0.15


class DraftWorker(QObject):
    drafted = pyqtSignal(list)  # ids of steps with a new draft
    finished = pyqtSignal()  # every step has a draft (until the steps change again)
    stopped = pyqtSignal(str)  # the drafting process ended on its own, twice: what to tell

    def __init__(self, drafts: RecordingDrafts) -> None:
        super().__init__()
        self.drafts = drafts
        self.process: DraftProcess | None = None
        self._lock = threading.Lock()
        self._order: list[str] = []
        self._first: set[str] = set()  # the first screen's rows: handed over even if held
        self._hold_until = 0.0
        self._pending: list[str] = []
        self._last_emit = 0.0
        self._finished = False
        self._thread: threading.Thread | None = None
        self.busy_s = 0.0  # time spent drafting, in the process (measured by the benchmark)
        self.cpu_s = 0.0  # the drafting process's CPU time so far
        self.cpu_ready_s = 0.0  # of which loading (started ahead: before the recording opened)
        self.made = 0
        self._closing = False
        self._restarted = False  # a process that ended on its own is replaced once
        self._frames_complete = False

    # -- called on the UI thread ----------------------------------------------------------
    def start(self) -> None:
        if self.process is not None:
            return
        self.process = self._new_process()
        self._thread = worker_thread(self._receive, "annotator-drafts")

    def _new_process(self) -> DraftProcess:
        """A drafting process told the recording as it is now (steps and redactions as
        ``drafts`` knows them, the rows wanted first)."""
        rd = self.drafts
        process = DraftProcess.take()
        process.open(rd.folder, rd.redactions, rd.deny_list, rd.inputs, ocr=rd.ocr_wanted)
        process.order(self._order)
        return process

    def _done_already(self) -> None:
        """Every step has its draft already (stored, or needing no OCR)."""
        with self._lock:
            done = not self._finished and not self.drafts.missing()
            self._finished = self._finished or done
        if done:
            self.finished.emit()

    def prioritize(self, step_ids: list[str], first_screen: bool = False) -> None:
        """Draft these first (the rows on screen, the selected step).  ``first_screen``:
        the rows on screen at opening, handed over even while the window seeks."""
        if first_screen:
            self._first = set(step_ids)
        if list(step_ids) == self._order:
            return
        self._order = list(step_ids)
        if self.process is not None:
            self.process.order(self._order)

    def frames(self, complete: bool = False) -> None:
        """The frame cache wrote more frames (``complete``: all it will)."""
        self._frames_complete = self._frames_complete or complete
        if self.process is not None:
            self.process.frames(complete)

    def follow(self, steps: bool, redactions: Iterable[Mapping[str, Any]] | None) -> None:
        """The steps or the redactions changed (``drafts`` knows them already)."""
        with self._lock:
            self._finished = False
        if self.process is None:
            return
        if steps:
            self.process.steps(self.drafts.inputs)
        if redactions is not None:
            self.process.redactions(redactions)
        self._done_already()

    def hold(self) -> None:
        """The window is seeking: drafts are handed over once it pauses (``release``)."""
        self._hold_until = time.monotonic() + HOLD_MAX_S

    def release(self) -> None:
        self._hold_until = 0.0
        self._emit(force=True)

    def close(self) -> None:
        self._closing = True
        if self.process is not None:
            self.process.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.drafts.close()

    # -- the receiving thread ---------------------------------------------------------------
    def _emit(self, force: bool = False) -> None:
        with self._lock:
            if not self._pending:
                return
            now = time.monotonic()
            first = any(i in self._first for i in self._pending)
            if not first and (now < self._hold_until or not force and (
                    now - self._last_emit < EMIT_EVERY_S
                    and not any(i in self._order for i in self._pending))):
                return
            ids, self._pending = self._pending, []
            self._last_emit = now
            done = not self._finished and not self.drafts.missing()
            self._finished = self._finished or done
        self.drafted.emit(ids)
        if done:
            self.finished.emit()

    def _receive(self) -> None:
        assert self.process is not None
        self._done_already()  # (from this thread: queued, the window may not be built yet)
        while True:
            with self._lock:
                pending = bool(self._pending)
            try:
                msg = self.process.receive(EMIT_EVERY_S if pending else None)
            except EOFError:
                if self._closing:
                    break
                if not self._restarted:  # killed, or out of memory: start another once
                    self._restarted = True
                    self.process = self._new_process()
                    if self._closing:  # the window closed meanwhile: close this one too
                        self.process.close()
                        break
                    self.process.frames(self._frames_complete)
                    continue
                self.stopped.emit(
                    "Drafting stopped: its process ended twice. The steps drafted so far keep "
                    "their drafts; write the others yourself, or open the recording again "
                    "to draft them.")
                break
            if msg is not None and msg[0] == "ready":
                self.cpu_s = self.cpu_ready_s = msg[1]["cpu_s"]
            elif msg is not None and msg[0] == "drafted":
                d = Draft.from_dict(msg[1]["draft"])
                with self._lock:
                    self.busy_s += msg[1]["busy_s"]
                    self.cpu_s = msg[1]["cpu_s"]
                    if self.drafts.accept(d):
                        self.made += 1
                        self._pending.append(d.step_id)
            self._emit()
        self._emit(force=True)

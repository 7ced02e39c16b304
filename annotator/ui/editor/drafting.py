"""Drafts made in the background while the editor is open.

Two threads ask the core (``annotator.drafts.RecordingDrafts``) for one step at a time.  At
opening, one of them drafts the first screen's rows at normal priority from their frames as
the frame cache decodes them (which starts with the window's first frame, as without
drafts).  After that, one drafts only the rows on screen (and the selected step) at a
lower CPU priority (nice 5, for that thread only), the other everything else, in order, once
the frame cache is complete (nice 10): the frame the contributor asked for and the frame
cache come first.  Neither starts a draft while the window seeks, until seeking pauses
(``hold``/``release``); the window never waits on them.  Batches of finished drafts come
back through one queued signal.

Its two threads are started by the UI's runner (``annotator.ui.work.worker_thread``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time

from PyQt6.QtCore import QObject, pyqtSignal

from annotator.drafts import RecordingDrafts
from annotator.jobs import Cancelled
from annotator.ui.work import worker_thread

NICE = 10
FRONT_NICE = 5
HOLD_MAX_S = 1.5  # never wait longer than this for a frame that does not come
EMIT_EVERY_S = 0.15
SAVE_EVERY = 25  # drafts between two saves of drafts.json


class DraftWorker(QObject):
    drafted = pyqtSignal(list)  # ids of steps with a new draft
    finished = pyqtSignal()  # every step has a draft (until the steps change again)
    first_screen_drafted = pyqtSignal()  # the rows first asked for are drafted (or waiting)

    def __init__(self, drafts: RecordingDrafts) -> None:
        super().__init__()
        self.drafts = drafts
        self._cv = threading.Condition()
        self._order: list[str] = []
        self._stop = False
        self._hold_until = 0.0
        self._work = True
        # The first screen's frames: None until the front thread knows whether any are
        # expected from the frame cache, True while the back thread drafts those rows from
        # them, False after.
        self._ahead: bool | None = None
        self._first: list[str] = []  # the first screen's rows
        self._wakes = 0  # counts prioritize() and wake() calls
        self._threads: list[threading.Thread] = []
        self._emit_lock = threading.Lock()
        self.busy_s = 0.0  # time spent drafting (measured by the benchmark)
        self.made = 0

    # -- called on the UI thread ----------------------------------------------------------
    def start(self) -> None:
        if not self._threads:
            for name, front in (("annotator-drafts-front", True),
                                ("annotator-drafts-back", False)):
                self._threads.append(worker_thread(functools.partial(self._run, front), name))

    def prioritize(self, step_ids: list[str], first_screen: bool = False) -> None:
        """Draft these first (the rows on screen, the selected step).  ``first_screen``:
        these are the rows on screen at opening, drafted at once, even while the window
        seeks (the contributor may select a step before they are drafted)."""
        with self._cv:
            same = list(step_ids) == self._order
            self._order = list(step_ids)
            if first_screen and self._ahead is not False:
                self._first = list(step_ids)
            elif same or time.monotonic() < self._hold_until:
                # Nothing new for the threads, or they are held (the window seeks: every
                # seek asks, and ``release`` wakes them): not woken, no GIL taken from
                # the seek.
                return
            self._wakes += 1
            self._cv.notify_all()

    def wake(self) -> None:
        """Steps or redactions changed, or frames arrived: drafts may be made again."""
        with self._cv:
            self._work = True
            self._wakes += 1
            self._cv.notify_all()

    def hold(self) -> None:
        """The window is seeking: no new draft starts until ``release`` (the window calls
        it once seeking pauses), except the first screen's."""
        with self._cv:
            self._hold_until = time.monotonic() + HOLD_MAX_S

    def release(self) -> None:
        with self._cv:
            self._hold_until = 0.0
            self._wakes += 1  # (rows put off while held are wanted now)
            self._cv.notify_all()

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        self.drafts.cancel.set()
        for t in self._threads:
            t.join(timeout=10)
        self.drafts.close()

    # -- the worker thread ------------------------------------------------------------------
    @staticmethod
    def _lower_priority(front: bool) -> None:
        """Both below the frame cache and the seeks' decoder (which the window waits on):
        the rows on screen a little, everything else well below (this thread only)."""
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           FRONT_NICE if front else NICE)

    def _first_screen_check(self) -> None:
        """The first screen's rows are drafted (or wait for the frame cache): the frames
        kept for them are dropped, and both threads go on at their lower priorities."""
        with self._cv:
            if self._ahead is not True or self.drafts.drafting_left(self._first):
                return
            self._ahead = False
            self._wakes += 1
            self._cv.notify_all()
        self.drafts.forget_ahead()
        self.first_screen_drafted.emit()

    def _begin(self, front: bool) -> None:
        """What each thread does first: the front one announces the first screen's frames,
        the other loads its OCR engine meanwhile."""
        if front:
            # The first screen: its frames are handed over as the frame cache decodes them
            # (it starts with the window's first frame and decodes in time order: the first
            # rows' frames come first; one decoder for both), and the other thread drafts
            # those rows with the OCR engine it loads meanwhile.  One engine, not two: a
            # second would cost more than the few rows it would read.
            with self._cv:
                order = list(self._order)
            coming = 0
            with contextlib.suppress(Exception):
                coming = self.drafts.expect_frames(order)
            with self._cv:
                self._ahead = coming > 0
                self._wakes += 1
                self._cv.notify_all()
            if not coming:
                self.first_screen_drafted.emit()
        else:
            with contextlib.suppress(Exception):
                self.drafts.drafter.warm_up()  # while the first frames decode

    def _run(self, front: bool) -> None:
        # Neither thread decodes frames of its own while the frame cache is being built (two
        # decoders would slow the cache and every seek): the rows on screen are drafted as
        # the cache writes their frames (or from the frame the view shows), everything else
        # once the cache is complete.
        self.drafts.allow_decode(False)
        self._begin(front)
        lowered = False
        pending: list[str] = []
        last_emit = time.monotonic()
        since_save = 0
        seen = -1  # the wake-up this thread last found nothing to do after
        while True:
            with self._cv:
                if self._ahead is False and not lowered:
                    self._lower_priority(front)
                    lowered = True
                while not self._stop:
                    wait = self._hold_until - time.monotonic()
                    helping = not front and self._ahead is not False \
                        and not self.drafts.frames_complete
                    if front:  # (the other thread drafts the first screen)
                        ready = bool(self._order) and self._wakes != seen \
                            and self._ahead is False
                    elif helping:
                        ready = bool(self._order or self._first) and self._wakes != seen \
                            and self._ahead is not None
                    else:
                        ready = self._work and self.drafts.frames_complete
                    if (wait <= 0 or helping) and ready:  # (the first screen is not held)
                        break
                    self._cv.wait(wait if wait > 0 else None)
                if self._stop:
                    break
                order = list(self._order) if wait <= 0 else []
                if helping:  # the first screen's rows, even while the window seeks
                    order += [i for i in self._first if i not in order]
            sid = self.drafts.next_missing(order, only=front or helping)
            if sid is None:
                if pending:
                    self.drafted.emit(pending)
                    pending = []
                self._first_screen_check()
                with self._cv:
                    if front or helping:  # these rows are drafted, or wait for their frames
                        seen = self._wakes
                        continue
                    self._work = self.drafts.next_missing(self._order) is not None
                    done = not self._work and not self.drafts.waiting
                if since_save:
                    self.drafts.save()
                    since_save = 0
                if done:
                    self.finished.emit()
                continue
            t0 = time.monotonic()
            try:
                d = self.drafts.draft_one(sid)
            except Cancelled:
                break
            except Exception:  # noqa: BLE001 - a draft that fails is not made; say nothing
                d = None
                self.drafts.mark_failed(sid)
            with self._emit_lock:
                self.busy_s += time.monotonic() - t0
                if d is not None:
                    self.made += 1
            if d is not None:
                since_save += 1
                pending.append(sid)
            now = time.monotonic()
            if pending and (front or helping or now - last_emit >= EMIT_EVERY_S):
                self.drafted.emit(pending)
                pending = []
                last_emit = now
            if self._ahead is True:
                self._first_screen_check()
            if since_save >= SAVE_EVERY:
                self.drafts.save()
                since_save = 0
        if since_save:
            with contextlib.suppress(Exception):
                self.drafts.save()

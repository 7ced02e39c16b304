"""Frames for the video view, decoded off the UI thread.

(The stored frames' index the editor steps through is the core's:
``annotator.media.framecache.stored_pts``.)

One worker thread owns the decoder.  Requests coalesce: only the latest pending one is served,
so scrubbing never queues up work; a served frame comes back through a queued Qt signal.
The step-frame cache (exact PNGs) answers first; the decoder handles everything else.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from annotator.errors import AnnotatorError
from annotator.media.framecache import read_cached
from annotator.media.video import VideoReader
from annotator.ui.work import worker_thread


class FrameLoader(QObject):
    # pts are µs: 64-bit, since a plain int signal argument is a C++ int and wraps past
    # 2**31 µs (35 min 47 s into a recording).
    frame_ready = pyqtSignal("qint64", "qint64", object)  # requested pts, frame pts, RGB
    failed = pyqtSignal(str)

    def __init__(self, bundle: Path, video: Path) -> None:
        super().__init__()
        self.bundle = bundle
        self.video = video
        self._cv = threading.Condition()
        self._want: int | None = None
        self._stop = False
        self._thread = worker_thread(self._run, "annotator-frames")

    def request(self, pts: int) -> None:
        with self._cv:
            self._want = pts
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        reader: VideoReader | None = None
        try:
            reader = VideoReader(self.video)
        except AnnotatorError as exc:
            self.failed.emit(str(exc))
        while True:
            with self._cv:
                while self._want is None and not self._stop:
                    self._cv.wait()
                if self._stop:
                    break
                pts, self._want = self._want, None
            rgb: np.ndarray | None = read_cached(self.bundle, pts)
            frame_pts = pts
            if rgb is None and reader is not None:
                try:
                    f = reader.frame_at(pts)
                except Exception as exc:  # a damaged stretch of video: say so, keep going
                    self.failed.emit(f"Could not decode the frame at {pts / 1e6:.2f} s: {exc}")
                    continue
                if f is None:
                    continue
                rgb, frame_pts = f.rgb, f.pts
            if rgb is not None:
                self.frame_ready.emit(pts, frame_pts, rgb)
        if reader is not None:
            reader.close()

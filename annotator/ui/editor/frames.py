"""Frames for the video view, decoded off the UI thread.

One worker thread owns the decoder.  Requests coalesce: only the latest pending one is served,
so scrubbing never queues up work; a served frame comes back through a queued Qt signal.
The step-frame cache (exact PNGs) answers first; the decoder handles everything else.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from annotator.bundle import schema
from annotator.errors import AnnotatorError
from annotator.fsutil import atomic_file
from annotator.media.framecache import read_cached
from annotator.media.video import VideoReader
from annotator.steps.fastread import read_frames

# The pts of every stored frame, kept beside the frame cache: reading them from an hour's
# frames.jsonl (100,000 lines) costs about 0.4 s, loading this file about 1 ms.  Derived
# data like the rest of cache/: keyed by frames.jsonl's size and mtime, deleted at will.
INDEX_FILE = "cache/stored-pts.npz"


def _index_key(folder: Path) -> np.ndarray | None:
    try:
        index = folder / schema.FRAME_INDEX
        st = (index if index.exists() else folder / schema.FRAMES).stat()
    except OSError:
        return None
    return np.array([st.st_size, st.st_mtime_ns], np.int64)


def read_stored_pts_cached(folder: Path) -> list[int] | None:
    """The stored frames' pts from the index file, or None if it is missing or stale."""
    key = _index_key(folder)
    try:
        with np.load(folder / INDEX_FILE) as z:
            if key is None or not np.array_equal(z["key"], key):
                return None
            return z["pts"].tolist()
    except (OSError, ValueError, KeyError):
        return None


def write_stored_pts(folder: Path, pts: list[int]) -> None:
    """Keep the index for the next open (atomic; a read-only folder just goes without)."""
    key = _index_key(folder)
    if key is None:
        return
    target = folder / INDEX_FILE
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(target, durable=False) as f:  # a cache: made again if lost
            np.savez(f, key=key, pts=np.asarray(pts, np.int64))
    except OSError:
        pass


def read_stored_pts(folder: Path) -> list[int]:
    """The stored frames' pts, in time order, read from the frame index (slow on long
    version-1 recordings: the window does this on a worker thread), and kept for the next
    open."""
    manifest = schema.read_manifest(folder)
    _t, pts, stored, _changed, _report = read_frames(folder, manifest)
    out = pts[stored].tolist()
    write_stored_pts(folder, out)
    return out


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
        self._thread = threading.Thread(target=self._run, name="annotator-frames", daemon=True)
        self._thread.start()

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

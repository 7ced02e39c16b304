"""Where the drafter gets a step's picture: decoded from the recording's video when asked
(``BundleFrames``), read from the editor's frame cache (``ThreadFrames``, which says
``FrameNotReady`` rather than decode while the cache is built), or given (``ArrayFrames``,
the tests').
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class FrameSource(Protocol):
    def get(self, pts: int) -> np.ndarray | None: ...


class BundleFrames:
    """Frames of a bundle by pts: the editor's frame cache (exact PNGs) first, else decoded
    with a decoder of its own (not thread-safe: one per drafting thread)."""

    def __init__(self, folder: Path, video: Path, keep: int = 4) -> None:
        self.folder = folder
        self.video = video
        self._reader: Any = None
        self._lru: OrderedDict[int, np.ndarray] = OrderedDict()
        self._keep = keep
        self.decoded = 0

    def get(self, pts: int) -> np.ndarray | None:
        from annotator.media.framecache import read_cached
        from annotator.media.video import VideoReader

        if pts in self._lru:
            self._lru.move_to_end(pts)
            return self._lru[pts]
        rgb = read_cached(self.folder, pts)
        if rgb is None:
            try:
                if self._reader is None:
                    self._reader = VideoReader(self.video, threads=1)
                f = self._reader.frame_at(pts)
            except Exception:  # noqa: BLE001 - no frame: the draft is made without it
                return None
            if f is None or f.pts != pts:
                return None
            rgb = f.rgb
            self.decoded += 1
        self._lru[pts] = rgb
        while len(self._lru) > self._keep:
            self._lru.popitem(last=False)
        return rgb

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class FrameNotReady(Exception):
    """The frame a draft needs is not at hand yet (the editor's frame cache is still being
    built, and this thread may not decode): draft the step later."""


class ThreadFrames:
    """Frames for several drafting threads sharing one Drafter: the frame cache's files,
    then a decoder of each thread's own (one decoder is used by one thread only).  A thread
    that may not decode (``allow_decode(False)``: the editor's drafting process while the
    frame cache is built, which must not compete with the cache's own decoding) gets
    FrameNotReady instead, until ``decode_everywhere`` (the cache is complete)."""

    def __init__(self, folder: Path, video: Path) -> None:
        self.folder = folder
        self.video = video
        self._local = threading.local()
        self._all: list[BundleFrames] = []
        self._lock = threading.Lock()
        self.decode_everywhere = False  # the frame cache is complete (or failed)

    def allow_decode(self, allowed: bool) -> None:
        """For the calling thread."""
        self._local.decode = allowed

    def get(self, pts: int) -> np.ndarray | None:
        pts = int(pts)
        if not getattr(self._local, "decode", True) and not self.decode_everywhere:
            from annotator.media.framecache import read_cached

            rgb = read_cached(self.folder, pts)
            if rgb is None:
                raise FrameNotReady(pts)
            return rgb
        fr = getattr(self._local, "frames", None)
        if fr is None:
            fr = self._local.frames = BundleFrames(self.folder, self.video)
            with self._lock:
                self._all.append(fr)
        return fr.get(pts)

    def close(self) -> None:
        with self._lock:
            for fr in self._all:
                fr.close()
            self._all.clear()


class ArrayFrames:
    """Frames given as arrays (benchmarks, tests)."""

    def __init__(self, frames: dict[int, np.ndarray]) -> None:
        self.frames = frames

    def get(self, pts: int) -> np.ndarray | None:
        return self.frames.get(pts)

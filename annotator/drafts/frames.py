"""Where the drafter gets a step's picture: decoded from the recording's video when asked
(``BundleFrames``), offered by the editor or handed over by its frame cache as decoded
(``ThreadFrames``, which says ``FrameNotReady`` rather than wait), or given (``ArrayFrames``,
the tests').
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
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


AHEAD_WAIT_S = 20.0  # the longest a thread waits for an expected frame
POLL_S = 0.25  # how often a waiting thread looks whether the frame was cached meanwhile


class FrameNotReady(Exception):
    """The frame a draft needs is not at hand yet (the editor's frame cache is still being
    built, and this thread may not decode): draft the step later."""


class ThreadFrames:
    """Frames for several drafting threads sharing one Drafter: frames offered by the
    caller (the editor's view shows a step's frame: the same pixels), expected frames
    handed over as the frame cache decodes them (the first screen's), then the frame
    cache's files, then a decoder of each thread's own (one decoder is used by one thread
    only).  A thread that may not decode (``allow_decode(False)``: the editor's background
    threads, which must not compete with the frame cache's own decoding) gets FrameNotReady
    instead, except for an expected frame: it waits for that one."""

    OFFERED = 8

    def __init__(self, folder: Path, video: Path) -> None:
        self.folder = folder
        self.video = video
        self._local = threading.local()
        self._all: list[BundleFrames] = []
        self._lock = threading.Condition()  # notified as expected frames arrive
        self._offered: OrderedDict[int, np.ndarray] = OrderedDict()
        self._early: dict[int, np.ndarray] = {}  # expected frames that arrived
        self._coming: set[int] = set()  # expected, not arrived yet
        self._ahead_over = False  # forget_ahead was called: nothing more is kept
        self.decode_everywhere = False  # the frame cache is complete (or failed)

    def allow_decode(self, allowed: bool) -> None:
        """For the calling thread."""
        self._local.decode = allowed

    def offer(self, pts: int, rgb: np.ndarray) -> None:
        with self._lock:
            self._offered[int(pts)] = rgb
            self._offered.move_to_end(int(pts))
            while len(self._offered) > self.OFFERED:
                self._offered.popitem(last=False)

    def expect(self, pts_list: Iterable[int]) -> list[int]:
        """Announce frames that will be handed over by ``arrived`` (the frame cache decodes
        them): from now on a thread asking for one of them waits for it, and it is kept in
        memory until ``forget_ahead``.  Returns those expected (not at hand, not cached)."""
        from annotator.media.framecache import cached

        with self._lock:
            want = sorted({int(p) for p in pts_list} - set(self._early))
        want = [p for p in want if not cached(self.folder, p)]
        with self._lock:
            self._ahead_over = False
            self._coming.update(want)
        return want

    def arrived(self, pts: int, rgb: np.ndarray) -> bool:
        """A frame was decoded (by the frame cache, on its thread): kept if expected.
        Returns whether more frames are expected."""
        pts = int(pts)
        with self._lock:
            if pts in self._coming and not self._ahead_over:
                self._early[pts] = rgb
                self._coming.discard(pts)
                self._lock.notify_all()
            return bool(self._coming)

    def cancel_expected(self) -> None:
        """The frames announced by ``expect`` will not arrive: nobody waits for them."""
        with self._lock:
            self._coming.clear()
            self._lock.notify_all()

    def forget_ahead(self) -> None:
        with self._lock:
            self._ahead_over = True
            self._early.clear()
            self._coming.clear()
            self._lock.notify_all()

    def get(self, pts: int) -> np.ndarray | None:
        pts = int(pts)
        give_up = time.monotonic() + AHEAD_WAIT_S
        with self._lock:
            while True:
                rgb = self._offered.get(pts)
                if rgb is None:
                    rgb = self._early.get(pts)
                if rgb is not None or pts not in self._coming:
                    break
                left = give_up - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(min(left, POLL_S))
                if self._cached(pts):  # written before it was expected (a late ``expect``)
                    break
        if rgb is not None:
            return rgb
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

    def _cached(self, pts: int) -> bool:
        from annotator.media.framecache import cached

        return cached(self.folder, pts)

    def close(self) -> None:
        with self._lock:
            self._ahead_over = True
            self._coming.clear()
            self._lock.notify_all()
            for fr in self._all:
                fr.close()
            self._all.clear()


class ArrayFrames:
    """Frames given as arrays (benchmarks, tests)."""

    def __init__(self, frames: dict[int, np.ndarray]) -> None:
        self.frames = frames

    def get(self, pts: int) -> np.ndarray | None:
        return self.frames.get(pts)

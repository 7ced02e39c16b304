"""Screen grabs on X11 with mss (MIT-SHM): about 3 ms for a 1080p grab on one core.

Whole-region grabs go into two shared-memory segments of our own, used in turn, and are
read where the X server wrote them: mss copies every grab out of its one segment into a
new buffer (8 MB, 0.7 ms of CPU at 1080p: 1.3 CPU s a minute under full motion), which
ffmpeg's x11grab does not.  Where that is not possible (no MIT-SHM, another mss backend),
grabs are mss's copies, and ``grab_path`` says so and why: the recording's manifest names
the path that ran (``capture.grab``), since the copies cost about 1.3 CPU s a minute more.
"""

from __future__ import annotations

import mmap
import os
import time
from typing import Any

import numpy as np

from annotator.capture.interfaces import Display, Rect
from annotator.errors import PlatformNotSupported
from annotator.settings import current as settings

# The two values of ``MssGrabber.grab_path`` (the second with its reason after a colon).
GRAB_IN_PLACE = "MIT-SHM, read in place"
GRAB_COPIES = "mss copies"


def open_mss(backend: str = "default") -> Any:
    """An mss instance; a connection the X server refuses is retried briefly (a loaded
    server can turn a new client away for a moment) and then reported clearly."""
    import mss
    from mss.exception import ScreenShotError

    for attempt in range(4):
        try:
            return mss.MSS(backend=backend)
        except ScreenShotError as exc:
            last = exc
            time.sleep(0.25 * (attempt + 1))
    display = settings().display or ""
    raise PlatformNotSupported(
        f"Cannot grab the screen of the X display {display!r}: {last}.",
        "Check that the X server is running, that DISPLAY is right and that it accepts "
        "more clients, then record again.",
    ) from last


def list_displays() -> list[Display]:
    with open_mss() as sct:
        return [
            Display(str(i), m["left"], m["top"], m["width"], m["height"], 1.0)
            for i, m in enumerate(sct.monitors)
            if i > 0
        ]


def virtual_screen() -> Rect:
    with open_mss() as sct:
        m = sct.monitors[0]
        return Rect(m["left"], m["top"], m["width"], m["height"])


class MssGrabber:
    """Grabs a fixed region; create and use it in one thread (Xlib is not thread-safe).

    ``grab()`` returns a buffer that stays as it is until the next-but-one call: the
    caller may keep the last one (the capture thread's mirror of the screen).
    ``backend``: mss's X11 backend (``"xgetimage"`` or ``"xlib"`` give mss's copies)."""

    def __init__(self, region: Rect, backend: str = "default") -> None:
        self.region = region
        self._sct = open_mss(backend)
        self._pair: _ShmPair | None = None
        try:
            self._pair = _ShmPair(self._sct, region)
            self.grab_path = GRAB_IN_PLACE
        except Exception as exc:
            self._pair = None  # mss's copies instead
            self.grab_path = f"{GRAB_COPIES}: {exc}"
        self._mon = {
            "left": region.x,
            "top": region.y,
            "width": region.width,
            "height": region.height,
        }

    def displays(self) -> list[Display]:
        return [
            Display(str(i), m["left"], m["top"], m["width"], m["height"], 1.0)
            for i, m in enumerate(self._sct.monitors)
            if i > 0
        ]

    def grab(self) -> tuple[bytearray | memoryview, np.ndarray]:
        """The raw BGRA bytes and a writable (H, W, 4) view of them (no copy).

        Comparing the bytes of two grabs is a memcmp (under 1 ms at 1080p)."""
        if self._pair is not None:
            return self._pair.grab()
        shot = self._sct.grab(self._mon)
        raw = shot.raw
        return raw, np.frombuffer(raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def grab_rect(self, rect: Rect) -> tuple[bytearray, np.ndarray]:
        """Like ``grab`` for ``rect`` only (frame coordinates: relative to the region)."""
        r = self.region
        shot = self._sct.grab({"left": r.x + rect.x, "top": r.y + rect.y,
                               "width": rect.width, "height": rect.height})
        raw = shot.raw
        return raw, np.frombuffer(raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def close(self) -> None:
        if self._pair is not None:
            self._pair.close()
        self._sct.close()


class _ShmPair:
    """Two MIT-SHM segments the size of the region, on mss's XCB connection; each grab
    goes into the one the grab before did not use (that one may be kept by the caller)."""

    def __init__(self, sct: Any, region: Rect) -> None:
        from mss.linux import xcb
        from mss.linux.base import ALL_PLANES
        from mss.linux.xshmgetimage import MSSImplXShmGetImage, ShmStatus

        impl = sct._impl
        if not isinstance(impl, MSSImplXShmGetImage):
            raise RuntimeError(f"mss uses {type(impl).__name__}, not MIT-SHM")
        if impl.shm_status is ShmStatus.UNAVAILABLE:
            raise RuntimeError("the X server has no usable MIT-SHM")
        # (XCB's bindings are mss's, typed for its own use: Any here)
        self._xcb: Any = xcb
        self._planes, self._impl = ALL_PLANES, impl
        self.region = region
        size = region.width * region.height * 4
        self._maps: list[mmap.mmap] = []
        self._segs: list[Any] = []
        self._views: list[tuple[memoryview, np.ndarray]] = []
        self._next = 0
        try:
            for _ in range(2):
                fd = os.memfd_create("annotator-grab", os.MFD_CLOEXEC)
                try:
                    os.ftruncate(fd, size)
                    mm = mmap.mmap(fd, size)
                except BaseException:
                    os.close(fd)
                    raise
                self._maps.append(mm)
                seg = self._xcb.ShmSeg(self._xcb.generate_id(impl.conn).value)
                self._xcb.shm_attach_fd(impl.conn, seg, fd, read_only=False)  # (closes fd)
                self._segs.append(seg)
                raw = memoryview(mm)
                img = np.frombuffer(mm, dtype=np.uint8).reshape(region.height, region.width, 4)
                self._views.append((raw, img))
            self.grab()  # fails here, not at the first tick, where it cannot work
        except BaseException:
            self.close()
            raise

    def grab(self) -> tuple[Any, np.ndarray]:
        k = self._next
        self._next = 1 - k
        r, impl = self.region, self._impl
        reply = self._xcb.shm_get_image(
            impl.conn, impl.drawable, r.x, r.y, r.width, r.height, self._planes,
            self._xcb.ImageFormat.ZPixmap, self._segs[k], 0)
        if reply.depth != impl.drawable_depth:
            raise RuntimeError(f"the X server sent a grab of depth {reply.depth}")
        return self._views[k]

    def close(self) -> None:
        for seg in self._segs:
            try:
                self._xcb.shm_detach(self._impl.conn, seg)
            except Exception:
                pass  # (the connection closing detaches it too)
        self._segs = []
        self._views = []
        for mm in self._maps:
            try:
                mm.close()
            except BufferError:
                pass  # a caller still holds a view: freed with it
        self._maps = []

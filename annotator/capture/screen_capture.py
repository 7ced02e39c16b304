"""The recorder's capture thread: a grab at every tick of the capture clock, reading only
what changed.

Per tick (``1/fps``, deadline-paced):
1. Which pixels may have changed: the rectangles the X DAMAGE extension reported since the
   last tick (``x11_damage``), the whole region on the first grab and every
   ``SAFETY_INTERVAL_S`` (a *safety grab*), or always when DAMAGE is missing or proved
   unreliable (``method: "full grabs"`` in the manifest).
2. Only those rectangles are read and compared with a mirror of the screen; nothing is read
   or compared when nothing was damaged.
3. The grab is *changed* when a rectangle differed or the masks changed (deny-listed and own
   windows, focused password fields: they can move without anything being drawn).  A
   changed grab is masked (on a copy: the mirror stays unmasked), converted to I420 and
   queued for the encoder; an unchanged one is still a grab of the frame index.
A safety grab that finds a change DAMAGE never reported (twice in a row: once could be a
drawing between the poll and the grab) switches the recording to full grabs and says so.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from annotator.bundle.frameindex import FULL, READ
from annotator.bundle.video import FRAGMENT_CLOSE_US
from annotator.capture.interfaces import Rect
from annotator.capture.recorder_parts import RecorderParts

SAFETY_INTERVAL_S = 2.0
FULL_AREA_SHARE = 0.45  # damage over this share of the region: read it whole at once

METHOD_DAMAGE = "damage"
METHOD_FULL = "full grabs"


@dataclass
class TickResult:
    changed: bool
    flags: int  # READ / FULL bits of the frame index
    image: np.ndarray | None = None  # masked BGRA frame, when changed


@dataclass
class ScreenMirror:
    """What the screen (the capture region) looked like at the last grab, unmasked, and the
    masks applied to the frame made from it."""

    width: int
    height: int
    damage: Any = None  # a DamageWatcher, or None for full grabs
    mirror: np.ndarray | None = None
    masks: tuple[Rect, ...] = ()
    last_safety: float = 0.0
    strikes: int = 0
    suspect: np.ndarray | None = None  # pixels a safety grab found changed, not yet damaged
    fallback_reason: str | None = None
    stats: dict[str, int] = field(default_factory=lambda: {
        "ticks_without_damage": 0, "partial_grabs": 0, "full_grabs": 0, "pixels_read": 0})

    @property
    def method(self) -> str:
        return METHOD_DAMAGE if self.damage is not None else METHOD_FULL

    def tick(self, grabber: Any, masks: Any, now: float) -> TickResult:
        """One tick: read what may have changed.  ``masks(refresh)`` gives the current masks;
        with ``refresh`` it first locates deny-listed windows (X round trips)."""
        full = self.mirror is None or self.damage is None
        safety = not full and now - self.last_safety >= SAFETY_INTERVAL_S
        rects: list[Rect] = []
        if self.damage is not None:
            rects = self.damage.poll()
            if self.suspect is not None:
                self._confirm(rects)
        area = sum(r.width * r.height for r in rects)
        if full or safety or area > FULL_AREA_SHARE * self.width * self.height:
            return self._full(grabber, masks, now, rects if safety else None)
        if not rects:
            # Nothing drawn; masks may still have moved (a password field got focus): the
            # deny-listed windows are not re-read (a window appearing draws, so damages).
            self.stats["ticks_without_damage"] += 1
            new_masks = tuple(masks(False))
            if new_masks != self.masks:
                return self._frame(new_masks, 0)
            return TickResult(False, 0)
        changed = False
        mirror = self.mirror
        assert mirror is not None  # (not a full grab: there is one)
        for r in rects:
            raw, img = grabber.grab_rect(r)
            view = mirror[r.y:r.y + r.height, r.x:r.x + r.width]
            if not _same(raw, view):
                view[...] = img
                changed = True
            self.stats["pixels_read"] += r.width * r.height
        self.stats["partial_grabs"] += 1
        new_masks = tuple(masks(True))
        if changed or new_masks != self.masks:
            return self._frame(new_masks, READ)
        return TickResult(False, READ)

    def _full(self, grabber: Any, masks: Any, now: float, damaged: list[Rect] | None
              ) -> TickResult:
        new_masks = tuple(masks(True))  # located right before the grab, never stale
        raw, img = grabber.grab()
        self.stats["full_grabs"] += 1
        self.stats["pixels_read"] += self.width * self.height
        if self.mirror is None:
            self.mirror = img.copy()
            changed = True
        else:
            changed = not _same(raw, self.mirror)
            if changed and damaged is not None:
                h, w = self.height, self.width
                diff = (self.mirror.view(np.uint32).reshape(h, w)
                        != img.view(np.uint32).reshape(h, w))
                self._check_damage(diff, damaged)
            if changed:
                self.mirror[...] = img
        if damaged is not None:
            self.last_safety = now
        if changed or new_masks != self.masks:
            return self._frame(new_masks, READ | FULL)
        return TickResult(False, READ | FULL)

    def _check_damage(self, diff: np.ndarray, damaged: list[Rect]) -> None:
        """A safety grab's differences must lie where DAMAGE reported drawing: in this
        tick's rectangles, or (drawn between the poll and the grab) in the next tick's."""
        missed = diff.copy()
        for r in damaged:
            missed[max(0, r.y - 2):r.y + r.height + 2, max(0, r.x - 2):r.x + r.width + 2] = False
        self.suspect = missed if missed.any() else None

    def _confirm(self, rects: list[Rect]) -> None:
        missed = self.suspect
        self.suspect = None
        if missed is None:
            return
        for r in rects:
            missed[max(0, r.y - 2):r.y + r.height + 2, max(0, r.x - 2):r.x + r.width + 2] = False
        if not missed.any():
            return
        self.strikes += 1
        if self.strikes >= 2:
            ys, xs = np.nonzero(missed)
            self.fallback_reason = (
                f"the screen changed where DAMAGE reported nothing (around {int(xs[0])},"
                f"{int(ys[0])}): every tick grabs the whole screen from then on")
            self.damage.close()
            self.damage = None

    def _frame(self, masks: tuple[Rect, ...], flags: int) -> TickResult:
        self.masks = masks
        img = self.mirror
        assert img is not None  # a frame is made after a grab
        if masks:
            img = img.copy()
            for m in masks:
                img[m.y:m.y + m.height, m.x:m.x + m.width] = 0
        return TickResult(True, flags, img)

    def close(self) -> None:
        if self.damage is not None:
            self.damage.close()


def _same(raw: bytearray, view: np.ndarray) -> bool:
    """Whether grabbed bytes equal a part of the mirror: a memcmp when the part is
    contiguous (whole rows: bands and the whole region), else numpy's comparison."""
    if view.flags.c_contiguous:
        return raw == view.data.cast("B")
    return bool(np.array_equal(np.frombuffer(raw, np.uint8).reshape(view.shape), view))


class CaptureMixin(RecorderParts):
    """The capture thread of ``Recorder`` (annotator/capture/recorder.py)."""

    def _open_capture(self) -> tuple[Any, Any, ScreenMirror] | None:
        try:
            grabber = self._grabber_factory(self.region)
        except Exception as exc:
            self._problem(f"Screen capture could not start: {exc}")
            self._request_stop("screen capture failed")
            return None
        masker = None
        if self._masker_factory is not None:
            try:
                masker = self._masker_factory(self.config.deny.match)
            except Exception as exc:
                # Fail closed: without window information, record nothing.
                self._problem(f"Cannot see which windows are on screen ({exc}); "
                              "the recording was stopped to protect deny-listed windows.")
                self._request_stop("window check failed")
                grabber.close()
                return None
        damage, reason = None, self._damage_reason
        if self._damage_factory is not None and reason is None:
            try:
                damage = self._damage_factory(self.region)
            except Exception as exc:
                reason = f"DAMAGE could not start ({exc})"
        screen = ScreenMirror(self.region.width, self.region.height, damage=damage)
        self._capture_info.update(method=screen.method, method_reason=reason)
        return grabber, masker, screen

    def _capture_loop(self) -> None:
        opened = self._open_capture()
        if opened is None:
            self._queue.put(None)
            return
        grabber, masker, screen = opened
        interval_ns = int(1e9 / self.config.fps)
        next_ns = time.monotonic_ns()
        keep = _KeepAlive()

        def masks(refresh: bool) -> list[Rect]:
            if refresh and masker is not None:
                self._masks = masker.rects()
            return self._current_masks(self.region)

        try:
            while not self._stop_event.is_set():
                now = time.monotonic_ns()
                if now < next_ns:
                    time.sleep((next_ns - now) / 1e9)
                    continue
                missed = (now - next_ns) // interval_ns
                self._dropped_deadlines += int(missed)
                next_ns += (missed + 1) * interval_ns
                if self._state != "recording":
                    screen.mirror = None  # the screen after a pause is new content
                    continue
                res = screen.tick(grabber, masks, time.monotonic())
                t_ns = time.monotonic_ns()  # after the grab: the image predates this stamp
                if self._state != "recording":
                    screen.mirror = None  # paused during the grab: its stamp is in the pause
                    continue
                if self._stop_ns is not None and t_ns > self._stop_ns:
                    break  # stopped during the grab: nothing after the stop belongs in it
                if screen.fallback_reason and not self._capture_info.get("fallback"):
                    self._capture_info["fallback"] = screen.fallback_reason
                    self._problem(f"Screen capture: {screen.fallback_reason}.")
                self._record_grab(t_ns, res, keep, screen)
        except Exception as exc:  # an X error, out of memory...
            self._problem(f"Screen capture stopped: {exc}")
            self._request_stop("screen capture failed")
        finally:
            self._capture_info["stats"] = dict(screen.stats)
            self._capture_info["method_at_end"] = screen.method
            screen.close()
            grabber.close()
            if masker is not None:
                masker.close()
            self._queue.put(None)

    def _record_grab(self, t_ns: int, res: TickResult, keep: _KeepAlive,
                     screen: ScreenMirror) -> None:
        if self._first_grab_ns is None:
            self._first_grab_ns = t_ns
        pts = self._us(t_ns)
        yuv = None
        if res.changed and res.image is not None:
            yuv = np.asarray(cv2.cvtColor(res.image, cv2.COLOR_BGRA2YUV_I420))
        store, yuv = keep.decide(t_ns, res.changed, yuv)
        if store and yuv is not None:  # (what decide stores is always a frame)
            try:
                self._queue.put_nowait((yuv, pts))
            except queue.Full:
                self._encoder_dropped += 1
                store = False
                if res.changed:
                    screen.mirror = None  # make sure the next grab is stored
                    keep.forget()
        self._last_grab_ns = t_ns
        self._writer.grab(pts, stored=store, changed=res.changed, extra_flags=res.flags)

    def _current_masks(self, region: Rect) -> list[Rect]:
        """Rectangles to black out, in frame coordinates."""
        out = []
        password = self._a11y.password_rects() if self._a11y is not None else []
        for r in (*self._masks, *self._own_rects, *password):
            hit = region.intersect(r)
            if hit is not None:
                out.append(Rect(hit.x - region.x, hit.y - region.y, hit.width, hit.height))
        return out


class _KeepAlive:
    """Which grabs are encoded: every changed one, and one repeat of the last frame
    ``FRAGMENT_CLOSE_US`` after it when nothing changed since, which closes the fragment that
    holds it (the encoder has no delay), so that a crash cannot lose a change that is older
    than that."""

    def __init__(self) -> None:
        self.last_yuv: np.ndarray | None = None
        self.last_stored_ns = 0
        self.closed = True

    def decide(self, t_ns: int, changed: bool, yuv: np.ndarray | None
               ) -> tuple[bool, np.ndarray | None]:
        if changed:
            self.last_yuv = yuv
            self.last_stored_ns = t_ns
            self.closed = False
            return True, yuv
        if self.closed or self.last_yuv is None:
            return False, None
        if t_ns - self.last_stored_ns >= FRAGMENT_CLOSE_US * 1000:
            self.closed = True
            return True, self.last_yuv
        return False, None

    def forget(self) -> None:
        self.last_yuv = None

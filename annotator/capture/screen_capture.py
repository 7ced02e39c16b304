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

A quiet screen does not wake the thread 30 times a second: after a tick that read nothing
(no damage, none the tick before), the thread sleeps on the DAMAGE connection until a
notification arrives, input or a pause, stop or mask change wakes it (``Waker``), or the
next tick that would do more than note an unchanged grab is due (a safety grab, a
keep-alive repeat, a small change's frame), at most ``QUIET_MAX_S``.  The ticks it slept
through are then written as the unchanged grabs they were, at their scheduled times, through
the same bookkeeping as a live tick: the frame index is the same, a grab at every tick.
"""

from __future__ import annotations

import ctypes
import os
import queue
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from annotator.bundle.frameindex import FULL, READ
from annotator.bundle.video import FRAGMENT_CLOSE_US
from annotator.capture.interfaces import Rect
from annotator.capture.recorder_parts import RecorderParts

_memcmp = ctypes.CDLL(None).memcmp  # (releases the GIL while it compares)
_memcmp.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_memcmp.restype = ctypes.c_int

SAFETY_INTERVAL_S = 2.0
# A change whose pixels fit in a square this size (a blinking caret, a ticking clock) may
# wait, while no input arrives, to be stored with the next (see ``_Coalescer``).
SMALL_CHANGE_PX = 64
QUIET_S = 1.0  # no input and no larger change for this long: small changes wait
SMALL_GAP_S = 1.0  # ...to be stored at least this long after the last frame
# A large repaint's frame (DAMAGE over FULL_AREA_SHARE: a scrolled page) is encoded again
# REFINE_REPEATS times, this far apart, while the screen then holds still: x264 coded the
# change as a difference from the frame before, and each repeat refines it (a scrolled page
# was at 0.994-0.997 SSIM until the fragment's repeat, where ffmpeg, coding every tick, was
# at 0.998 within 0.1 s).  Smaller changes come out as well as ffmpeg's without them.
REFINE_AFTER_S = 0.1
REFINE_REPEATS = 3  # each one refines it further (a P-frame's residual is coded at the CRF)
# The repeat that closes the fragment of a frame stored for small changes comes this late (a
# blinking caret's next frame closes it first, for free); under 2 s, the crash bound.
SMALL_CLOSE_S = 1.45
FULL_AREA_SHARE = 0.45  # damage over this share of the region: read it whole at once
# The longest quiet sleep: the ticks slept through are written when it ends, so this (plus
# the 0.5 s between flushes) is what a crash can lose of them; under the 2 s crash bound.
QUIET_MAX_S = 0.5

METHOD_DAMAGE = "damage"
METHOD_FULL = "full grabs"


@dataclass
class TickResult:
    changed: bool
    flags: int  # READ / FULL bits of the frame index
    image: np.ndarray | None = None  # masked BGRA frame, when changed
    small: bool = False  # the change fits in a SMALL_CHANGE_PX square, masks unchanged
    large: bool = False  # DAMAGE reported drawing over FULL_AREA_SHARE of the region


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
    last_rects: list[Rect] = field(default_factory=list)  # damaged at the last tick
    fallback_reason: str | None = None
    dirty: tuple[int, int] | None = None  # rows changed since ``take_dirty`` (y0, y1)
    stats: dict[str, int] = field(default_factory=lambda: {
        "ticks_without_damage": 0, "partial_grabs": 0, "full_grabs": 0, "pixels_read": 0,
        "quiet_waits": 0, "ticks_slept": 0})

    @property
    def method(self) -> str:
        return METHOD_DAMAGE if self.damage is not None else METHOD_FULL

    def take_dirty(self) -> tuple[int, int] | None:
        """The rows of the frame that changed since the last call (None: none)."""
        rows, self.dirty = self.dirty, None
        return rows

    def _touch(self, y0: int, y1: int) -> None:
        d = self.dirty
        self.dirty = (y0, y1) if d is None else (min(d[0], y0), max(d[1], y1))

    def tick(self, grabber: Any, masks: Any, now: float) -> TickResult:
        """One tick: read what may have changed.  ``masks(refresh)`` gives the current masks;
        with ``refresh`` it first locates deny-listed windows (X round trips)."""
        full = self.mirror is None or self.damage is None
        safety = not full and now - self.last_safety >= SAFETY_INTERVAL_S
        rects: list[Rect] = []
        reread = False
        if self.damage is not None:
            rects = self.damage.poll()
            if self.suspect is not None:
                self._confirm(rects)
            # The last tick's damage is read once more when none came: a drawing can reach
            # the screen before its notification reaches us (animation would lose frames).
            reread = not rects and bool(self.last_rects)
            rects, self.last_rects = rects or self.last_rects, rects
        area = sum(r.width * r.height for r in rects)
        large = area > FULL_AREA_SHARE * self.width * self.height
        if full or safety or large:
            res = self._full(grabber, masks, now, rects if safety else None)
            res.large = large and res.changed
            return res
        if not rects:
            # Nothing drawn; masks may still have moved (a password field got focus): the
            # deny-listed windows are not re-read (a window appearing draws, so damages).
            self.stats["ticks_without_damage"] += 1
            new_masks = tuple(masks(False))
            if new_masks != self.masks:
                return self._frame(new_masks, 0)
            return TickResult(False, 0)
        box: _Box | None = None
        mirror = self.mirror
        assert mirror is not None  # (not a full grab: there is one)
        for r in rects:
            raw, img = grabber.grab_rect(r)
            view = mirror[r.y:r.y + r.height, r.x:r.x + r.width]
            if not _same(raw, view):
                box = _union(box, _diff_box(np.any(img != view, axis=2), r.x, r.y))
                view[...] = img
            self.stats["pixels_read"] += r.width * r.height
        self.stats["partial_grabs"] += 1
        # Deny-listed windows are located again where drawing was reported (a window that
        # moves or appears draws); a re-read of the same area keeps the tick-old masks.
        new_masks = tuple(masks(not reread))
        if box is not None:
            self._touch(box[1], box[3])
        if box is not None or new_masks != self.masks:
            return self._frame(new_masks, READ, small=new_masks == self.masks and _small(box))
        return TickResult(False, READ)

    def _full(self, grabber: Any, masks: Any, now: float, damaged: list[Rect] | None
              ) -> TickResult:
        new_masks = tuple(masks(True))  # located right before the grab, never stale
        raw, img = grabber.grab()
        self.stats["full_grabs"] += 1
        self.stats["pixels_read"] += self.width * self.height
        small = False
        if self.mirror is None:
            self.mirror = img  # (kept, not copied: the grabber leaves it until the next grab)
            changed = True
            self._touch(0, self.height)
        else:
            changed = not _same(raw, self.mirror)
            if changed and damaged is not None:
                h, w = self.height, self.width
                diff = (self.mirror.view(np.uint32).reshape(h, w)
                        != img.view(np.uint32).reshape(h, w))
                self._check_damage(diff, damaged)
                box = _diff_box(diff, 0, 0)
                small = _small(box)
                if box is not None:
                    self._touch(box[1], box[3])
            elif changed:
                self._touch(0, self.height)
            # Unchanged, it is the same picture: kept all the same, so that the grabber's
            # next grab goes into the buffer of the mirror before (x11_screen._ShmPair).
            self.mirror = img
        if damaged is not None:
            self.last_safety = now
        if changed or new_masks != self.masks:
            return self._frame(new_masks, READ | FULL, small=small and new_masks == self.masks)
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

    def _frame(self, masks: tuple[Rect, ...], flags: int, small: bool = False) -> TickResult:
        if masks != self.masks:
            self._touch(0, self.height)
        self.masks = masks
        return TickResult(True, flags, self.image(), small)

    def image(self) -> np.ndarray:
        """The frame of the last grab: the mirror with the current masks blacked out."""
        img = self.mirror
        assert img is not None  # a frame is made after a grab
        if self.masks:
            img = img.copy()
            for m in self.masks:
                img[m.y:m.y + m.height, m.x:m.x + m.width] = 0
        return img

    def close(self) -> None:
        if self.damage is not None:
            self.damage.close()


_Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def _diff_box(diff: np.ndarray, x: int, y: int) -> _Box | None:
    """The bounding box of the true pixels of ``diff`` (placed at ``x``, ``y``)."""
    rows = np.flatnonzero(diff.any(axis=1))
    if not len(rows):
        return None
    cols = np.flatnonzero(diff[rows[0]:rows[-1] + 1].any(axis=0))
    return x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1


def _union(a: _Box | None, b: _Box | None) -> _Box | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _small(box: _Box | None) -> bool:
    return (box is not None and box[2] - box[0] <= SMALL_CHANGE_PX
            and box[3] - box[1] <= SMALL_CHANGE_PX)


def _same_picture(a: np.ndarray, b: np.ndarray | None) -> bool:
    """Whether two I420 pictures are the same (a memcmp)."""
    return (b is not None and a.shape == b.shape and a.flags.c_contiguous
            and b.flags.c_contiguous and _memcmp(a.ctypes.data, b.ctypes.data, a.nbytes) == 0)


def _same(raw: bytearray | memoryview, view: np.ndarray) -> bool:
    """Whether grabbed bytes equal a part of the mirror: a memcmp when the part is
    contiguous (whole rows: bands and the whole region), else numpy's comparison."""
    if view.flags.c_contiguous:
        if isinstance(raw, memoryview):  # read in place (x11_screen): memoryviews compare
            a = np.frombuffer(raw, np.uint8)  # item by item (8 ms at 1080p), memcmp 0.6
            return a.nbytes == view.nbytes and _memcmp(a.ctypes.data, view.ctypes.data,
                                                       a.nbytes) == 0
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
        if getattr(grabber, "grab_path", None):
            self._capture_info["grab"] = grabber.grab_path  # (X11: in place or mss's copies)
        return grabber, masker, screen

    def _capture_loop(self) -> None:
        opened = self._open_capture()
        if opened is None:
            self._capture_ready.set()
            self._queue.put(None)
            return
        grabber, masker, screen = opened
        _opencv_serial(True)
        try:
            _warm_up(grabber, masker)
        except Exception:
            pass  # the first tick meets the same error and reports it
        self._capture_ready.set()
        while not self._clock_go.wait(0.05):
            if self._stop_event.is_set():
                break
        trace = self._trace
        if trace is not None:
            grabber = trace.grabber(grabber)
        interval_ns = int(1e9 / self.config.fps)
        next_ns = time.monotonic_ns()
        keep = _KeepAlive()
        wait = _SmallChanges(seen_input_ns=self._last_input_ns)

        def masks(refresh: bool) -> list[Rect]:
            if refresh and masker is not None:
                self._masks = masker.rects()
            return self._current_masks(self.region)

        moved = False  # the mirror moved on since the held grab (it can no longer be stored)
        try:
            while not self._stop_event.is_set():
                now = time.monotonic_ns()
                if now < next_ns:
                    time.sleep((next_ns - now) / 1e9)
                    if trace is not None:
                        trace.slept(next_ns, time.monotonic_ns())
                    continue
                missed = (now - next_ns) // interval_ns
                self._dropped_deadlines += int(missed)
                due_ns = next_ns + missed * interval_ns
                next_ns += (missed + 1) * interval_ns
                started = trace.tick_start() if trace is not None else None
                if self._state != "recording":
                    self._release_held(wait, keep, screen, store=True)
                    screen.mirror = None  # the screen after a pause is new content
                    wait.reset()
                    continue
                if self._last_input_ns != wait.seen_input_ns:
                    # Input since the last tick began: the grab before it must be a frame.
                    wait.seen_input_ns = self._last_input_ns
                    self._release_held(wait, keep, screen, store=True)
                res = screen.tick(grabber, masks, time.monotonic())
                t_ns = time.monotonic_ns()  # after the grab: the image predates this stamp
                if self._state != "recording":
                    self._release_held(wait, keep, screen, store=False)
                    screen.mirror = None  # paused during the grab: its stamp is in the pause
                    wait.reset()
                    continue
                if self._stop_ns is not None and t_ns > self._stop_ns:
                    moved = True
                    break  # stopped during the grab: nothing after the stop belongs in it
                if screen.fallback_reason and not self._capture_info.get("fallback"):
                    self._capture_info["fallback"] = screen.fallback_reason
                    self._problem(f"Screen capture: {screen.fallback_reason}.")
                self._record_grab(t_ns, res, keep, screen, wait)
                if started is not None:
                    trace.tick(due_ns, now, t_ns, int(missed), self._queue.qsize(), started)
                if res.flags == 0 and screen.damage is not None and screen.suspect is None:
                    next_ns = self._quiet_wait(next_ns, interval_ns, screen, keep, wait, masks)
            self._release_held(wait, keep, screen, store=not moved)
        except Exception as exc:  # an X error, out of memory...
            self._problem(f"Screen capture stopped: {exc}")
            self._request_stop("screen capture failed")
            try:
                self._release_held(wait, keep, screen, store=False)
            except Exception:
                pass  # the index is written; only this grab's row is lost
        finally:
            if trace is not None:
                trace.thread_done()
            self._capture_info["stats"] = {**screen.stats, **wait.stats,
                                           "refine_frames": keep.refined}
            self._capture_info["method_at_end"] = screen.method
            screen.close()
            grabber.close()
            if masker is not None:
                masker.close()
            _opencv_serial(False)
            self._queue.put(None)

    def _quiet_wait(self, next_ns: int, interval_ns: int, screen: ScreenMirror,
                    keep: _KeepAlive, wait: _SmallChanges, masks: Any) -> int:
        """After a tick that read nothing: sleep through the ticks at which nothing can
        happen but an unchanged grab, then write them.  Returns the next tick to run."""
        waker = self._waker
        damage = screen.damage
        now = time.monotonic_ns()
        due = min(self._quiet_due(screen, keep, wait), now + int(QUIET_MAX_S * 1e9))
        if now >= next_ns or due - next_ns < 2 * interval_ns:
            return next_ns  # late, or fewer than two ticks to sleep through
        waker.arm()
        try:
            # What came before arming did not wake it: looked at once armed (and then the
            # ticks are left to run live).
            quiet = (self._last_input_ns == wait.seen_input_ns and self._state == "recording"
                     and self._stop_ns is None and not damage.queued()
                     and tuple(masks(False)) == screen.masks)
            if quiet:
                timeout = (due - time.monotonic_ns()) / 1e9
                if timeout > 0:
                    select.select([damage.fileno(), waker.fileno()], [], [], timeout)
        finally:
            now = time.monotonic_ns()
            paused_at = waker.disarm()
        if not quiet:
            return next_ns
        # The ticks slept through were quiet (input is seen from the next tick on, as when
        # ticking live), but none after a pause or stop began, and none from ``due`` on.
        limit = min(now, due)
        if paused_at:
            limit = min(limit, paused_at)
        if self._state != "recording" and self._pause_started_ns is not None:
            limit = min(limit, self._pause_started_ns)
        if self._stop_ns is not None:
            limit = min(limit, self._stop_ns + 1)
        idle = TickResult(False, 0)
        n = 0
        while next_ns < limit:
            self._record_grab(next_ns, idle, keep, screen, wait, input_ns=wait.seen_input_ns)
            next_ns += interval_ns
            n += 1
        screen.stats["quiet_waits"] += 1
        screen.stats["ticks_slept"] += n
        screen.stats["ticks_without_damage"] += n
        return next_ns

    @staticmethod
    def _quiet_due(screen: ScreenMirror, keep: _KeepAlive, wait: _SmallChanges) -> int:
        """When the next tick that does more than note an unchanged grab is due."""
        due = int((screen.last_safety + SAFETY_INTERVAL_S) * 1e9)  # a safety grab
        if not keep.closed and keep.last_yuv is not None:  # the keep-alive repeat
            due = min(due, keep.last_stored_ns + keep.close_after_ns)
            if keep.refine_at_ns:  # the refining repeat
                due = min(due, keep.refine_at_ns)
        if wait.since_ns:  # a waiting small change's frame
            due = min(due, wait.shown_since(keep) + int(SMALL_GAP_S * 1e9))
        return due

    def _record_grab(self, t_ns: int, res: TickResult, keep: _KeepAlive,
                     screen: ScreenMirror, wait: _SmallChanges,
                     input_ns: int | None = None) -> None:
        """Write the grab at ``t_ns``; ``input_ns``: the last input before it (default:
        the last input so far)."""
        if self._first_grab_ns is None:
            self._first_grab_ns = t_ns
        self._last_grab_ns = t_ns
        if input_ns is None:
            input_ns = self._last_input_ns
        if input_ns != wait.seen_input_ns and not res.changed:
            # Input during this grab, which read nothing new: the mirror still shows the
            # held grab, the last before the input.
            wait.seen_input_ns = input_ns
            self._release_held(wait, keep, screen, store=True)
        self._release_held(wait, keep, screen, store=False)  # superseded by this grab
        if res.changed and not res.small:
            wait.last_big_ns = t_ns
        quiet = t_ns - max(self._last_input_ns, wait.last_big_ns) >= QUIET_S * 1e9
        if (res.changed and res.small and quiet) or (not res.changed and wait.since_ns):
            # A small change with no input near it, or the screen still differs from the
            # video by one: held until input arrives, or stored SMALL_GAP_S after the last
            # frame (a blinking caret: one frame a second instead of two).
            if res.changed:
                wait.stats["small_changes_held"] += 1
            wait.since_ns = wait.since_ns or t_ns
            if t_ns - wait.shown_since(keep) < SMALL_GAP_S * 1e9:
                wait.held = (t_ns, res.flags, res.changed)
                return
            self._store_waiting(t_ns, res.flags, keep, screen, wait, changed=res.changed)
            return
        wait.since_ns = 0
        pts = self._us(t_ns)
        yuv = None
        if res.changed and res.image is not None:
            yuv = keep.i420.convert(res.image, screen.take_dirty())
        refine = int(REFINE_AFTER_S * 1e9) if res.large else 0
        store, yuv = keep.decide(t_ns, res.changed, yuv, refine_after_ns=refine)
        if store and yuv is not None:  # (what decide stores is always a frame)
            store = self._enqueue(yuv, pts, screen, keep, wait, forget=res.changed)
        self._writer.grab(pts, stored=store, changed=res.changed, extra_flags=res.flags)

    def _release_held(self, wait: _SmallChanges, keep: _KeepAlive, screen: ScreenMirror,
                      *, store: bool) -> None:
        """Write the held grab's row: as a stored frame (the mirror still shows that grab),
        or, superseded, as a grab shown by the last frame."""
        if wait.held is None:
            return
        t_ns, flags, changed = wait.held
        wait.held = None
        if store:
            self._store_waiting(t_ns, flags, keep, screen, wait, changed=changed)
        else:
            self._writer.grab(self._us(t_ns), stored=False, changed=changed, extra_flags=flags)

    def _store_waiting(self, t_ns: int, flags: int, keep: _KeepAlive, screen: ScreenMirror,
                       wait: _SmallChanges, *, changed: bool) -> None:
        """Store the grab at ``t_ns`` (the mirror's picture) that ends a wait: it is marked
        changed, being the first frame to show the waiting change.  Its repeat comes
        SMALL_CLOSE_S after it: a change this small is not worth an encode to close its
        fragment early.  A picture that is the video's last frame again (a caret that
        blinks in step with the wait: it was back on when the wait ended) is not encoded
        again; its grab (``changed``: from the grab before) is shown by that frame, and the
        next wait counts from it."""
        wait.since_ns = 0
        pts = self._us(t_ns)
        yuv = keep.i420.convert(screen.image(), screen.take_dirty())
        if _same_picture(yuv, keep.last_yuv):
            wait.matched_ns = t_ns
            wait.stats["small_changes_undone"] += 1
            self._writer.grab(pts, stored=False, changed=changed, extra_flags=flags)
            return
        wait.stats["small_change_frames"] += 1
        keep.decide(t_ns, True, yuv, close_after_ns=int(SMALL_CLOSE_S * 1e9))
        store = self._enqueue(yuv, pts, screen, keep, wait, forget=True)
        self._writer.grab(pts, stored=store, changed=True, extra_flags=flags)

    def _enqueue(self, yuv: np.ndarray, pts: int, screen: ScreenMirror, keep: _KeepAlive,
                 wait: _SmallChanges, *, forget: bool) -> bool:
        try:
            self._queue.put_nowait((yuv, pts))
            return True
        except queue.Full:
            self._encoder_dropped += 1
            if forget:
                screen.mirror = None  # make sure the next grab is stored
                keep.forget()
                wait.reset()
            return False

    def _current_masks(self, region: Rect) -> list[Rect]:
        """Rectangles to black out, in frame coordinates."""
        out = []
        password = self._a11y.password_rects() if self._a11y is not None else []
        for r in (*self._masks, *self._own_rects, *password):
            hit = region.intersect(r)
            if hit is not None:
                out.append(Rect(hit.x - region.x, hit.y - region.y, hit.width, hit.height))
        return out


# Capture threads running, and OpenCV's thread count before the first of them.
_serial = [0, 0]
_serial_lock = threading.Lock()


def _opencv_serial(on: bool) -> None:
    """While recording, OpenCV converts on the calling thread: its worker pool split a
    1080p conversion in two and then spun waiting for more (measured: 1.9 ms of CPU a
    conversion instead of 1.5, and 1.5 CPU s a minute on the pool's thread under full
    motion), for no gain the capture clock needs.  Undone when the last capture ends."""
    with _serial_lock:
        if on:
            if _serial[0] == 0:
                _serial[1] = cv2.getNumThreads()
                cv2.setNumThreads(1)
            _serial[0] += 1
        else:
            _serial[0] -= 1
            if _serial[0] == 0:
                cv2.setNumThreads(_serial[1])


def _warm_up(grabber: Any, masker: Any) -> None:
    """What the first ticks would do once, done before the clock starts: the X server's
    shared-memory image and the first frame buffers (page faults on 8 MB), OpenCV's colour
    conversion, the deny-list's window lookup."""
    _raw, img = grabber.grab()
    cv2.cvtColor(img, cv2.COLOR_BGRA2YUV_I420)
    if masker is not None:
        masker.rects()


class Waker:
    """Wakes the capture thread out of a quiet sleep (input, masks moved, pause, stop), and
    says when the first pause or stop came.  ``wake`` costs a flag test while the thread
    ticks."""

    def __init__(self) -> None:
        self._r = self._w = -1  # the pipe, made on the first sleep
        self._lock = threading.Lock()
        self._armed = False
        self._signalled = False
        self._stop_ns = 0

    def fileno(self) -> int:
        return self._r

    def arm(self) -> None:
        with self._lock:
            if self._r < 0:
                self._r, self._w = os.pipe()
                os.set_blocking(self._r, False)
                os.set_blocking(self._w, False)
            self._armed = True
            self._signalled = False
            self._stop_ns = 0

    def wake(self, t_ns: int | None = None, *, stops: bool = False) -> None:
        """From any thread.  ``stops``: nothing is captured from ``t_ns`` on (a pause or
        stop at that time; default now)."""
        if not self._armed:
            return
        with self._lock:
            if not self._armed:
                return
            if stops and not self._stop_ns:
                self._stop_ns = t_ns if t_ns is not None else time.monotonic_ns()
            if not self._signalled:
                self._signalled = True
                try:
                    os.write(self._w, b"!")
                except BlockingIOError:
                    pass

    def disarm(self) -> int:
        """End a sleep: when the first pause or stop since ``arm`` came (0: none)."""
        with self._lock:
            self._armed = False
            first = self._stop_ns
        try:
            while os.read(self._r, 64):
                pass
        except BlockingIOError:
            pass
        return first

    def close(self) -> None:
        with self._lock:
            self._armed = False
            fds, self._r, self._w = (self._r, self._w), -1, -1
        for fd in fds:
            if fd >= 0:
                os.close(fd)


@dataclass
class _SmallChanges:
    """Small changes waiting to be stored: since when the screen differs from the video
    (0: it does not), and the grab held back one tick (its row is written once it is known
    whether input arrived before the next grab: then it is stored)."""

    seen_input_ns: int = 0  # the last input event the capture thread has seen
    last_big_ns: int = 0  # the last change that was not small (animation: nothing waits)
    since_ns: int = 0
    held: tuple[int, int, bool] | None = None  # t_ns, flags, changed
    matched_ns: int = 0  # the last wait that ended with the screen as the video shows it
    stats: dict[str, int] = field(default_factory=lambda: {
        "small_changes_held": 0, "small_change_frames": 0, "small_changes_undone": 0})

    def shown_since(self, keep: _KeepAlive) -> int:
        """Since when the video is known to show the screen: the last frame, or a later
        wait that found the screen back as that frame shows it."""
        return max(keep.last_stored_ns, self.matched_ns)

    def reset(self) -> None:
        self.since_ns = 0
        self.held = None


class _KeepAlive:
    """Which grabs are encoded: every changed one, and one repeat of the last frame
    ``FRAGMENT_CLOSE_US`` after it when nothing changed since, which closes the fragment that
    holds it (the encoder has no delay), so that a crash cannot lose a change that is older
    than that; after a large repaint also ``REFINE_REPEATS`` every ``REFINE_AFTER_S`` after it,
    which refine its picture.  Also the I420 picture of the last frame, converted where rows changed."""

    def __init__(self) -> None:
        self.last_yuv: np.ndarray | None = None
        self.last_stored_ns = 0
        self.closed = True
        self.close_after_ns = FRAGMENT_CLOSE_US * 1000
        self.refine_at_ns = 0  # when the next refining repeat is due (0: none)
        self.refine_every_ns = 0
        self.refines_left = 0
        self.refined = 0  # refining repeats stored
        self.i420 = _I420()

    def decide(self, t_ns: int, changed: bool, yuv: np.ndarray | None, *,
               close_after_ns: int = FRAGMENT_CLOSE_US * 1000, refine_after_ns: int = 0
               ) -> tuple[bool, np.ndarray | None]:
        if changed:
            self.last_yuv = yuv
            self.last_stored_ns = t_ns
            self.closed = False
            self.close_after_ns = close_after_ns
            self.refine_at_ns = t_ns + refine_after_ns if refine_after_ns else 0
            self.refine_every_ns = refine_after_ns
            self.refines_left = REFINE_REPEATS if refine_after_ns else 0
            return True, yuv
        if self.closed or self.last_yuv is None:
            return False, None
        if t_ns - self.last_stored_ns >= self.close_after_ns:
            self.closed = True
            self.refine_at_ns = 0
            return True, self.last_yuv
        if self.refine_at_ns and t_ns >= self.refine_at_ns:
            self.refines_left -= 1
            self.refined += 1
            self.refine_at_ns = t_ns + self.refine_every_ns if self.refines_left else 0
            return True, self.last_yuv
        return False, None

    def forget(self) -> None:
        self.last_yuv = None
        self.i420.buf = None


class _I420:
    """BGRA frames to I420, converting only the rows that changed since the last frame into
    a kept picture (a caret's band instead of 1080 rows: 0.2 ms instead of 4).  Bands are
    whole multiples of 4 rows, so that their chroma rows are whole rows of the planes."""

    def __init__(self) -> None:
        self.buf: np.ndarray | None = None

    def convert(self, img: np.ndarray, rows: tuple[int, int] | None) -> np.ndarray:
        """The I420 planes (H*3/2, W) of ``img``, of which only ``rows`` changed since the
        last call (None: none).  A new array each time: the encoder holds it."""
        h, w = img.shape[:2]
        old = self.buf
        y0, y1 = (0, h) if rows is None else (rows[0] // 4 * 4, min(h, -(-rows[1] // 4) * 4))
        if old is None or old.shape != (h * 3 // 2, w) or h % 4 or w % 2 or y1 - y0 > h // 2:
            # (a new array: the one before may still be in the encoder's queue)
            self.buf = np.asarray(cv2.cvtColor(img, cv2.COLOR_BGRA2YUV_I420))
            return self.buf
        buf = self.buf = old.copy()
        if rows is not None and y1 > y0:
            b = cv2.cvtColor(img[y0:y1], cv2.COLOR_BGRA2YUV_I420)
            n = y1 - y0
            buf[y0:y1] = b[:n]
            for plane, part in ((buf[h:h + h // 4], b[n:n + n // 4]),
                                (buf[h + h // 4:], b[n + n // 4:])):
                plane.reshape(h // 2, w // 2)[y0 // 2:y1 // 2] = part.reshape(n // 2, w // 2)
        return buf

"""The recorder: screen, input and window focus into a crash-safe bundle.

Threads, and why:
- capture (annotator/capture/screen_capture.py): a grab at every tick of the capture clock
  (deadline-paced), reading only what the X DAMAGE extension says changed; masks deny-listed
  and own windows, converts changed grabs to I420 and queues them; it never waits on the
  encoder.
- encode: PyAV/x264 encodes queued frames into the fragmented MP4.
- monitor: 10 times a second polls the focused and visible windows (focus changes, the
  deny-list), writes held events (annotator/capture/input_events.py), flushes the bundle's
  streams, and checks health (input listeners alive, frames arriving, disk space); 4 times
  a second while no input arrives.
- pynput's own listener threads: their callbacks only stamp, convert and queue.
- devices (annotator/capture/x11_devices.py): XInput2 raw events, which tell the class of
  device each event came from.
- a11y (annotator/capture/a11y.py, when an accessibility bus exists): hit tests of presses
  and keyboard focus over AT-SPI; keys typed into a password field are written masked.

While paused nothing is read into the bundle: the capture thread does not grab and the input
callbacks return at once.  One monotonic clock stamps frames and events; times in the bundle
are microseconds since the start.  Every file is written through the bundle writer
(annotator/bundle/writer.py).
"""

from __future__ import annotations

import errno
import gc
import queue
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from annotator.bundle import schema
from annotator.bundle.mp4 import repair_fragmented_mp4
from annotator.bundle.writer import (
    FLUSH_INTERVAL_S,
    FSYNC_INTERVAL_S,
    BundleWriter,
    iso,
    new_manifest,
    os_info,
    utc_now,
)
from annotator.capture.input_events import InputEventsMixin
from annotator.capture.interfaces import Display, Rect
from annotator.capture.record_setup import (  # noqa: F401  (the recorder's public names)
    DISK_STOP_BYTES,
    DISK_WARN_BYTES,
    FRAMES_STALL_S,
    HOTKEY_PAUSE,
    HOTKEY_STOP,
    RESERVE_BYTES,
    RecordConfig,
    RecorderStatus,
    hotkey_label,
    prepare_output_dir,
    resolve_region,
)
from annotator.capture.screen_capture import (
    FULL_AREA_SHARE,
    QUIET_S,
    REFINE_AFTER_S,
    REFINE_REPEATS,
    SAFETY_INTERVAL_S,
    SMALL_CHANGE_PX,
    SMALL_CLOSE_S,
    SMALL_GAP_S,
    CaptureMixin,
    Waker,
)
from annotator.errors import AnnotatorError, OutputFolderError

FIRST_GRAB_WAIT_S = 3.0
# The monitor looks at focus this often while input arrives (within INPUT_ACTIVE_S), and a
# focused window's title and box are re-read this often (eight X round trips each time).
MONITOR_INTERVAL_S = 0.1
WINDOW_INFO_MAX_AGE_S = 0.5
# With no input for INPUT_ACTIVE_S (reading, thinking: an hour of it costs CPU too), focus
# is looked at every MONITOR_IDLE_INTERVAL_S and titles every WINDOW_INFO_IDLE_AGE_S: what
# changes then is the rare window that takes focus or renames itself on its own (frames
# stay safe: the capture thread masks deny-listed windows at every grab that reads).
INPUT_ACTIVE_S = 2.0
MONITOR_IDLE_INTERVAL_S = 0.25
WINDOW_INFO_IDLE_AGE_S = 2.0


class Recorder(InputEventsMixin, CaptureMixin):
    """Record one bundle.  ``start()``, then ``pause()``/``resume()``, then ``stop()``.

    ``own_windows`` returns the recorder's own window rectangles (root coordinates): they are
    blacked out of frames and clicks on them are not recorded.
    """

    _input_started = False  # start() found the input listener live

    def __init__(
        self,
        config: RecordConfig,
        *,
        own_windows: Callable[[], list[Rect]] | None = None,
        on_hotkey: Callable[[str], None] | None = None,
        input_source: Any = None,
        window_source_factory: Callable[[], Any] | None = None,
        grabber_factory: Callable[[Rect], Any] | None = None,
        masker_factory: Callable[[Callable[[Any], Any]], Any] | None = None,
        displays: list[Display] | None = None,
        virtual: Rect | None = None,
        session: str = "x11",
        a11y_factory: Callable[[], Any] | None = None,
        damage_factory: Callable[[Rect], Any] | None = None,
        devices_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.config = config
        self.own_windows = own_windows or (lambda: [])
        self.on_hotkey = on_hotkey
        self._session = session
        if displays is None or virtual is None:
            from annotator.capture import x11_screen

            displays = x11_screen.list_displays()
            virtual = x11_screen.virtual_screen()
        self.displays = displays
        self.region, self.display = resolve_region(displays, virtual, config.screen, config.region)
        if input_source is None:
            from annotator.capture.x11_input import PynputInput

            input_source = PynputInput()
        self._input = input_source
        if window_source_factory is None:
            from annotator.capture.x11_windows import X11DenyMasker, X11Windows

            window_source_factory = X11Windows
            masker_factory = X11DenyMasker
        self._window_factory = window_source_factory
        self._masker_factory = masker_factory
        if grabber_factory is None:
            from annotator.capture.x11_screen import MssGrabber

            grabber_factory = MssGrabber
        self._grabber_factory = grabber_factory
        self._damage_reason: str | None = None
        if not config.damage:
            self._damage_reason = "turned off for this recording"
        elif damage_factory is None and grabber_factory.__name__ == "MssGrabber":
            from annotator.capture.x11_damage import DamageWatcher

            damage_factory = DamageWatcher
        elif damage_factory is None:
            self._damage_reason = "this screen source reports no damage"
        self._damage_factory = damage_factory
        self._devices_factory = devices_factory
        self._devices: Any = None
        self._devices_info: dict[str, Any] = {}
        self._capture_info: dict[str, Any] = {}
        self._trace = _tick_trace()  # benchmarks only: the threads' timeline

        self.out = config.out_dir
        self._lock = threading.RLock()
        self._state = "idle"
        self._pause_reason: str | None = None
        self._auto_paused = False
        self._pauses: list[dict[str, Any]] = []
        self._problems: list[str] = []
        self._stop_reason: str | None = None
        self._stop_event = threading.Event()
        self._stop_ns: int | None = None
        self._first_grab_ns: int | None = None
        self._done = threading.Event()
        self._finalizing = False
        self._t0_ns = 0
        self._paused_ns = 0
        self._pause_started_ns: int | None = None
        self._event_id = 0
        self._dropped_deadlines = self._encoder_dropped = 0
        self._last_grab_ns = self._last_input_ns = 0
        self._masks: list[Rect] = []
        self._own_rects: list[Rect] = []
        self._suppressed_keys: set[str] = set()
        self._suppressed_buttons: set[str] = set()
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(maxsize=8)
        self._waker = Waker()  # the capture thread's quiet sleep ends on input, pause, stop
        # The capture thread warmed up; the rest of the start-up done (its clock may start).
        self._capture_ready, self._clock_go = threading.Event(), threading.Event()
        self._threads: list[threading.Thread] = []
        self._writer: Any = None
        self._manifest: dict[str, Any] = {}
        # Accessibility: the worker (None when unavailable), events waiting for their key
        # decision (id, t_ns, record; in id order), masked presses not yet released.
        self._a11y_factory = a11y_factory
        self._a11y: Any = None
        self._a11y_info: dict[str, Any] = {}
        self._pending: deque[tuple[int, int, dict[str, Any]]] = deque()
        self._commit_lock = threading.Lock()
        self._masked_held: list[tuple[int, str | None]] = []
        self._masked_keys = 0

    # -- public API ---------------------------------------------------------------
    def start(self) -> None:
        prepare_output_dir(self.out, self.config.force)
        self._reserve = self.out / ".reserve"
        try:
            with open(self._reserve, "wb") as fh:
                fh.write(b"\0" * self.config.reserve_bytes)
        except OSError as exc:
            raise OutputFolderError(
                f"Cannot write to {self.out}: {exc.strerror or exc}.",
                "Free some disk space or choose another folder with --out.",
            ) from exc
        free = shutil.disk_usage(self.out).free
        if free < self.config.disk_stop_bytes:
            raise OutputFolderError(
                f"Only {free // (1024 * 1024)} MB are free on the disk of {self.out}.",
                "Free some disk space or record to another disk with --out.",
            )
        self._t0_ns = time.monotonic_ns()
        self._start_a11y()
        self._start_devices()
        try:
            self._writer = BundleWriter(
                self.out, self.region.width, self.region.height,
                video={"fps": self.config.fps, "preset": self.config.preset,
                       "crf": self.config.crf, "gop": self.config.gop},
                elements=bool(self._a11y_info.get("available")))
        except BaseException:
            self._stop_a11y()
            if self._devices is not None:
                self._devices.stop()
            raise
        # Frames and input first: the manifest says "recording" once both are captured, so
        # what a contributor does after the recorder says it started is in the recording.
        # The capture clock starts once the rest of the start-up is done: a tick due while
        # the input listener started, x264 made its first frame and the garbage of start-up
        # was collected would be missed (it was, by 16-70 ms, on an idle machine).
        self._state = "recording"
        self._start_thread("annotator-encode", self._encode_loop)
        self._start_thread("annotator-capture", self._capture_loop)
        started = self._trace.span_start() if self._trace is not None else None
        self._input.start(self._on_input)
        if started is not None:
            self._trace.span("input start", started)
        self._capture_ready.wait(FIRST_GRAB_WAIT_S)
        _freeze_garbage_collector()
        self._clock_go.set()
        deadline = time.monotonic() + FIRST_GRAB_WAIT_S
        while (self._first_grab_ns is None and not self._stop_event.is_set()
               and time.monotonic() < deadline):
            time.sleep(0.01)
        try:
            self._writer.start(self._first_manifest())
        except BaseException:
            self._request_stop("the manifest could not be written")
            self._finalize()
            raise
        self._manifest = self._writer.manifest
        if started is not None:
            self._trace.span("start", started)
        self._input_started = self._input.alive()
        if not self._input_started:
            why = getattr(self._input, "problem", None)
            self._problem("The input listener did not start" + (f" ({why})" if why else "")
                          + ": mouse and keyboard are not captured.")
        self._start_thread("annotator-monitor", self._monitor_loop)

    def _start_thread(self, name: str, target: Callable[[], None]) -> None:
        def run() -> None:
            _name_os_thread(name)
            target()

        th = threading.Thread(target=run, name=name, daemon=True)
        th.start()
        self._threads.append(th)

    def _first_manifest(self) -> dict[str, Any]:
        started = utc_now()
        return new_manifest(
            created_by="annotator record",
            started=started,
            clock={"name": "CLOCK_MONOTONIC", "unit": "microseconds since start",
                   "start_monotonic_ns": self._t0_ns, "start_utc": iso(started)},
            os=os_info(self._session),
            displays=[{**d.as_dict(), "captured": d.id == self.display.id}
                      for d in self.displays],
            capture={
                "display_id": self.display.id,
                "region": self.region.as_dict(),
                "scale": self.display.scale,
                "fps_requested": self.config.fps,
                "cursor": False,
                "method": self._capture_info.get(
                    "method", "damage" if self._damage_reason is None else "full grabs"),
                "method_reason": self._capture_info.get("method_reason", self._damage_reason),
                "grab": self._capture_info.get("grab"),
                "safety_interval_s": SAFETY_INTERVAL_S,
                "small_changes": {"max_px": SMALL_CHANGE_PX, "quiet_s": QUIET_S,
                                  "gap_s": SMALL_GAP_S, "close_s": SMALL_CLOSE_S},
                "refine": {"area_share": FULL_AREA_SHARE, "after_s": REFINE_AFTER_S,
                           "repeats": REFINE_REPEATS},
            },
            acknowledgement=self.config.acknowledgement,
            deny_list=list(self.config.deny.all),
            hotkeys={"pause_resume": hotkey_label(HOTKEY_PAUSE),
                     "stop": hotkey_label(HOTKEY_STOP)},
            a11y=dict(self._a11y_info),
            input_devices=dict(self._devices_info),
        )

    def pause(self, reason: str = "paused by you") -> None:
        with self._lock:
            if self._state != "recording":
                return
            self._state = "paused"
            self._pause_reason = reason
            now = time.monotonic_ns()
            self._pause_started_ns = now
            self._write_event({"kind": "pause", "reason": reason}, now)
        self._waker.wake(now, stops=True)

    def resume(self) -> None:
        with self._lock:
            if self._state != "paused":
                return
            now = time.monotonic_ns()
            self._close_pause(now)
            self._state = "recording"
            self._pause_reason = None
            self._auto_paused = False
            self._write_event({"kind": "resume"}, now)
        self._waker.wake(now)
        if self._a11y is not None:
            # Focus changes while paused were not written: say where focus is now.
            self._on_a11y_focus(now, self._a11y.timeline.current_focus(), resumed=True)

    def _close_pause(self, now: int) -> None:
        start = self._pause_started_ns or now
        self._pauses.append(
            {"start_us": self._us(start), "end_us": self._us(now), "reason": self._pause_reason}
        )
        self._paused_ns += now - start
        self._pause_started_ns = None

    def toggle_pause(self) -> None:
        if self._state == "paused":
            self.resume()
        else:
            self.pause()

    def stop(self, reason: str = "stopped by you") -> dict[str, Any]:
        """Stop and finalize the bundle (idempotent).  Returns the final manifest."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
            if self._stop_ns is None:
                self._stop_ns = time.monotonic_ns()
            if self._state == "paused" and self._pause_started_ns is not None:
                self._close_pause(self._stop_ns)  # stays paused: nothing more is captured
            self._stop_event.set()
        self._waker.wake(self._stop_ns, stops=True)
        self._finalize()
        return self._manifest

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the recording has stopped (by duration, hotkey, disk full...)."""
        return self._stop_event.wait(timeout)

    def status(self) -> RecorderStatus:
        with self._lock:
            return RecorderStatus(
                state=self._state,
                elapsed_s=self.elapsed_s(),
                pause_reason=self._pause_reason,
                frames_stored=self._writer.stored if self._writer else 0,
                grabs=self._writer.grabs if self._writer else 0,
                events=self._event_id,
                problems=list(self._problems),
                stop_reason=self._stop_reason,
            )

    def elapsed_s(self) -> float:
        """Recorded time so far, pauses excluded."""
        if not self._t0_ns:
            return 0.0
        now = time.monotonic_ns()
        paused = self._paused_ns
        if self._pause_started_ns is not None:
            paused += now - self._pause_started_ns
        return max(0.0, (now - self._t0_ns - paused) / 1e9)

    # -- internals --------------------------------------------------------------------
    def _us(self, t_ns: int) -> int:
        return (t_ns - self._t0_ns) // 1000

    def _problem(self, text: str) -> None:
        with self._lock:
            if text not in self._problems:
                self._problems.append(text)

    # encode thread -------------------------------------------------------------------
    def _encode_loop(self) -> None:
        writer = self._writer
        trace = self._trace
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._encoder_failed:
                continue
            yuv, pts = item
            try:
                if trace is not None:
                    started = trace.span_start()
                    writer.encode(yuv, pts)
                    trace.span("encode", started)
                    continue
                writer.encode(yuv, pts)
            except Exception as exc:
                self._encoder_failed = True
                if _is_disk_full(exc):
                    self._problem("The disk is full: the recording was stopped and saved.")
                    self._free_reserve()
                    self._request_stop("disk full")
                else:
                    self._problem(f"Video encoding failed: {exc}")
                    self._request_stop("video encoding failed")

    _encoder_failed = False

    # monitor thread ------------------------------------------------------------------
    def _monitor_loop(self) -> None:
        try:
            windows = self._window_factory()
        except Exception as exc:
            windows = None
            self._problem(f"Window titles are not captured: {exc}")
        last_focus: tuple[Any, ...] | None = None
        last_flush = last_fsync = 0.0
        trace = self._trace
        while not self._stop_event.wait(self._monitor_interval()[0]):
            now_ns = time.monotonic_ns()
            started = trace.span_start() if trace is not None else None
            self._commit_pending()
            # Own windows: masked and their clicks dropped.
            try:
                own = list(self.own_windows())
                if own != self._own_rects:
                    self._own_rects = own
                    self._waker.wake()  # the masks changed: a frame with the new ones
            except Exception:
                pass
            if windows is not None:
                try:
                    last_focus = self._poll_windows(windows, now_ns, last_focus)
                except Exception as exc:
                    self._problem(f"Window tracking failed: {exc}")
            # Health.
            if self._state == "recording":
                if self._input_started and not self._input.alive():
                    self._problem("The input listener stopped: mouse and keyboard are no "
                                  "longer captured.")
                if self._last_grab_ns and now_ns - self._last_grab_ns > FRAMES_STALL_S * 1e9:
                    self._problem("Frames stopped arriving from the screen.")
            if self.config.duration_s is not None and self.elapsed_s() >= self.config.duration_s:
                self._request_stop("duration reached")
            if time.monotonic() - last_flush >= FLUSH_INTERVAL_S:
                last_flush = time.monotonic()
                try:
                    # To the OS every 0.5 s (what a killed recorder keeps), to the disk
                    # every FSYNC_INTERVAL_S (what a power cut keeps).
                    sync = last_flush - last_fsync >= FSYNC_INTERVAL_S
                    flushing = trace.span_start() if trace is not None else None
                    self._writer.flush(fsync=sync)
                    if flushing is not None:
                        trace.span("fsync" if sync else "flush", flushing)
                    if sync:
                        last_fsync = last_flush
                    free = shutil.disk_usage(self.out).free
                    if free < self.config.disk_stop_bytes:
                        self._problem("The disk is almost full: the recording was stopped "
                                      "and saved.")
                        self._free_reserve()
                        self._request_stop("disk full")
                    elif free < self.config.disk_warn_bytes:
                        self._problem(f"Disk space is low: under "
                                      f"{self.config.disk_warn_bytes // (1024 * 1024)} MB free.")
                except OSError as exc:
                    if _is_disk_full(exc):
                        self._problem("The disk is full: the recording was stopped and saved.")
                        self._free_reserve()
                        self._request_stop("disk full")
                    else:
                        self._problem(f"Writing the recording failed: {exc}")
                        self._request_stop("write error")
            if started is not None:
                trace.span("monitor", started)
        if windows is not None:
            windows.close()

    def _poll_windows(self, windows: Any, now_ns: int, last: tuple[Any, ...] | None
                      ) -> tuple[Any, ...] | None:
        focused = windows.focused(max_age_s=self._monitor_interval()[1])
        own = self._own_rects
        is_own = focused is not None and focused.rect is not None and focused.rect in own
        key = None if focused is None else (focused.window_id, focused.title, focused.app)
        if key != last and not is_own and self._state == "recording":
            rect = None
            if focused is not None and focused.rect is not None:
                r = focused.rect
                rect = [r.x - self.region.x, r.y - self.region.y, r.width, r.height]
            self._writer.window(
                {
                    "t": self._us(now_ns),
                    "kind": "focus",
                    "title": focused.title if focused else None,
                    "app": focused.app if focused else None,
                    "window_id": focused.window_id if focused else None,
                    "box": rect,
                }
            )
        # Deny-list: pause while focused, black out while visible.
        denied = self.config.deny.match(focused)
        if denied and self._state == "recording":
            self.pause(f"a deny-listed window has focus ({denied})")
            self._auto_paused = True
        elif not denied and self._state == "paused" and self._auto_paused:
            self.resume()
        if is_own:
            return last
        return key if self._state == "recording" else last

    def _monitor_interval(self) -> tuple[float, float]:
        """(seconds between looks at focus, the longest a window's title is kept)."""
        if time.monotonic_ns() - self._last_input_ns < INPUT_ACTIVE_S * 1e9:
            return MONITOR_INTERVAL_S, WINDOW_INFO_MAX_AGE_S
        return MONITOR_IDLE_INTERVAL_S, WINDOW_INFO_IDLE_AGE_S

    # stopping ------------------------------------------------------------------------
    def _request_stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
            if self._stop_ns is None:
                self._stop_ns = time.monotonic_ns()
        self._stop_event.set()
        self._waker.wake(self._stop_ns, stops=True)

    def _free_reserve(self) -> None:
        try:
            self._reserve.unlink()
        except OSError:
            pass

    def _finalize(self) -> None:
        # Exactly one caller finalizes (closing the encoder twice would crash FFmpeg);
        # any other caller waits for it to finish.
        with self._lock:
            first = not self._finalizing
            self._finalizing = True
            self._stop_event.set()
        if not first:
            self._done.wait()
            return
        with self._lock:
            self._state = "stopped"
        self._waker.wake(stops=True)
        self._input.stop()
        for th in self._threads:
            if th is not threading.current_thread():
                th.join(timeout=30)
        self._waker.close()
        if self._clock_go.is_set():
            _thaw_garbage_collector()
        self._finish_a11y()
        self._finish_devices()
        enc_error = None
        try:
            self._writer.close_video()
        except Exception as exc:
            enc_error = exc
        self._free_reserve()
        for problem in self._writer.close_streams():
            self._problem(problem)
        if enc_error is not None or self._encoder_failed:
            # The last fragment may be partial: cut the file back to its last whole fragment.
            repair_fragmented_mp4(self.out / schema.VIDEO)
            if enc_error is not None and _is_disk_full(enc_error):
                self._problem("The disk is full: the recording was stopped and saved.")
        try:
            self._write_final_manifest()
        finally:
            if self._trace is not None:
                self._trace.close()
            self._done.set()

    def _write_final_manifest(self) -> None:
        duration_us = self._us(self._stop_ns or time.monotonic_ns())
        # The achieved rate counts from the first grab (capture starts a little after t=0,
        # once the encoder and listeners are up) to the stop, pauses excluded.
        first_us = self._us(self._first_grab_ns) if self._first_grab_ns else 0
        secs = max((duration_us - first_us) / 1e6 - self._paused_ns / 1e9, 1e-9)
        fps = round(self._writer.grabs / secs, 3)
        capture = {**self._manifest["capture"], "fps_achieved": fps}
        capture.update({k: v for k, v in self._capture_info.items() if k != "method_at_end"})
        if "method_at_end" in self._capture_info:
            capture["method"] = self._capture_info["method"]
        try:
            self._manifest = self._writer.finish(
                {"ended_utc": iso(utc_now()), "duration_us": duration_us,
                 "pauses": self._pauses, "problems": list(self._problems),
                 "stop_reason": self._stop_reason, "capture": capture,
                 "a11y": dict(self._a11y_info), "input_devices": dict(self._devices_info)},
                {"fps_achieved": fps, "dropped_deadlines": self._dropped_deadlines,
                 "encoder_dropped": self._encoder_dropped})
        except OSError as exc:
            self._problem(f"Could not write the final manifest: {exc}")
            raise AnnotatorError(
                f"The recording in {self.out} could not be finalized: {exc}.",
                f"Free some disk space, then run `annotator recover {self.out}`.",
            ) from exc


# Recordings under way in this process that froze the garbage collector's objects.
_frozen = [0]
_frozen_lock = threading.Lock()


def _freeze_garbage_collector() -> None:
    """Collect the garbage of start-up (a full collection of an app's objects holds the GIL
    for 30 ms and more: the capture thread waits that long), then leave every object alive
    now out of later collections (``gc.freeze``): while recording, a full collection looks
    only at what the recording made.  Undone when the last recording of the process ends."""
    with _frozen_lock:
        if _frozen[0] == 0:
            gc.collect()
            gc.freeze()
        _frozen[0] += 1


def _thaw_garbage_collector() -> None:
    with _frozen_lock:
        _frozen[0] -= 1
        if _frozen[0] == 0:
            gc.unfreeze()


def _tick_trace() -> Any:
    """ANNOTATOR_BENCH_TICK_TRACE: a file where benchmarks/record_overhead.py --trace has
    the recorder write the timeline of its threads (annotator/capture/tick_trace.py)."""
    from annotator import settings

    path = settings.current().bench_tick_trace
    if path is None:
        return None
    from annotator.capture.tick_trace import TickTrace

    return TickTrace(path)


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left" in text or "file too large" in text or "quota" in text


def _name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` (``ann-capture``...) as the OS sees it, so that
    per-thread CPU in ``top -H`` or /proc/PID/task/*/comm says which of the recorder's
    threads spent it (Python 3.11 leaves them all named after the process)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.replace("annotator-", "ann-")[:15].encode(), 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass  # (not Linux: names are for diagnosis only)

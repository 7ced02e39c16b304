"""The recorder: screen, input and window focus into a crash-safe bundle.

Threads, and why:
- capture: grabs on a fixed schedule (deadline-paced), masks deny-listed and own windows,
  skips unchanged grabs, converts to I420 and queues the frame; it never waits on the encoder.
- encode: PyAV/x264 encodes queued frames into the fragmented MP4.
- monitor: 10 times a second polls the focused and visible windows (focus changes, the
  deny-list), flushes the append-only streams, and checks health (input listeners alive,
  frames arriving, disk space).
- pynput's own listener threads: their callbacks only stamp, convert and queue.
- a11y (annotator/capture/a11y.py, when an accessibility bus exists): hit tests of presses
  and keyboard focus over AT-SPI.  While it runs, every event waits in a short FIFO (about
  30 ms, until the worker has caught up) before it is written, so that a key typed right
  after a click or Tab is judged by the focus that click or Tab caused: keys typed into a
  password field are written masked, and the field is blacked out of frames.

While paused nothing is read into the bundle: the capture thread does not grab and the input
callbacks return at once.  One monotonic clock stamps frames and events; times in the bundle
are microseconds since the start.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import platform
import queue
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

import annotator
from annotator.bundle import schema
from annotator.bundle.jsonl import JsonlWriter
from annotator.bundle.mp4 import repair_fragmented_mp4
from annotator.capture.denylist import DenyList
from annotator.capture.encoder import VideoEncoder
from annotator.capture.interfaces import Display, Rect, WindowInfo
from annotator.errors import AnnotatorError, OutputFolderError
from annotator.workspace import check_writable, ensure_private_dir, write_json_atomic

DISK_WARN_BYTES = 500 * 1024 * 1024
DISK_STOP_BYTES = 64 * 1024 * 1024
RESERVE_BYTES = 4 * 1024 * 1024
KEEPALIVE_INTERVAL_S = 0.15
KEEPALIVE_WINDOW_S = 1.6
FRAMES_STALL_S = 2.0
# A key released up to this long after a masked press is masked too (its name could differ
# from the press's: "!" down, "1" up once shift is let go first).
MASKED_HELD_S = 2.0

# Global hotkeys (X11 key names as pynput reports them).
HOTKEY_PAUSE = ("ctrl", "alt", "p")
HOTKEY_STOP = ("ctrl", "alt", "s")


def hotkey_label(keys: tuple[str, ...]) -> str:
    return "+".join(k.capitalize() if len(k) > 1 else k.upper() for k in keys)


@dataclass
class RecordConfig:
    out_dir: Path
    fps: float = 30.0
    screen: int | None = None
    region: Rect | None = None
    duration_s: float | None = None
    preset: str = "veryfast"
    crf: int = 23
    gop: int = 150
    deny: DenyList = field(default_factory=DenyList)
    acknowledgement: dict[str, Any] | None = None
    force: bool = False
    # Below disk_stop_bytes free, the recording stops cleanly; the reserve file is deleted on
    # a full disk so that the bundle can still be finalized.
    disk_warn_bytes: int = DISK_WARN_BYTES
    disk_stop_bytes: int = DISK_STOP_BYTES
    reserve_bytes: int = RESERVE_BYTES
    # Accessibility (AT-SPI): the element under each press, focus, password masking.
    a11y: bool = True


@dataclass
class RecorderStatus:
    state: str  # "idle", "recording", "paused", "stopped"
    elapsed_s: float
    pause_reason: str | None
    frames_stored: int
    grabs: int
    events: int
    problems: list[str]
    stop_reason: str | None


def resolve_region(displays: list[Display], virtual: Rect, screen: int | None,
                   region: Rect | None) -> tuple[Rect, Display]:
    """The capture rectangle (root-window coordinates, even size) and its display."""
    if not displays:
        raise AnnotatorError("The X server reports no screens to record.")
    if screen is not None and region is not None:
        raise AnnotatorError("Give either --screen or --region, not both.")
    if screen is not None:
        if not 1 <= screen <= len(displays):
            raise AnnotatorError(
                f"There is no screen {screen}: this desktop has {len(displays)} "
                f"screen(s), numbered 1 to {len(displays)}.",
                "Choose one of those with --screen N.",
            )
        disp = displays[screen - 1]
        rect = disp.rect
    elif region is not None:
        if region.width < 2 or region.height < 2:
            raise AnnotatorError(
                f"The region {region.width}x{region.height} is too small to record.",
                "Give --region X,Y,W,H with a width and height of at least 2 pixels.",
            )
        inside = virtual.intersect(region)
        if inside != region:
            raise AnnotatorError(
                f"The region {region.x},{region.y},{region.width},{region.height} lies "
                f"outside the screen, which spans {virtual.x},{virtual.y} to "
                f"{virtual.x + virtual.width},{virtual.y + virtual.height}.",
                "Give a region that fits on the screen (X,Y,W,H in pixels).",
            )
        rect = region
        disp = next((d for d in displays if d.rect.contains(region.x, region.y)), displays[0])
    else:
        disp = displays[0]
        rect = disp.rect
    # yuv420p needs an even width and height: drop the last odd column or row.
    return Rect(rect.x, rect.y, rect.width - rect.width % 2, rect.height - rect.height % 2), disp


def prepare_output_dir(path: Path, force: bool) -> None:
    """Refuse a non-empty folder unless forced; make sure the folder is writable."""
    if path.exists() and not path.is_dir():
        raise OutputFolderError(
            f"{path} exists and is not a folder.", "Choose a new folder with --out."
        )
    if path.is_dir() and any(path.iterdir()):
        if not force:
            raise OutputFolderError(
                f"The output folder {path} already exists and is not empty.",
                "Choose a new folder with --out, or add --force to record into it anyway "
                "(files of an earlier recording there will be replaced).",
            )
        for name in (schema.MANIFEST, schema.VIDEO, schema.FRAMES, schema.EVENTS, schema.WINDOWS,
                     schema.ELEMENTS):
            try:
                (path / name).unlink()
            except FileNotFoundError:
                pass
    ensure_private_dir(path)
    check_writable(path)


def _os_info(session: str) -> dict[str, str]:
    # No hostname, user name or hardware ids: the bundle may be shared later.
    return {"system": platform.system(), "release": platform.release(), "session": session}


class Recorder:
    """Record one bundle.  ``start()``, then ``pause()``/``resume()``, then ``stop()``.

    ``own_windows`` returns the recorder's own window rectangles (root coordinates): they are
    blacked out of frames and clicks on them are not recorded.
    """

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
        self._grabs = 0
        self._stored = 0
        self._dropped_deadlines = 0
        self._encoder_dropped = 0
        self._last_grab_ns = 0
        self._masks: list[Rect] = []
        self._own_rects: list[Rect] = []
        self._suppressed_keys: set[str] = set()
        self._suppressed_buttons: set[str] = set()
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(maxsize=8)
        self._threads: list[threading.Thread] = []
        self._encoder: VideoEncoder | None = None
        self._manifest: dict[str, Any] = {}
        self._events_by_kind: dict[str, int] = {}
        # Accessibility: the worker (None when unavailable), events waiting for their key
        # decision (id, t_ns, record; in id order), masked presses not yet released.
        self._a11y_factory = a11y_factory
        self._a11y: Any = None
        self._a11y_info: dict[str, Any] = {}
        self._elements: JsonlWriter | None = None
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
        started = _dt.datetime.now(_dt.UTC)
        self._events = JsonlWriter(self.out / schema.EVENTS)
        self._frames = JsonlWriter(self.out / schema.FRAMES)
        self._windows = JsonlWriter(self.out / schema.WINDOWS)
        self._encoder = VideoEncoder(
            self.out / schema.VIDEO,
            self.region.width,
            self.region.height,
            fps=self.config.fps,
            preset=self.config.preset,
            crf=self.config.crf,
            gop=self.config.gop,
        )
        self._start_a11y()
        self._manifest = {
            "schema_version": schema.SCHEMA_VERSION,
            "id": str(uuid.uuid4()),
            "status": schema.STATUS_RECORDING,
            "app_version": annotator.__version__,
            "created_by": "annotator record",
            "os": _os_info(self._session),
            "clock": {
                "name": "CLOCK_MONOTONIC",
                "unit": "microseconds since start",
                "start_monotonic_ns": self._t0_ns,
                "start_utc": started.isoformat(timespec="microseconds"),
            },
            "started_utc": started.isoformat(timespec="microseconds"),
            "displays": [
                {**d.as_dict(), "captured": d.id == self.display.id} for d in self.displays
            ],
            "capture": {
                "display_id": self.display.id,
                "region": self.region.as_dict(),
                "scale": self.display.scale,
                "fps_requested": self.config.fps,
                "cursor": False,
            },
            "video": {"file": schema.VIDEO, **self._encoder.settings},
            "pauses": [],
            "problems": [],
            "acknowledgement": self.config.acknowledgement,
            "deny_list": list(self.config.deny.all),
            "hotkeys": {"pause_resume": hotkey_label(HOTKEY_PAUSE),
                        "stop": hotkey_label(HOTKEY_STOP)},
            "a11y": dict(self._a11y_info),
        }
        try:
            write_json_atomic(self.out / schema.MANIFEST, self._manifest)
        except BaseException:
            self._stop_a11y()
            raise
        self._state = "recording"
        self._input.start(self._on_input)
        if not self._input.alive():
            self._problem("The input listener did not start: mouse and keyboard are not captured.")
        for name, target in (
            ("annotator-capture", self._capture_loop),
            ("annotator-encode", self._encode_loop),
            ("annotator-monitor", self._monitor_loop),
        ):
            th = threading.Thread(target=target, name=name, daemon=True)
            th.start()
            self._threads.append(th)

    def pause(self, reason: str = "paused by you") -> None:
        with self._lock:
            if self._state != "recording":
                return
            self._state = "paused"
            self._pause_reason = reason
            now = time.monotonic_ns()
            self._pause_started_ns = now
            self._write_event({"kind": "pause", "reason": reason}, now)

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
                frames_stored=self._stored,
                grabs=self._grabs,
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

    def _write_event(self, record: dict[str, Any], t_ns: int) -> int:
        # Caller holds no lock or self._lock (RLock): ids are assigned in order.  With
        # accessibility, events wait in self._pending (in id order) for _commit_pending.
        with self._lock:
            self._event_id += 1
            kind = record["kind"]
            self._events_by_kind[kind] = self._events_by_kind.get(kind, 0) + 1
            if self._a11y is not None:
                self._pending.append((self._event_id, t_ns, record))
            else:
                self._events.write({"id": self._event_id, "t": self._us(t_ns), **record})
            return self._event_id

    def _on_input(self, raw: dict[str, Any]) -> None:
        """Called on pynput's threads: keep it short."""
        if self._state != "recording":
            # Paused or stopped: discard, except the hotkeys that resume or stop.
            self._check_hotkey(raw)
            return
        if self._check_hotkey(raw):
            return
        kind = raw["kind"]
        t_ns = raw.pop("t_ns")
        if kind in ("mouse_down", "mouse_up", "scroll"):
            x, y = raw["x"], raw["y"]
            button = raw.get("button", "wheel")
            if kind == "mouse_down" and any(r.contains(x, y) for r in self._own_rects):
                self._suppressed_buttons.add(button)
                return
            if kind == "mouse_up" and button in self._suppressed_buttons:
                self._suppressed_buttons.discard(button)
                return
            if kind == "scroll" and any(r.contains(x, y) for r in self._own_rects):
                return
        root_xy = (raw["x"], raw["y"]) if "x" in raw else None
        if root_xy is not None:
            raw["x"] = raw["x"] - self.region.x
            raw["y"] = raw["y"] - self.region.y
        eid = self._write_event(raw, t_ns)
        if self._a11y is not None:
            if kind == "mouse_down" and root_xy is not None:
                # Queued to the a11y worker: never a D-Bus call on pynput's thread.
                self._a11y.request_hit(eid, t_ns, root_xy[0], root_xy[1], self._on_a11y_hit)
            elif kind == "key_down" and raw.get("key") == "tab":
                self._a11y.note_focus_key(t_ns)  # keys after it wait for the focus it moves

    def _check_hotkey(self, raw: dict[str, Any]) -> bool:
        """True if the event belongs to one of our hotkeys (and so is not recorded)."""
        kind = raw.get("kind")
        if kind not in ("key_down", "key_up"):
            return False
        key = raw.get("key")
        if kind == "key_up" and key in self._suppressed_keys:
            self._suppressed_keys.discard(key)
            return True
        if kind != "key_down":
            return False
        mods = set(raw.get("mods") or ())
        for combo, action in ((HOTKEY_PAUSE, "pause"), (HOTKEY_STOP, "stop")):
            if key == combo[-1] and mods == set(combo[:-1]):
                # Neither the key nor the releases of its modifiers are recorded.
                self._suppressed_keys.update(combo)
                if action == "pause":
                    self.toggle_pause()
                else:
                    # The owner (CLI loop or control window) sees wait() return and stops.
                    self._request_stop("stopped with the hotkey")
                if self.on_hotkey:
                    self.on_hotkey(action)
                return True
        return False

    # accessibility -------------------------------------------------------------------
    def _start_a11y(self) -> None:
        """Start the AT-SPI worker if this session has an accessibility bus; record in the
        manifest whether it does (and so whether focus, and password masking, are known)."""
        from annotator.capture import a11y

        info: dict[str, Any]
        worker = None
        if not self.config.a11y:
            status = a11y.unavailable("turned off for this recording")
        elif self._a11y_factory is None and (self._session != "x11"
                                             or platform.system() != "Linux"):
            status = a11y.unavailable(f"no AT-SPI on {self._session}")
        else:
            try:
                if self._a11y_factory is not None:
                    worker = self._a11y_factory()
                else:
                    worker = a11y.AtspiWorker(own_pid=os.getpid())
                worker.on_focus = self._on_a11y_focus
                worker.on_problem = self._problem
                status = worker.start()
            except Exception as exc:
                status = a11y.unavailable(f"accessibility could not start: {exc}")
            if not status.available and worker is not None:
                worker.stop()
                worker = None
        info = status.as_dict()
        info["password_masking"] = status.available
        info["elements_file"] = schema.ELEMENTS if status.available else None
        if status.available:
            info["key_buffer_ms"] = a11y.KEY_BUFFER_NS // 1_000_000
            self._elements = JsonlWriter(self.out / schema.ELEMENTS)
        self._a11y_info = info
        self._a11y = worker

    def _stop_a11y(self) -> None:
        if self._a11y is not None:
            try:
                self._a11y.stop()
            except Exception:
                pass

    def _finish_a11y(self) -> None:
        """At stop: decide and write every held event with the worker caught up, then stop
        the worker (which restores the accessibility setting it changed)."""
        worker = self._a11y
        if worker is None:
            return
        with self._lock:
            last = max((worker.timeline.horizon(t) for _, t, r in self._pending
                        if r["kind"] in ("key_down", "key_up")), default=0)
        worker.wait_synced(max(last, time.monotonic_ns()), timeout=1.0)
        self._commit_pending(force=True)
        self._stop_a11y()
        self._commit_pending(force=True)
        self._a11y_info.update({
            "hits": worker.hits,
            "hits_none": worker.hits_none,
            "focus_changes": worker.focus_changes,
            "masked_keys": self._masked_keys,
            "connection_lost": worker.lost,
        })

    def _commit_pending(self, force: bool = False) -> None:
        """Write held events in order, up to the first key that cannot be decided yet."""
        worker = self._a11y
        if worker is None:
            return
        with self._commit_lock, self._lock:
            now = time.monotonic_ns()
            while self._pending:
                eid, t_ns, rec = self._pending[0]
                if rec["kind"] in ("key_down", "key_up"):
                    masked = worker.decide(t_ns, now, force=force)
                    if masked is None:
                        break
                    rec = self._mask_key(rec, masked, t_ns)
                self._pending.popleft()
                self._events.write({"id": eid, "t": self._us(t_ns), **rec})

    def _mask_key(self, rec: dict[str, Any], masked: bool, t_ns: int) -> dict[str, Any]:
        from annotator.capture.x11_input import mask_key_event

        key = rec.get("key")
        if rec["kind"] == "key_down":
            if not masked:
                return rec
            self._masked_held.append((t_ns, key))
        else:
            # The release of a masked press is masked too, even once focus has moved on.
            keep_ns = int(MASKED_HELD_S * 1e9)
            self._masked_held = [(t, k) for t, k in self._masked_held if t_ns - t < keep_ns]
            same = next((i for i, (_, k) in enumerate(self._masked_held) if k == key), None)
            if same is not None:
                del self._masked_held[same]
                masked = True
            elif self._masked_held:
                masked = True  # its name may differ from its press's (shift let go first)
            if not masked:
                return rec
        self._masked_keys += 1
        return mask_key_event(rec)

    def _element_record(self, el: Any) -> dict[str, Any]:
        from annotator.capture.a11y import none_element

        if el.source == "atspi" or el.window is not None:
            win = el.window or WindowInfo(0, "", "", None)
            probe = WindowInfo(0, f"{win.title}\n{el.name or ''}", f"{win.app}\n{el.app or ''}",
                               None)
            if self.config.deny.match(probe):
                el = none_element("a deny-listed window")
        return el.to_record(self.region.x, self.region.y)

    def _on_a11y_hit(self, event_id: int, t_ns: int, el: Any) -> None:
        """On the a11y worker's thread: the element under a recorded press."""
        if self._elements is None:
            return
        self._elements.write({"kind": "hit", "event_id": event_id, "t": self._us(t_ns),
                              **self._element_record(el)})

    def _on_a11y_focus(self, t_ns: int, el: Any, resumed: bool = False) -> None:
        """On the a11y worker's thread: keyboard focus moved (None: to nowhere known)."""
        if self._elements is None or self._state != "recording":
            return  # nothing is read into the bundle while paused
        if el is None:
            reason = "focus unknown" if resumed else "focus left the accessible element"
            rec: dict[str, Any] = {"source": "none", "reason": reason}
        else:
            rec = self._element_record(el)
            rec.pop("latency_us", None)
        if resumed:
            rec["resumed"] = True
        self._elements.write({"kind": "focus", "t": self._us(t_ns), **rec})

    # capture thread ----------------------------------------------------------------
    def _capture_loop(self) -> None:
        try:
            grabber = self._grabber_factory(self.region)
        except Exception as exc:
            self._problem(f"Screen capture could not start: {exc}")
            self._request_stop("screen capture failed")
            return
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
                self._queue.put(None)
                return
        interval_ns = int(1e9 / self.config.fps)
        next_ns = time.monotonic_ns()
        prev_raw: bytearray | None = None
        last_stored_pts = -1
        last_stored_frame: np.ndarray | None = None
        last_change_ns = 0
        last_keepalive_ns = 0
        region = self.region
        try:
            while not self._stop_event.is_set():
                now = time.monotonic_ns()
                if now < next_ns:
                    time.sleep((next_ns - now) / 1e9)
                    continue
                missed = (now - next_ns) // interval_ns
                if missed:
                    self._dropped_deadlines += int(missed)
                next_ns += (missed + 1) * interval_ns
                if self._state != "recording":
                    prev_raw = None  # the screen after a pause is new content
                    continue
                # Deny-listed windows are located right before each grab, never from a
                # stale list (a window that just appeared must not leak into one frame).
                if masker is not None:
                    self._masks = masker.rects()
                raw, img = grabber.grab()
                t_ns = time.monotonic_ns()  # after the grab: the image predates this stamp
                if self._state != "recording":
                    # Paused during the grab: its stamp would fall inside the pause.
                    prev_raw = None
                    continue
                if self._stop_ns is not None and t_ns > self._stop_ns:
                    break  # stopped during the grab: nothing after the stop belongs in it
                if self._first_grab_ns is None:
                    self._first_grab_ns = t_ns
                masks = self._current_masks(region)
                for m in masks:
                    img[m.y:m.y + m.height, m.x:m.x + m.width] = 0
                changed = prev_raw is None or raw != prev_raw
                prev_raw = raw
                pts = self._us(t_ns)
                store = changed
                if not changed and last_stored_frame is not None:
                    # Keep-alive: repeat the last frame a few times after a change so that
                    # the encoder's lookahead and the open fragment reach the disk.
                    since_change = t_ns - last_change_ns
                    if (since_change < KEEPALIVE_WINDOW_S * 1e9
                            and t_ns - last_keepalive_ns >= KEEPALIVE_INTERVAL_S * 1e9):
                        store = True
                        last_keepalive_ns = t_ns
                if store:
                    if changed:
                        yuv = cv2.cvtColor(img, cv2.COLOR_BGRA2YUV_I420)
                        last_stored_frame = yuv
                        last_change_ns = t_ns
                        last_keepalive_ns = t_ns
                    else:
                        yuv = last_stored_frame
                    try:
                        self._queue.put_nowait((yuv, pts))
                        last_stored_pts = pts
                        self._stored += 1
                    except queue.Full:
                        self._encoder_dropped += 1
                        store = False
                        if changed:
                            prev_raw = None  # make sure the next grab is stored
                self._grabs += 1
                self._last_grab_ns = t_ns
                self._frames.write(
                    {
                        "i": self._grabs - 1,
                        "t": pts,
                        "pts": pts if store else (last_stored_pts if last_stored_pts >= 0 else None),
                        "stored": store,
                        "changed": changed,
                        "file": schema.VIDEO,
                    }
                )
        except Exception as exc:  # an X error, out of memory...
            self._problem(f"Screen capture stopped: {exc}")
            self._request_stop("screen capture failed")
        finally:
            grabber.close()
            if masker is not None:
                masker.close()
            self._queue.put(None)

    def _current_masks(self, region: Rect) -> list[Rect]:
        """Rectangles to black out, in frame coordinates."""
        out = []
        password = self._a11y.password_rects() if self._a11y is not None else []
        for r in (*self._masks, *self._own_rects, *password):
            hit = region.intersect(r)
            if hit is not None:
                out.append(Rect(hit.x - region.x, hit.y - region.y, hit.width, hit.height))
        return out

    # encode thread -------------------------------------------------------------------
    def _encode_loop(self) -> None:
        enc = self._encoder
        assert enc is not None
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._encoder_failed:
                continue
            yuv, pts = item
            try:
                enc.encode_i420(yuv, pts)
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
        last_flush = 0.0
        while not self._stop_event.wait(0.1):
            now_ns = time.monotonic_ns()
            self._commit_pending()
            # Own windows: masked and their clicks dropped.
            try:
                self._own_rects = list(self.own_windows())
            except Exception:
                pass
            if windows is not None:
                try:
                    last_focus = self._poll_windows(windows, now_ns, last_focus)
                except Exception as exc:
                    self._problem(f"Window tracking failed: {exc}")
            # Health.
            if self._state == "recording":
                if not self._input.alive():
                    self._problem("The input listener stopped: mouse and keyboard are no "
                                  "longer captured.")
                if self._last_grab_ns and now_ns - self._last_grab_ns > FRAMES_STALL_S * 1e9:
                    self._problem("Frames stopped arriving from the screen.")
            if self.config.duration_s is not None and self.elapsed_s() >= self.config.duration_s:
                self._request_stop("duration reached")
            if time.monotonic() - last_flush >= 0.5:
                last_flush = time.monotonic()
                try:
                    for w in (self._events, self._frames, self._windows, self._elements):
                        if w is not None:
                            w.flush()
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
        if windows is not None:
            windows.close()

    def _poll_windows(self, windows: Any, now_ns: int, last: tuple[Any, ...] | None):
        focused = windows.focused()
        own = self._own_rects
        is_own = focused is not None and focused.rect is not None and focused.rect in own
        key = None if focused is None else (focused.window_id, focused.title, focused.app)
        if key != last and not is_own and self._state == "recording":
            rect = None
            if focused is not None and focused.rect is not None:
                r = focused.rect
                rect = [r.x - self.region.x, r.y - self.region.y, r.width, r.height]
            self._windows.write(
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

    # stopping ------------------------------------------------------------------------
    def _request_stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
            if self._stop_ns is None:
                self._stop_ns = time.monotonic_ns()
        self._stop_event.set()

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
        self._input.stop()
        for th in self._threads:
            if th is not threading.current_thread():
                th.join(timeout=30)
        self._finish_a11y()
        enc_error = None
        if self._encoder is not None:
            try:
                self._encoder.close()
            except Exception as exc:
                enc_error = exc
        self._free_reserve()
        for w in (self._events, self._frames, self._windows, self._elements):
            if w is None:
                continue
            try:
                w.close()
            except OSError as exc:
                self._problem(f"Could not write {w.path.name}: {exc}")
        if enc_error is not None or self._encoder_failed:
            # The last fragment may be partial: cut the file back to its last whole fragment.
            repair_fragmented_mp4(self.out / schema.VIDEO)
            if enc_error is not None and _is_disk_full(enc_error):
                self._problem("The disk is full: the recording was stopped and saved.")
        ended = _dt.datetime.now(_dt.UTC)
        duration_us = self._us(self._stop_ns or time.monotonic_ns())
        # The achieved rate counts from the first grab (capture starts a little after t=0,
        # once the encoder and listeners are up) to the stop, pauses excluded.
        first_us = self._us(self._first_grab_ns) if self._first_grab_ns else 0
        secs = max((duration_us - first_us) / 1e6 - self._paused_ns / 1e9, 1e-9)
        self._manifest.update(
            {
                "status": schema.STATUS_COMPLETE,
                "ended_utc": ended.isoformat(timespec="microseconds"),
                "duration_us": duration_us,
                "pauses": self._pauses,
                "problems": list(self._problems),
                "stop_reason": self._stop_reason,
                "stats": {
                    "grabs": self._grabs,
                    "frames_stored": self._stored,
                    "fps_achieved": round(self._grabs / secs, 3),
                    "dropped_deadlines": self._dropped_deadlines,
                    "encoder_dropped": self._encoder_dropped,
                    "events": self._event_id,
                    "events_by_kind": dict(sorted(self._events_by_kind.items())),
                },
            }
        )
        self._manifest["capture"]["fps_achieved"] = self._manifest["stats"]["fps_achieved"]
        self._manifest["a11y"] = dict(self._a11y_info)
        try:
            write_json_atomic(self.out / schema.MANIFEST, self._manifest)
        except OSError as exc:
            self._problem(f"Could not write the final manifest: {exc}")
            raise AnnotatorError(
                f"The recording in {self.out} could not be finalized: {exc}.",
                f"Free some disk space, then run `annotator recover {self.out}`.",
            ) from exc
        finally:
            self._done.set()


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left" in text or "file too large" in text or "quota" in text

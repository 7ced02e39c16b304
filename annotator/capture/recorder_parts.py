"""What the parts of ``Recorder`` share (annotator/capture/recorder.py): the state that
``Recorder.__init__`` sets and the methods it defines, declared once so that the input path
(``InputEventsMixin``) and the capture thread (``CaptureMixin``) are type-checked against
it.  Declarations only: nothing here exists at run time but the class itself."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from annotator.capture.interfaces import Rect
from annotator.capture.record_setup import RecordConfig


class RecorderParts:
    config: RecordConfig
    region: Rect
    on_hotkey: Callable[[str], None] | None
    _session: str
    _lock: threading.RLock
    _state: str
    _event_id: int
    _writer: Any  # the BundleWriter, once started
    _pending: deque[tuple[int, int, dict[str, Any]]]
    _commit_lock: threading.Lock
    _masked_held: list[tuple[int, str | None]]
    _masked_keys: int
    _own_rects: list[Rect]
    _suppressed_keys: set[str]
    _suppressed_buttons: set[str]
    _a11y_factory: Callable[[], Any] | None
    _a11y: Any
    _devices_factory: Callable[[], Any] | None
    _devices: Any
    _grabber_factory: Callable[[Rect], Any]
    _masker_factory: Callable[[Callable[[Any], Any]], Any] | None
    _damage_factory: Callable[[Rect], Any] | None
    _damage_reason: str | None
    _capture_info: dict[str, Any]
    _queue: queue.Queue[tuple[np.ndarray, int] | None]
    _stop_event: threading.Event
    _stop_ns: int | None
    _first_grab_ns: int | None
    _dropped_deadlines: int
    _encoder_dropped: int
    _last_grab_ns: int
    _last_input_ns: int
    _waker: Any  # screen_capture.Waker
    _pause_started_ns: int | None
    _capture_ready: threading.Event
    _clock_go: threading.Event
    _trace: Any  # tick_trace.TickTrace in benchmarks, else None

    if TYPE_CHECKING:
        def _us(self, t_ns: int) -> int: ...
        def _problem(self, text: str) -> None: ...
        def _request_stop(self, reason: str) -> None: ...
        def toggle_pause(self) -> None: ...

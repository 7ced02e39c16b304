"""Which kind of input device each recorded event came from, on X11 (XInput2 raw events).

pynput (XRecord) reports what happened, not from which device, and its ``injected`` flag
does not see input made through the XTEST extension (xdotool, pynput's own controller, VNC
servers).  XInput2 *raw* events do: selected on the root window they arrive for every
device event, whatever window has the pointer or a grab, and carry the source (slave)
device.  This module keeps a short timeline of them on its own X connection and thread,
and the recorder asks it, per event and in order, for the device class:

- ``keyboard``, ``mouse``, ``touchpad``, ``touchscreen``, ``pen``, ``other``: a device the
  X server reads from hardware (classified from its XInput classes and name);
- ``virtual``: a device that a program created (uinput: ydotool, remote-desktop daemons);
  it looks like hardware to X, so only its name tells;
- ``xtest``: the X server's XTEST devices: input a program injected (synthetic);
- ``warp``: the pointer moved with no device moving it (a program's XWarpPointer; xdotool
  mousemove does this) (synthetic);
- ``unknown``: no raw event matched (a key's autorepeat is given its press's device).
Only these classes reach a bundle, never a device's name.

Matching: X server timestamps are milliseconds on the server's monotonic clock; an offset
measured at start (a PropertyNotify round trip) maps them onto ours.  Presses and releases
match the oldest unclaimed raw event of the same kind (and button) within ``WINDOW_BEFORE_NS``
before the event; a pointer move matches the latest raw motion just before it.
"""

from __future__ import annotations

import os
import selectors
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

KEYBOARD, MOUSE, TOUCHPAD, TOUCHSCREEN, PEN, OTHER = (
    "keyboard", "mouse", "touchpad", "touchscreen", "pen", "other")
VIRTUAL, XTEST, WARP, UNKNOWN = "virtual", "xtest", "warp", "unknown"
SCRIPTED = "scripted"  # the demo's made-up input (annotator demo)
SYNTHETIC = frozenset({XTEST, WARP, SCRIPTED})
CLASSES = (KEYBOARD, MOUSE, TOUCHPAD, TOUCHSCREEN, PEN, OTHER, VIRTUAL, XTEST, WARP, SCRIPTED,
           UNKNOWN)

# XInput2 protocol numbers (XI2.h).
_RAW_KEY_PRESS, _RAW_KEY_RELEASE, _RAW_BUTTON_PRESS, _RAW_BUTTON_RELEASE, _RAW_MOTION = (
    13, 14, 15, 16, 17)
_HIERARCHY_CHANGED = 11
_ALL_DEVICES, _ALL_MASTER_DEVICES = 0, 1
_KEY_CLASS, _BUTTON_CLASS, _VALUATOR_CLASS, _TOUCH_CLASS = 0, 1, 2, 8
_DIRECT_TOUCH = 1
_SLAVE_POINTER, _SLAVE_KEYBOARD = 3, 4

WINDOW_BEFORE_NS = 400_000_000  # a raw event at most this long before its core event
WINDOW_AFTER_NS = 60_000_000  # ...or this long after (clock offset, ms rounding, XRecord
# delivering a press and its release together although they were milliseconds apart)
MOTION_WINDOW_NS = 40_000_000  # a move with no raw motion this close before it: a warp
MOTION_AFTER_NS = 15_000_000
WAIT_NS = 300_000_000  # an event waits at most this long for its raw event to be read
KEEP_NS = 2_000_000_000
REPEAT_NS = 2_000_000_000  # a key with no raw event this soon after a matched key: repeat

_BUTTONS = {"left": 1, "middle": 2, "right": 3, "scroll_up": 4, "scroll_down": 5,
            "scroll_left": 6, "scroll_right": 7, "x1": 8, "x2": 9}


def button_number(name: str | None) -> int | None:
    if name is None:
        return None
    if name in _BUTTONS:
        return _BUTTONS[name]
    if name.startswith("button") and name[6:].isdigit():
        return int(name[6:])
    return None


def classify(name: str, use: int, classes: list[tuple[int, int]], xtest: bool) -> str:
    """The class of a slave device from its XInput description (``classes``: (type, touch
    mode) pairs).  The name is read here and never stored."""
    if xtest:
        return XTEST
    n = name.lower()
    if any(w in n for w in ("uinput", "virtual", "ydotool", "xdotool", "synthetic")):
        return VIRTUAL
    if any(w in n for w in ("pen", "stylus", "eraser", "wacom", "tablet")):
        return PEN
    touch = [mode for kind, mode in classes if kind == _TOUCH_CLASS]
    if touch:
        return TOUCHSCREEN if _DIRECT_TOUCH in touch else TOUCHPAD
    if any(w in n for w in ("touchpad", "trackpad", "synaptics", "glidepoint")):
        return TOUCHPAD
    if "touchscreen" in n or "touch screen" in n:
        return TOUCHSCREEN
    kinds = {k for k, _ in classes}
    if use == _SLAVE_KEYBOARD or (_KEY_CLASS in kinds and _BUTTON_CLASS not in kinds):
        if any(w in n for w in ("button", "video bus", "hotkey", "switch")):
            return OTHER
        return KEYBOARD
    if use == _SLAVE_POINTER or _BUTTON_CLASS in kinds or _VALUATOR_CLASS in kinds:
        return MOUSE
    return OTHER


@dataclass
class _Raw:
    t_ns: int
    detail: int
    device: str
    claimed: bool = False


class XInputDevices:
    """Raw-event timeline of one X display.  ``start()`` says whether XInput2 is usable
    (``available``, ``reason``); then ``device_for`` may be called from any one thread."""

    def __init__(self, display_name: str | None = None) -> None:
        self.display_name = display_name
        self.available = False
        self.reason: str | None = "not started"
        self._lock = threading.Lock()
        self._raw: dict[int, deque[_Raw]] = {k: deque() for k in (
            _RAW_KEY_PRESS, _RAW_KEY_RELEASE, _RAW_BUTTON_PRESS, _RAW_BUTTON_RELEASE,
            _RAW_MOTION)}
        self._classes: dict[int, str] = {}
        self._offset_ms = 0
        self._synced_ns = 0
        self._last_key: tuple[int, str] | None = None
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._d: Any = None
        self.lost: str | None = None

    # -- life ----------------------------------------------------------------------------
    def start(self) -> bool:
        try:
            self._open()
        except Exception as exc:
            self.reason = f"XInput2 raw events are not available: {exc}"
            self._close_display()
            return False
        self.available = True
        self.reason = None
        self._synced_ns = time.monotonic_ns()
        self._thread = threading.Thread(target=self._run, name="annotator-devices",
                                        daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(2.0)
        self._close_display()
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _close_display(self) -> None:
        if self._d is not None:
            try:
                self._d.close()
            except Exception:
                pass
            self._d = None

    def _open(self) -> None:
        from Xlib import X, display
        from Xlib.ext import xinput
        from Xlib.protocol import rq

        d = display.Display(self.display_name)
        self._d = d
        info = d.query_extension("XInputExtension")
        if not info.present:
            raise RuntimeError("the X server has no XInputExtension")
        # Announce XInput 2.2: from 2.1 on, raw events reach the root window during grabs
        # too (with 2.0 a press's implicit grab hides its release from us).
        version = xinput.XIQueryVersion(display=d.display, opcode=info.major_opcode,
                                        major_version=2, minor_version=2)
        if version.major_version < 2:
            raise RuntimeError(f"XInput {version.major_version}.{version.minor_version} "
                               "has no raw events (2.0 needed)")
        if (version.major_version, version.minor_version) < (2, 1):
            raise RuntimeError(f"XInput {version.major_version}.{version.minor_version} hides "
                               "raw events during grabs (2.1 needed)")
        raw = rq.Struct(rq.Card16("deviceid"), rq.Card32("time"), rq.Card32("detail"),
                        rq.Card16("sourceid"), rq.Card16("valuators_len"),
                        rq.Card32("flags"))
        for ev in self._raw:
            d.ge_add_event_data(info.major_opcode, ev, raw)
        self._opcode = info.major_opcode
        self._read_devices()
        root = d.screen().root
        mask = sum(1 << ev for ev in self._raw)
        root.xinput_select_events([(_ALL_MASTER_DEVICES, mask),
                                   (_ALL_DEVICES, xinput.HierarchyChangedMask)])
        # The server's clock against ours: a property change on a window of our own comes
        # back as a PropertyNotify stamped with the server's time.
        win = root.create_window(-10, -10, 1, 1, 0, 0, X.InputOnly, X.CopyFromParent,
                                 event_mask=X.PropertyChangeMask)
        atom = d.intern_atom("_ANNOTATOR_CLOCK")
        best: tuple[int, int] | None = None  # (round trip, offset) of the quickest of five
        deadline = time.monotonic() + 2.0
        for _ in range(5):
            before = time.monotonic_ns()
            win.change_property(atom, atom, 8, b"t")
            d.flush()
            while True:
                e = d.next_event()
                if e.type == X.PropertyNotify and e.window.id == win.id:
                    after = time.monotonic_ns()
                    local_ms = (before + after) // 2 // 1_000_000
                    offset = (e.time - local_ms) & 0xFFFFFFFF
                    if best is None or after - before < best[0]:
                        best = (after - before, offset)
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the X server did not answer a property change")
        assert best is not None  # five answers, or the RuntimeError above
        self._offset_ms = best[1]
        win.destroy()
        d.flush()

    def _read_devices(self) -> None:
        d = self._d
        devices = d.xinput_query_device(_ALL_DEVICES).devices
        xtest_atom = d.get_atom("XTEST Device", only_if_exists=True)
        out = {}
        for dev in devices:
            if dev.use not in (_SLAVE_POINTER, _SLAVE_KEYBOARD, 5):
                continue
            xtest = False
            if xtest_atom:
                try:
                    props = d.xinput_list_device_properties(dev.deviceid).atoms
                    xtest = xtest_atom in props
                except Exception:
                    xtest = False
            classes = [(c.type, getattr(c, "mode", 0) or 0) for c in dev.classes]
            name = dev.name.decode("utf-8", "replace") if isinstance(dev.name, bytes) \
                else str(dev.name)
            out[dev.deviceid] = classify(name, dev.use, classes, xtest)
        with self._lock:
            self._classes = out

    # -- thread --------------------------------------------------------------------------
    def _run(self) -> None:
        d = self._d
        sel = selectors.DefaultSelector()
        sel.register(d.fileno(), selectors.EVENT_READ, "x")
        sel.register(self._stop_r, selectors.EVENT_READ, "stop")
        try:
            while True:
                t_check = time.monotonic_ns()
                n = d.pending_events()
                if n == 0:
                    self._synced_ns = t_check  # everything sent before t_check was read
                    ready = sel.select(0.5)
                    if any(k.data == "stop" for k, _ in ready):
                        return
                    continue
                for _ in range(n):
                    self._handle(d.next_event())
        except Exception as exc:  # the X connection broke: events say "unknown" from now
            self.lost = str(exc)
        finally:
            self.available = False
            sel.close()

    def _handle(self, e: Any) -> None:
        if e.type != 35 or getattr(e, "extension", None) != self._opcode:
            return
        if e.evtype == _HIERARCHY_CHANGED:
            self._read_devices()
            return
        q = self._raw.get(e.evtype)
        data = e.data
        if q is None or isinstance(data, (bytes, str)):
            return
        now = time.monotonic_ns()
        t_ns = self._local_ns(data.time, now)
        with self._lock:
            cls = self._classes.get(data.sourceid, UNKNOWN)
            q.append(_Raw(t_ns, data.detail, cls))
            while q and q[0].t_ns < now - KEEP_NS:
                q.popleft()

    def _local_ns(self, server_ms: int, now_ns: int) -> int:
        now_ms = now_ns // 1_000_000
        delta = (server_ms - self._offset_ms - now_ms) & 0xFFFFFFFF
        if delta >= 1 << 31:
            delta -= 1 << 32
        return (now_ms + delta) * 1_000_000

    # -- matching (the recorder's commit thread) -----------------------------------------
    def device_for(self, kind: str, t_ns: int, button: int | None = None,
                   now_ns: int | None = None) -> tuple[str, int | None] | None:
        """``(device class, time)`` of an event stamped ``t_ns``: the time is when the X
        server saw the press or release it matched (on our clock, to the millisecond), or
        None (moves, no match).  None while its raw event may not have been read yet.
        Claims the raw event it matched: call in event order."""
        now = time.monotonic_ns() if now_ns is None else now_ns
        if self.available and self._synced_ns < t_ns + WINDOW_AFTER_NS \
                and now - t_ns < WAIT_NS:
            return None
        with self._lock:
            return self._match(kind, t_ns, button)

    def _match(self, kind: str, t_ns: int, button: int | None) -> tuple[str, int | None]:
        lo, hi = t_ns - WINDOW_BEFORE_NS, t_ns + WINDOW_AFTER_NS
        if kind == "mouse_move":
            best = None
            for r in self._raw[_RAW_MOTION]:
                if r.t_ns > t_ns + MOTION_AFTER_NS:
                    break
                best = r
            if best is not None and best.t_ns >= t_ns - MOTION_WINDOW_NS \
                    and best.t_ns <= t_ns + MOTION_AFTER_NS:
                return best.device, None
            return (WARP if self.available or self.lost is None else UNKNOWN), None
        if kind in ("key_down", "key_up"):
            q = self._raw[_RAW_KEY_PRESS if kind == "key_down" else _RAW_KEY_RELEASE]
            key = self._claim(q, lo, hi, None)
            if key is not None:
                self._last_key = (t_ns, key.device)
                return key.device, key.t_ns
            if self._last_key is not None and t_ns - self._last_key[0] < REPEAT_NS:
                return self._last_key[1], None  # autorepeat: no raw event of its own
            return UNKNOWN, None
        if kind in ("mouse_down", "mouse_up", "scroll"):
            q = self._raw[_RAW_BUTTON_RELEASE if kind == "mouse_up" else _RAW_BUTTON_PRESS]
            wanted = (4, 5, 6, 7) if kind == "scroll" else (button,)
            press = self._claim(q, lo, hi, wanted)
            if press is not None:
                return press.device, press.t_ns
            if kind == "scroll":  # smooth scrolling: scroll valuators come as raw motion
                for m in reversed(self._raw[_RAW_MOTION]):
                    if lo <= m.t_ns <= hi:
                        return m.device, None
        return UNKNOWN, None

    @staticmethod
    def _claim(q: deque[_Raw], lo: int, hi: int, details: tuple[Any, ...] | None
               ) -> _Raw | None:
        for r in q:
            if r.t_ns > hi:
                return None
            if r.claimed or r.t_ns < lo:
                continue
            if details is not None and None not in details and r.detail not in details:
                continue
            r.claimed = True
            return r
        return None

    def info(self) -> dict[str, Any]:
        """The manifest's ``input_devices`` section (classes only, never names)."""
        if not self.available and self.reason:
            return {"source": "none", "reason": self.reason}
        with self._lock:
            present = sorted(set(self._classes.values()))
        return {"source": "xinput2", "reason": None, "classes_present": present}

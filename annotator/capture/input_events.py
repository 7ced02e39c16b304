"""The recorder's event path: input from pynput's threads to ``events.jsonl``, in order.

- Input callbacks (pynput's threads) only stamp, convert and hand on; presses on the
  recorder's own window and the hotkeys are dropped here.
- While accessibility or device classes are known, every event waits in a short FIFO
  (``_pending``) until it can be written: a key until the focus its click or Tab caused is
  known (keys typed into a password field are written masked), any input event until the
  XInput2 raw event that says which device it came from has been read (``device``,
  ``synthetic``).  ``_commit_pending`` (the monitor thread, every 0.1 s, and at stop)
  writes them in id order.
- The accessibility worker's answers (element under a press, focus) go to elements.jsonl.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any, cast

from annotator.bundle import schema
from annotator.capture.interfaces import WindowInfo
from annotator.capture.record_setup import HOTKEY_PAUSE, HOTKEY_STOP
from annotator.capture.recorder_parts import RecorderParts
from annotator.capture.x11_devices import SYNTHETIC, WAIT_NS, button_number

# A key released up to this long after a masked press is masked too (its name could differ
# from the press's: "!" down, "1" up once shift is let go first).
MASKED_HELD_S = 2.0
INPUT_KINDS = frozenset({"mouse_move", "mouse_down", "mouse_up", "scroll", "key_down",
                         "key_up"})


class InputEventsMixin(RecorderParts):
    """The event path of ``Recorder`` (annotator/capture/recorder.py)."""

    def _write_event(self, record: dict[str, Any], t_ns: int) -> int:
        # Caller holds no lock or self._lock (RLock): ids are assigned in order.  While
        # accessibility or device classes are known, events wait in self._pending (in id
        # order) for _commit_pending.
        with self._lock:
            self._event_id += 1
            if self._a11y is not None or self._devices is not None:
                self._pending.append((self._event_id, t_ns, record))
            else:
                self._writer.event({"id": self._event_id, "t": self._us(t_ns), **record})
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
        self._last_input_ns = t_ns  # the capture thread makes the grab before it a frame
        self._waker.wake(t_ns)
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
        from annotator.capture import a11y, a11y_model

        info: dict[str, Any]
        worker = None
        if not self.config.a11y:
            status = a11y_model.unavailable("turned off for this recording")
        elif self._a11y_factory is None and (self._session != "x11"
                                             or platform.system() != "Linux"):
            status = a11y_model.unavailable(f"no AT-SPI on {self._session}")
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
                status = a11y_model.unavailable(f"accessibility could not start: {exc}")
            if not status.available and worker is not None:
                worker.stop()
                worker = None
        info = status.as_dict()
        info["password_masking"] = status.available
        info["elements_file"] = schema.ELEMENTS if status.available else None
        if status.available:
            info["key_buffer_ms"] = a11y_model.KEY_BUFFER_NS // 1_000_000
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
            self._commit_pending(force=True)
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
        """Write held events in order, up to the first that cannot be decided yet (a key
        whose focus is not known yet, an event whose raw device event is not read yet)."""
        worker, devices = self._a11y, self._devices
        if worker is None and devices is None:
            return
        with self._commit_lock, self._lock:
            now = time.monotonic_ns()
            while self._pending:
                eid, t_ns, rec = self._pending[0]
                kind = rec["kind"]
                masked = None
                if worker is not None and kind in ("key_down", "key_up"):
                    masked = worker.decide(t_ns, now, force=force)
                    if masked is None:
                        break
                t_us = self._us(t_ns)
                if devices is not None and kind in INPUT_KINDS:
                    found = devices.device_for(kind, t_ns, button_number(rec.get("button")),
                                               now_ns=t_ns + WAIT_NS if force else now)
                    if found is None:
                        break
                    dev, server_ns = found
                    rec = {**rec, "device": dev}
                    if dev in SYNTHETIC:
                        rec["synthetic"] = True
                    if server_ns is not None:
                        # The X server's time of the press is closer to the truth than our
                        # listener's, which a busy machine can delay by tens of ms.
                        t_us = min(t_us, max(0, self._us(server_ns)))
                if masked is not None:
                    rec = self._mask_key(rec, masked, t_ns)
                self._pending.popleft()
                self._writer.event({"id": eid, "t": t_us, **rec})

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
        from annotator.capture.a11y_model import none_element

        if el.source == "atspi" or el.window is not None:
            win = el.window or WindowInfo(0, "", "", None)
            probe = WindowInfo(0, f"{win.title}\n{el.name or ''}", f"{win.app}\n{el.app or ''}",
                               None)
            if self.config.deny.match(probe):
                el = none_element("a deny-listed window")
        return cast(dict[str, Any], el.to_record(self.region.x, self.region.y))

    def _on_a11y_hit(self, event_id: int, t_ns: int, el: Any) -> None:
        """On the a11y worker's thread: the element under a recorded press."""
        if not self._a11y_info.get("available"):
            return
        self._writer.element({"kind": "hit", "event_id": event_id, "t": self._us(t_ns),
                              **self._element_record(el)})

    def _on_a11y_focus(self, t_ns: int, el: Any, resumed: bool = False) -> None:
        """On the a11y worker's thread: keyboard focus moved (None: to nowhere known)."""
        if not self._a11y_info.get("available") or self._state != "recording":
            return  # nothing is read into the bundle while paused
        self._waker.wake(t_ns)  # a password field's mask may come or go
        if el is None:
            reason = "focus unknown" if resumed else "focus left the accessible element"
            rec: dict[str, Any] = {"source": "none", "reason": reason}
        else:
            rec = self._element_record(el)
            rec.pop("latency_us", None)
        if resumed:
            rec["resumed"] = True
        self._writer.element({"kind": "focus", "t": self._us(t_ns), **rec})


    # device classes ------------------------------------------------------------------
    def _start_devices(self) -> None:
        """Start reading XInput2 raw events if this session has them; the manifest's
        ``input_devices`` says whether events carry the class of their device."""
        devices = None
        if not self.config.devices:
            info: dict[str, Any] = {"source": "none",
                                    "reason": "turned off for this recording"}
        elif self._devices_factory is None and (self._session != "x11"
                                                or platform.system() != "Linux"):
            info = {"source": "none", "reason": f"no XInput2 on {self._session}"}
        else:
            try:
                if self._devices_factory is not None:
                    devices = self._devices_factory()
                else:
                    from annotator.capture.x11_devices import XInputDevices

                    devices = XInputDevices()
                if not devices.start():
                    info = devices.info()
                    devices = None
                else:
                    info = devices.info()
            except Exception as exc:
                info = {"source": "none", "reason": f"XInput2 could not start: {exc}"}
                devices = None
        self._devices_info = info
        self._devices = devices

    def _finish_devices(self) -> None:
        devices = self._devices
        if devices is None:
            return
        if devices.lost:
            self._problem(f"The input device connection was lost ({devices.lost}): later "
                          "events say their device is unknown.")
        devices.stop()

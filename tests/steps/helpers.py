"""Hand-written raw event streams and synthetic bundles for the steps tests.

``Script`` writes events the way the recorder does (docs/bundle-format.md): increasing ids,
microsecond times, key events with the listener's ``char`` (shift applied, caps lock not)
and ``mods`` (modifiers held before the key).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from annotator.steps import model as m

MODS = {"shift", "ctrl", "alt", "altgr", "cmd"}
SHIFTED = {'!': "1", '@': "2", '#': "3", '$': "4", '%': "5", '^': "6", '&': "7", '*': "8",
           '(': "9", ')': "0", '_': "-", '+': "=", '{': "[", '}': "]", ':': ";", '"': "'",
           '<': ",", '>': ".", '?': "/", '|': "\\", '~': "`"}
NAMED = {" ": "space"}
NON_PRINTING = {"enter", "tab", "escape", "backspace", "delete", "up", "down", "left",
                "right", "home", "end", "pageup", "pagedown", "f1", "f2", "f5", "f12",
                "insert", "keysym_65056", "caps_lock"}

W, H = 800, 600


class Script:
    def __init__(self, t0_ms: float = 1000) -> None:
        self.events: list[dict[str, Any]] = []
        self.t = int(t0_ms * 1000)
        self.mods: set[str] = set()
        self.next_id = 1

    # -- time ----------------------------------------------------------------------------
    def wait(self, ms: float) -> Script:
        self.t += int(ms * 1000)
        return self

    def _add(self, kind: str, **fields: Any) -> int:
        eid = self.next_id
        self.next_id += 1
        self.events.append({"id": eid, "t": self.t, "kind": kind, **fields})
        return eid

    # -- mouse ---------------------------------------------------------------------------
    def move(self, x: int, y: int, ms: float = 16) -> Script:
        self.wait(ms)
        self._add("mouse_move", x=x, y=y)
        return self

    def down(self, x: int, y: int, button: str = "left", ms: float = 10) -> Script:
        self.wait(ms)
        self._add("mouse_down", x=x, y=y, button=button)
        return self

    def up(self, x: int, y: int, button: str = "left", ms: float = 80) -> Script:
        self.wait(ms)
        self._add("mouse_up", x=x, y=y, button=button)
        return self

    def click(self, x: int, y: int, button: str = "left", ms: float = 300,
              hold: float = 80) -> Script:
        return self.down(x, y, button, ms).up(x, y, button, hold)

    def drag(self, points: list[tuple[int, int]], button: str = "left",
             ms: float = 300) -> Script:
        x0, y0 = points[0]
        self.down(x0, y0, button, ms)
        for x, y in points[1:-1]:
            self.move(x, y)
        x1, y1 = points[-1]
        return self.up(x1, y1, button, 16)

    def scroll(self, x: int, y: int, dy: int = 1, dx: int = 0, ms: float = 60) -> Script:
        self.wait(ms)
        self._add("scroll", x=x, y=y, dx=dx, dy=dy)
        return self

    # -- keyboard ------------------------------------------------------------------------
    def key_down(self, key: str, char: str | None = None, ms: float = 30) -> Script:
        self.wait(ms)
        self._add("key_down", key=key, char=char, vk=0, mods=sorted(self.mods))
        if key in MODS:
            self.mods.add(key)
        return self

    def key_up(self, key: str, char: str | None = None, ms: float = 40) -> Script:
        self.wait(ms)
        self._add("key_up", key=key, char=char, vk=0, mods=sorted(self.mods))
        if key in MODS:
            self.mods.discard(key)
        return self

    def press(self, key: str, ms: float = 100) -> Script:
        char = None if key in NON_PRINTING or key in MODS else key
        return self.key_down(key, char, ms).key_up(key, char)

    def type(self, text: str, ms: float = 120) -> Script:
        """Type ``text`` as a person would: shift for capitals and symbols."""
        for ch in text:
            base = SHIFTED.get(ch, ch.lower())
            name = NAMED.get(ch, ch.lower() if ch.isalpha() else ch)
            if ch.isupper() or ch in SHIFTED:
                self.key_down("shift", ms=ms)
                self.key_down(name, ch)
                self.key_up(name, ch)
                self.key_up("shift", ms=10)
            else:
                self.key_down(name, ch, ms)
                self.key_up(name, base if ch != " " else " ")
        return self

    def backspace(self, n: int = 1, ms: float = 120) -> Script:
        for _ in range(n):
            self.press("backspace", ms)
        return self

    def hotkey(self, *keys: str, ms: float = 300) -> Script:
        *mods, key = keys
        for i, k in enumerate(mods):
            self.key_down(k, ms=ms if i == 0 else 20)
        char = None if key in NON_PRINTING else (key.upper() if "shift" in mods else key)
        self.key_down(key, char, ms=20 if mods else ms)
        self.key_up(key, char)
        for k in reversed(mods):
            self.key_up(k, ms=10)
        return self

    # -- markers -------------------------------------------------------------------------
    def pause(self, ms: float = 100) -> Script:
        self.wait(ms)
        self._add("pause", reason="paused by you")
        return self

    def resume(self, ms: float = 1000) -> Script:
        self.wait(ms)
        self._add("resume")
        return self

    def raw(self, kind: str, ms: float = 10, **fields: Any) -> Script:
        self.wait(ms)
        self._add(kind, **fields)
        return self


def frames_every(start_us: int, end_us: int, step_us: int = 33_333,
                 changes: set[int] | None = None) -> list[dict[str, Any]]:
    """A frame index of one grab every ``step_us``; grabs at the indices in ``changes``
    (default: only the first) show new content and are stored."""
    rows = []
    last_pts = None
    changes = {0} if changes is None else changes
    for i, t in enumerate(range(start_us, end_us, step_us)):
        changed = i in changes or i == 0
        if changed:
            last_pts = t
        rows.append({"i": i, "t": t, "pts": last_pts, "stored": changed, "changed": changed,
                     "file": "video.mp4"})
    return rows


def make_bundle(folder: Path, events: list[dict[str, Any]] | Script, *,
                frames: list[dict[str, Any]] | None = None,
                windows: list[dict[str, Any]] | None = None,
                size: tuple[int, int] = (W, H), manifest: dict[str, Any] | None = None,
                extra_lines: list[str] | None = None) -> Path:
    """Write a bundle (manifest, events.jsonl, frames.jsonl, windows.jsonl) into ``folder``."""
    if isinstance(events, Script):
        events = events.events
    folder.mkdir(parents=True, exist_ok=True)
    end = max([e["t"] for e in events if isinstance(e.get("t"), int)] + [0]) + 2_000_000
    if frames is None:
        frames = frames_every(0, end)
    w, h = size
    man = {
        "schema_version": 1,
        "id": str(uuid.UUID(int=len(events) + 7)),
        "status": "complete",
        "app_version": "0.1.0",
        "created_by": "annotator record",
        "duration_us": end,
        "displays": [{"id": ":0.0", "origin_x": 0, "origin_y": 0, "width_px": w,
                      "height_px": h, "scale": 1.0, "captured": True}],
        "capture": {"display_id": ":0.0", "region": {"x": 0, "y": 0, "width": w, "height": h},
                    "scale": 1.0, "fps_requested": 30, "cursor": False},
        "video": {"file": "video.mp4"},
        "pauses": [],
        "problems": [],
    }
    man.update(manifest or {})
    (folder / "manifest.json").write_text(json.dumps(man))
    lines = [json.dumps(e) for e in events] + list(extra_lines or [])
    (folder / "events.jsonl").write_text("".join(line + "\n" for line in lines))
    (folder / "frames.jsonl").write_text("".join(json.dumps(f) + "\n" for f in frames))
    (folder / "windows.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in (windows or [])))
    return folder


def summary(s: m.Step) -> tuple:
    """A step as a short tuple for table-driven comparisons."""
    t = s.type
    if t in (m.CLICK, m.DOUBLE_CLICK, m.TRIPLE_CLICK, m.RIGHT_CLICK, m.MIDDLE_CLICK):
        return (t, s.x, s.y) + ((tuple(s.keys),) if s.keys else ())
    if t == m.DRAG:
        return (t, (s.path[0]["x"], s.path[0]["y"]), (s.path[-1]["x"], s.path[-1]["y"]))
    if t == m.SCROLL:
        return (t, s.x, s.y, s.scroll_dx, s.scroll_dy)
    if t == m.TYPE:
        return (t, s.text)
    if t in (m.KEY, m.HOTKEY):
        return (t, "+".join(s.keys)) + ((s.repeat,) if s.repeat > 1 else ())
    if t == m.WAIT:
        return (t,)
    return (t, s.terminal_status)

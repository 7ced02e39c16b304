"""Raw input events -> steps: one deterministic pass over the events in time order.

The rules and thresholds are documented in docs/steps-format.md ("Derivation").  This
module knows nothing of frames or files: ``derive_events`` takes event dicts as the bundle
stores them (docs/bundle-format.md, events.jsonl) and the focus records of windows.jsonl.

Ownership of raw events: every press, release and wheel event ends up in exactly one step's
``raw_event_ids`` or in exactly one ``dropped`` category (lone modifiers, orphan releases,
input outside the captured area, ...), so a merge can always be explained and undone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from annotator.steps import model as m

MODIFIERS = frozenset({"shift", "ctrl", "alt", "altgr", "cmd"})
# Modifiers that turn a key into a command (hotkey).  Shift and AltGr only select characters.
COMMAND_MODIFIERS = frozenset({"ctrl", "alt", "cmd"})
MODIFIER_ORDER = {"ctrl": 0, "alt": 1, "altgr": 2, "shift": 3, "cmd": 4}
LOCK_KEYS = frozenset({"caps_lock", "num_lock", "scroll_lock"})

# Key names as X/pynput may report them -> canonical names (formats.md "keys").  Shift+Tab,
# for instance, is pressed as ISO_Left_Tab (keysym 0xfe20) and released as "tab".
KEY_ALIASES: dict[str, str] = {
    "keysym_65056": "tab",
    "iso_left_tab": "tab",
    "return": "enter",
    "kp_enter": "enter",
    "keysym_65421": "enter",
    "esc": "escape",
    "page_up": "pageup",
    "page_down": "pagedown",
    "prior": "pageup",
    "next": "pagedown",
    "shift_l": "shift",
    "shift_r": "shift",
    "ctrl_l": "ctrl",
    "ctrl_r": "ctrl",
    "control_l": "ctrl",
    "control_r": "ctrl",
    "alt_l": "alt",
    "alt_r": "alt",
    "alt_gr": "altgr",
    "mode_switch": "altgr",
    "iso_level3_shift": "altgr",
    "cmd_l": "cmd",
    "cmd_r": "cmd",
    "super_l": "cmd",
    "super_r": "cmd",
}

CLICK_TYPES = {"left": m.CLICK, "right": m.RIGHT_CLICK, "middle": m.MIDDLE_CLICK}
MULTI_CLICK_TYPES = {1: m.CLICK, 2: m.DOUBLE_CLICK, 3: m.TRIPLE_CLICK}

# Dropped-event categories (``Derivation.dropped``).
DROP_OUTSIDE = "outside_area"
DROP_LONE_MODIFIER = "lone_modifier"
DROP_ORPHAN_RELEASE = "orphan_release"
DROP_EMPTY_SCROLL = "empty_scroll"
DROP_MALFORMED = "malformed"
DROP_CATEGORIES = (DROP_OUTSIDE, DROP_LONE_MODIFIER, DROP_ORPHAN_RELEASE, DROP_EMPTY_SCROLL,
                   DROP_MALFORMED)


@dataclass(frozen=True)
class Params:
    """Thresholds of the derivation (stored with the steps)."""

    multi_click_us: int = 500_000  # between presses of a double or triple click
    multi_click_px: float = 5.0  # press-to-press distance of a double or triple click
    drag_min_px: float = 6.0  # a press that moves this far before its release is a drag
    scroll_gap_us: int = 500_000  # wheel events closer than this merge ...
    scroll_move_px: float = 10.0  # ... if the pointer stayed within this distance
    type_idle_us: int = 2_000_000  # a pause this long between keystrokes ends a typing burst
    key_repeat_us: int = 600_000  # the same key pressed again this soon: one step, repeat + 1
    focus_lag_us: int = 300_000  # focus changes reach windows.jsonl up to this late
    wait_min_us: int | None = None  # idle gaps at least this long become wait steps (off)
    # Frame pairing (annotator.steps.frames).
    obs_settle_us: int = 150_000
    obs_lookback_us: int = 1_000_000
    result_settle_us: int = 300_000
    result_max_us: int = 5_000_000

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Derivation:
    """Steps derived from raw events, before frames are paired with them."""

    steps: list[m.Step]
    dropped: dict[str, list[int]]
    unknown_kinds: dict[str, int] = field(default_factory=dict)
    events: int = 0
    unreferenced: int = 0  # events without an integer id or time
    breaks: list[int] = field(default_factory=list)  # times of pause and resume markers

    @property
    def out_of_area(self) -> int:
        return len(self.dropped[DROP_OUTSIDE])


class _Draft:
    """A step being built."""

    __slots__ = ("type", "t_start", "t_last", "t_anchor", "anchor", "ids", "x", "y", "button",
                 "path", "dx", "dy", "text", "keys", "repeat", "flags", "click_t", "masked")

    def __init__(self, kind: str, t: int, anchor: int) -> None:
        self.type = kind
        self.t_start = t  # earliest of its events (a modifier pressed before the action)
        self.t_last = t
        self.t_anchor = t  # time of the event that defines the action
        self.anchor = anchor
        self.ids: list[int] = [anchor]
        self.x: int | None = None
        self.y: int | None = None
        self.button: str | None = None
        self.path: list[tuple[int, int, int]] | None = None
        self.dx: float = 0  # scroll amounts: whole clicks, or fractions from touchpads
        self.dy: float = 0
        self.text: list[str] | None = None
        self.keys: tuple[str, ...] = ()
        self.repeat = 1
        self.flags: list[str] = []
        self.click_t: int | None = None  # last mouse press before a keyboard step
        self.masked = False  # typed into a password field (text holds placeholders)

    def add(self, event_id: int, t: int) -> None:
        self.ids.append(event_id)
        if t > self.t_last:
            self.t_last = t


class _Held:
    """A modifier key being held: its press events, and whether a step has used it."""

    __slots__ = ("ids", "t", "used")

    def __init__(self, ids: list[int], t: int, used: bool) -> None:
        self.ids = ids
        self.t = t
        self.used = used


class _Gesture:
    """A mouse button being held."""

    __slots__ = ("draft", "x0", "y0", "moves", "max_d2", "outside", "seq")

    def __init__(self, draft: _Draft | None, x0: int, y0: int, outside: bool) -> None:
        self.draft = draft
        self.x0 = x0
        self.y0 = y0
        self.moves: list[tuple[int, int, int, int | None]] = []  # x, y, t, event id
        self.max_d2 = 0.0
        self.outside = outside
        self.seq: _ClickSeq | None = None


class _ClickSeq:
    """The last click, which the next press may turn into a double or triple click."""

    __slots__ = ("draft", "count", "x", "y", "t_down", "mods")

    def __init__(self, draft: _Draft, x: int, y: int, t_down: int, mods: tuple[str, ...]):
        self.draft = draft
        self.count = 1
        self.x = x
        self.y = y
        self.t_down = t_down
        self.mods = mods


MASK_CHAR = "\u2022"  # shown for each key typed into a password field


def canonical_key(name: Any) -> str:
    if not isinstance(name, str) or not name:
        return "unknown"
    key = name.lower()
    return KEY_ALIASES.get(key, key)


def ordered_mods(mods: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(mods, key=lambda k: MODIFIER_ORDER.get(k, 9)))


class _Deriver:
    def __init__(self, width: int, height: int, windows: Sequence[dict[str, Any]],
                 params: Params, display_id: str | None, scale: float | None) -> None:
        self.w = width
        self.h = height
        self.p = params
        self.display_id = display_id
        self.scale = scale
        self.steps: list[_Draft] = []
        self.dropped: dict[str, list[int]] = {k: [] for k in DROP_CATEGORIES}
        self.unknown: dict[str, int] = {}
        self.windows = sorted((w for w in windows if isinstance(w.get("t"), int)),
                              key=lambda w: w["t"])
        self.win_t = [w["t"] for w in self.windows]
        self.focus_i = 0  # windows[:focus_i] are in force
        self.breaks: list[int] = []  # pause and resume markers
        self.unreferenced = 0
        self._reset()
        self.caps_on = False  # caps lock survives pauses; its state at the start is unknown

    def _reset(self) -> None:
        self.burst: _Draft | None = None
        self.scroll: _Draft | None = None
        self.scroll_t = 0
        self.keyrep: _Draft | None = None
        self.keyrep_t = 0
        self.clickseq: _ClickSeq | None = None
        self.gestures: dict[str, _Gesture] = {}
        self.held: dict[str, _Held] = {}
        self.keys_down: dict[str, _Draft | None] = {}  # None: pressed outside the area
        self.pending_locks: list[tuple[int, int]] = []
        self.last_press_t = -(10**15)

    # -- helpers -----------------------------------------------------------------------
    def _inside(self, x: float, y: float) -> bool:
        return 0 <= x < self.w and 0 <= y < self.h

    def _new(self, kind: str, t: int, anchor: int) -> _Draft:
        """Start a step; modifiers pressed since the last step (and still held) join it."""
        d = _Draft(kind, t, anchor)
        for held in self.held.values():
            if not held.used:
                held.used = True
                if held.ids:
                    d.ids[:0] = held.ids
                    if held.t < d.t_start:
                        d.t_start = held.t
        if self.pending_locks:
            if kind == m.TYPE:
                for eid, et in self.pending_locks:
                    d.ids.insert(0, eid)
                    d.t_start = min(d.t_start, et)
            else:
                self.dropped[DROP_LONE_MODIFIER].extend(eid for eid, _ in self.pending_locks)
            self.pending_locks = []
        self.steps.append(d)
        return d

    def _mods(self) -> tuple[str, ...]:
        return ordered_mods(self.held)

    def _close_groups(self) -> None:
        self.burst = None
        self.scroll = None
        self.keyrep = None

    def _drop_pending(self) -> None:
        """Forget held modifiers: unused presses were lone modifiers."""
        for held in self.held.values():
            if not held.used:
                self.dropped[DROP_LONE_MODIFIER].extend(held.ids)
        self.held = {}
        self.dropped[DROP_LONE_MODIFIER].extend(eid for eid, _ in self.pending_locks)
        self.pending_locks = []

    def _focus_record(self, t: int) -> dict[str, Any] | None:
        i = bisect_right(self.win_t, t)
        return self.windows[i - 1] if i else None

    def _keys_outside(self, t: int) -> bool:
        """Keys go to the focused window: outside the area if its box is wholly outside."""
        if not self.windows:
            return False
        # Just after a click the focus record may not be written yet (polled at 10 Hz).
        when = t
        if t - self.last_press_t <= self.p.focus_lag_us:
            when = self.last_press_t + self.p.focus_lag_us
        rec = self._focus_record(when)
        box = rec.get("box") if rec else None
        if not box or len(box) != 4:
            return False
        x, y, bw, bh = box
        return bool(x >= self.w or y >= self.h or x + bw <= 0 or y + bh <= 0)

    def _same_window(self, i: int) -> bool:
        """Whether focus record ``i`` names the window the one before it named."""
        if i == 0:
            return False
        wid = self.windows[i].get("window_id")
        return isinstance(wid, int) and wid == self.windows[i - 1].get("window_id")

    def _advance_focus(self, t: int) -> None:
        n = len(self.win_t)
        changed_at = None
        while self.focus_i < n and self.win_t[self.focus_i] <= t:
            # The same window under a new title ("*Untitled" once typed into) is not a
            # focus change: the typing goes on in it.
            if not self._same_window(self.focus_i):
                changed_at = self.win_t[self.focus_i]
            self.focus_i += 1
        # A focus change ends typing, unless it is the late record of the click that
        # already ended it (focus is polled, so it lands up to focus_lag after the click).
        if changed_at is not None and changed_at - self.last_press_t > self.p.focus_lag_us:
            self.burst = None
            self.keyrep = None

    # -- mouse -------------------------------------------------------------------------
    def mouse_down(self, e: dict[str, Any], eid: int, t: int) -> None:
        x, y, button = e.get("x"), e.get("y"), e.get("button")
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            self.dropped[DROP_MALFORMED].append(eid)
            return
        button = str(button or "left")
        self._close_groups()
        self.last_press_t = t
        old = self.gestures.pop(button, None)
        if old is not None:  # a press whose release never came
            self._finish_gesture(old, None, None, None, None)
        if not self._inside(x, y):
            self.dropped[DROP_OUTSIDE].append(eid)
            self.gestures[button] = _Gesture(None, int(x), int(y), True)
            self.clickseq = None
            return
        mods = self._mods()
        seq = self.clickseq
        candidate = None
        if (seq is not None and button == "left" and seq.count < 3 and seq.mods == mods
                and self.steps and self.steps[-1] is seq.draft
                and t - seq.t_down <= self.p.multi_click_us
                and (x - seq.x) ** 2 + (y - seq.y) ** 2 <= self.p.multi_click_px ** 2):
            candidate = seq
        d = self._new(CLICK_TYPES.get(button, m.CLICK), t, eid)
        d.x, d.y, d.button, d.keys = int(x), int(y), button, mods
        g = _Gesture(d, int(x), int(y), False)
        g.seq = candidate
        self.gestures[button] = g

    def mouse_move(self, e: dict[str, Any]) -> None:
        x, y = e.get("x"), e.get("y")
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            return
        t, eid = e.get("t", 0), e.get("id")
        if not isinstance(eid, int):
            eid = None
        for g in self.gestures.values():
            if g.outside:
                continue
            # With two buttons held, the first gesture owns the move (one step per event).
            g.moves.append((int(x), int(y), t, eid))
            eid = None
            d2 = (x - g.x0) ** 2 + (y - g.y0) ** 2
            if d2 > g.max_d2:
                g.max_d2 = d2

    def mouse_up(self, e: dict[str, Any], eid: int, t: int) -> None:
        x, y, button = e.get("x"), e.get("y"), str(e.get("button") or "left")
        g = self.gestures.pop(button, None)
        if g is None:
            if isinstance(x, int | float) and isinstance(y, int | float) \
                    and not self._inside(x, y):
                self.dropped[DROP_OUTSIDE].append(eid)
            else:
                self.dropped[DROP_ORPHAN_RELEASE].append(eid)
            return
        if g.outside:
            self.dropped[DROP_OUTSIDE].append(eid)
            return
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            x, y = (g.moves[-1][:2] if g.moves else (g.x0, g.y0))
        self._finish_gesture(g, eid, t, int(x), int(y))

    def _finish_gesture(self, g: _Gesture, eid: int | None, t: int | None,
                        x: int | None, y: int | None) -> None:
        d = g.draft
        if d is None:
            return
        for _x, _y, mt, mid in g.moves:
            if mid is not None:
                d.add(mid, mt)
        if eid is None:
            d.flags.append(m.FLAG_NO_RELEASE)
            x, y = (g.moves[-1][0], g.moves[-1][1]) if g.moves else (g.x0, g.y0)
        else:
            assert t is not None and x is not None and y is not None  # a release has them
            d.add(eid, t)
            d2 = (x - g.x0) ** 2 + (y - g.y0) ** 2
            if d2 > g.max_d2:
                g.max_d2 = d2
        if g.max_d2 >= self.p.drag_min_px ** 2:
            d.type = m.DRAG
            pts = [(g.x0, g.y0, d.t_anchor)]
            pts.extend((mx, my, mt) for mx, my, mt, _ in g.moves)
            if eid is not None and x is not None and y is not None and t is not None:
                pts.append((x, y, t))
            clamped = False
            path = []
            for px, py, pt in pts:
                cx = min(max(px, 0), self.w - 1)
                cy = min(max(py, 0), self.h - 1)
                clamped = clamped or cx != px or cy != py
                path.append((cx, cy, pt))
            if len(path) < 2:
                path.append(path[-1])
            if clamped:
                d.flags.append(m.FLAG_PATH_CLAMPED)
            d.path = path
            self.clickseq = None
            return
        if d.button != "left":
            self.clickseq = None
            return
        seq = g.seq
        steps = self.steps
        if (seq is not None and eid is not None and len(steps) >= 2 and steps[-1] is d
                and steps[-2] is seq.draft):
            # Merge this press into the previous click: double, then triple click.
            steps.pop()
            target = seq.draft
            target.ids.extend(d.ids)
            target.t_last = max(target.t_last, d.t_last)
            target.t_start = min(target.t_start, d.t_start)
            seq.count += 1
            target.type = MULTI_CLICK_TYPES[seq.count]
            seq.t_down = d.t_anchor
        elif eid is not None:
            self.clickseq = _ClickSeq(d, g.x0, g.y0, d.t_anchor, d.keys)
        else:
            self.clickseq = None

    def scroll_event(self, e: dict[str, Any], eid: int, t: int) -> None:
        x, y = e.get("x"), e.get("y")
        dx, dy = e.get("dx") or 0, e.get("dy") or 0
        if not isinstance(x, int | float) or not isinstance(y, int | float) \
                or not isinstance(dx, int | float) or not isinstance(dy, int | float):
            self.dropped[DROP_MALFORMED].append(eid)
            return
        if not self._inside(x, y):
            self.dropped[DROP_OUTSIDE].append(eid)
            return
        if dx == 0 and dy == 0:
            self.dropped[DROP_EMPTY_SCROLL].append(eid)
            return
        self.burst = None
        self.keyrep = None
        self.clickseq = None
        s = self.scroll
        mods = self._mods()
        if (s is not None and s.x is not None and s.y is not None and self.steps
                and self.steps[-1] is s and t - self.scroll_t <= self.p.scroll_gap_us
                and (x - s.x) ** 2 + (y - s.y) ** 2 <= self.p.scroll_move_px ** 2
                and s.keys == mods
                and s.dx * dx >= 0 and s.dy * dy >= 0):  # a reversal starts a new scroll
            s.add(eid, t)
            s.dx += dx
            s.dy += dy
        else:
            s = self._new(m.SCROLL, t, eid)
            s.x, s.y, s.dx, s.dy, s.keys = int(x), int(y), dx, dy, mods
            self.scroll = s
        self.scroll_t = t

    # -- keyboard ----------------------------------------------------------------------
    def _reconcile_mods(self, e: dict[str, Any], t: int) -> None:
        """Trust the listener's own modifier state: releases lost in a pause, presses
        made before the recording started."""
        mods = e.get("mods")
        if not isinstance(mods, list):
            return
        now = {canonical_key(k) for k in mods}
        for k in [k for k in self.held if k not in now]:
            held = self.held.pop(k)
            if not held.used:
                self.dropped[DROP_LONE_MODIFIER].extend(held.ids)
        for k in now:
            if k in MODIFIERS and k not in self.held:
                self.held[k] = _Held([], t, False)

    def key_down(self, e: dict[str, Any], eid: int, t: int) -> None:
        name = canonical_key(e.get("key"))
        self._reconcile_mods(e, t)
        if name in MODIFIERS:
            held = self.held.get(name)
            if held is None:
                self.held[name] = _Held([eid], t, False)
            elif held.used and self.steps:  # auto-repeat of a held modifier
                self.steps[-1].add(eid, t)
            else:
                held.ids.append(eid)
            return
        if name in LOCK_KEYS:
            if name == "caps_lock":
                self.caps_on = not self.caps_on
            self.keys_down[name] = self.burst
            if self.burst is not None:
                self.burst.add(eid, t)
            else:
                self.pending_locks.append((eid, t))
            return
        if self._keys_outside(t):
            self.dropped[DROP_OUTSIDE].append(eid)
            self.keys_down[name] = None
            return
        mods = self._mods()
        command = any(k in COMMAND_MODIFIERS for k in mods)
        char = e.get("char")
        self.scroll = None
        self.clickseq = None
        masked = bool(e.get("masked")) and name == "masked"
        if masked:
            char = MASK_CHAR  # a key typed into a password field: never its character
        if not command and isinstance(char, str) and len(char) == 1 and char.isprintable():
            # Typing.  pynput applies shift but not caps lock on X11: fold it in here.
            if self.caps_on and char.isalpha():
                char = char.swapcase()
            self.keyrep = None
            b = self.burst
            if b is None or t - b.t_last > self.p.type_idle_us or self.steps[-1] is not b:
                b = self._new(m.TYPE, t, eid)
                b.text = []
                b.click_t = self.last_press_t
                self.burst = b
            else:
                b.add(eid, t)
            assert b.text is not None  # a typing burst
            b.text.append(char)
            if masked:
                b.masked = True
            self.keys_down[name] = b
            return
        b = self.burst
        if (name == "backspace" and not command and b is not None and b.text
                and t - b.t_last <= self.p.type_idle_us and self.steps[-1] is b):
            b.text.pop()  # a correction inside the burst
            b.add(eid, t)
            self.keys_down[name] = b
            return
        # A key of its own (Enter, Tab, arrows, F-keys...) or a modifier combination.
        self.burst = None
        keys = (*mods, name) if mods else (name,)
        r = self.keyrep
        if (r is not None and r.keys == keys and self.steps and self.steps[-1] is r
                and t - self.keyrep_t <= self.p.key_repeat_us):
            r.repeat += 1
            r.add(eid, t)
        else:
            r = self._new(m.HOTKEY if mods else m.KEY, t, eid)
            r.keys = keys
            r.click_t = self.last_press_t
            self.keyrep = r
        self.keyrep_t = t
        self.keys_down[name] = r

    def key_up(self, e: dict[str, Any], eid: int, t: int) -> None:
        name = canonical_key(e.get("key"))
        if name in MODIFIERS:
            held = self.held.pop(name, None)
            if held is None:
                self.dropped[DROP_ORPHAN_RELEASE].append(eid)
            elif held.used and self.steps:
                # Every step made while it was held used it: the last one owns the release.
                self.steps[-1].add(eid, t)
            elif held.used:
                self.dropped[DROP_ORPHAN_RELEASE].append(eid)
            else:
                self.dropped[DROP_LONE_MODIFIER].extend(held.ids)
                self.dropped[DROP_LONE_MODIFIER].append(eid)
            return
        if name not in self.keys_down:
            if name == "masked" and self.burst is not None:
                # Masked keys share one name, so overlapping presses cannot be paired by
                # name: the release belongs to the burst they typed into.
                self.burst.add(eid, t)
                return
            self.dropped[DROP_ORPHAN_RELEASE].append(eid)
            return
        d = self.keys_down.pop(name)
        if d is None:
            if name in LOCK_KEYS and self.pending_locks:
                self.pending_locks.append((eid, t))  # goes where its press goes
            elif name in LOCK_KEYS:
                self.dropped[DROP_LONE_MODIFIER].append(eid)
            else:
                self.dropped[DROP_OUTSIDE].append(eid)
            return
        d.add(eid, t)

    # -- pause, resume, end ----------------------------------------------------------
    def interrupt(self) -> None:
        """Pause marker or end of the stream: nothing continues across it."""
        for g in self.gestures.values():
            self._finish_gesture(g, None, None, None, None)
        self._drop_pending()
        self._reset()

    # -- main loop ---------------------------------------------------------------------
    def run(self, events: Iterable[dict[str, Any]]) -> int:
        n = 0
        win_t = self.win_t
        n_win = len(win_t)
        for e in events:
            n += 1
            kind = e.get("kind")
            if kind == "mouse_move":  # most events: only drags need them
                if self.gestures:
                    self.mouse_move(e)
                continue
            eid, t = e.get("id"), e.get("t")
            if not isinstance(eid, int) or not isinstance(t, int):
                self.unreferenced += 1  # without id and time it cannot be referenced
                continue
            if self.focus_i < n_win and win_t[self.focus_i] <= t:
                self._advance_focus(t)
            if kind == "key_down":
                self.key_down(e, eid, t)
            elif kind == "key_up":
                self.key_up(e, eid, t)
            elif kind == "mouse_down":
                self.mouse_down(e, eid, t)
            elif kind == "mouse_up":
                self.mouse_up(e, eid, t)
            elif kind == "scroll":
                self.scroll_event(e, eid, t)
            elif kind in ("pause", "resume"):
                self.interrupt()
                self.breaks.append(t)
            else:
                k = str(kind)
                self.unknown[k] = self.unknown.get(k, 0) + 1
        self.interrupt()
        return n

    # -- finishing -----------------------------------------------------------------------
    def _window_for(self, d: _Draft) -> dict[str, Any] | None:
        if not self.windows:
            return None
        lag = self.p.focus_lag_us
        if d.type in m.MOUSE_TYPES:
            rec = self._focus_record(d.t_anchor)
            # A click usually focuses the window it lands on; the record of that arrives
            # up to focus_lag later.
            i = bisect_right(self.win_t, d.t_anchor)
            if i < len(self.windows) and self.win_t[i] - d.t_anchor <= lag:
                nxt = self.windows[i]
                if _box_contains(nxt.get("box"), d.x, d.y):
                    rec = nxt
            return rec
        if d.click_t is not None and d.t_anchor - d.click_t <= lag:
            return self._focus_record(d.click_t + lag)
        return self._focus_record(d.t_anchor)

    def build(self) -> list[m.Step]:
        drafts = sorted(self.steps, key=lambda d: (d.t_start, d.anchor))
        out: list[m.Step] = []
        for i, d in enumerate(drafts):
            t_end = d.t_last
            if i + 1 < len(drafts):
                # Key rollover or a late release: the step ends where the next one begins
                # (its late events stay in raw_event_ids).
                t_end = min(t_end, drafts[i + 1].t_start)
            s = m.Step(type=d.type, t_start_us=d.t_start, t_end_us=max(t_end, d.t_start),
                       raw_event_ids=sorted(d.ids), anchor_event_id=d.anchor,
                       display_id=self.display_id, scale=self.scale, flags=list(d.flags))
            if d.type == m.TYPE:
                s.text = "".join(d.text or [])
                s.masked = d.masked
                if not s.text:
                    s.flags.append(m.FLAG_EMPTY_TEXT)
            elif d.type in (m.KEY, m.HOTKEY):
                s.keys = list(d.keys)
                s.repeat = d.repeat
            else:
                s.x, s.y, s.button = d.x, d.y, d.button
                s.keys = list(d.keys) if d.keys else None
                if d.type == m.DRAG:
                    s.path = [{"x": x, "y": y, "t_us": t} for x, y, t in d.path or ()]
                elif d.type == m.SCROLL:
                    s.button = None
                    s.scroll_dx, s.scroll_dy = d.dx, d.dy
            rec = self._window_for(d)
            if rec is not None:
                s.window_title, s.window_app = rec.get("title"), rec.get("app")
            out.append(s)
        if self.p.wait_min_us is not None:
            out = self._with_waits(out)
        return out

    def _with_waits(self, steps: list[m.Step]) -> list[m.Step]:
        wait_min = self.p.wait_min_us
        assert wait_min is not None  # called only when waits are on
        out: list[m.Step] = []
        for i, s in enumerate(steps):
            if i:
                prev = out[-1]
                gap = s.t_start_us - prev.t_end_us
                paused = any(prev.t_end_us <= b <= s.t_start_us for b in self.breaks)
                if gap >= wait_min and not paused:
                    w = m.Step(type=m.WAIT, t_start_us=prev.t_end_us, t_end_us=s.t_start_us,
                               anchor_event_id=s.anchor_event_id, duration_us=gap,
                               display_id=self.display_id, scale=self.scale,
                               window_title=prev.window_title, window_app=prev.window_app)
                    out.append(w)
            out.append(s)
        return out


def _box_contains(box: Any, x: Any, y: Any) -> bool:
    if not box or len(box) != 4 or x is None or y is None:
        return False
    bx, by, bw, bh = box
    return bool(bx <= x < bx + bw and by <= y < by + bh)


def derive_events(
    events: Iterable[dict[str, Any]],
    *,
    width: int,
    height: int,
    windows: Sequence[dict[str, Any]] = (),
    params: Params | None = None,
    display_id: str | None = None,
    scale: float | None = None,
) -> Derivation:
    """Derive the steps of raw ``events`` (in time order) on a ``width`` x ``height``
    screenshot.  Deterministic: the same input always gives the same steps and ids."""
    d = _Deriver(width, height, windows, params or Params(), display_id, scale)
    n = d.run(events)
    steps = d.build()
    for i, s in enumerate(steps):
        s.index = i
    for ids in d.dropped.values():
        ids.sort()
    return Derivation(steps=steps, dropped=d.dropped,
                      unknown_kinds=dict(sorted(d.unknown.items())), events=n,
                      unreferenced=d.unreferenced, breaks=d.breaks)

"""The signals benchmark's corpus: submissions with planted defects, made like real ones.

Every submission is a recording made with the recorder's encoder and bundle writer (as
``annotator demo`` makes one: benchmarks/signals_apps.py's windows rendered offscreen and
driven by scripted input), labelled through the edit session and the drafter as a contributor
would, and prepared with the submission builder (render, stills, thumbnails, steps, the
client-declared input summary).  The OCR leak scan is skipped (it is not what is measured and
costs most of the time); everything else is the real pipeline.

A *genuine* submission is made by a simulated person: curved pointer paths with a bell-shaped
speed, clicks anywhere on the target, typing with irregular intervals, pauses to think, input
from a mouse and a keyboard (device classes ``mouse``/``keyboard``, as the recorder writes for
physical devices), instructions in the contributor's own words naming what was acted on.

Planted defects (each submission carries none, one or two, drawn from its seed; the truth is
written next to it, ``truth.json``):

- ``no_effect``: one or two clicks on places that react to nothing (a label, empty space, a
  disabled button);
- ``repeated_steps``: a button that does nothing more the second time clicked again 1-3 times;
- ``idle``: 30-50 s with no input (a field's caret may blink meanwhile);
- ``instruction_mismatch``: a click's instruction names another control of the window, or a
  typing step's instruction quotes other text than was typed;
- ``same_instruction``: three or four different steps get the same instruction;
- ``weak_draft``: an icon button's draft (the drafter cannot name it) accepted as it is;
- ``synthetic_input``: every event from the XTEST devices (input made by a program);
- ``pointer_teleport``: the pointer reaches clicks without a path;
- ``straight_moves``: pointer moves in straight lines at constant speed;
- ``constant_typing``: keys at a constant interval;
- ``large_redaction``: a box over most of the screen; ``accepted_leak``: a leak-check finding
  accepted as not sensitive;
- ``length_outlier``: the task done four times over, or cut off after two steps;
- ``replayed_video``: the screen is another (genuine) submission's recording played back in a
  video player (re-encoded, scaled to the player, with a progress bar), with that recording's
  input mimicked over it;
- ``duplicate``: an earlier submission's recording labelled again (other words, a trimmed
  start) and submitted by another account, or by the same one.

A copy carries its source's defects, and its truth says so (``inherit``): a duplicate every
defect of the recording and the label defects its new words keep, a replay the source's input
and length.  What a copy has but cannot show (a click on a video changes nothing and names no
control) is listed as ``unscored``.  A person clicks what is on screen: a control on a tab
page not shown (a task done again after going to another tab) is reached through its tab, and
the words name what the click hit.

Seeds below ``DEV_SEEDS`` (of ``SEEDS``) are the development split (thresholds were looked at on them); the
rest is the test split, reported on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

CORPUS_VERSION = 3  # 2: check boxes clicked on their box or label; 3: copies inherit their
# source's defects, a control on a tab page not shown is reached through its tab, and words
# name what was clicked
DEV_SEEDS = 90
SEEDS = 360
SCREEN_W, SCREEN_H = 1280, 800
PANEL_H = 24
FPS = 30
CARET_PERIOD_US = 530_000
MOVE_EVERY_US = 16_667

PLANTABLE = ("no_effect", "repeated_steps", "idle", "instruction_mismatch", "same_instruction",
             "weak_draft", "synthetic_input", "pointer_teleport", "straight_moves",
             "constant_typing", "large_redaction", "accepted_leak", "length_outlier")


# -- tasks: what a person does, step by step, with the words they would use ------------------
@dataclass
class Op:
    kind: str  # click, type, key, scroll, wait, tab
    ctl: str | None = None  # a control of the app
    text: str | None = None  # typed text, key name, list item, tab name
    n: int = 1  # scroll clicks, repeats
    words: tuple[str, ...] = ()  # how a careful contributor says it ({} filled in)


def click(ctl: str, *words: str) -> Op:
    return Op("click", ctl, words=words)


TASKS: dict[str, tuple[str, str, list[Op]]] = {
    "bill": ("invoices", "Bill Acme for the design review", [
        click("customer", "Click the Customer field", "Click into the Customer field"),
        Op("type", text="Acme Corporation", words=('Type "{t}"', 'Enter "{t}" as the customer')),
        Op("key", text="tab", words=("Press Tab to go to the E-mail field",)),
        Op("type", text="billing@acme.example", words=('Type "{t}" into the E-mail field',)),
        click("notes", "Click the Notes field", "Click into the Notes box"),
        Op("type", text="Design review, October", words=('Type "{t}"', 'Write "{t}" as a note')),
        click("save", 'Click "Save"', "Click the Save button", "Save the invoice"),
        click("send", 'Click "Send…"', "Click the Send button to send the invoice"),
    ]),
    "reference": ("invoices", "Add a reference and re-sort the items", [
        click("reference", "Click the Reference field"),
        Op("type", text="PO-7781", words=('Type "{t}"', 'Enter the reference "{t}"')),
        click("refresh", "Click the refresh icon to re-sort the items",
              "Click the circular arrow icon"),
        Op("scroll", ctl="table", n=3, words=("Scroll down the items", "Scroll down the table")),
        Op("scroll", ctl="table", n=-3, words=("Scroll back up", "Scroll up the table")),
        click("save", 'Click "Save"', "Click the Save button"),
    ]),
    "newinv": ("invoices", "Start a new invoice for Globex", [
        click("new", 'Click "New invoice"', "Click the New invoice button"),
        click("customer", "Click the Customer field"),
        Op("type", text="Globex Ltd", words=('Type "{t}"',)),
        click("email", "Click the E-mail field"),
        Op("type", text="ap@globex.example", words=('Type "{t}" as the e-mail address',)),
        click("more", "Open the menu with the three dots", "Click the more icon"),
        click("save", 'Click "Save"', "Save the invoice"),
    ]),
    "darkmode": ("settings", "Turn on dark mode and block trackers", [
        click("Dark mode", 'Tick "Dark mode"', "Check the Dark mode box"),
        Op("tab", text="Privacy", words=('Open the "Privacy" tab', "Go to the Privacy tab")),
        click("Block trackers", 'Tick "Block trackers"', "Check Block trackers"),
        click("Send usage statistics", 'Untick "Send usage statistics"',
              "Uncheck Send usage statistics"),
        click("apply", 'Click "Apply"', "Click the Apply button"),
        click("ok", 'Click "OK"', "Click OK to save the settings"),
    ]),
    "proxy": ("settings", "Set up the office proxy", [
        Op("tab", text="Advanced", words=('Open the "Advanced" tab',)),
        click("Use proxy", 'Tick "Use proxy"', "Check the Use proxy box"),
        click("proxy", "Click the Proxy address field"),
        Op("type", text="proxy.example.org", words=('Type "{t}"',)),
        click("port", "Click the Port field"),
        Op("type", text="3128", words=('Type "{t}" as the port', 'Enter "{t}"')),
        click("apply", 'Click "Apply"', "Apply the settings"),
    ]),
    "quiet": ("settings", "Stop notifications and check the help", [
        click("help", "Click the question mark icon for help", "Click the help icon"),
        click("Show notifications", 'Untick "Show notifications"',
              "Uncheck Show notifications"),
        click("Start at login", 'Tick "Start at login"'),
        click("apply", 'Click "Apply"', "Click the Apply button"),
        Op("tab", text="Privacy", words=('Open the "Privacy" tab',)),
        click("Remember history", 'Untick "Remember history"'),
        click("apply", 'Click "Apply"', "Apply the change"),
    ]),
    "favourite": ("contacts", "Find Maria Lopez and mark her as a favourite", [
        click("search", "Click the Search field", "Click into Search"),
        Op("type", text="Mar", words=('Type "{t}" to filter the list', 'Search for "{t}"')),
        Op("item", text="Maria Lopez", words=('Select "{t}"', 'Click "{t}" in the list')),
        click("star", "Click the star icon to mark her as a favourite",
              "Click the star icon"),
    ]),
    "browse": ("contacts", "Delete Kara Lee's entry from page 2", [
        click("next", 'Click "Next"', "Go to the next page"),
        Op("item", text="Kara Lee", words=('Select "{t}"', 'Click "{t}"')),
        click("delete", 'Click "Delete"', "Click the Delete button"),
        click("previous", 'Click "Previous"', "Go back to the first page"),
    ]),
    "pages": ("contacts", "Add a contact, then look through the pages", [
        click("add", 'Click "Add contact"', "Click the Add contact button"),
        click("next", 'Click "Next"'),
        click("next", 'Click "Next" again', 'Click "Next"'),
        click("next", 'Click "Next" once more', 'Click "Next"'),
        click("previous", 'Click "Previous"', "Go back one page"),
    ]),
}
# Buttons that do nothing more the second time (a repeat of them changes nothing).
IDEMPOTENT = {"invoices": "save", "settings": "apply", "contacts": "star"}
OTHER_WORDS = ('Click "{n}"', "Click the {n} button", 'Press "{n}"')
SAME_WORDS = ("Click here", "Continue", "Do the next step", "Go on with the task")


# -- the plan of one submission ------------------------------------------------------------------
@dataclass
class Plan:
    seed: int
    task: str
    contributor: int
    defects: list[str] = field(default_factory=list)
    replay_of: int | None = None
    duplicate_of: int | None = None
    same_account: bool = False

    @property
    def split(self) -> str:
        return "dev" if self.seed < DEV_SEEDS else "test"


def plan_for(seed: int, n_contributors: int = 12) -> Plan:
    """What submission ``seed`` is: its task, its contributor and its planted defects.  Of
    every 20 seeds, 6 are genuine, one a replayed video, one a duplicate and 12 carry a
    defect (each kind in turn) and, one time in three, a second one."""
    rng = np.random.default_rng(10_000 + seed)
    task = sorted(TASKS)[seed % len(TASKS)]
    p = Plan(seed, task, int(rng.integers(n_contributors)))
    if seed < 12:
        return p  # the first ones are genuine: replays and duplicates copy them
    slot = seed % 20
    if slot < 6:
        return p
    if slot == 6:
        p.replay_of = int(rng.integers(0, seed // 2))
        p.defects = ["replayed_video"]
        return p
    if slot == 7:
        p.duplicate_of = int(rng.integers(0, seed // 2))
        p.same_account = bool(rng.random() < 0.3)
        p.defects = ["duplicate"]
        return p
    first = PLANTABLE[(seed // 20 * 12 + slot - 8) % len(PLANTABLE)]
    p.defects = [first]
    if rng.random() < 0.35:
        other = [k for k in PLANTABLE if k != first]
        p.defects.append(other[int(rng.integers(len(other)))])
    p.defects.sort()
    if "weak_draft" in p.defects and p.task not in WEAK_CAPABLE:
        p.task = WEAK_CAPABLE[seed % len(WEAK_CAPABLE)]
    return p


WEAK_CAPABLE = ("reference", "newinv", "quiet", "favourite")  # tasks with an icon button
ICONS = {"refresh", "more", "help", "star"}


# -- input models --------------------------------------------------------------------------------
@dataclass
class Style:
    """How the input is made: by a hand on a mouse and keyboard, or by a program."""

    pointer_device: str = "mouse"
    key_device: str = "keyboard"
    teleport: bool = False
    straight: bool = False
    constant_typing: bool = False
    synthetic: bool = False


def human_path(rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float
               ) -> list[tuple[float, float, float]]:
    """(x, y, seconds) of a hand's movement: a curved path (a Bézier bow of random side and
    depth), a minimum-jerk speed profile, Fitts-like duration, a little tremor, and readings
    at the listener's 1/60 s with jitter."""
    d = math.hypot(x1 - x0, y1 - y0)
    if d < 2:
        return []
    dur = 0.18 + 0.11 * math.log2(1 + d / 24) + float(rng.normal(0, 0.04))
    dur = max(0.12, dur)
    bow = float(rng.normal(0, 0.12)) * d
    nx, ny = -(y1 - y0) / d, (x1 - x0) / d
    cx, cy = (x0 + x1) / 2 + nx * bow, (y0 + y1) / 2 + ny * bow
    out = []
    t = 0.0
    while t < dur:
        t += 1 / 60 + float(rng.normal(0, 0.002))
        u = min(1.0, t / dur)
        s = 10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5  # minimum jerk
        bx = (1 - s) ** 2 * x0 + 2 * (1 - s) * s * cx + s ** 2 * x1
        by = (1 - s) ** 2 * y0 + 2 * (1 - s) * s * cy + s ** 2 * y1
        tremor = 0.7 * (1 - s) + 0.2
        out.append((bx + float(rng.normal(0, tremor)), by + float(rng.normal(0, tremor)),
                    min(t, dur)))
    # A slight overshoot and correction, as hands do on longer moves.
    if d > 200 and rng.random() < 0.5:
        ox, oy = x1 + (x1 - x0) / d * rng.uniform(2, 6), y1 + (y1 - y0) / d * rng.uniform(2, 6)
        out.append((ox, oy, dur + 0.03))
        out.append((x1, y1, dur + 0.09))
    else:
        out.append((x1, y1, dur + 0.017))
    return out


def straight_path(x0: float, y0: float, x1: float, y1: float, speed: float
                  ) -> list[tuple[float, float, float]]:
    """A program's movement (pyautogui's linear tween): a straight line at constant speed."""
    d = math.hypot(x1 - x0, y1 - y0)
    if d < 2:
        return []
    dur = d / speed
    n = max(2, int(dur * 60))
    return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n, dur * i / n)
            for i in range(1, n + 1)]


def human_intervals(rng: np.random.Generator, n: int) -> list[float]:
    """Seconds between key presses: log-normal around a typist's pace, longer at word starts."""
    base = float(rng.uniform(0.14, 0.24))
    out = []
    for _ in range(n):
        v = base * math.exp(float(rng.normal(0, 0.45)))
        if rng.random() < 0.08:
            v += float(rng.uniform(0.2, 0.7))  # a hesitation
        out.append(max(0.045, v))
    return out


# -- the driver: a scripted person (or program) at a rendered desktop ---------------------------
class Driver:
    """Drives an app window and writes what the recorder would have written."""

    def __init__(self, out: Path, app_name: str, style: Style, rng: np.random.Generator,
                 start: dt.datetime) -> None:
        from PyQt6.QtCore import Qt
        from PyQt6.QtWidgets import QApplication

        from annotator.bundle.writer import BundleWriter, iso, new_manifest
        from benchmarks.signals_apps import APPS

        self.out = out
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.app = APPS[app_name]()
        self.app.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.app.show()
        QApplication.processEvents()
        self.style = style
        self.rng = rng
        self.t = 200_000
        self.started = start
        self.writer = BundleWriter(out, SCREEN_W, SCREEN_H, video={"fps": FPS}, elements=True)
        self.next_id = 1
        self.last_grab_t = 0
        self.last_raw: bytes | None = None
        self.last_change_t = 0
        self.repeated = True
        self.mouse = (SCREEN_W / 2, SCREEN_H / 2)
        self.caret_epoch = 0
        region = {"x": 0, "y": 0, "width": SCREEN_W, "height": SCREEN_H}
        classes = sorted({style.pointer_device, style.key_device})
        self.writer.start(new_manifest(
            created_by="benchmarks/signals_corpus.py", started=start,
            clock={"name": "scripted", "unit": "microseconds since start",
                   "start_monotonic_ns": 0, "start_utc": iso(start)},
            os={"system": "benchmark", "release": "", "session": "offscreen"},
            displays=[{"id": "1", "origin_x": 0, "origin_y": 0, "width_px": SCREEN_W,
                       "height_px": SCREEN_H, "scale": 1.0, "captured": True}],
            capture={"display_id": "1", "region": region, "scale": 1.0, "fps_requested": FPS,
                     "fps_achieved": FPS, "cursor": False, "method": "scripted",
                     "method_reason": "made by the signals benchmark: every change is grabbed"},
            acknowledgement=None, deny_list=[], hotkeys={},
            a11y={"available": True, "reason": None, "focus_source": "scripted",
                  "password_masking": False, "elements_file": "elements.jsonl"},
            input_devices={"source": "xinput2", "classes_present": classes}))
        self.writer.window({"t": 100_000, "kind": "focus", "title": self.app.title,
                            "app": self.app.app_id, "window_id": 1,
                            "box": [0, PANEL_H, SCREEN_W, SCREEN_H - PANEL_H]})
        self._grab(force=True)

    # -- the screen ---------------------------------------------------------------------------
    def screen(self) -> np.ndarray:
        from PyQt6.QtGui import QImage
        from PyQt6.QtWidgets import QApplication

        QApplication.processEvents()
        img = self.app.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        win = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
        bgr = np.empty((SCREEN_H, SCREEN_W, 3), np.uint8)
        bgr[:PANEL_H] = (46, 42, 40)
        bgr[PANEL_H:] = win[:SCREEN_H - PANEL_H, :SCREEN_W, :3]
        now = self.started + dt.timedelta(microseconds=self.t)
        cv2.putText(bgr, "Activities", (12, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (235, 235, 235), 1, cv2.LINE_AA)
        cv2.putText(bgr, now.strftime("%a %d %b  %H:%M"), (SCREEN_W // 2 - 70, 17),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1, cv2.LINE_AA)
        r = self.app.caret_rect()
        if r is not None and ((self.t - self.caret_epoch) // CARET_PERIOD_US) % 2 == 0:
            y0 = PANEL_H + r.y()
            bgr[y0:y0 + r.height(), r.x():r.x() + 1] = (20, 20, 20)
        return bgr

    def _grab(self, force: bool = False) -> None:
        interval = 1_000_000 // FPS
        now = self.t
        t = self.last_grab_t + interval
        while t < now - interval // 2:
            if not self.repeated and t - self.last_change_t >= 550_000:
                # The recorder's one repeat of an unchanged screen (closes the fragment).
                self.writer.encode(self._last_yuv, t)
                self.writer.grab(t, stored=True, changed=False)
                self.repeated = True
            else:
                self.writer.grab(t, stored=False, changed=False)
            t += interval
        bgr = self.screen()
        raw = bgr.tobytes()
        changed = raw != self.last_raw or force
        if changed:
            self._last_yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
            self.writer.encode(self._last_yuv, now)
            self.last_raw = raw
            self.last_change_t = now
            self.repeated = False
        self.writer.grab(now, stored=changed, changed=changed)
        self.last_grab_t = now

    def advance(self, us: int) -> None:
        """Time passes: the caret blinks and the clock ticks, and each is grabbed."""
        end = self.t + max(0, int(us))
        while True:
            nxt = end
            if self.app.caret_rect() is not None:
                k = (self.t - self.caret_epoch) // CARET_PERIOD_US + 1
                nxt = min(nxt, self.caret_epoch + k * CARET_PERIOD_US)
            minute = ((self.started + dt.timedelta(microseconds=self.t)).replace(
                second=0, microsecond=0) + dt.timedelta(minutes=1) - self.started)
            nxt = min(nxt, int(minute.total_seconds() * 1e6))
            if nxt <= self.t:
                nxt = self.t + 1
            self.t = nxt
            if nxt >= end:
                break
            self._grab()

    # -- input -----------------------------------------------------------------------------
    def event(self, kind: str, device: str, **fields: Any) -> int:
        eid = self.next_id
        rec = {"id": eid, "t": self.t, "kind": kind, **fields, "device": device}
        if device in ("xtest", "warp", "scripted"):
            rec["synthetic"] = True
        self.writer.event(rec)
        self.next_id += 1
        return eid

    def move_to(self, x: float, y: float) -> None:
        st = self.style
        x0, y0 = self.mouse
        if st.teleport:
            dev = "warp" if st.synthetic else st.pointer_device
            if self.rng.random() < 0.5:  # a jump the listener sees as one reading
                self.advance(int(self.rng.uniform(20_000, 60_000)))
                self.event("mouse_move", dev, x=round(x), y=round(y))
            self.mouse = (x, y)
            return
        path = straight_path(x0, y0, x, y, float(self.rng.uniform(900, 2200))) if st.straight \
            else human_path(self.rng, x0, y0, x, y)
        t0 = self.t
        last = None
        for px, py, s in path:
            t = t0 + int(s * 1e6)
            if t <= self.t:
                t = self.t + 1
            self.advance(t - self.t)
            pos = (round(px), round(py))
            if pos != last:
                self.event("mouse_move", st.pointer_device, x=pos[0], y=pos[1])
                last = pos
        self.mouse = (x, y)

    def _hit(self, event_id: int, x: int, y: int) -> None:
        from annotator.capture.a11y_model import ROLE_NAMES

        el = self.app.describe(x, y - PANEL_H)
        codes = {v: k for k, v in ROLE_NAMES.items()}
        box = None if el.box is None else [el.box[0], el.box[1] + PANEL_H, el.box[2], el.box[3]]
        self.writer.element({"kind": "hit", "event_id": event_id, "t": self.t,
                             "source": "scripted", "role": codes.get(el.role),
                             "role_name": el.role, "name": el.name, "box": box,
                             "app": self.app.app_id, "toolkit": "Qt", "pid": None,
                             "states": ["enabled", "showing", "visible"], "password": False,
                             "latency_us": 0})

    def click_at(self, x: int, y: int, button: str = "left", count: int = 1) -> list[int]:
        """Move there and click; returns the event ids."""
        from PyQt6.QtCore import QPoint, Qt
        from PyQt6.QtTest import QTest

        self.move_to(x, y)
        wx, wy = x, y - PANEL_H
        target = self.app.childAt(QPoint(wx, wy)) or self.app
        local = target.mapFrom(self.app, QPoint(wx, wy))
        qbtn = {"left": Qt.MouseButton.LeftButton, "right": Qt.MouseButton.RightButton}[button]
        ids = []
        for n in range(count):
            self.advance(int(self.rng.uniform(60_000, 160_000)) if not self.style.straight
                         else 50_000)
            eid = self.event("mouse_down", self.style.pointer_device, x=x, y=y, button=button)
            self._hit(eid, x, y)
            ids.append(eid)
            self.advance(int(self.rng.uniform(55_000, 120_000)))
            ids.append(self.event("mouse_up", self.style.pointer_device, x=x, y=y,
                                  button=button))
            if n == 1:
                QTest.mouseDClick(target, qbtn, Qt.KeyboardModifier.NoModifier, local)
            else:
                QTest.mouseClick(target, qbtn, Qt.KeyboardModifier.NoModifier, local)
        self._focus_after_click(target)
        self.advance(20_000)
        self._grab()
        return ids

    def _focus_after_click(self, w: Any) -> None:
        from PyQt6.QtCore import Qt
        from PyQt6.QtWidgets import QLineEdit, QTextEdit

        field = w if isinstance(w, QLineEdit | QTextEdit) else (
            w.parent() if isinstance(w.parent(), QTextEdit) else None)
        if field is not None:
            field.setFocus()
            self.app.focus(field)
            self.caret_epoch = self.t
        elif w is not None and w is not self.app and \
                bool(w.focusPolicy() & Qt.FocusPolicy.ClickFocus):
            self.app.focus(None)  # a button or a list takes the focus; a label does not

    def type_text(self, text: str) -> list[int]:
        from PyQt6.QtTest import QTest

        from benchmarks.signals_apps import App

        dev = self.style.key_device
        ids = []
        if self.style.constant_typing:
            gaps = [self._constant_gap] * len(text)
        else:
            gaps = human_intervals(self.rng, len(text))
        target = self.app.focused if self.app.focused is not None else self.app
        for ch, gap in zip(text, gaps, strict=True):
            hold = 0.005 if self.style.constant_typing else float(self.rng.uniform(0.05, 0.11))
            self.advance(int(max(0.002, gap - hold) * 1e6))
            shifted = ch.isupper() or ch in '!@#$%^&*()_+{}:"<>?|~'
            name = "space" if ch == " " else ch.lower()
            if shifted:
                ids.append(self.event("key_down", dev, key="shift", char=None, vk=65505, mods=[]))
                self.advance(int(0.03e6))
            ids.append(self.event("key_down", dev, key=name, char=ch, vk=ord(ch),
                                  mods=["shift"] if shifted else []))
            QTest.keyClicks(target, ch)
            self.caret_epoch = self.t
            self.advance(int(hold * 1e6))
            if shifted:
                ids.append(self.event("key_up", dev, key="shift", char=None, vk=65505,
                                      mods=["shift"]))
            ids.append(self.event("key_up", dev, key=name, char=ch.lower() if shifted else ch,
                                  vk=ord(ch.lower()), mods=[]))
            self._grab()
        assert isinstance(self.app, App)
        return ids

    def key(self, name: str) -> list[int]:
        from PyQt6.QtCore import Qt
        from PyQt6.QtTest import QTest

        qk, vk = {"tab": (Qt.Key.Key_Tab, 65289), "enter": (Qt.Key.Key_Return, 65293)}[name]
        dev = self.style.key_device
        ids = [self.event("key_down", dev, key=name, char=None, vk=vk, mods=[])]
        target = self.app.focused or self.app
        QTest.keyPress(target, qk)
        self.advance(int(self.rng.uniform(60_000, 110_000)))
        ids.append(self.event("key_up", dev, key=name, char=None, vk=vk, mods=[]))
        QTest.keyRelease(target, qk)
        if name == "tab":
            self._tab_focus()
        self.advance(20_000)
        self._grab()
        return ids

    def _tab_focus(self) -> None:
        """An offscreen window has no focus chain: Tab moves to the next field by hand."""
        from PyQt6.QtWidgets import QLineEdit, QTextEdit

        fields = [w for w in self.app.labels if isinstance(w, QLineEdit | QTextEdit)
                  and w.isVisible()]
        if self.app.focused in fields:
            nxt = fields[(fields.index(self.app.focused) + 1) % len(fields)]
            nxt.setFocus()
            self.app.focus(nxt)
            self.caret_epoch = self.t

    def scroll(self, x: int, y: int, clicks: int) -> list[int]:
        self.move_to(x, y)
        ids = []
        table = self.app.ctl.get("table")
        for _ in range(abs(clicks)):
            self.advance(int(self.rng.uniform(70_000, 130_000)))
            ids.append(self.event("scroll", self.style.pointer_device, x=x, y=y, dx=0,
                                  dy=1 if clicks > 0 else -1))
            if table is not None:
                sb = table.verticalScrollBar()
                sb.setValue(sb.value() + (3 if clicks > 0 else -3))
            self._grab()
        return ids

    def think(self, lo: float = 0.35, hi: float = 6.0) -> None:
        self.advance(int(min(hi, max(lo, float(self.rng.lognormal(math.log(0.9), 0.5))))
                         * 1e6))

    def finish(self) -> None:
        from annotator.bundle.writer import iso

        self.advance(600_000)
        self._grab()
        self.writer.close_video()
        self.writer.close_streams()
        self.writer.finish(
            {"ended_utc": iso(self.started + dt.timedelta(microseconds=self.t)),
             "duration_us": self.t, "stop_reason": "benchmark script finished"},
            {"fps_achieved": FPS, "dropped_deadlines": 0, "encoder_dropped": 0})
        self.app.close()

    @property
    def _constant_gap(self) -> float:
        if not hasattr(self, "_gap"):
            self._gap = float(self.rng.choice([0.012, 0.04, 0.08, 0.11]))
        return self._gap

    def point_in(self, w: Any, *, rect: Any = None) -> tuple[int, int]:
        """A person's click on a control: anywhere on it, mostly near the middle."""
        from PyQt6.QtCore import QPoint, QRect
        from PyQt6.QtWidgets import QCheckBox

        r = rect if rect is not None else w.rect()
        if rect is None and isinstance(w, QCheckBox):
            # A check box reacts on its box and its label only, not on the empty width of its
            # row: a person clicks what they see.
            r = QRect(0, 0, min(w.width(), w.sizeHint().width()), w.height())
        cx = r.x() + r.width() / 2 + float(self.rng.normal(0, r.width() * 0.15))
        cy = r.y() + r.height() / 2 + float(self.rng.normal(0, r.height() * 0.15))
        cx = min(max(cx, r.x() + 3), r.x() + r.width() - 4)
        cy = min(max(cy, r.y() + 3), r.y() + r.height() - 4)
        p = w.mapTo(self.app, QPoint(int(cx), int(cy)))
        return p.x(), p.y() + PANEL_H


# -- performing a plan ---------------------------------------------------------------------------
@dataclass
class Done:
    """One thing done: the op, the words a contributor would use, the events it made."""

    op: Op
    ids: list[int]
    words: str
    planted: str | None = None  # the defect this action is, if any
    target: str | None = None  # what it acted on (a control's name)


def style_for(plan: Plan) -> Style:
    d = set(plan.defects)
    syn = "synthetic_input" in d
    return Style(pointer_device="xtest" if syn else "mouse", key_device="xtest" if syn else
                 "keyboard", teleport="pointer_teleport" in d, straight="straight_moves" in d,
                 constant_typing="constant_typing" in d, synthetic=syn)


def ops_for(plan: Plan, rng: np.random.Generator) -> list[Op]:
    app, _goal, ops = TASKS[plan.task]
    ops = list(ops)
    if "length_outlier" in plan.defects:
        if rng.random() < 0.5:
            ops = ops * 4  # the task done over and over
        else:
            ops = ops[:2]  # given up after two steps
    d = set(plan.defects)
    if "repeated_steps" in d:
        key = IDEMPOTENT[app]
        at = next((i for i, o in enumerate(ops) if o.kind == "click" and o.ctl == key), None)
        if at is None:
            ops.append(click(key, 'Click "Save"' if key == "save" else 'Click "Apply"'
                             if key == "apply" else "Click the star icon"))
            at = len(ops) - 1
        for _ in range(int(rng.integers(1, 4))):
            ops.insert(at + 1, Op("again", ops[at].ctl, words=ops[at].words))
    if "no_effect" in d:
        for _ in range(int(rng.integers(1, 3))):
            ops.insert(int(rng.integers(1, len(ops) + 1)), Op("inert"))
    if "idle" in d:
        ops.insert(int(rng.integers(1, len(ops) + 1)), Op("wait", n=int(rng.uniform(30, 50))))
    elif rng.random() < 0.12:  # a person reading for a while: not idle enough to flag
        ops.insert(int(rng.integers(1, len(ops) + 1)), Op("wait", n=int(rng.uniform(8, 13))))
    return ops


def perform(d: Driver, ops: list[Op], rng: np.random.Generator) -> list[Done]:
    from PyQt6.QtCore import QPoint

    app = d.app
    done: list[Done] = []
    last_click: tuple[int, int] | None = None
    for op in ops:
        if op.kind == "wait":
            d.advance(op.n * 1_000_000)
            continue
        d.think()
        words = str(rng.choice(op.words)) if op.words else ""
        if op.kind in ("click", "again"):
            w = app.ctl[op.ctl]
            page = hidden_tab(app, w)
            if page is not None:
                # On a page not shown (a task done again after going to another tab): a
                # person first goes back to the page the control is on.
                done.append(click_tab(d, page, rng))
                d.think()
            if op.kind == "again" and last_click is not None:
                x, y = last_click[0] + int(rng.integers(-3, 4)), last_click[1] + \
                    int(rng.integers(-3, 4))
                d.advance(int(rng.uniform(0.15, 0.6) * 1e6))
            else:
                x, y = d.point_in(w)
            ids = d.click_at(x, y)
            last_click = (x, y)
            el = app.describe(x, y - PANEL_H)
            planned = control_name(app, w)
            if el.name and planned and norm_name(el.name) != norm_name(planned):
                words = f'Click "{el.name}"'  # the words name what was clicked
            done.append(Done(op, ids, words, "repeated_steps" if op.kind == "again" else None,
                             el.name))
        elif op.kind == "tab":
            done.append(click_tab(d, op.text, rng, words.format(t=op.text)))
        elif op.kind == "item":
            lw = app.ctl["list"]
            item = next(lw.item(k) for k in range(lw.count())
                        if lw.item(k).text().removeprefix("★ ") == op.text)
            x, y = d.point_in(lw.viewport(), rect=lw.visualItemRect(item))
            done.append(Done(op, d.click_at(x, y), words.format(t=op.text), None, op.text))
        elif op.kind == "inert":
            desc, p = app.inert_point(rng)  # on a widget shown: a person clicks what they see
            x, y = p.x(), p.y() + PANEL_H
            ids = d.click_at(x, y)
            el = app.describe(x, y - PANEL_H)
            done.append(Done(op, ids, f"Click {desc}", "no_effect", el.name))
        elif op.kind == "type":
            done.append(Done(op, d.type_text(op.text), words.format(t=op.text)))
        elif op.kind == "key":
            done.append(Done(op, d.key(op.text), words))
        elif op.kind == "scroll":
            vp = app.ctl[op.ctl].viewport()
            p = vp.mapTo(app, QPoint(vp.width() // 2 + int(rng.integers(-80, 80)),
                                     vp.height() // 2 + int(rng.integers(-60, 60))))
            done.append(Done(op, d.scroll(p.x(), p.y() + PANEL_H, op.n), words))
    return done


def hidden_tab(app: Any, w: Any) -> str | None:
    """The name of the tab page ``w`` is on, when that page is not the one shown."""
    tabs = app.ctl.get("tabs")
    if tabs is None or w.isVisible():
        return None
    for k in range(tabs.count()):
        if tabs.widget(k).isAncestorOf(w):
            return None if k == tabs.currentIndex() else str(tabs.tabText(k))
    return None


def click_tab(d: Driver, name: str, rng: np.random.Generator, words: str | None = None
              ) -> Done:
    bar = d.app.ctl["tabs"].tabBar()
    i = [bar.tabText(k) for k in range(bar.count())].index(name)
    x, y = d.point_in(bar, rect=bar.tabRect(i))
    return Done(Op("tab", text=name), d.click_at(x, y),
                words or f'Go back to the "{name}" tab', None, name)


def control_name(app: Any, w: Any) -> str | None:
    """The name a control shows (a field's label, a button's text), or None (an icon)."""
    from PyQt6.QtWidgets import QCheckBox, QPushButton

    if w in app.labels:
        return str(app.labels[w])
    if isinstance(w, QPushButton | QCheckBox) and w.text():
        return str(w.text())
    return None


def norm_name(name: str) -> str:
    return " ".join(name.replace("…", "").replace("★", "").casefold().split())


def named_controls(app: Any) -> list[str]:
    """Every name a person could give a control of the window."""
    from PyQt6.QtWidgets import QCheckBox, QPushButton

    names = set(app.labels.values())
    for w in app.ctl.values():
        if isinstance(w, QPushButton | QCheckBox) and w.text():
            names.add(w.text().rstrip("…"))
    if "tabs" in app.ctl:
        bar = app.ctl["tabs"].tabBar()
        names.update(bar.tabText(k) for k in range(bar.count()))
    return sorted(names)


OTHER_TEXT = ["Initech", "Contoso Ltd", "hello world", "42", "sales@initech.example",
              "proxy.internal", "Umbrella Corp", "Sam Taylor"]


# -- labelling, as a contributor does it in the editor --------------------------------------------
def label(folder: Path, plan: Plan, done: list[Done] | None, rng: np.random.Generator,
          names: list[str], *, goal: str, outcome: str = "success",
          words_of: list[str] | None = None, trim_in_us: int | None = None,
          kept_out: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    """Instructions, goal, outcome and redactions through the edit session and the drafter;
    the planted label and redaction defects.  Returns the truth of the defects planted here,
    by kind: the ids of the steps that carry them (or True)."""
    from annotator.drafts import RecordingDrafts
    from annotator.edits import EditSession
    from annotator.steps import load_or_derive

    truth: dict[str, Any] = {}
    doc = load_or_derive(folder)
    d = set(plan.defects)
    with EditSession.open(folder, steps=doc.steps) as session:
        rd = RecordingDrafts.open(folder, edits=session.edits, ocr=False)
        try:
            if trim_in_us:
                session.set_in_point(trim_in_us)
            rd.update_steps(session.result.all_steps)
            rd.draft_all()
            session.set_drafts(rd.texts())
            kept = session.result.steps
            owner: dict[str, Done | None] = {}
            for s in kept:
                ids = set(s.raw_event_ids)
                owner[s.id] = next((x for x in done or () if ids & set(x.ids)), None)
            words: dict[str, str] = {}
            for n, s in enumerate(kept):
                x = owner[s.id]
                if words_of is not None:
                    words[s.id] = words_of[n] if n < len(words_of) and words_of[n] else \
                        "Continue the task"
                elif x is not None and x.words:
                    words[s.id] = x.words
                else:
                    words[s.id] = {"scroll": "Scroll the list", "key": "Press the key",
                                   "type": "Type the text"}.get(s.type, "Click to continue")
                if x is not None and x.planted:
                    truth.setdefault(x.planted, []).append(s.id)
            icons = [s for s in kept if owner[s.id] is not None and owner[s.id].op.ctl in ICONS
                     and s.type == "click"]
            if "weak_draft" in d:
                weak = [s for s in icons if rd.drafts.get(s.id) is not None
                        and rd.drafts[s.id].weak]
                for s in weak[:1]:
                    words[s.id] = rd.drafts[s.id].text
                    truth.setdefault("weak_draft", []).append(s.id)
            named = [s for s in kept if owner[s.id] is not None and owner[s.id].target
                     and owner[s.id].planted is None and s.type == "click"
                     and owner[s.id].op.ctl not in ICONS]
            typed = [s for s in kept if s.type == "type" and s.text]
            if "instruction_mismatch" in d:
                if typed and (not named or rng.random() < 0.4):
                    s = typed[int(rng.integers(len(typed)))]
                    other = next(t for t in rng.permutation(OTHER_TEXT)
                                 if t.casefold() not in (s.text or "").casefold())
                    words[s.id] = f'Type "{other}"'
                else:
                    s = named[int(rng.integers(len(named)))]
                    target = owner[s.id].target or ""
                    pool = [n for n in names if n.casefold() not in target.casefold()
                            and target.casefold() not in n.casefold()]
                    other = str(rng.choice(pool))
                    words[s.id] = str(rng.choice(OTHER_WORDS)).format(n=other)
                truth.setdefault("instruction_mismatch", []).append(s.id)
            if "same_instruction" in d:
                pool = [s for s in kept if s.id not in truth.get("instruction_mismatch", ())]
                distinct: dict[Any, Any] = {}
                for s in pool:
                    key = (s.type, owner[s.id].op.ctl if owner[s.id] else None, s.text)
                    distinct.setdefault(key, s)
                chosen = list(distinct.values())
                rng.shuffle(chosen)
                text = str(rng.choice(SAME_WORDS))
                for s in chosen[:int(rng.integers(3, 5))]:
                    words[s.id] = text
                    truth.setdefault("same_instruction", []).append(s.id)
            for s in kept:
                if s.id in truth.get("weak_draft", ()):
                    session.accept_draft(s.id)
                else:
                    session.set_instruction(s.id, words[s.id])
            if kept_out is not None:  # (step id, type, instruction) of the steps kept
                kept_out.extend((s.id, s.type, words[s.id]) for s in kept)
            session.set_goal(goal)
            session.set_outcome(outcome)
            dur = session.timeline.result_duration_us
            if "large_redaction" in d:
                share = float(rng.uniform(0.55, 0.9))
                w = int(SCREEN_W * math.sqrt(share) * rng.uniform(0.95, 1.0))
                h = int(min(SCREEN_H, SCREEN_W * SCREEN_H * share / w))
                x = int(rng.integers(0, SCREEN_W - w + 1))
                y = int(rng.integers(0, SCREEN_H - h + 1))
                t0 = int(rng.uniform(0, 0.5) * dur)
                session.add_box([x, y, w, h], t0, min(dur, t0 + int(rng.uniform(3e6, 10e6))))
                truth["large_redaction"] = True
            elif rng.random() < 0.25:  # a small, ordinary redaction
                session.add_box([int(rng.integers(100, 700)), int(rng.integers(80, 400)),
                                 int(rng.integers(120, 300)), int(rng.integers(18, 40))],
                                0, dur)
            if "accepted_leak" in d:
                session.allow_leak_item(str(rng.choice(["billing@acme.example",
                                                        "ap@globex.example"])), "email")
                truth["accepted_leak"] = True
            rd.update_steps(session.result.all_steps)
            rd.save()
        finally:
            rd.close()
    return truth


def skip_ocr_leak_scan() -> None:
    """The benchmark measures signals, not the leak check: its OCR scan (most of a package's
    preparation time) is replaced by a pass, in this process only."""
    import annotator.submission.render as r
    from annotator.media.leakcheck import PASSED, CheckResult
    from annotator.redaction.leakscan import OCR_CHECK

    r.check_ocr_text = lambda ctx: CheckResult(OCR_CHECK, PASSED, "skipped in the benchmark")


def prepare(folder: Path, out: Path, ws: Any, task_id: int | None) -> None:
    from annotator.submission.builder import prepare_package

    skip_ocr_leak_scan()
    if out.exists():
        shutil.rmtree(out)
    prepare_package(folder, out, workspace=ws, task_id=task_id)


# -- one submission ------------------------------------------------------------------------------
def start_time(seed: int) -> dt.datetime:
    base = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    return base + dt.timedelta(hours=3 * seed, minutes=seed * 7 % 60, seconds=seed * 13 % 60)


def make_recording(plan: Plan, folder: Path) -> tuple[list[Done], list[str]]:
    rng = np.random.default_rng(plan.seed)
    app_name = TASKS[plan.task][0]
    d = Driver(folder, app_name, style_for(plan), rng, start_time(plan.seed))
    done = perform(d, ops_for(plan, rng), rng)
    names = named_controls(d.app)
    d.finish()
    return done, names


def write_truth(out: Path, plan: Plan, truth: dict[str, Any], **extra: Any) -> None:
    for k in plan.defects:
        if k in ("synthetic_input", "pointer_teleport", "straight_moves", "constant_typing",
                 "idle", "length_outlier", "replayed_video", "duplicate"):
            truth.setdefault(k, True)
    data = {"corpus_version": CORPUS_VERSION, "seed": plan.seed, "split": plan.split,
            "task": plan.task, "contributor": plan.contributor, "planned": plan.defects,
            "truth": truth, "replay_of": plan.replay_of, "duplicate_of": plan.duplicate_of,
            "same_account": plan.same_account, **extra}
    (out / "truth.json").write_text(json.dumps(data, indent=1, sort_keys=True))


def make_submission(plan: Plan, root: Path, ws: Any, task_ids: dict[str, int]) -> Path:
    """Record, label and prepare submission ``plan.seed`` under ``root`` (its folder)."""
    from annotator.edits import EditSession
    from annotator.steps import load_or_derive

    out = root / f"s{plan.seed:03d}"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rec = out / "recording"
    rng = np.random.default_rng(plan.seed + 777)
    if plan.replay_of is not None:
        src = root / f"s{plan.replay_of:03d}"
        words = make_replay(plan, src / "recording", rec, rng)
        src_truth = json.loads((src / "truth.json").read_text())
        kept: list[tuple[str, str, str]] = []
        truth = label(rec, plan, None, rng, [], goal=TASKS[src_truth["task"]][1],
                      words_of=words, kept_out=kept)
        task = src_truth["task"]
        plan.task = task
        unscored = inherit(truth, src, kept, offset=1, replay=True)
    elif plan.duplicate_of is not None:
        src = root / f"s{plan.duplicate_of:03d}"
        rec.mkdir()
        for f in ("manifest.json", "video.mp4", "frames.idx", "events.jsonl", "windows.jsonl",
                  "elements.jsonl"):
            shutil.copy2(src / "recording" / f, rec / f)
        performed = json.loads((src / "performed.json").read_text())
        src_truth = json.loads((src / "truth.json").read_text())
        task = src_truth["task"]
        plan.task = task
        # Labelled again in other words (a drafted or differently phrased instruction).
        alt = [w if rng.random() < 0.5 else (w.replace("Click", "Press", 1)
                                             if w.startswith("Click") else w) for w in performed]
        trim = int(rng.uniform(0.2, 0.9) * 1e6) if rng.random() < 0.5 else None
        kept = []
        truth = label(rec, plan, None, rng, [], goal=TASKS[task][1], words_of=alt,
                      trim_in_us=trim, kept_out=kept)
        unscored = inherit(truth, src, kept, offset=0, replay=False)
    else:
        unscored = []
        done, names = make_recording(plan, rec)
        outcome = "abandoned" if "length_outlier" in plan.defects and \
            len([x for x in done]) <= 3 else "success"
        truth = label(rec, plan, done, rng, names, goal=TASKS[plan.task][1], outcome=outcome)
        task = plan.task
    with EditSession.open(rec, steps=load_or_derive(rec).steps, lock=False) as session:
        kept_words = [s.label.instruction for s in session.result.steps]
    (out / "performed.json").write_text(json.dumps(kept_words))
    prepare(rec, out / "package", ws, task_ids.get(task))
    write_truth(out, plan, truth, unscored=unscored)
    return out


# What a copy of a submission carries of its source's defects.  A duplicate is the same
# recording labelled again: every defect of the recording (input, effects, time, a video
# played back) is in it, and the label defects its new words keep.  A replay shows the
# source's screen with the source's input mimicked (as a person or a mouse, not XTEST): the
# way the pointer and the keys moved and the length are the source's; clicks on a video
# change nothing by nature (not judged on a replay), and a click on a video names no control.
RECORDING_KINDS = ("synthetic_input", "pointer_teleport", "straight_moves", "constant_typing",
                   "idle", "length_outlier", "replayed_video", "no_effect", "repeated_steps")
REPLAY_KINDS = ("pointer_teleport", "straight_moves", "constant_typing", "length_outlier")
LABEL_KINDS = ("instruction_mismatch", "same_instruction", "weak_draft")


def inherit(truth: dict[str, Any], src: Path, kept: list[tuple[str, str, str]], *,
            offset: int, replay: bool) -> list[str]:
    """Add to ``truth`` the defects of submission ``src`` that its copy (``kept``: the copy's
    steps, the source's step n being the copy's n + ``offset``) carries; returns the kinds
    the copy has but cannot show (not scored)."""
    src_truth = json.loads((src / "truth.json").read_text())["truth"]
    src_steps = [s["id"] for s in json.loads((src / "package" / "steps.json").read_text())
                 ["steps"] if s["type"] != "terminate"]  # the end mark is no step kept
    src_words = json.loads((src / "performed.json").read_text())
    aligned = len(kept) == len(src_steps) + offset and len(src_words) == len(src_steps)
    unscored: list[str] = []

    def step_of(src_id: str) -> tuple[str, str, str] | None:
        if not aligned or src_id not in src_steps:
            return None
        return kept[src_steps.index(src_id) + offset]

    for k, v in src_truth.items():
        if k in LABEL_KINDS:
            continue
        if replay and k not in REPLAY_KINDS:
            if k not in ("synthetic_input", "duplicate", "large_redaction", "accepted_leak"):
                unscored.append(k)  # idle, effects: not judged on a video played back
            continue
        if k not in RECORDING_KINDS:
            continue
        if isinstance(v, list):
            ids = [c[0] for c in map(step_of, v) if c is not None]
            if ids:
                truth[k] = sorted(set(truth.get(k, [])) | set(ids))
            elif v:
                unscored.append(k)
        else:
            truth[k] = True
    for k in LABEL_KINDS:
        ids = []
        for src_id in src_truth.get(k) or ():
            c = step_of(src_id)
            if c is None:
                continue
            same_words = c[2] == src_words[src_steps.index(src_id)]
            if k == "weak_draft" and (replay or not same_words):
                continue  # typed in again, or reworded: no longer the draft left as it was
            if k == "instruction_mismatch" and replay and c[1] != "type":
                unscored.append(k)  # a click on a video: no control to compare the words to
                continue
            ids.append(c[0])
        if k == "same_instruction":
            by_words: dict[str, list[str]] = {}
            for i in ids:
                by_words.setdefault(next(w for x, _t, w in kept if x == i), []).append(i)
            ids = [i for group in by_words.values() if len(group) >= 3 for i in group]
        if ids:
            truth[k] = sorted(set(truth.get(k, [])) | set(ids))
    return sorted(set(unscored) - set(truth))


# -- a video played back: another submission's recording on screen --------------------------------
def _decode_all(video: Path) -> list[tuple[int, np.ndarray]]:
    import av

    out = []
    with av.open(str(video)) as c:
        for f in c.decode(c.streams.video[0]):
            if f.pts is not None:
                out.append((int(f.pts), f.to_ndarray(format="bgr24")))
    return out


def _reencode(frames: list[tuple[int, np.ndarray]], crf: int) -> list[tuple[int, np.ndarray]]:
    """The source as someone else's screen recording would be: H.264 at ``crf``, 25 fps."""
    import io

    import av

    buf = io.BytesIO()
    h, w = frames[0][1].shape[:2]
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"crf": str(crf), "preset": "veryfast"}
        t0 = frames[0][0]
        last = -1
        for pts, bgr in frames:
            k = max(last + 1, round((pts - t0) / 40_000))
            f = av.VideoFrame.from_ndarray(bgr, format="bgr24")
            f.pts = k
            last = k
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    buf.seek(0)
    got = []
    with av.open(buf) as c:
        st = c.streams.video[0]
        for f in c.decode(st):
            got.append((t0 + int(round(float(f.pts * st.time_base) * 1e6)),
                        f.to_ndarray(format="bgr24")))
    return got


def make_replay(plan: Plan, src: Path, out: Path, rng: np.random.Generator) -> list[str]:
    """A recording of a video player showing ``src``'s recording, with ``src``'s input
    mimicked over the picture; returns the instructions (the source's, and the play click)."""
    from annotator.bundle.reader import Bundle
    from annotator.bundle.writer import BundleWriter, iso, new_manifest
    from annotator.edits import EditSession
    from annotator.steps import load_or_derive

    frames = _reencode(_decode_all(src / "video.mp4"), int(rng.choice([26, 30, 34])))
    scale = float(rng.choice([0.72, 0.85, 1.0]))
    if scale < 1.0:
        vw, vh = int(SCREEN_W * scale) // 2 * 2, int(SCREEN_H * scale) // 2 * 2
        ox, oy = (SCREEN_W - vw) // 2, PANEL_H + 40
    else:
        vw, vh, ox, oy = SCREEN_W, SCREEN_H, 0, 0
    start = start_time(plan.seed)
    out.mkdir(parents=True, mode=0o700)
    writer = BundleWriter(out, SCREEN_W, SCREEN_H, video={"fps": FPS}, elements=True)
    region = {"x": 0, "y": 0, "width": SCREEN_W, "height": SCREEN_H}
    writer.start(new_manifest(
        created_by="benchmarks/signals_corpus.py (replay)", started=start,
        clock={"name": "scripted", "unit": "microseconds since start", "start_monotonic_ns": 0,
               "start_utc": iso(start)},
        os={"system": "benchmark", "release": "", "session": "offscreen"},
        displays=[{"id": "1", "origin_x": 0, "origin_y": 0, "width_px": SCREEN_W,
                   "height_px": SCREEN_H, "scale": 1.0, "captured": True}],
        capture={"display_id": "1", "region": region, "scale": 1.0, "fps_requested": FPS,
                 "fps_achieved": FPS, "cursor": False, "method": "scripted",
                 "method_reason": "made by the signals benchmark"},
        acknowledgement=None, deny_list=[], hotkeys={},
        a11y={"available": True, "reason": None, "focus_source": "scripted",
              "password_masking": False, "elements_file": "elements.jsonl"},
        input_devices={"source": "xinput2", "classes_present": ["keyboard", "mouse"]}))
    writer.window({"t": 100_000, "kind": "focus", "title": "recording.mp4 - Videos",
                   "app": "videos", "window_id": 1, "box": [0, 0, SCREEN_W, SCREEN_H]})
    src_events = Bundle.open(src).events
    t_play = 1_500_000
    t0 = frames[0][0]
    total = frames[-1][0] - t0 + 1
    events = []
    nid = 1
    # The play click, then the source's input over the video.
    px, py = ox + 30, min(SCREEN_H - 20, oy + vh + 18) if scale < 1.0 else SCREEN_H - 30
    for dx, dy, dt_ in ((-200, -150, 0), (-90, -60, 150_000), (0, 0, 300_000)):
        events.append({"id": nid, "t": t_play - 500_000 + dt_, "kind": "mouse_move",
                       "x": px + dx, "y": py + dy, "device": "mouse"})
        nid += 1
    down = nid
    events.append({"id": nid, "t": t_play - 100_000, "kind": "mouse_down", "x": px, "y": py,
                   "button": "left", "device": "mouse"})
    events.append({"id": nid + 1, "t": t_play - 30_000, "kind": "mouse_up", "x": px, "y": py,
                   "button": "left", "device": "mouse"})
    nid += 2
    for e in src_events:
        if e.get("kind") in ("pause", "resume"):
            continue
        e2 = {k: v for k, v in e.items() if k not in ("id", "synthetic")}
        e2["id"] = nid
        e2["t"] = t_play + int(e["t"]) - t0
        e2["device"] = "keyboard" if e["kind"].startswith("key") else "mouse"
        if "x" in e2:
            e2["x"] = int(ox + e2["x"] * vw / SCREEN_W)
            e2["y"] = int(oy + e2["y"] * vh / SCREEN_H)
        events.append(e2)
        nid += 1
    for e in events:
        writer.event(e)
        if e["kind"] == "mouse_down":
            writer.element({"kind": "hit", "event_id": e["id"], "t": e["t"], "source": "none",
                            "reason": "the video player exposes no element for its picture"
                            if e["id"] != down else "no element",
                            "app": "videos", "pid": None})
    end = t_play + total + 1_500_000

    def compose(img: np.ndarray | None, t: int) -> np.ndarray:
        screen = np.full((SCREEN_H, SCREEN_W, 3), 24, np.uint8)
        if scale < 1.0:
            screen[:PANEL_H] = (46, 42, 40)
            cv2.putText(screen, "recording.mp4 - Videos", (ox, PANEL_H + 26),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.55, (220, 220, 220), 1, cv2.LINE_AA)
            bar_y = oy + vh + 12
            cv2.rectangle(screen, (ox + 60, bar_y), (ox + vw - 10, bar_y + 6), (80, 80, 80), -1)
            done = min(1.0, max(0.0, (t - t_play) / total))
            cv2.rectangle(screen, (ox + 60, bar_y), (ox + 60 + int((vw - 70) * done), bar_y + 6),
                          (60, 140, 230), -1)
            cv2.putText(screen, ">" if t < t_play else "||", (ox + 24, bar_y + 8),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5, (230, 230, 230), 1, cv2.LINE_AA)
        if img is not None:
            pic = img if scale == 1.0 else cv2.resize(img, (vw, vh), interpolation=cv2.INTER_AREA)
            screen[oy:oy + vh, ox:ox + vw] = pic
        return screen

    shown: list[tuple[int, np.ndarray | None]] = [(0, frames[0][1])]
    shown += [(t_play + pts - t0, img) for pts, img in frames]
    progress = [(t, None) for t in range(t_play, end, 1_000_000)] if scale < 1.0 else []
    moments = sorted({t for t, _ in shown} | {t for t, _ in progress})
    pic_at = dict(shown)
    current = frames[0][1]
    last = None
    grid = 1_000_000 // FPS
    g = 0
    for t in moments + [end]:
        while g < t:
            writer.grab(g, stored=False, changed=False)
            g += grid
        if t == end:
            break
        if t in pic_at and pic_at[t] is not None:
            current = pic_at[t]
        screen = compose(current, t)
        raw = screen.tobytes()
        if raw != last:
            writer.encode(cv2.cvtColor(screen, cv2.COLOR_BGR2YUV_I420), t)
            writer.grab(t, stored=True, changed=True)
            last = raw
        g = max(g, t + grid)
    writer.close_video()
    writer.close_streams()
    writer.finish({"ended_utc": iso(start + dt.timedelta(microseconds=end)),
                   "duration_us": end, "stop_reason": "benchmark script finished"},
                  {"fps_achieved": FPS, "dropped_deadlines": 0, "encoder_dropped": 0})
    with EditSession.open(src, steps=load_or_derive(src).steps, lock=False) as session:
        words = [s.label.instruction for s in session.result.steps]
    return ["Click the play button", *words]


SKIPPED = "skipped.json"


def is_current(out: Path, *, or_skipped: bool = False) -> bool:
    """Whether submission folder ``out`` was made by this version of the corpus (or, with
    ``or_skipped``, found not to fit its app by it)."""
    for name in ("truth.json", SKIPPED) if or_skipped else ("truth.json",):
        try:
            if json.loads((out / name).read_text()).get("corpus_version") == CORPUS_VERSION:
                return True
        except (OSError, ValueError):
            continue
    return False


def task_ids() -> dict[str, int]:
    """The store's task ids: the tasks are published in this order into a new store."""
    return {name: i + 1 for i, name in enumerate(sorted(TASKS))}


def build(root: Path, seeds: list[int]) -> None:
    """Make the submissions ``seeds`` (in this process; a QApplication must exist)."""
    from annotator.workspace import Workspace

    ws = Workspace.open(root / "_workspace")
    for seed in seeds:
        out = root / f"s{seed:03d}"
        if is_current(out):
            continue
        try:
            make_submission(plan_for(seed), root, ws, task_ids())
        except StopIteration:  # the plan asked for a list item the app does not show
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)  # remembered, so that the next run does not try again
            (out / SKIPPED).write_text(json.dumps({"corpus_version": CORPUS_VERSION}))
            print(f"skipped s{seed:03d}: its plan does not fit its app", flush=True)
            continue
        print(f"made s{seed:03d}", flush=True)


if __name__ == "__main__":
    import sys

    from PyQt6.QtWidgets import QApplication

    _app = QApplication(sys.argv[:1])
    build(Path(sys.argv[1]), [int(a) for a in sys.argv[2:]])

"""``annotator demo``: a sample recording made without a screen.

A bundled sample application (an invoice form with a table) is rendered offscreen and driven
by a scripted demonstration through Qt's test input.  Every scripted input becomes a raw event
exactly as the recorder writes it, and every change on screen becomes a frame encoded with the
recorder's own encoder and settings, so the result is an ordinary bundle (docs/bundle-format.md)
that the editor, steps and everything downstream read like any other.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QColor, QFont, QImage, QPalette
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from annotator.bundle.writer import BundleWriter, iso, new_manifest
from annotator.capture.a11y_model import ROLE_NAMES
from annotator.capture.x11_devices import SCRIPTED
from annotator.workspace import Workspace, ensure_private_dir

WIDTH, HEIGHT = 1280, 800
FPS = 30
TITLE = "Invoice 2041 - Sample Books"
APP = "samplebooks"

_SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8',
            '(': '9', ')': '0', '_': '-', '+': '=', '{': '[', '}': ']', ':': ';', '"': "'",
            '<': ',', '>': '.', '?': '/', '|': '\\', '~': '`'}


class SampleBooks(QWidget):
    """The sample application: a small invoicing window that looks like a real one."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.setFixedSize(width, height)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(246, 247, 249))
        self.setPalette(pal)
        self.setAutoFillBackground(True)
        root = QVBoxLayout(self)
        bar = QHBoxLayout()
        title = QLabel("Sample Books  ›  Invoices  ›  Invoice 2041")
        f = QFont()
        f.setPointSize(13)
        f.setBold(True)
        title.setFont(f)
        bar.addWidget(title)
        bar.addStretch(1)
        self.new_btn = QPushButton("New invoice")
        self.save_btn = QPushButton("Save")
        self.send_btn = QPushButton("Send…")
        for b in (self.new_btn, self.save_btn, self.send_btn):
            b.setMinimumHeight(30)
            bar.addWidget(b)
        root.addLayout(bar)
        self.form = form = QFormLayout()
        self.customer = QLineEdit()
        self.email = QLineEdit()
        self.terms = QComboBox()
        self.terms.addItems(["Net 30", "Net 15", "Due on receipt"])
        self.notes = QTextEdit()
        self.notes.setFixedHeight(70)
        form.addRow("Customer", self.customer)
        form.addRow("E-mail", self.email)
        form.addRow("Terms", self.terms)
        form.addRow("Notes", self.notes)
        root.addLayout(form)
        self.table = QTableWidget(60, 4)
        self.table.setHorizontalHeaderLabels(["Item", "Qty", "Unit price", "Amount"])
        rng = np.random.default_rng(5)
        items = ["Consulting hours", "Design review", "Hosting (monthly)", "Support plan",
                 "Training session", "Travel", "Licence renewal", "Data migration"]
        for r in range(60):
            qty = int(rng.integers(1, 20))
            price = float(rng.integers(20, 400))
            for c, v in enumerate([items[r % len(items)], str(qty), f"{price:,.2f}",
                                   f"{qty * price:,.2f}"]):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.setColumnWidth(0, 420)
        root.addWidget(self.table, 1)
        self.status = QLabel("Draft — not saved")
        root.addWidget(self.status)
        self.save_btn.clicked.connect(lambda: self.status.setText("Saved"))


@dataclass
class _Clock:
    t_us: int = 200_000

    def advance(self, ms: float) -> int:
        self.t_us += int(ms * 1000)
        return self.t_us


class DemoRecorder:
    """Drives the sample window and writes what a recorder would have written."""

    def __init__(self, out: Path, ack: dict | None, width: int = WIDTH,
                 height: int = HEIGHT) -> None:
        self.out = out
        self.width, self.height = width, height
        ensure_private_dir(out)
        self.win = SampleBooks(width, height)
        self.win.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.win.show()
        QApplication.processEvents()
        self.clock = _Clock()
        self.writer = BundleWriter(out, width, height, video={"fps": FPS}, elements=True)
        self.next_id = 1
        self.last_grab_t = 0
        self.last_raw: bytes | None = None
        self.mouse = (width // 2, height // 2)
        self.focus: QWidget | None = None
        self.started = _dt.datetime.now(_dt.UTC)
        self.writer.start(self._manifest(ack))
        self.writer.window({"t": 100_000, "kind": "focus", "title": TITLE, "app": APP,
                            "window_id": 1, "box": [0, 0, width, height]})
        self._grab(force=True)

    # -- frames -----------------------------------------------------------------------
    def _grab(self, force: bool = False) -> None:
        """Grab at the 30 fps grid up to now, as the recorder's capture thread would."""
        interval = 1_000_000 // FPS
        now = self.clock.t_us
        # Unchanged grabs between the last one and now.
        t = self.last_grab_t + interval
        while t < now - interval // 2:
            self.writer.grab(t, stored=False, changed=False)
            t += interval
        QApplication.processEvents()
        img = self.win.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        bgra = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
        bgra = np.ascontiguousarray(bgra[:self.height, :self.width])
        raw = bgra.tobytes()
        changed = raw != self.last_raw or force
        if changed:
            self.writer.encode(cv2.cvtColor(bgra, cv2.COLOR_BGRA2YUV_I420), now)
            self.last_raw = raw
        self.writer.grab(now, stored=changed, changed=changed)
        self.last_grab_t = now

    def _event(self, kind: str, **fields) -> int:
        """A scripted input event: its device class says it was made up (``scripted``)."""
        eid = self.next_id
        self.writer.event({"id": eid, "t": self.clock.t_us, "kind": kind, **fields,
                           "device": SCRIPTED, "synthetic": True})
        self.next_id += 1
        return eid

    # -- scripted input ---------------------------------------------------------------------
    def move_to(self, x: int, y: int, ms: float = 400) -> None:
        x0, y0 = self.mouse
        steps = max(2, int(ms / 16))
        for i in range(1, steps + 1):
            a = 0.5 - 0.5 * math.cos(math.pi * i / steps)  # ease in and out, like a hand
            self.clock.advance(ms / steps)
            self._event("mouse_move", x=round(x0 + (x - x0) * a), y=round(y0 + (y - y0) * a))
        self.mouse = (x, y)

    def _widget_at(self, x: int, y: int) -> tuple[QWidget, QPoint]:
        w = self.win.childAt(QPoint(x, y)) or self.win
        return w, w.mapFrom(self.win, QPoint(x, y))

    def click(self, widget: QWidget, button: str = "left", count: int = 1,
              at: QPoint | None = None) -> None:
        p = widget.mapTo(self.win, at if at is not None else widget.rect().center())
        self.move_to(p.x(), p.y())
        qbtn = {"left": Qt.MouseButton.LeftButton, "right": Qt.MouseButton.RightButton}[button]
        target, local = self._widget_at(p.x(), p.y())
        for n in range(count):
            self.clock.advance(120 if n else 150)
            self._hit(self._event("mouse_down", x=p.x(), y=p.y(), button=button), p.x(), p.y())
            self.clock.advance(60)
            self._event("mouse_up", x=p.x(), y=p.y(), button=button)
            if n == 1:
                QTest.mouseDClick(target, qbtn, Qt.KeyboardModifier.NoModifier, local)
            else:
                QTest.mouseClick(target, qbtn, Qt.KeyboardModifier.NoModifier, local)
        if isinstance(widget, (QLineEdit, QTextEdit, QTableWidget)):
            widget.setFocus()
            self.focus = widget
        if isinstance(widget, QTableWidget) and count == 2:
            QApplication.processEvents()
            # A double click opens the cell's editor: typing goes there.
            editors = [e for e in widget.findChildren(QLineEdit) if e.isVisible()]
            if editors:
                editors[0].selectAll()
                self.focus = editors[0]
        self.clock.advance(30)
        self._grab()

    def _key(self, key: str, char: str | None, vk: int, mods: list[str], qkey: int,
             text: str = "", qmods=Qt.KeyboardModifier.NoModifier) -> None:
        self._event("key_down", key=key, char=char, vk=vk, mods=mods)
        target = self.focus or self.win
        QTest.keyPress(target, qkey, qmods, -1)
        self.clock.advance(70)
        self._event("key_up", key=key, char=char if not mods else (char or "").lower() or None,
                    vk=vk, mods=[])
        QTest.keyRelease(target, qkey, qmods, -1)

    def type(self, text: str, cps: float = 6.0) -> None:
        for ch in text:
            self.clock.advance(1000 / cps - 70)
            shifted = ch.isupper() or ch in _SHIFTED
            base = ch.lower() if ch.isalpha() else _SHIFTED.get(ch, ch)
            name = "space" if ch == " " else base
            if shifted:
                self._event("key_down", key="shift", char=None, vk=65505, mods=[])
                self.clock.advance(40)
            self._event("key_down", key=name, char=ch, vk=ord(ch),
                        mods=["shift"] if shifted else [])
            QTest.keyClicks(self.focus or self.win, ch)
            self.clock.advance(60)
            if shifted:
                self._event("key_up", key="shift", char=None, vk=65505, mods=["shift"])
            self._event("key_up", key=name, char=ch.lower() if shifted else ch,
                        vk=ord(ch.lower()), mods=[])
            self._grab()

    def press(self, name: str, focus: QWidget | None = None) -> None:
        qkeys = {"tab": (Qt.Key.Key_Tab, 65289), "enter": (Qt.Key.Key_Return, 65293),
                 "backspace": (Qt.Key.Key_Backspace, 65288), "down": (Qt.Key.Key_Down, 65364)}
        qk, vk = qkeys[name]
        self.clock.advance(250)
        self._key(name, None, vk, [], qk)
        if focus is not None:  # the widget Tab moves to (an offscreen window has no focus chain)
            focus.setFocus()
            self.focus = focus
        elif name == "enter" and isinstance(self.focus, QLineEdit) and \
                isinstance(self.focus.parent(), QWidget) and self.focus.parent() is \
                self.win.table.viewport():
            self.win.table.setFocus()  # Enter commits the cell edit
            self.focus = self.win.table
        self._grab()

    def hotkey(self, mod: str, key: str) -> None:
        self.clock.advance(300)
        self._event("key_down", key=mod, char=None, vk=65507, mods=[])
        self.clock.advance(80)
        self._event("key_down", key=key, char=key, vk=ord(key), mods=[mod])
        if (mod, key) == ("ctrl", "s"):
            self.win.save_btn.click()
        self.clock.advance(70)
        self._event("key_up", key=key, char=key, vk=ord(key), mods=[mod])
        self._event("key_up", key=mod, char=None, vk=65507, mods=[mod])
        self.clock.advance(30)
        self._grab()

    def scroll(self, widget: QWidget, clicks: int) -> None:
        p = widget.mapTo(self.win, widget.rect().center())
        self.move_to(p.x(), p.y())
        sb = self.win.table.verticalScrollBar()
        for _ in range(abs(clicks)):
            self.clock.advance(90)
            self._event("scroll", x=p.x(), y=p.y(), dx=0, dy=1 if clicks > 0 else -1)
            sb.setValue(sb.value() + (3 if clicks > 0 else -3))
            self._grab()

    def wait(self, ms: float) -> None:
        self.clock.advance(ms)
        self._grab()

    def finish(self) -> dict:
        self.clock.advance(600)
        self._grab()
        self.writer.close_video()
        self.writer.close_streams()
        duration = self.clock.t_us
        manifest = self.writer.finish(
            {"ended_utc": iso(self.started + _dt.timedelta(microseconds=duration)),
             "duration_us": duration, "stop_reason": "demo finished"},
            {"fps_achieved": FPS, "dropped_deadlines": 0, "encoder_dropped": 0})
        self.win.close()
        return manifest

    def _manifest(self, ack: dict | None) -> dict:
        region = {"x": 0, "y": 0, "width": self.width, "height": self.height}
        return new_manifest(
            created_by="annotator demo",
            started=self.started,
            clock={"name": "scripted", "unit": "microseconds since start",
                   "start_monotonic_ns": 0, "start_utc": iso(self.started)},
            os={"system": "demo", "release": "", "session": "offscreen"},
            displays=[{"id": "1", "origin_x": 0, "origin_y": 0, "width_px": self.width,
                       "height_px": self.height, "scale": 1.0, "captured": True}],
            capture={"display_id": "1", "region": region, "scale": 1.0, "fps_requested": FPS,
                     "fps_achieved": FPS, "cursor": False, "method": "scripted",
                     "method_reason": "made by annotator demo: every change is grabbed"},
            acknowledgement=ack, deny_list=[], hotkeys={},
            a11y={"available": True, "reason": None, "focus_source": "scripted",
                  "password_masking": False, "elements_file": "elements.jsonl"},
            input_devices={"source": "scripted",
                           "reason": "made by annotator demo: no device was used"},
        )

    def _hit(self, event_id: int, x: int, y: int) -> None:
        """The element under a press, as the sample window's widget tree knows it (what
        accessibility would report for these Qt widgets: a field is named by its label)."""
        widget, local = self._widget_at(x, y)
        role, name, box, rect = "filler", None, widget, None
        table = self.win.table
        if widget is table.viewport():
            item = table.itemAt(local)
            role, name = "table cell", item.text() if item is not None else None
            if item is not None:
                r = table.visualItemRect(item)
                tl = table.viewport().mapTo(self.win, r.topLeft())
                rect = [tl.x(), tl.y(), r.width(), r.height()]
            box = None
        elif isinstance(widget, QPushButton):
            role, name = "push button", widget.text()
        elif isinstance(widget, (QLineEdit, QTextEdit)) or isinstance(
                widget.parent(), QTextEdit):
            field = widget if isinstance(widget, (QLineEdit, QTextEdit)) else widget.parent()
            label = self.win.form.labelForField(field)
            role, name, box = "text", label.text() if label else None, field
        if box is not None:
            tl = box.mapTo(self.win, QPoint(0, 0))
            rect = [tl.x(), tl.y(), box.width(), box.height()]
        codes = {v: k for k, v in ROLE_NAMES.items()}
        self.writer.element({"kind": "hit", "event_id": event_id, "t": self.clock.t_us,
                             "source": "scripted", "role": codes.get(role), "role_name": role,
                             "name": name, "box": rect, "app": APP, "toolkit": "Qt",
                             "pid": None, "states": ["enabled", "showing", "visible"],
                             "password": False, "latency_us": 0})


def script(d: DemoRecorder) -> None:
    """The demonstration: fill in an invoice, check the table, save and send it."""
    w = d.win
    d.wait(800)
    d.click(w.customer)
    d.type("Acme Corporation")
    d.press("tab", focus=w.email)
    d.type("jane.doe@exampel.com")
    for _ in range(7):
        d.press("backspace")
    d.type("ple.com")
    d.click(w.notes)
    d.type("Thanks for your business!")
    d.scroll(w.table, 4)
    d.wait(700)
    d.scroll(w.table, -2)
    d.click(w.table, count=2, at=QPoint(200, 60))
    d.type("Consulting hours (Q3)")
    d.press("enter")
    d.click(w.table, button="right", at=QPoint(200, 120))
    d.wait(500)
    d.hotkey("ctrl", "s")
    d.wait(900)
    d.click(w.send_btn)
    d.wait(1000)


def make_demo(ws: Workspace) -> Path:
    """Record the demo into a new folder of the workspace and return it."""
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("make_demo needs a QApplication")
    out = ws.new_recording_dir()
    out = out.with_name(out.name.replace("rec-", "demo-"))
    rec = DemoRecorder(out, ws.acknowledgement())
    script(rec)
    rec.finish()
    return out

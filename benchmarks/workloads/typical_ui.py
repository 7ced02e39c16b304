"""The "typical UI" workload: a full-screen code-editor-like application, driven by xdotool.

The window (PyQt6, placed at 0,0 and sized to the whole screen, with no window manager
needed): a menu bar, a toolbar of eight buttons, a project tree, an editor pane holding
about 200 lines of code, a 2,000-row table, and a status bar (cursor position, messages).

The driver, for N seconds, on a fixed schedule (seeded, so every run is identical):
- types code into the editor at 5 characters a second (one key every 0.2 s);
- every 3 s glides the pointer over the table and scrolls it by three wheel clicks (the
  direction turns every 12 scrolls, so a long run stays inside the 2,000 rows);
- every 2 s glides the pointer to the next toolbar button and clicks it (the status bar
  then says so).
Pointer actions never overlap: one waits for the previous one to finish.

Standalone, on the X display in $DISPLAY:
    python benchmarks/workloads/typical_ui.py --app            # only show the window
    python benchmarks/workloads/typical_ui.py --seconds 20     # show it and drive it
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()

TYPE_INTERVAL_S = 0.2  # 5 characters a second
CLICK_PERIOD_S = 2.0
SCROLL_PERIOD_S = 3.0
SCROLL_CLICKS = 3
SCROLL_TURN_EVERY = 12
GLIDE_STEPS = 10
GLIDE_STEP_S = 0.025

BUTTONS = ["New", "Open", "Save", "Undo", "Redo", "Find", "Run", "Debug"]

TEXT = '''def summarize(records, key="status"):
    counts = {}
    for rec in records:
        value = rec.get(key, "unknown")
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


class Inventory:
    def __init__(self, items):
        self.items = list(items)

    def total(self):
        return sum(i.price * i.quantity for i in self.items)

'''

KEYSYMS = {
    " ": "space", "\n": "Return", ".": "period", ",": "comma", "(": "parenleft",
    ")": "parenright", ":": "colon", "=": "equal", "_": "underscore", '"': "quotedbl",
    "'": "apostrophe", "#": "numbersign", "-": "minus", "+": "plus", "*": "asterisk",
    "{": "braceleft", "}": "braceright", "[": "bracketleft", "]": "bracketright",
    "<": "less", ">": "greater", "/": "slash", "!": "exclam", "?": "question",
}


def keysym(ch: str) -> str:
    return KEYSYMS.get(ch, ch)


# -- the window --------------------------------------------------------------------------------
def _code_text(lines: int = 200) -> str:
    rnd = random.Random(7)
    words = ["value", "items", "result", "config", "total", "record", "index", "buffer",
             "window", "frame", "event", "queue", "path", "count", "offset", "limit"]
    out = ['"""Inventory service: loading, pricing and reports."""', "",
           "from __future__ import annotations", "", "import json", "import math", ""]
    while len(out) < lines:
        name = f"{rnd.choice(words)}_{rnd.choice(words)}"
        out.append(f"def {name}({rnd.choice(words)}, {rnd.choice(words)}=None):")
        for _ in range(rnd.randint(2, 6)):
            a, b = rnd.choice(words), rnd.choice(words)
            out.append(f"    {a} = {b}.get({a!r}, {rnd.randint(0, 999)})  # {b} per {a}")
        out.append(f"    return {rnd.choice(words)}")
        out.append("")
    return "\n".join(out) + "\n"


def run_app() -> int:
    from PyQt6.QtCore import Qt, QTimer
    from PyQt6.QtGui import QAction, QFont
    from PyQt6.QtWidgets import (
        QApplication,
        QLabel,
        QMainWindow,
        QPlainTextEdit,
        QSplitter,
        QStyle,
        QTableWidget,
        QTableWidgetItem,
        QTreeWidget,
        QTreeWidgetItem,
    )

    app = QApplication(sys.argv[:1])
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    ticker = QTimer()  # lets Python run its signal handlers while Qt waits
    ticker.start(200)
    ticker.timeout.connect(lambda: None)

    win = QMainWindow()
    win.setWindowTitle("inventory.py - Editor (benchmark workload)")
    for menu in ("&File", "&Edit", "&Selection", "&View", "&Go", "&Run", "&Terminal", "&Help"):
        win.menuBar().addMenu(menu)
    tb = win.addToolBar("Main")
    tb.setMovable(False)
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    icons = [QStyle.StandardPixmap.SP_FileIcon, QStyle.StandardPixmap.SP_DialogOpenButton,
             QStyle.StandardPixmap.SP_DialogSaveButton, QStyle.StandardPixmap.SP_ArrowBack,
             QStyle.StandardPixmap.SP_ArrowForward, QStyle.StandardPixmap.SP_FileDialogContentsView,
             QStyle.StandardPixmap.SP_MediaPlay, QStyle.StandardPixmap.SP_MessageBoxWarning]
    status = win.statusBar()
    pos_label = QLabel("Ln 1, Col 1")
    clicks_label = QLabel("Actions: 0")
    status.addPermanentWidget(clicks_label)
    status.addPermanentWidget(pos_label)
    clicks = [0]
    actions = []
    for name, icon in zip(BUTTONS, icons, strict=True):
        act = QAction(win.style().standardIcon(icon), name, win)

        def triggered(_checked=False, name=name):
            clicks[0] += 1
            clicks_label.setText(f"Actions: {clicks[0]}")
            status.showMessage(f"{name}: done at {time.strftime('%H:%M:%S')} "
                               f"(action {clicks[0]})", 1500)

        act.triggered.connect(triggered)
        tb.addAction(act)
        actions.append(act)

    tree = QTreeWidget()
    tree.setHeaderLabel("Project")
    for folder in ("inventory", "reports", "tests", "docs"):
        top = QTreeWidgetItem([folder])
        for j in range(6):
            QTreeWidgetItem(top, [f"{folder}_{j}.py"])
        tree.addTopLevelItem(top)
        top.setExpanded(True)

    editor = QPlainTextEdit()
    font = QFont("DejaVu Sans Mono")
    font.setPointSize(11)
    editor.setFont(font)
    editor.setPlainText(_code_text())
    editor.moveCursor(editor.textCursor().MoveOperation.End)

    def show_pos() -> None:
        c = editor.textCursor()
        pos_label.setText(f"Ln {c.blockNumber() + 1}, Col {c.positionInBlock() + 1}")

    editor.cursorPositionChanged.connect(show_pos)

    table = QTableWidget(2000, 5)
    table.setHorizontalHeaderLabels(["ID", "Item", "Status", "Quantity", "Updated"])
    states = ["in stock", "reserved", "shipped", "back-ordered", "returned"]
    rnd = random.Random(3)
    for r in range(2000):
        for c, v in enumerate((f"{10000 + r}", f"Item {rnd.randint(1, 99999):05d}",
                               states[r % 5], str(rnd.randint(0, 500)),
                               f"2024-{1 + r % 12:02d}-{1 + r % 28:02d}")):
            table.setItem(r, c, QTableWidgetItem(v))

    split = QSplitter()
    split.addWidget(tree)
    split.addWidget(editor)
    split.addWidget(table)
    screen = app.primaryScreen().geometry()
    split.setSizes([260, 980, 680])
    win.setCentralWidget(split)
    win.setGeometry(screen)  # full screen; there is no window manager under Xvfb
    win.show()
    win.activateWindow()
    editor.setFocus()
    for _ in range(5):
        app.processEvents()
        time.sleep(0.05)

    def global_rect(w) -> list[int]:
        p = w.mapToGlobal(w.rect().topLeft())
        return [p.x(), p.y(), w.width(), w.height()]

    layout = {
        "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
        "buttons": [global_rect(tb.widgetForAction(a)) for a in actions],
        "table": global_rect(table.viewport()),
        "editor": global_rect(editor.viewport()),
    }
    print("ready " + json.dumps(layout), flush=True)
    rc = app.exec()
    print(f"exit actions={clicks[0]} chars={len(editor.toPlainText())}", flush=True)
    return rc


# -- the driver --------------------------------------------------------------------------------
def schedule(layout: dict[str, Any], seconds: float, seed: int = 1) -> list[tuple[float, str]]:
    """The whole workload as (time in s, xdotool command) pairs, sorted by time."""
    rnd = random.Random(seed)
    out: list[tuple[float, int, str]] = []
    seq = 0

    def add(t: float, cmd: str) -> None:
        nonlocal seq
        if t < seconds:
            heapq.heappush(out, (t, seq, cmd))
            seq += 1

    # Keyboard: one character every 0.2 s, cycling through TEXT.
    n = int(seconds / TYPE_INTERVAL_S)
    for k in range(n):
        add(0.1 + k * TYPE_INTERVAL_S, f"key {keysym(TEXT[k % len(TEXT)])}")

    # Pointer: clicks every 2 s and scrolls every 3 s, serialized.
    sx, sy, sw, sh = layout["screen"]
    px, py = sx + sw // 2, sy + sh // 2
    tasks = []
    k = 0
    while (t := 1.0 + k * CLICK_PERIOD_S) < seconds:
        tasks.append((t, "click", k))
        k += 1
    k = 0
    while (t := 2.5 + k * SCROLL_PERIOD_S) < seconds:
        tasks.append((t, "scroll", k))
        k += 1
    tasks.sort()
    free_at = 0.0
    for t, kind, k in tasks:
        t = max(t, free_at)
        if kind == "click":
            bx, by, bw, bh = layout["buttons"][k % len(layout["buttons"])]
            tx, ty = bx + bw // 2 + rnd.randint(-3, 3), by + bh // 2 + rnd.randint(-2, 2)
        else:
            x, y, w, h = layout["table"]
            tx, ty = x + rnd.randint(w // 5, 4 * w // 5), y + rnd.randint(h // 5, 4 * h // 5)
        for i in range(1, GLIDE_STEPS + 1):
            f = i / GLIDE_STEPS
            f = f * f * (3 - 2 * f)  # ease in and out
            add(t, f"mousemove {round(px + (tx - px) * f)} {round(py + (ty - py) * f)}")
            t += GLIDE_STEP_S
        px, py = tx, ty
        if kind == "click":
            add(t, "click 1")
            t += 0.1
        else:
            button = 5 if (k // SCROLL_TURN_EVERY) % 2 == 0 else 4  # 5 = wheel down
            for _ in range(SCROLL_CLICKS):
                add(t, f"click {button}")
                t += 0.06
        free_at = t
    return [(t, cmd) for t, _, cmd in sorted(out)]


class Driver:
    """Plays a schedule through an ``xdotool -`` stream, on time (late commands go at once)."""

    def __init__(self, send, layout: dict[str, Any], seconds: float, seed: int = 1) -> None:
        self.send = send
        self.plan = schedule(layout, seconds, seed)
        self.seconds = seconds
        self.late_max_s = 0.0
        self.sent = 0

    def run(self, stop: threading.Event | None = None) -> None:
        t0 = time.monotonic()
        for t, cmd in self.plan:
            while True:
                if stop is not None and stop.is_set():
                    return
                left = t0 + t - time.monotonic()
                if left <= 0:
                    break
                time.sleep(min(left, 0.1))
            self.late_max_s = max(self.late_max_s, -left)
            self.send(cmd)
            self.sent += 1
        rest = t0 + self.seconds - time.monotonic()
        while rest > 0 and not (stop is not None and stop.is_set()):
            time.sleep(min(rest, 0.1))
            rest = t0 + self.seconds - time.monotonic()


def start(h, xs, python: str = sys.executable):
    """Start the window on the harness's X server; returns (child, layout)."""
    import subprocess

    child = h.spawn("typical_ui app", [python, str(HERE), "--app"], env=xs.env(),
                    stdout=subprocess.PIPE, grace_s=5)
    child.follow(child.proc.stdout)
    line = child.wait_for_line(lambda s: s.startswith("ready "), timeout=60)
    return child, json.loads(line[len("ready "):])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", action="store_true", help="only run the window")
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    if args.app:
        return run_app()
    sys.path.insert(0, str(HERE.parent.parent))
    import os

    import harness

    with harness.Harness() as h:
        xs = harness.XServer(os.environ["DISPLAY"], None, 0, 0)  # type: ignore[arg-type]
        child, layout = start(h, xs)
        xdo = harness.Xdo(h, xs)
        Driver(xdo.send, layout, args.seconds).run()
        xdo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

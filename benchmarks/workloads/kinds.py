"""Typical workloads of different kinds, two of them in real Debian applications.

Each is a full-screen window on the benchmark's Xvfb and a seeded xdotool schedule, so every
run is the same.  None of them was used to tune the recorder.

- ``editor`` (real application: xterm running vim, Debian packages xterm and vim): typing
  code at about 7 characters a second in bursts, with Enter, Backspace and now and then a
  save (Esc :w) and a jump to another line.
- ``scroll`` (real application: xterm running less on a long text): reading a document:
  a line or three every second or so, a page now and then, a search, back up.
- ``spreadsheet`` (PyQt6): a 60-column, 300-row sheet whose cells a timer updates (three
  cells every 250 ms, like live prices), while the user moves with the arrow keys and types
  values into cells.
- ``idle`` (PyQt6): a text editor with the caret blinking and nothing else happening.
- ``notes`` (real application: FeatherPad, Debian package featherpad): writing prose at 4-8
  characters a second in sentences, with pauses to think (the caret blinks) and now and then
  a save (Ctrl+S) or a move back a few words.
- ``idle-term`` (real application: xterm with a shell prompt and a blinking block cursor):
  nothing typed.

Standalone, on $DISPLAY: ``python benchmarks/workloads/kinds.py spreadsheet --app`` shows the
window (the xterm ones need only xterm).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
KINDS = ("editor", "scroll", "spreadsheet", "idle", "notes", "idle-term")
PROSE = ("The quarterly report is due on Friday. Sales grew in the north but fell in the "
         "south, mostly because two large orders moved to next year. Ask Dana for the "
         "final numbers before the meeting, and check the chart on page three again. ")
XTERM = ["xterm", "-fa", "DejaVu Sans Mono", "-fs", "12", "-geometry", "+0+0",
         "-bg", "white", "-fg", "black", "-xrm", "XTerm*cursorBlink: true"]

CODE = """def load_orders(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            sku, qty, price = line.split(",")
            rows.append((sku, int(qty), float(price)))
    return rows

def total(rows):
    return sum(q * p for _, q, p in rows)
"""


def keysym(ch: str) -> str:
    names = {" ": "space", "\n": "Return", "(": "parenleft", ")": "parenright",
             ",": "comma", ".": "period", ":": "colon", "=": "equal", "_": "underscore",
             "*": "asterisk", '"': "quotedbl", "[": "bracketleft", "]": "bracketright",
             "+": "plus", "-": "minus", "/": "slash", "'": "apostrophe", "<": "less",
             ">": "greater"}
    return names.get(ch, ch)


def plan(kind: str, seconds: float, seed: int = 1) -> list[tuple[float, str]]:
    """The workload's input as (time in s, xdotool command) pairs, sorted by time."""
    rnd = random.Random(seed)
    out: list[tuple[float, str]] = []
    t = 1.0
    if kind == "editor":
        out.append((0.5, "key i"))
        k = 0
        while t < seconds:
            burst = rnd.randint(15, 40)
            for _ in range(burst):
                ch = CODE[k % len(CODE)]
                k += 1
                out.append((t, f"key {keysym(ch)}"))
                t += rnd.uniform(0.09, 0.2)
                if rnd.random() < 0.04:
                    out.append((t, "key BackSpace"))
                    t += 0.15
            t += rnd.uniform(0.8, 2.5)  # thinking
            if rnd.random() < 0.3:
                for c in ("Escape", "colon", "w", "Return", "i"):
                    out.append((t, f"key {c}"))
                    t += 0.12
            if rnd.random() < 0.2:
                out.append((t, "key ctrl+Home" if rnd.random() < 0.5 else "key ctrl+End"))
                t += 0.3
    elif kind == "scroll":
        while t < seconds:
            r = rnd.random()
            if r < 0.6:
                for _ in range(rnd.randint(1, 3)):
                    out.append((t, "key Down"))
                    t += 0.08
            elif r < 0.8:
                out.append((t, "key space"))
            elif r < 0.9:
                out.append((t, "key b"))
            else:
                for c in ("slash", "t", "h", "e", "Return"):
                    out.append((t, f"key {c}"))
                    t += 0.15
            t += rnd.uniform(0.6, 1.8)
    elif kind == "spreadsheet":
        while t < seconds:
            for _ in range(rnd.randint(1, 4)):
                out.append((t, f"key {rnd.choice(['Down', 'Right', 'Down', 'Left', 'Up'])}"))
                t += 0.25
            value = f"{rnd.randint(1, 9999)}.{rnd.randint(0, 99):02d}"
            for ch in value:
                out.append((t, f"key {keysym(ch)}"))
                t += rnd.uniform(0.12, 0.25)
            out.append((t, "key Return"))
            t += rnd.uniform(0.8, 2.0)
    elif kind == "notes":
        k = 0
        while t < seconds:
            for _ in range(rnd.randint(20, 60)):
                ch = PROSE[k % len(PROSE)]
                k += 1
                out.append((t, f"key {keysym(ch)}"))
                t += rnd.uniform(0.12, 0.25)
            t += rnd.uniform(1.0, 4.0)  # thinking: only the caret blinks
            r = rnd.random()
            if r < 0.2:
                out.append((t, "key ctrl+s"))
                t += 0.5
            elif r < 0.35:
                for _ in range(rnd.randint(1, 3)):
                    out.append((t, "key ctrl+Left"))
                    t += 0.2
                out.append((t, "key End"))
                t += 0.3
    elif kind not in ("idle", "idle-term"):
        raise ValueError(f"unknown workload {kind!r}")
    return sorted((x for x in out if x[0] < seconds), key=lambda x: x[0])


class PlanDriver:
    """Plays a plan through an ``xdotool -`` stream, on time, for ``seconds``."""

    def __init__(self, send, steps: list[tuple[float, str]], seconds: float) -> None:
        self.send, self.plan, self.seconds = send, steps, seconds

    def run(self, stop: threading.Event | None = None) -> None:
        t0 = time.monotonic()
        for t, cmd in self.plan:
            while (left := t0 + t - time.monotonic()) > 0:
                if stop is not None and stop.is_set():
                    return
                time.sleep(min(left, 0.1))
            self.send(cmd)
        while (rest := t0 + self.seconds - time.monotonic()) > 0:
            if stop is not None and stop.is_set():
                return
            time.sleep(min(rest, 0.1))


def _document(folder: Path) -> Path:
    """A long plain-text document to read (the licence texts Debian ships, joined)."""
    doc = folder / "document.txt"
    if not doc.exists():
        parts = sorted(Path("/usr/share/common-licenses").glob("*"))
        doc.write_text("\n\n".join(p.read_text("utf-8", "replace") for p in parts
                                   if p.is_file())[:2_000_000])
    return doc


def start(kind: str, h, xs, workdir: Path, python: str = sys.executable):
    """Start the workload's window; returns the child process (its window is up)."""
    import harness

    w, hgt = xs.width, xs.height
    if kind == "notes":
        harness.require_tools("featherpad")
        doc = workdir / "notes.txt"
        doc.write_text("Notes\n\n")
        home = workdir / "featherpad-home"  # its own settings, not the machine's
        home.mkdir(exist_ok=True)
        child = h.spawn("featherpad", ["featherpad", str(doc)],
                        env={**xs.env(), "HOME": str(home)}, grace_s=3)
        win = _wait_for_window(xs, "featherpad", 30)
        subprocess.run(["xdotool", "windowsize", win, str(w), str(hgt), "windowmove", win,
                        "0", "0", "windowfocus", win], env=xs.env(), check=False)
        subprocess.run(["xdotool", "key", "ctrl+End"], env=xs.env(), check=False)
        time.sleep(1.5)
        return child
    if kind == "idle-term":
        harness.require_tools("xterm")
        cols, rows = w // 10, hgt // 19
        child = h.spawn("xterm (idle)",
                        [*XTERM[:-2], "-geometry", f"{cols}x{rows}+0+0", *XTERM[-2:],
                         "-e", "bash", "--norc", "-i"],
                        env={**xs.env(), "PS1": "user@host:~$ "}, grace_s=3)
        _wait_for_window(xs, "xterm", 30)
        time.sleep(1.0)
        return child
    if kind in ("editor", "scroll"):
        harness.require_tools("xterm")
        if kind == "editor":
            src = workdir / "orders.py"
            src.write_text(CODE * 20)
            inner = ["vim", "-u", "NONE", "-N", "+syntax on", "+set number", str(src)]
        else:
            inner = ["less", "-N", str(_document(workdir))]
        cols, rows = w // 10, hgt // 19  # DejaVu Sans Mono 12 at 96 dpi: about 10x19 px
        child = h.spawn(f"xterm ({kind})",
                        [*XTERM[:-2], "-geometry", f"{cols}x{rows}+0+0", *XTERM[-2:],
                         "-e", *inner], env=xs.env(), grace_s=3)
        _wait_for_window(xs, "xterm", 30)
        time.sleep(1.0)
        return child
    child = h.spawn(f"{kind} app", [python, str(HERE), kind, "--app"], env=xs.env(),
                    stdout=subprocess.PIPE, grace_s=5)
    child.follow(child.proc.stdout)
    child.wait_for_line(lambda s: s.startswith("ready"), timeout=60)
    return child


def _wait_for_window(xs, cls: str, timeout: float) -> str:
    """The id of the last window of class ``cls`` (the application's main window)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", cls],
                           env=xs.env(), capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.split()[-1]
        time.sleep(0.2)
    raise RuntimeError(f"no {cls} window appeared in {timeout:g} s")


def run_app(kind: str) -> int:
    from PyQt6.QtCore import QTimer
    from PyQt6.QtGui import QFont
    from PyQt6.QtWidgets import QApplication, QPlainTextEdit, QTableWidget, QTableWidgetItem

    app = QApplication(sys.argv[:1])
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    keep = QTimer()  # lets Python run its signal handlers while Qt waits
    keep.start(200)
    keep.timeout.connect(lambda: None)
    screen = app.primaryScreen().geometry()
    timers = [keep]
    if kind == "spreadsheet":
        rows, cols = 300, 60
        win = QTableWidget(rows, cols)
        win.setWindowTitle("prices.ods - Sheet (benchmark workload)")
        rnd = random.Random(3)
        for r in range(rows):
            for c in range(cols):
                win.setItem(r, c, QTableWidgetItem(f"{rnd.uniform(1, 999):.2f}"))
        tick = QTimer()

        def update() -> None:
            for _ in range(3):
                r, c = rnd.randrange(40), rnd.randrange(20)
                win.item(r, c).setText(f"{rnd.uniform(1, 999):.2f}")

        tick.timeout.connect(update)
        tick.start(250)
        timers.append(tick)
    else:
        win = QPlainTextEdit()
        win.setWindowTitle("notes.txt - Editor (benchmark workload)")
        win.setFont(QFont("DejaVu Sans Mono", 11))
        win.setPlainText(CODE * 12)
    win.setGeometry(screen)
    win.show()
    win.activateWindow()
    win.setFocus()
    print("ready " + json.dumps({"kind": kind}), flush=True)
    return app.exec()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[2] == "--app":
        sys.exit(run_app(sys.argv[1]))
    print(__doc__)

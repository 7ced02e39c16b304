"""The "full motion" workload: a full-screen window repainting a moving pattern at 30 fps,
with a frame counter that can be read back from the decoded video.

Every repaint draws the next counter value (0, 1, 2, ...; one per repaint, so a late
repaint shows as a repeated counter in a recording, never as a missing one):
- as a row of large blocks in the band at the top of the screen: a white and a black
  reference block (the threshold for the others), then the counter in binary (COUNTER_BITS
  bits, most significant first, white = 1) and an even-parity block.  Blocks of 56x56 pixels
  on flat grey survive H.264 at any usual CRF;
- as a human-readable number to the right of the blocks.
Below the band, a colourful periodic texture scrolls diagonally and a ball bounces, so every
pixel row changes on every repaint.

The app paces itself on CLOCK_MONOTONIC deadlines (a late repaint is painted at once and the
schedule resumes from it) and, with ``--log FILE``, writes one line per repaint:
``counter monotonic_ns`` (the time the repaint was handed to the X server).  The benchmark
uses that to tell counters that stayed on screen for a whole capture interval, which a
recorder must not miss, from counters shown only briefly because the app itself was late.

Standalone, on $DISPLAY:  python benchmarks/workloads/full_motion.py --app
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()

FPS = 30.0
BAND_H = 96
BLOCK = 56
PITCH = 64
X0 = 16
Y0 = 20
COUNTER_BITS = 20
N_BLOCKS = 2 + COUNTER_BITS + 1  # white ref, black ref, bits, parity
TEXT_X = X0 + N_BLOCKS * PITCH + 24
PERIOD = 480  # the texture repeats every PERIOD pixels in x and y
SPEED_X, SPEED_Y = 6, 2  # pixels per repaint


def blocks_for(counter: int) -> list[int]:
    """1 (white) / 0 (black) for each block, left to right."""
    bits = [(counter >> (COUNTER_BITS - 1 - i)) & 1 for i in range(COUNTER_BITS)]
    return [1, 0, *bits, sum(bits) % 2]


def block_x(i: int) -> int:
    return X0 + i * PITCH


def read_counter(y_plane: np.ndarray) -> int | None:
    """The counter drawn in a decoded frame's luma plane, or None if it cannot be read
    reliably (too little contrast, an ambiguous block, or a parity mismatch)."""
    inset = 14
    vals = []
    for i in range(N_BLOCKS):
        x = block_x(i)
        patch = y_plane[Y0 + inset:Y0 + BLOCK - inset, x + inset:x + BLOCK - inset]
        vals.append(float(patch.mean()))
    white, black = vals[0], vals[1]
    contrast = white - black
    if contrast < 80:
        return None
    thr = (white + black) / 2
    bits = []
    for v in vals[2:]:
        if abs(v - thr) < 0.25 * contrast:
            return None
        bits.append(1 if v > thr else 0)
    if sum(bits[:-1]) % 2 != bits[-1]:
        return None
    n = 0
    for b in bits[:-1]:
        n = (n << 1) | b
    return n


# -- the window --------------------------------------------------------------------------------
def _texture(w: int, h: int) -> np.ndarray:
    """A periodic colourful texture (PERIOD-periodic in x and y), RGB32 as (h, w, 4) BGRA."""
    y, x = np.mgrid[0:PERIOD, 0:PERIOD].astype(np.float32)
    k = 2 * np.pi / PERIOD
    r = 127 + 100 * np.sin(k * x) * np.cos(2 * k * y)
    g = 127 + 100 * np.sin(2 * k * (x + y))
    b = 127 + 100 * np.cos(3 * k * x - k * y)
    check = ((x // 60 + y // 60) % 2) * 40 - 20
    tile = np.stack([b + check, g + check, r - check], axis=-1).clip(0, 255).astype(np.uint8)
    tile = np.concatenate([tile, np.full((PERIOD, PERIOD, 1), 255, np.uint8)], axis=-1)
    reps_y = -(-(h + PERIOD) // PERIOD)
    reps_x = -(-(w + PERIOD) // PERIOD)
    return np.ascontiguousarray(np.tile(tile, (reps_y, reps_x, 1)))


def run_app(log_path: str | None) -> int:
    from PyQt6.QtCore import QRect, Qt, QTimer
    from PyQt6.QtGui import QColor, QFont, QImage, QPainter
    from PyQt6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    screen = app.primaryScreen().geometry()
    W, H = screen.width(), screen.height()
    tex = _texture(W, H - BAND_H)
    # Label the texture so that it also has edges and text, as real content does.
    timg = QImage(tex.data, tex.shape[1], tex.shape[0], tex.strides[0],
                  QImage.Format.Format_RGB32)
    qp = QPainter(timg)
    qp.setPen(QColor(20, 20, 20))
    f = QFont("DejaVu Sans")
    f.setPixelSize(22)
    qp.setFont(f)
    for ty in range(0, PERIOD, 80):
        for tx in range(0, PERIOD, 160):
            label = f"R{ty // 80}C{tx // 160}"
            for oy in range(0, tex.shape[0] - PERIOD + 1, PERIOD):
                for ox in range(0, tex.shape[1] - PERIOD + 1, PERIOD):
                    qp.drawText(ox + tx + 12, oy + ty + 40, label)
    qp.end()

    log = open(log_path, "w", buffering=1 << 16) if log_path else None  # noqa: SIM115
    state = {"n": -1, "late": 0}
    interval_ns = int(1e9 / FPS)

    class Motion(QWidget):
        def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
            n = max(state["n"], 0)
            p = QPainter(self)
            ox = (n * SPEED_X) % PERIOD
            oy = (n * SPEED_Y) % PERIOD
            p.drawImage(0, BAND_H, timg, ox, oy, W, H - BAND_H)
            # Bouncing ball.
            bx = abs((n * 14) % (2 * (W - 200)) - (W - 200))
            by = BAND_H + abs((n * 9) % (2 * (H - BAND_H - 200)) - (H - BAND_H - 200))
            p.setBrush(QColor(250, 250, 250))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(bx, by, 200, 200)
            # Counter band.
            p.fillRect(0, 0, W, BAND_H, QColor(128, 128, 128))
            for i, bit in enumerate(blocks_for(n)):
                p.fillRect(block_x(i), Y0, BLOCK, BLOCK,
                           QColor(255, 255, 255) if bit else QColor(0, 0, 0))
            font = QFont("DejaVu Sans Mono")
            font.setPixelSize(64)
            font.setBold(True)
            p.setFont(font)
            p.setPen(QColor(255, 255, 255))
            p.drawText(QRect(TEXT_X, 0, W - TEXT_X, BAND_H),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, f"{n:07d}")
            p.end()

    win = Motion()
    win.setWindowTitle("Full-motion workload")
    win.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
    win.setGeometry(screen)
    win.show()
    win.activateWindow()
    deadline = [0]

    def tick() -> None:
        state["n"] += 1
        win.repaint()
        done = time.monotonic_ns()
        if log is not None:
            log.write(f"{state['n']} {done}\n")
        if state["n"] == 0:
            deadline[0] = done
            print("ready", flush=True)
        deadline[0] += interval_ns
        now = time.monotonic_ns()
        if now > deadline[0]:
            state["late"] += 1
            deadline[0] = now
        QTimer.singleShot(max(0, (deadline[0] - now) // 1_000_000),
                          Qt.TimerType.PreciseTimer, tick)

    app.processEvents()
    QTimer.singleShot(0, tick)
    rc = app.exec()
    if log is not None:
        log.close()
    print(f"exit frames={state['n'] + 1} late={state['late']}", flush=True)
    return rc


def read_log(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(counters, monotonic_ns) of the app's repaint log."""
    data = np.loadtxt(path, dtype=np.int64, ndmin=2)
    if data.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return data[:, 0], data[:, 1]


def start(h, xs, log: Path | None = None, python: str = sys.executable):
    """Start the window on the harness's X server; returns the child once it paints."""
    import subprocess

    cmd = [python, str(HERE), "--app"]
    if log is not None:
        cmd += ["--log", str(log)]
    child = h.spawn("full_motion app", cmd, env=xs.env(), stdout=subprocess.PIPE, grace_s=5)
    child.follow(child.proc.stdout)
    child.wait_for_line(lambda s: s.startswith("ready"), timeout=60)
    return child


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", action="store_true", help="run the window (until SIGTERM)")
    ap.add_argument("--log", help="write 'counter monotonic_ns' per repaint to this file")
    args = ap.parse_args()
    if not args.app:
        ap.error("use --app (the benchmarks start the window themselves)")
    return run_app(args.log)


if __name__ == "__main__":
    sys.exit(main())

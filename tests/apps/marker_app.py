"""A test window that shows the system monotonic clock as a marker, updated every 50 ms.

The marker is 32 large black/white blocks (milliseconds of CLOCK_MONOTONIC, modulo 2**32,
most significant bit first) that survive H.264, so a test can read from a recorded frame
when that frame was on screen.  With --noise the window also fills with random pixels, which
makes every frame large (for disk-full tests).

Run: python -m tests.apps.marker_app --geometry X,Y,W,H [--noise]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtWidgets import QApplication, QWidget

BITS = 32
BLOCK = 24
MARGIN = 8


def read_marker(rgb: np.ndarray, x0: int, y0: int) -> int:
    """Decode the marker from an RGB frame, given the window's top-left corner."""
    value = 0
    for i in range(BITS):
        cx = x0 + MARGIN + i * BLOCK + BLOCK // 2
        cy = y0 + MARGIN + BLOCK // 2
        patch = rgb[cy - 4:cy + 4, cx - 4:cx + 4]
        value = (value << 1) | int(patch.mean() > 127)
    return value


class Marker(QWidget):
    def __init__(self, noise: bool) -> None:
        super().__init__()
        self.noise = noise
        self.rng = np.random.default_rng(1)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.repaint)
        self.timer.start(50)

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        qp = QPainter(self)
        if self.noise:
            h, w = self.height(), self.width()
            buf = self.rng.integers(0, 255, (h, w, 4), dtype=np.uint8)
            img = QImage(buf.data, w, h, 4 * w, QImage.Format.Format_RGB32)
            qp.drawImage(0, 0, img)
        else:
            qp.fillRect(self.rect(), QColor(128, 128, 128))
        now = int(time.monotonic() * 1000) & 0xFFFFFFFF
        qp.fillRect(0, 0, MARGIN * 2 + BITS * BLOCK, MARGIN * 2 + BLOCK, QColor(128, 128, 128))
        for i in range(BITS):
            bit = (now >> (BITS - 1 - i)) & 1
            colour = QColor(255, 255, 255) if bit else QColor(0, 0, 0)
            qp.fillRect(MARGIN + i * BLOCK, MARGIN, BLOCK, BLOCK, colour)
        qp.end()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geometry", default="0,0,900,200")
    ap.add_argument("--title", default="Marker")
    ap.add_argument("--noise", action="store_true")
    args = ap.parse_args()
    x, y, w, h = (int(v) for v in args.geometry.split(","))
    app = QApplication(sys.argv[:1])
    win = Marker(args.noise)
    win.setWindowTitle(args.title)
    win.setGeometry(x, y, w, h)
    win.show()
    app.processEvents()
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

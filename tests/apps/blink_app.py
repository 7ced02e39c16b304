"""A test window with one small square that changes colour every 130 ms by itself, like a
blinking caret (a small change with no input near it).

Run: python -m tests.apps.blink_app --geometry X,Y,W,H [--every MS] [--colours N]
(``--colours 0``: a new colour at every change, never one shown before)
"""

from __future__ import annotations

import argparse
import sys

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QApplication, QWidget

COLOURS = [(220, 40, 40), (40, 180, 40), (40, 60, 220), (230, 200, 30)]
SQUARE = (20, 20, 12, 12)  # x, y, w, h in the window


def colour(n: int, colours: int) -> tuple[int, int, int]:
    if colours:
        return COLOURS[n % colours]
    return (40 + n % 7 * 30, 40 + n // 7 % 7 * 30, 40 + n // 49 % 7 * 30)  # 343 apart


class Blink(QWidget):
    def __init__(self, every_ms: int = 130, colours: int = len(COLOURS)) -> None:
        super().__init__()
        self.n = 0
        self.colours = colours
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.step)
        self.timer.start(every_ms)

    def step(self) -> None:
        self.n += 1
        self.update(*SQUARE)

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        qp = QPainter(self)
        qp.fillRect(ev.rect(), QColor(200, 200, 200))
        qp.fillRect(*SQUARE, QColor(*colour(self.n, self.colours)))
        qp.end()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geometry", default="100,100,300,200")
    ap.add_argument("--every", type=int, default=130, help="ms between changes")
    ap.add_argument("--colours", type=int, default=len(COLOURS),
                    help="colours shown in turn (0: a new one at every change)")
    args = ap.parse_args()
    x, y, w, h = (int(v) for v in args.geometry.split(","))
    app = QApplication(sys.argv[:1])
    win = Blink(args.every, args.colours)
    win.setWindowTitle("Blink")
    win.setGeometry(x, y, w, h)
    win.show()
    app.processEvents()
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

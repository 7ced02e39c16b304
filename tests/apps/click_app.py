"""A test window: its colour and a counter change on every mouse press, a line edit takes
typing, and a list scrolls.  Used by the recorder's integration and alignment tests.

Run: python -m tests.apps.click_app --geometry X,Y,W,H
Prints "ready" on stdout once shown, then one line per press: "press N BUTTON X Y T", T being
the monotonic clock (ns) right after the new state was painted.
"""

from __future__ import annotations

import argparse
import sys
import time

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QApplication, QLineEdit, QListWidget, QVBoxLayout, QWidget

# Colours far apart in YUV so that H.264 keeps them distinguishable.
COLOURS = [
    (220, 40, 40),
    (40, 200, 40),
    (40, 60, 220),
    (230, 220, 40),
    (200, 40, 200),
    (40, 210, 210),
]


def colour_for(n: int) -> tuple[int, int, int]:
    return COLOURS[n % len(COLOURS)]


class Pad(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.setMinimumHeight(300)

    def mousePressEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        self.count += 1
        self.repaint()  # paint now: the change must reach the screen at once
        painted_ns = time.monotonic_ns()
        p = ev.position()
        print(f"press {self.count} {ev.button().name} {int(p.x())} {int(p.y())} {painted_ns}",
              flush=True)

    def paintEvent(self, ev) -> None:  # noqa: N802
        qp = QPainter(self)
        qp.fillRect(self.rect(), QColor(*colour_for(self.count)))
        qp.setPen(QColor(255, 255, 255))
        f = qp.font()
        f.setPointSize(40)
        qp.setFont(f)
        qp.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, str(self.count))
        qp.end()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geometry", default="0,0,800,600")
    ap.add_argument("--title", default="Click test")
    args = ap.parse_args()
    x, y, w, h = (int(v) for v in args.geometry.split(","))
    app = QApplication(sys.argv[:1])
    win = QWidget()
    win.setWindowTitle(args.title)
    lay = QVBoxLayout(win)
    lay.setContentsMargins(0, 0, 0, 0)
    pad = Pad()
    edit = QLineEdit()
    edit.setObjectName("edit")
    edit.textChanged.connect(lambda t: print(f"text {t!r}", flush=True))
    lst = QListWidget()
    lst.addItems([f"Row {i}" for i in range(500)])
    lay.addWidget(pad, 3)
    lay.addWidget(edit)
    lay.addWidget(lst, 2)
    win.setGeometry(x, y, w, h)
    win.show()
    win.activateWindow()
    edit.setFocus()
    app.processEvents()
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

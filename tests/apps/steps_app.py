"""A test window for the steps end-to-end test: a canvas (clicks of every button, drags), a
list (clicks, double clicks, scrolling) and two text fields (typing, Enter, Tab, shortcuts).

Children sit at fixed positions (no layout), so a script knows where each one is:
canvas (0, 0, 500, 400), list (520, 0, 360, 400), first field (0, 420, 420, 40), second
field (440, 420, 420, 40), in a window of 900 x 480.

Run: python -m tests.apps.steps_app --geometry X,Y
Prints "ready" once shown, then one line per input it handled.
"""

from __future__ import annotations

import argparse
import sys

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QApplication, QLineEdit, QListWidget, QWidget

CANVAS = (0, 0, 500, 400)
LIST = (520, 0, 360, 400)
FIELD1 = (0, 420, 420, 40)
FIELD2 = (440, 420, 420, 40)
SIZE = (900, 480)


class Canvas(QWidget):
    """Paints the strokes dragged on it; right and middle clicks do nothing visible but
    print (no context menu, which would grab the pointer)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.strokes: list[list[tuple[float, float]]] = []
        self.presses = 0
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)

    def mousePressEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        self.presses += 1
        p = ev.position()
        self.strokes.append([(p.x(), p.y())])
        print(f"press {ev.button().name} {int(p.x())} {int(p.y())}", flush=True)
        self.update()

    def mouseMoveEvent(self, ev) -> None:  # noqa: N802
        if self.strokes:
            p = ev.position()
            self.strokes[-1].append((p.x(), p.y()))
            self.update()

    def paintEvent(self, ev) -> None:  # noqa: N802
        qp = QPainter(self)
        qp.fillRect(self.rect(), QColor(40 + 30 * (self.presses % 6), 60, 90))
        qp.setPen(QColor(255, 255, 255))
        for stroke in self.strokes:
            for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
                qp.drawLine(int(x0), int(y0), int(x1), int(y1))
        qp.end()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geometry", default="0,0", help="X,Y of the window (root pixels)")
    ap.add_argument("--title", default="Steps test")
    args = ap.parse_args()
    x, y = (int(v) for v in args.geometry.split(",")[:2])
    app = QApplication(sys.argv[:1])
    win = QWidget()
    win.setWindowTitle(args.title)
    Canvas(win).setGeometry(*CANVAS)
    lst = QListWidget(win)
    lst.setGeometry(*LIST)
    lst.addItems([f"Row {i}" for i in range(300)])
    lst.itemDoubleClicked.connect(lambda it: print(f"double {it.text()}", flush=True))
    fields = []
    for name, geo in (("first", FIELD1), ("second", FIELD2)):
        f = QLineEdit(win)
        f.setObjectName(name)
        f.setGeometry(*geo)
        f.textChanged.connect(lambda t, n=name: print(f"text {n} {t!r}", flush=True))
        fields.append(f)
    win.setGeometry(x, y, *SIZE)
    win.show()
    win.activateWindow()
    fields[0].setFocus()
    app.processEvents()
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

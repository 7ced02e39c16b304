"""A small window of labelled controls for the drafter's accessibility test: a File menu, two
labelled buttons, a text field with its label beside it, a list, and one icon button with no
label at all.

Run with QT_ACCESSIBILITY=1 QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 on a session with the AT-SPI
bus.  Prints "ready {json}" with every control's screen box once shown, and "popup {json}"
with the menu's items when the File menu opens.
"""

from __future__ import annotations

import json
import sys

from PyQt6.QtCore import QRect, Qt, QTimer
from PyQt6.QtGui import QColor, QIcon, QPainter, QPixmap
from PyQt6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ITEMS = ("Open invoice", "Export report", "Quit")


def box(w: QWidget, r: QRect | None = None) -> list[int]:
    r = r if r is not None else w.rect()
    p = w.mapToGlobal(r.topLeft())
    return [p.x(), p.y(), r.width(), r.height()]


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    win = QMainWindow()
    win.setWindowTitle("Invoices - Drafts test")
    menu = win.menuBar().addMenu("File")
    for item in ITEMS:
        menu.addAction(item)
    central = QWidget()
    win.setCentralWidget(central)
    lay = QVBoxLayout(central)
    row = QHBoxLayout()
    save, send = QPushButton("Save draft"), QPushButton("Send invoice")
    icon = QToolButton()  # an icon and nothing else: no text, no accessible name
    pm = QPixmap(20, 20)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setBrush(QColor(200, 60, 140))
    p.drawEllipse(2, 2, 16, 16)
    p.end()
    icon.setIcon(QIcon(pm))
    for w in (save, send, icon):
        row.addWidget(w)
    row.addStretch(1)
    lay.addLayout(row)
    form = QHBoxLayout()
    label = QLabel("Customer")
    field = QLineEdit()
    field.setFixedWidth(300)
    label.setBuddy(field)
    form.addWidget(label)
    form.addWidget(field)
    form.addStretch(1)
    lay.addLayout(form)
    lst = QListWidget()
    lst.addItems(["Travel", "Receipts", "Invoices"])
    lay.addWidget(lst, 1)
    win.setGeometry(100, 100, 640, 420)
    win.show()
    app.processEvents()

    def popup() -> None:
        items = {a.text(): box(menu, menu.actionGeometry(a)) for a in menu.actions()}
        print("popup " + json.dumps(items), flush=True)

    menu.aboutToShow.connect(lambda: QTimer.singleShot(300, popup))

    def ready() -> None:
        bar = win.menuBar()
        boxes = {"File": box(bar, bar.actionGeometry(menu.menuAction())),
                 "Save draft": box(save), "Send invoice": box(send), "icon": box(icon),
                 "Customer": box(field)}
        for i in range(lst.count()):
            it = lst.item(i)
            boxes[it.text()] = box(lst.viewport(), lst.visualItemRect(it))
        print("ready " + json.dumps(boxes), flush=True)

    QTimer.singleShot(300, ready)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

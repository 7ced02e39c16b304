"""A login form for the accessibility tests: a user name field, a password field (echo mode
Password, so AT-SPI role 40) and a button.

Run with QT_ACCESSIBILITY=1 QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 (and a session D-Bus with the
accessibility bus) so that Qt registers with AT-SPI at once.

Run: python -m tests.apps.login_app --geometry X,Y,W,H
Prints "ready" once shown, followed on the same line by the widgets' screen rectangles as
JSON ({"user": [x, y, w, h], "password": [...], "button": [...]}), then "user TEXT" when the
user name changes.  The password is never printed, only "password N" with its length.
"""

from __future__ import annotations

import argparse
import json
import sys

from PyQt6.QtCore import QPoint
from PyQt6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QWidget,
)


def screen_box(w: QWidget) -> list[int]:
    p = w.mapToGlobal(QPoint(0, 0))
    return [p.x(), p.y(), w.width(), w.height()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geometry", default="100,100,500,200")
    ap.add_argument("--title", default="Login test")
    ap.add_argument("--search", action="store_true",
                    help="add an icon-only button (no accessible name) in a panel named 'Search'")
    args = ap.parse_args()
    x, y, w, h = (int(v) for v in args.geometry.split(","))
    app = QApplication(sys.argv[:1])
    win = QWidget()
    win.setWindowTitle(args.title)
    form = QFormLayout(win)
    user = QLineEdit()
    user.setObjectName("user")
    password = QLineEdit()
    password.setObjectName("password")
    password.setEchoMode(QLineEdit.EchoMode.Password)
    button = QPushButton("Sign in")
    user_label = QLabel("User name:")
    user_label.setBuddy(user)
    password_label = QLabel("Password:")
    password_label.setBuddy(password)
    form.addRow(user_label, user)
    form.addRow(password_label, password)
    form.addRow(button)
    search = None
    if args.search:
        group = QFrame()
        group.setAccessibleName("Search")
        search = QPushButton()  # an icon only: no accessible name; its parent names it
        search.setIcon(win.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        QHBoxLayout(group).addWidget(search)
        form.addRow(group)
    user.textChanged.connect(lambda t: print(f"user {t}", flush=True))
    password.textChanged.connect(lambda t: print(f"password {len(t)}", flush=True))
    button.clicked.connect(lambda: print("clicked", flush=True))
    win.setGeometry(x, y, w, h)
    win.show()
    win.activateWindow()
    button.setFocus()
    app.processEvents()
    boxes = {"user": screen_box(user), "password": screen_box(password),
             "button": screen_box(button)}
    if search is not None:
        boxes["search"] = screen_box(search)
    # One line: two lines in one pipe read can leave the second in a reader's buffer.
    print("ready " + json.dumps(boxes), flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

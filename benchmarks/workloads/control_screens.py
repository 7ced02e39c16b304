"""Generated screens with known controls, for benchmarks/drafts.py.

A PyQt6 window (accessibility on) that shows, on request, one generated screen after another:
forms (labels beside or above their fields, some fields with no label relation), toolbars
(text buttons and unlabelled icon buttons), menus (a menu bar whose menus open), tables
(cells and column headers), dialogs (message, check boxes, option buttons, tabs, buttons)
and file lists (some rows holding an e-mail address), in a light or a dark theme, with text
of 12 to 18 pixels in one of several fonts.  Everything is drawn from a seed: the same seed
gives the same screens.

Protocol (stdin/stdout, one line each):
- ``show K`` -> ``screen {json}``: screen K is up; the JSON lists its controls, each with its
  visible ``text`` (the truth a draft must name), ``kind``, ``box`` [x, y, w, h] on the
  screen, ``action`` (``click``, ``double_click``, ``right_click``), ``type`` (text to type
  after clicking a field), ``opens`` (a menu title: clicking opens a popup), ``labelled``
  (false for a field whose label has no relation to it), ``sensitive``;
- when a popup menu is shown: ``popup {json}`` with its items in the same form;
- ``quit``.

Run by itself on ``$DISPLAY``: ``python -m benchmarks.workloads.control_screens --seed 1``
and type ``show 0``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any

from PyQt6.QtCore import QRect, QSocketNotifier, Qt, QTimer
from PyQt6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PyQt6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

WIDTH, HEIGHT = 1280, 800
KINDS = ("form", "toolbar", "menu", "table", "dialog", "list")
FONTS = ("DejaVu Sans", "Nimbus Sans", "Nimbus Sans Narrow", "DejaVu Serif")

ACTIONS = ["Save", "Save as", "Export PDF", "Print preview", "New folder", "Rename", "Delete",
           "Archive", "Refresh", "Settings", "Share link", "Add row", "Remove filter",
           "Sort by date", "Import contacts", "Sync now", "Upload", "Download", "Duplicate",
           "Move to trash", "Mark as read", "Reply all", "Forward", "Attach file", "Undo",
           "Redo", "Bold", "Italic", "Insert table", "Check spelling", "Publish", "Preview",
           "Approve", "Reject", "Assign", "Close issue", "New invoice", "Send reminder",
           "Open report", "Filter", "Group by", "Show totals", "Zoom in", "Zoom out"]
FIELDS = ["Customer", "Invoice number", "Due date", "Street", "City", "Postal code",
          "Project name", "Description", "Quantity", "Unit price", "Discount", "Reference",
          "Company", "Department", "First name", "Last name", "Title", "Subject", "Tags",
          "Amount", "Currency", "Order number", "Notes", "Country", "Website", "Budget",
          "Start date", "Owner", "Priority", "Category"]
TYPED = ["Acme Ltd", "Q3 review", "42", "Berlin", "Main Street 5", "10115", "High",
         "Design", "19.99", "INV-2041", "Travel", "Marketing", "2024-10-01", "EUR"]
MENUS = {"File": ["New window", "Open recent", "Close all", "Page setup", "Print", "Quit"],
         "Edit": ["Cut", "Copy", "Paste", "Find next", "Replace all", "Select all"],
         "View": ["Zoom in", "Zoom out", "Full screen", "Show ruler", "Word wrap"],
         "Insert": ["Image", "Table", "Page break", "Footnote", "Hyperlink"],
         "Format": ["Paragraph", "Columns", "Clear formatting", "Line spacing"],
         "Tools": ["Word count", "Preferences", "Macros", "Spelling"],
         "Help": ["User guide", "Keyboard shortcuts", "About"]}
PRODUCTS = ["Consulting hours", "Design review", "Hosting plan", "Support contract",
            "Training day", "Travel costs", "Licence renewal", "Data migration", "Server rack",
            "Office chairs", "Paper stock", "Coffee beans", "Desk lamps", "Monitors"]
CITIES = ["Lisbon", "Oslo", "Toronto", "Nairobi", "Osaka", "Lima", "Dublin", "Prague"]
STATUS = ["Pending", "Shipped", "Delivered", "Returned", "On hold", "Cancelled"]
FILES = ["Q3 figures.xlsx", "report-final.pdf", "notes 2024.txt", "Travel", "Receipts",
         "budget draft.ods", "team photo.jpg", "minutes march.docx", "backup.zip",
         "slides v2.odp", "contract signed.pdf", "Invoices", "Archive 2023", "readme.md"]
EMAILS = ["maria.lopez@example.org", "j.smith@example.com", "kenji.ito@example.net"]
TABS = ["General", "Advanced", "Sharing", "Security", "Display", "Network", "Accounts",
        "Privacy", "Updates", "Language"]
CHECKS = ["Remember me", "Send a copy to me", "Show hidden files", "Open at login",
          "Ask before closing", "Use dark title bar", "Notify me by e-mail"]
RADIOS = [["Express shipping", "Standard shipping", "Pick up in store"],
          ["Portrait", "Landscape"], ["Daily", "Weekly", "Monthly"],
          ["Keep both", "Replace", "Skip"]]
BUTTONS = ["OK", "Cancel", "Apply", "Help", "Continue", "Back", "Close", "Retry",
           "Don't save", "Discard"]
TITLES = ["Save changes?", "Export settings", "Connection lost", "Delete 3 files?",
          "Print document", "Account settings", "Share folder"]


def box_of(w: QWidget, rect: QRect | None = None) -> list[int]:
    r = rect if rect is not None else w.rect()
    p = w.mapToGlobal(r.topLeft())
    return [p.x(), p.y(), r.width(), r.height()]


def icon(rng: random.Random, size: int = 20) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor.fromHsv(rng.randrange(360), 160, 200))
    p.setPen(Qt.PenStyle.NoPen)
    if rng.random() < 0.5:
        p.drawEllipse(2, 2, size - 4, size - 4)
    else:
        p.drawRoundedRect(3, 3, size - 6, size - 6, 3, 3)
    p.end()
    return QIcon(pm)


def palette(dark: bool) -> QPalette:
    pal = QPalette()
    if dark:
        base, window, text = QColor(30, 32, 36), QColor(45, 47, 52), QColor(225, 228, 232)
        button, highlight = QColor(58, 61, 67), QColor(61, 122, 204)
    else:
        base, window, text = QColor(255, 255, 255), QColor(240, 241, 243), QColor(25, 25, 28)
        button, highlight = QColor(232, 233, 236), QColor(48, 110, 200)
    for role, c in ((QPalette.ColorRole.Window, window), (QPalette.ColorRole.Base, base),
                    (QPalette.ColorRole.AlternateBase, window),
                    (QPalette.ColorRole.Text, text), (QPalette.ColorRole.WindowText, text),
                    (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.Button, button),
                    (QPalette.ColorRole.Highlight, highlight),
                    (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
                    (QPalette.ColorRole.ToolTipBase, base), (QPalette.ColorRole.ToolTipText, text)):
        pal.setColor(role, c)
    return pal


class Screens(QMainWindow):
    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self.setWindowTitle("Control screens")
        self.setGeometry(0, 0, WIDTH, HEIGHT)
        self.controls: list[dict[str, Any]] = []
        self._toolbar: QToolBar | None = None
        self._menus: list[QMenu] = []
        self.style_name = ""

    # -- one screen ------------------------------------------------------------------------------
    def show_screen(self, k: int) -> None:
        rng = random.Random(self.seed * 100_003 + k)
        kind = KINDS[k % len(KINDS)]
        dark = rng.random() < 0.5
        px = rng.randint(12, 18)
        family = rng.choice(FONTS)
        font = QFont(family)
        font.setPixelSize(px)
        QApplication.instance().setPalette(palette(dark))
        QApplication.instance().setFont(font)
        self.setFont(font)
        self.menuBar().clear()
        self.menuBar().setVisible(kind == "menu")
        if self._toolbar is not None:
            self.removeToolBar(self._toolbar)
            self._toolbar.deleteLater()
            self._toolbar = None
        self.controls = []
        self.meta = {"k": k, "kind": kind, "dark": dark, "px": px, "font": family}
        central = QWidget()
        self.setCentralWidget(central)
        getattr(self, f"_screen_{kind}")(rng, central)
        self.setWindowTitle(f"{kind.capitalize()} {k} - Control screens")
        QTimer.singleShot(350, self._report)

    def _add(self, w: QWidget, text: str, kind: str, *, rect: QRect | None = None,
             **extra: Any) -> None:
        self.controls.append({"widget": w, "rect": rect, "text": text, "kind": kind, **extra})

    def _report(self) -> None:
        out = []
        for c in self.controls:
            w, rect = c["widget"], c["rect"]
            if callable(rect):
                rect = rect()
            box = box_of(w, rect)
            if box[2] < 4 or box[3] < 4 or not w.isVisible():
                continue
            out.append({k: v for k, v in c.items() if k not in ("widget", "rect")} | {"box": box})
        print("screen " + json.dumps({**self.meta, "controls": out}), flush=True)

    # -- kinds -------------------------------------------------------------------------------------
    def _screen_form(self, rng: random.Random, central: QWidget) -> None:
        lay = QVBoxLayout(central)
        title = QLabel(rng.choice(["New customer", "Edit invoice", "Project details",
                                   "Shipping address", "Order"]))
        f = QFont(self.font())
        f.setBold(True)
        f.setPixelSize(self.font().pixelSize() + 4)
        title.setFont(f)
        lay.addWidget(title)
        above = rng.random() < 0.4
        names = rng.sample(FIELDS, rng.randint(4, 7))
        grid = QGridLayout()
        lay.addLayout(grid)
        width = rng.choice([260, 380, 520, 760])
        for i, name in enumerate(names):
            label = QLabel(name + (":" if rng.random() < 0.5 else ""))
            field = QLineEdit()
            field.setFixedWidth(width)
            labelled = rng.random() < 0.75
            if labelled:
                label.setBuddy(field)
            if above:
                grid.addWidget(label, 2 * i, 0)
                grid.addWidget(field, 2 * i + 1, 0)
            else:
                grid.addWidget(label, i, 0)
                grid.addWidget(field, i, 1)
            self._add(field, name, "field", type=rng.choice(TYPED), labelled=labelled)
        grid.setColumnStretch(2, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for b in rng.sample(["Save", "Cancel", "Reset", "Save and close", "Submit"], 2):
            btn = QPushButton(b)
            row.addWidget(btn)
            self._add(btn, b, "button")
        lay.addLayout(row)
        lay.addStretch(1)

    def _screen_toolbar(self, rng: random.Random, central: QWidget) -> None:
        tb = QToolBar("Main")
        tb.setMovable(False)
        tb.setToolButtonStyle(rng.choice([Qt.ToolButtonStyle.ToolButtonTextOnly,
                                          Qt.ToolButtonStyle.ToolButtonTextBesideIcon,
                                          Qt.ToolButtonStyle.ToolButtonTextUnderIcon]))
        self.addToolBar(tb)
        self._toolbar = tb
        for name in rng.sample(ACTIONS, rng.randint(6, 9)):
            act = QAction(icon(rng), name, tb)
            tb.addAction(act)
            w = tb.widgetForAction(act)
            self._add(w, name, "button")
        for _ in range(rng.randint(1, 2)):
            btn = QToolButton()
            btn.setIcon(icon(rng))
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            btn.setAutoRaise(True)
            tb.addWidget(btn)
            self._add(btn, "", "icon", unlabelled=True)
        lay = QVBoxLayout(central)
        body = QLabel("\n".join(rng.sample(PRODUCTS, 5)))
        lay.addWidget(body)
        lay.addStretch(1)

    def _screen_menu(self, rng: random.Random, central: QWidget) -> None:
        bar = self.menuBar()
        bar.setFont(self.font())
        titles = rng.sample(list(MENUS), rng.randint(4, 6))
        for t in titles:
            menu = bar.addMenu(t)
            menu.setFont(self.font())
            for item in MENUS[t]:
                menu.addAction(item)
            act = menu.menuAction()
            menu.aboutToShow.connect(lambda m=menu: QTimer.singleShot(250, lambda: self._popup(m)))
            self._add(bar, t, "menu", rect=lambda a=act: bar.actionGeometry(a), opens=True)
        lay = QVBoxLayout(central)
        lay.addWidget(QLabel(rng.choice(["Untitled document", "Chapter 3", "Meeting notes"])))
        lay.addStretch(1)

    def _popup(self, menu: QMenu) -> None:
        if not menu.isVisible():
            return
        items = []
        for a in menu.actions():
            r = menu.actionGeometry(a)
            items.append({"text": a.text(), "kind": "menu item", "box": box_of(menu, r)})
        print("popup " + json.dumps({"items": items}), flush=True)

    def _screen_table(self, rng: random.Random, central: QWidget) -> None:
        lay = QVBoxLayout(central)
        cols = rng.sample(["Item", "City", "Status", "Qty", "Owner", "Updated"], 4)
        rows = rng.randint(6, 10)
        table = QTableWidget(rows, len(cols))
        table.setHorizontalHeaderLabels(cols)
        widths = [rng.choice([140, 200, 260]) for _ in cols]
        for c, w in enumerate(widths):
            table.setColumnWidth(c, w)
        for r in range(rows):
            for c, col in enumerate(cols):
                v = {"Item": rng.choice(PRODUCTS), "City": rng.choice(CITIES),
                     "Status": rng.choice(STATUS), "Qty": str(rng.randint(1, 400)),
                     "Owner": rng.choice(["Ana", "Bruno", "Chen", "Dara", "Emil"]),
                     "Updated": f"{rng.randint(1, 28)} Oct"}[col]
                table.setItem(r, c, QTableWidgetItem(v))
        lay.addWidget(table)
        table.setMinimumHeight(min(760, 40 + rows * 34))
        self._table_widget = table
        header = table.horizontalHeader()
        for c, col in enumerate(cols):
            self._add(header.viewport(), col, "column header",
                      rect=lambda c=c, h=header: QRect(h.sectionViewportPosition(c), 0,
                                                       h.sectionSize(c), h.height()))
        picks = rng.sample([(r, c) for r in range(rows) for c in range(len(cols))
                            if cols[c] != "Qty"], 6)
        for r, c in picks:
            item = table.item(r, c)
            action = rng.choice(["click", "click", "double_click", "right_click"])
            self._add(table.viewport(), item.text(), "cell",
                      rect=lambda it=item, t=table: t.visualItemRect(it), action=action)

    def _screen_dialog(self, rng: random.Random, central: QWidget) -> None:
        outer = QVBoxLayout(central)
        box = QGroupBox(rng.choice(TITLES))
        box.setMaximumWidth(rng.choice([560, 700, 900]))
        outer.addWidget(box)
        lay = QVBoxLayout(box)
        lay.addWidget(QLabel(rng.choice(["Your changes will be lost if you do not save them.",
                                         "Choose how the file is shared.",
                                         "The server did not answer in time."])))
        if rng.random() < 0.6:
            tabs = QTabWidget()
            for t in rng.sample(TABS, rng.randint(3, 5)):
                tabs.addTab(QWidget(), t)
            tabs.setMinimumHeight(60)
            lay.addWidget(tabs)
            bar = tabs.tabBar()
            for i in range(tabs.count()):
                self._add(bar, tabs.tabText(i), "tab", rect=lambda i=i, b=bar: b.tabRect(i))
        for c in rng.sample(CHECKS, rng.randint(1, 2)):
            cb = QCheckBox(c)
            cb.setChecked(rng.random() < 0.4)
            lay.addWidget(cb)
            # Where a click toggles it: the box and its text, not the rest of the row.
            self._add(cb, c, "checkbox", rect=lambda b=cb: QRect(0, 0, b.sizeHint().width(),
                                                                 b.height()))
        for r in rng.choice(RADIOS):
            rb = QRadioButton(r)
            lay.addWidget(rb)
            self._add(rb, r, "option", rect=lambda b=rb: QRect(0, 0, b.sizeHint().width(),
                                                               b.height()))
        row = QHBoxLayout()
        row.addStretch(1)
        for b in rng.sample(BUTTONS, rng.randint(2, 4)):
            btn = QPushButton(b)
            row.addWidget(btn)
            self._add(btn, b, "button")
        lay.addLayout(row)
        outer.addStretch(1)

    def _screen_list(self, rng: random.Random, central: QWidget) -> None:
        lay = QHBoxLayout(central)
        lst = QListWidget()
        lst.setMaximumWidth(rng.choice([300, 420, 600]))
        names = rng.sample(FILES, rng.randint(7, 11))
        if rng.random() < 0.5:
            names.insert(rng.randrange(len(names)), rng.choice(EMAILS))
        for n in names:
            lst.addItem(n)
        lay.addWidget(lst)
        lay.addWidget(QLabel(rng.choice(["4 items selected", "Folder: Documents",
                                         "Shared with you"])), 1)
        picks = rng.sample(range(len(names)), min(6, len(names)))
        for i in picks:
            item = lst.item(i)
            action = rng.choice(["click", "double_click", "click", "right_click"])
            self._add(lst.viewport(), item.text(), "item",
                      rect=lambda it=item, l_=lst: l_.visualItemRect(it), action=action,
                      sensitive="@" in item.text())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    win = Screens(args.seed)
    win.show()

    def on_line() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
            return
        cmd = line.split()
        if not cmd:
            return
        if cmd[0] == "show":
            win.show_screen(int(cmd[1]))
        elif cmd[0] == "quit":
            app.quit()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(on_line)
    QTimer.singleShot(500, lambda: print("ready", flush=True))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

"""The sample desktop applications of the signals benchmark (benchmarks/signals_corpus.py).

Three small Qt windows that behave like real ones (an invoicing form, a settings dialog, an
address book), rendered offscreen: every control a task uses gives visible feedback (a field
shows a focus frame and a blinking caret, a button changes the status line or the page), and
each window has places that react to nothing (labels, empty panels, a disabled button) and
icon buttons without an accessible name.  ``describe(x, y)`` answers what accessibility would
say of the element under a point, as the recorder writes it in elements.jsonl.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QPoint, QRect, Qt
from PyQt6.QtGui import QColor, QFont, QPalette
from PyQt6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

WIDTH, HEIGHT = 1280, 776  # the window; a 24-pixel panel above it makes a 1280x800 screen
FOCUS_STYLE = """
QLineEdit, QTextEdit { border: 1px solid #b8bcc4; background: white; padding: 2px; }
QLineEdit[focused="true"], QTextEdit[focused="true"] { border: 2px solid #2f6fde; }
QListWidget::item:selected { background: #2f6fde; color: white; }
"""


@dataclass
class Element:
    role: str
    name: str | None
    box: tuple[int, int, int, int] | None  # window pixels


class App(QWidget):
    """A window with named controls (``ctl``) and inert places (``inert``)."""

    title = "App"
    app_id = "app"

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.title)
        self.setFixedSize(WIDTH, HEIGHT)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(246, 247, 249))
        self.setPalette(pal)
        self.setAutoFillBackground(True)
        self.setStyleSheet(FOCUS_STYLE)
        self.ctl: dict[str, QWidget] = {}
        self.labels: dict[QWidget, str] = {}  # field -> its label's text
        self.inert: list[tuple[str, QWidget]] = []
        self.status = QLabel("Ready")
        self.focused: QWidget | None = None

    # -- focus as a real window would show it (an offscreen window is never active) -------
    def focus(self, w: QWidget | None) -> None:
        if self.focused is w:
            return
        for x in (self.focused, w):
            if isinstance(x, QLineEdit | QTextEdit):
                x.setProperty("focused", x is w)
                x.style().unpolish(x)
                x.style().polish(x)
        self.focused = w

    def caret_rect(self) -> QRect | None:
        """Where the caret of the focused field is drawn (window pixels)."""
        w = self.focused
        if isinstance(w, QLineEdit):
            r = w.cursorRect()
            tl = w.mapTo(self, r.topLeft())
            return QRect(tl.x() + r.width() // 2, tl.y() + 1, 1, max(10, r.height() - 2))
        if isinstance(w, QTextEdit):
            r = w.cursorRect()
            tl = w.viewport().mapTo(self, r.topLeft())
            return QRect(tl.x(), tl.y(), 1, max(10, r.height()))
        return None

    def box_of(self, w: QWidget) -> tuple[int, int, int, int]:
        tl = w.mapTo(self, QPoint(0, 0))
        return tl.x(), tl.y(), w.width(), w.height()

    def describe(self, x: int, y: int) -> Element:
        w = self.childAt(QPoint(x, y)) or self
        local = w.mapFrom(self, QPoint(x, y))
        if isinstance(w.parent(), QTextEdit):
            w = w.parent()
        if isinstance(w.parent(), QListWidget):
            lw = w.parent()
            item = lw.itemAt(local)
            if item is not None:
                r = lw.visualItemRect(item)
                tl = lw.viewport().mapTo(self, r.topLeft())
                return Element("list item", item.text(), (tl.x(), tl.y(), r.width(), r.height()))
            return Element("list", None, self.box_of(lw))
        if isinstance(w.parent(), QTableWidget):
            tw = w.parent()
            item = tw.itemAt(local)
            if item is not None:
                r = tw.visualItemRect(item)
                tl = tw.viewport().mapTo(self, r.topLeft())
                return Element("table cell", item.text(), (tl.x(), tl.y(), r.width(), r.height()))
        if type(w).__name__ == "QTabBar":
            i = w.tabAt(local)
            if i >= 0:
                r = w.tabRect(i)
                tl = w.mapTo(self, r.topLeft())
                return Element("page tab", w.tabText(i), (tl.x(), tl.y(), r.width(), r.height()))
        if isinstance(w, QToolButton):
            return Element("push button", w.accessibleName() or None, self.box_of(w))
        if isinstance(w, QPushButton):
            return Element("push button", w.text(), self.box_of(w))
        if isinstance(w, QCheckBox):
            x0, y0, _bw, bh = self.box_of(w)
            return Element("check box", w.text(),
                           (x0, y0, min(w.width(), w.sizeHint().width()), bh))
        if isinstance(w, QLineEdit | QTextEdit):
            return Element("text", self.labels.get(w), self.box_of(w))
        if isinstance(w, QLabel):
            return Element("label", w.text() or None, self.box_of(w))
        return Element("filler", None, None)

    def inert_point(self, rng: np.random.Generator) -> tuple[str, QPoint]:
        """A place that reacts to nothing, on a widget shown (a label on a tab page not shown
        is not there to click): (a description, window pixels)."""
        shown = [(n, w) for n, w in self.inert if w.isVisible()] or self.inert
        name, w = shown[int(rng.integers(len(shown)))]
        r = w.rect()
        p = QPoint(int(rng.integers(r.width() // 4, max(r.width() // 4 + 1, 3 * r.width() // 4))),
                   int(rng.integers(r.height() // 4, max(r.height() // 4 + 1,
                                                          3 * r.height() // 4))))
        return name, w.mapTo(self, p)

    def _button(self, key: str, text: str) -> QPushButton:
        b = QPushButton(text)
        b.setMinimumHeight(30)
        self.ctl[key] = b
        return b

    def _icon(self, key: str, glyph: str) -> QToolButton:
        b = QToolButton()
        b.setText(glyph)  # a glyph, no accessible name: what an icon-only button exposes
        b.setAccessibleName("")
        b.setMinimumSize(32, 30)
        self.ctl[key] = b
        return b

    def _field(self, key: str, label: str, form: QFormLayout, w: QWidget | None = None
               ) -> QWidget:
        w = w or QLineEdit()
        lab = QLabel(label)
        form.addRow(lab, w)
        self.labels[w] = label
        self.ctl[key] = w
        self.inert.append((f"the “{label}” label", lab))
        return w

    def _title(self, text: str) -> QLabel:
        t = QLabel(text)
        f = QFont()
        f.setPointSize(13)
        f.setBold(True)
        t.setFont(f)
        self.inert.append(("the window's title", t))
        return t


class Invoices(App):
    title = "Invoice 2041 - Sample Books"
    app_id = "samplebooks"

    def __init__(self) -> None:
        super().__init__()
        root = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(self._title("Sample Books  ›  Invoices  ›  Invoice 2041"))
        bar.addStretch(1)
        for key, glyph in (("refresh", "⟳"), ("more", "⋮")):
            bar.addWidget(self._icon(key, glyph))
        for key, text in (("new", "New invoice"), ("save", "Save"), ("send", "Send…")):
            bar.addWidget(self._button(key, text))
        archived = QPushButton("Archive")
        archived.setEnabled(False)
        bar.addWidget(archived)
        self.inert.append(("the disabled Archive button", archived))
        root.addLayout(bar)
        form = QFormLayout()
        self._field("customer", "Customer", form)
        self._field("email", "E-mail", form)
        self._field("reference", "Reference", form)
        notes = QTextEdit()
        notes.setFixedHeight(70)
        self._field("notes", "Notes", form, notes)
        root.addLayout(form)
        self.table = QTableWidget(40, 4)
        self.table.setHorizontalHeaderLabels(["Item", "Qty", "Unit price", "Amount"])
        rng = np.random.default_rng(5)
        items = ["Consulting hours", "Design review", "Hosting (monthly)", "Support plan",
                 "Training session", "Travel", "Licence renewal", "Data migration"]
        for r in range(40):
            qty = int(rng.integers(1, 20))
            price = float(rng.integers(20, 400))
            for c, v in enumerate([items[r % len(items)], str(qty), f"{price:,.2f}",
                                   f"{qty * price:,.2f}"]):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.setColumnWidth(0, 420)
        self.ctl["table"] = self.table
        root.addWidget(self.table, 1)
        spacer = QLabel("")
        spacer.setMinimumHeight(24)
        root.addWidget(spacer)
        self.inert.append(("the empty space under the table", spacer))
        root.addWidget(self.status)
        self.status.setText("Draft — not saved")
        c = self.ctl
        c["save"].clicked.connect(lambda: self.status.setText("Saved"))
        c["send"].clicked.connect(lambda: self.status.setText(
            f"Sent to {c['customer'].text() or 'the customer'}"))
        c["new"].clicked.connect(self._new)
        c["refresh"].clicked.connect(lambda: self.table.sortItems(
            0, Qt.SortOrder.DescendingOrder if self.table.item(0, 0).text() < "T"
            else Qt.SortOrder.AscendingOrder))
        c["more"].clicked.connect(lambda: self.status.setText("More: Duplicate · Print · Delete"))

    def _new(self) -> None:
        for k in ("customer", "email", "reference"):
            self.ctl[k].clear()
        self.ctl["notes"].clear()
        self.status.setText("New invoice — not saved")


class Settings(App):
    title = "Settings - Sample Sync"
    app_id = "samplesync"

    def __init__(self) -> None:
        super().__init__()
        root = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(self._title("Sample Sync  ›  Settings"))
        bar.addStretch(1)
        bar.addWidget(self._icon("help", "?"))
        root.addLayout(bar)
        self.tabs = QTabWidget()
        self.ctl["tabs"] = self.tabs
        pages = {
            "General": ["Start at login", "Show notifications", "Dark mode", "Check for updates"],
            "Privacy": ["Send usage statistics", "Remember history", "Block trackers"],
            "Advanced": ["Enable logging", "Use proxy"],
        }
        for name, boxes in pages.items():
            page = QWidget()
            lay = QVBoxLayout(page)
            for text in boxes:
                cb = QCheckBox(text)
                cb.setChecked(text in ("Show notifications", "Send usage statistics",
                                       "Remember history", "Check for updates"))
                self.ctl[text] = cb
                lay.addWidget(cb)
            if name == "Advanced":
                form = QFormLayout()
                self._field("proxy", "Proxy address", form)
                self._field("port", "Port", form)
                lay.addLayout(form)
            note = QLabel(f"Changes on the {name} page apply when you press Apply.")
            lay.addWidget(note)
            self.inert.append((f"the note on the {name} page", note))
            lay.addStretch(1)
            self.tabs.addTab(page, name)
        root.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for key, text in (("reset", "Reset"), ("apply", "Apply"), ("ok", "OK")):
            row.addWidget(self._button(key, text))
        root.addLayout(row)
        root.addWidget(self.status)
        c = self.ctl
        c["apply"].clicked.connect(lambda: self.status.setText("Settings applied"))
        c["ok"].clicked.connect(lambda: self.status.setText("Settings saved"))
        c["reset"].clicked.connect(self._reset)
        c["help"].clicked.connect(lambda: self.status.setText(
            "Help: tick a box, then press Apply to use it."))

    def _reset(self) -> None:
        for _k, w in self.ctl.items():
            if isinstance(w, QCheckBox):
                w.setChecked(False)
        self.status.setText("Settings reset")


NAMES = ["Ada Brooks", "Ben Carter", "Chloe Diaz", "Dan Evans", "Eva Fischer", "Finn Garcia",
         "Grace Hill", "Hugo Ito", "Iris Jones", "Jack King", "Kara Lee", "Leo Martin",
         "Maria Lopez", "Nina Novak", "Omar Ortiz", "Paula Perez", "Quinn Reed", "Rosa Silva",
         "Sam Taylor", "Tara Usman", "Uma Varga", "Victor Wu", "Wendy Xu", "Yusuf Young",
         "Zoe Adams", "Marco Bianchi", "Mariam Haddad", "Noah Klein", "Olga Petrova",
         "Pedro Santos", "Rita Moreno", "Sven Olsen", "Tom Baker", "Ulla Berg", "Vera Lang",
         "Will Stone", "Xena Park", "Yara Nasser", "Zack Ford", "Amir Khan", "Bella Rossi",
         "Carl Weber", "Dina Roth", "Emil Horn", "Fay Moss", "Gus Lund", "Hana Sato",
         "Ivan Popov", "Jana Kral", "Kurt Hess"]


class Contacts(App):
    title = "Contacts - Sample Book"
    app_id = "samplecontacts"
    PAGE = 10

    def __init__(self) -> None:
        super().__init__()
        self.people = list(NAMES)
        self.page = 0
        self.query = ""
        root = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(self._title("Sample Book  ›  Contacts"))
        bar.addStretch(1)
        bar.addWidget(self._icon("star", "★"))
        for key, text in (("add", "Add contact"), ("delete", "Delete")):
            bar.addWidget(self._button(key, text))
        root.addLayout(bar)
        form = QFormLayout()
        search = self._field("search", "Search", form)
        root.addLayout(form)
        self.list = QListWidget()
        self.ctl["list"] = self.list
        root.addWidget(self.list, 1)
        nav = QHBoxLayout()
        nav.addWidget(self._button("previous", "Previous"))
        self.page_label = QLabel("")
        nav.addWidget(self.page_label)
        self.inert.append(("the page number", self.page_label))
        nav.addWidget(self._button("next", "Next"))
        nav.addStretch(1)
        root.addLayout(nav)
        root.addWidget(self.status)
        c = self.ctl
        c["next"].clicked.connect(lambda: self._go(1))
        c["previous"].clicked.connect(lambda: self._go(-1))
        c["add"].clicked.connect(self._add)
        c["delete"].clicked.connect(self._delete)
        c["star"].clicked.connect(self._star)
        search.textChanged.connect(self._search)
        self._fill()

    def _visible(self) -> list[str]:
        q = self.query.casefold()
        return [p for p in self.people if q in p.casefold()]

    def _fill(self) -> None:
        vis = self._visible()
        pages = max(1, -(-len(vis) // self.PAGE))
        self.page = min(self.page, pages - 1)
        self.list.clear()
        self.list.addItems(vis[self.page * self.PAGE:(self.page + 1) * self.PAGE])
        self.page_label.setText(f"Page {self.page + 1} of {pages}")

    def _go(self, d: int) -> None:
        self.page = max(0, self.page + d)
        self._fill()

    def _search(self, text: str) -> None:
        self.query = text
        self.page = 0
        self._fill()

    def _add(self) -> None:
        n = sum(1 for p in self.people if p.startswith("New contact")) + 1
        self.people.insert(0, f"New contact {n}")
        self.query = ""
        self.page = 0
        self._fill()
        self.list.setCurrentRow(0)
        self.status.setText(f"Added New contact {n}")

    def _delete(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.status.setText("Select a contact first")
            return
        self.people.remove(item.text().removeprefix("★ "))
        self.status.setText(f"Deleted {item.text()}")
        self._fill()

    def _star(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.text().startswith("★ "):
            item.setText("★ " + item.text())
            self.status.setText("Marked as favourite")
        else:
            self.status.setText("Select a contact to mark it")


APPS = {"invoices": Invoices, "settings": Settings, "contacts": Contacts}

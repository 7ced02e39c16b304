"""Three real Qt applications holding personal data, for benchmarks/redaction_real_apps.py:
a form (QLineEdit fields, one value right-aligned, one centred, one empty field that the
benchmark types an address into), a table (QTableWidget, values left and right in its
cells) and an HTML page in a QTextBrowser (values inline in paragraphs and in an HTML
table).

Run on $DISPLAY: ``python benchmarks/workloads/pii_apps.py X,Y`` places the windows from
(X, Y).  Once shown it prints one line ``ready {json}``: every planted value with its text,
its kind, its window and the rectangle of its ink in root-window pixels (found from the
widgets' own pictures, or from the text cursor for the HTML page), and the screen point of
the empty field.  Then ``typed {json}`` after the typed address is in the field (the
benchmark asks with a line ``measure`` on stdin).
"""

from __future__ import annotations

import json
import sys

FORM = [  # label, value, kind, alignment
    ("E-mail", "jane.doe@example.com", "email", "left"),
    ("Phone", "+1 415 555 0137", "phone", "left"),
    ("Card number", "5500 0000 0000 0004", "card", "right"),
    ("IBAN", "GB82 WEST 1234 5698 7654 32", "iban", "centre"),
    ("Server", "192.168.10.24", "ipv4", "left"),
    ("API key", "AKIAIOSFODNN7EXAMPLE", "api_key", "left"),
]
TYPED = ("Billing e-mail", "marta.rossi@contoso.com", "email")
TABLE = [
    ("Olivia Garcia", "olivia.garcia64@fabrikam.de", "+49 30 1732478", "DE89 3704 0044 0532 0130 00"),
    ("Kenji Sato", "kenji1991@globex.com.au", "+61 2 4758 9955", "NL91 ABNA 0417 1643 00"),
    ("Tom Baker", "tom.baker@example.org", "020 7946 0912", "FR14 2004 1010 0505 0001 3M02 606"),
    ("Priya Khan", "priya-khan@mail.example.com", "+1 312 555 0128", "BE68 5390 0754 7034"),
]
TABLE_KINDS = ("email", "phone", "iban")
HTML = """<h2>Invoice 2041</h2>
<p>Please wire the payment to <b>FR76 3000 6000 0112 3456 7890 189</b> by Friday.
Questions: write to <a href="mailto:billing@northwind.fr">billing@northwind.fr</a>
or call +33 1 47 04 92 52.</p>
<table border="1" cellpadding="3">
<tr><th>Host</th><th>Token</th></tr>
<tr><td>203.0.113.87</td><td>ghp_R8x2Kq7LmZ4vT9wYb3Nc6Pd1Hs5Jf0Ga2Ue8</td></tr>
</table>
<p>Webhook secret: xQ7vL2mK9pR4sT8wY3nB6cF1dG5hJ0zA</p>"""
HTML_VALUES = [("FR76 3000 6000 0112 3456 7890 189", "iban"), ("billing@northwind.fr", "email"),
               ("+33 1 47 04 92 52", "phone"), ("203.0.113.87", "ipv4"),
               ("ghp_R8x2Kq7LmZ4vT9wYb3Nc6Pd1Hs5Jf0Ga2Ue8", "api_key"),
               ("xQ7vL2mK9pR4sT8wY3nB6cF1dG5hJ0zA", "secret")]


def ink_box(widget, rect=None) -> list[int] | None:
    """The ink of what ``widget`` paints inside ``rect`` (its coordinates; default: all of
    it), in root-window pixels: pixels far from the most common colour there."""
    import numpy as np
    from PyQt6.QtGui import QImage

    img = widget.grab(rect) if rect is not None else widget.grab()
    qi = img.toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = qi.width(), qi.height()
    ptr = qi.constBits()
    ptr.setsize(qi.sizeInBytes())
    a = np.frombuffer(ptr, np.uint8).reshape(h, qi.bytesPerLine())[:, :w * 3]
    g = a.reshape(h, w, 3).astype(int).mean(axis=2)
    vals, counts = np.unique(g.astype(int) // 4, return_counts=True)
    bg = vals[np.argmax(counts)] * 4 + 2
    ys, xs = np.nonzero(np.abs(g - bg) > 60)
    if ys.size == 0:
        return None
    ox, oy = (rect.x(), rect.y()) if rect is not None else (0, 0)
    p = widget.mapToGlobal(widget.rect().topLeft())
    return [int(p.x() + ox + xs.min()), int(p.y() + oy + ys.min()),
            int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def field_ink(le) -> list[int] | None:
    """A line edit's text ink: the text area inside its frame (not the frame)."""
    from PyQt6.QtCore import QRect

    r = le.rect()
    return ink_box(le, QRect(r.x() + 3, r.y() + 3, r.width() - 6, r.height() - 6))


def main() -> int:
    from PyQt6.QtCore import Qt, QTimer
    from PyQt6.QtGui import QFont, QTextCursor
    from PyQt6.QtWidgets import (
        QApplication,
        QFormLayout,
        QLineEdit,
        QTableWidget,
        QTableWidgetItem,
        QTextBrowser,
        QWidget,
    )

    x0, y0 = (int(v) for v in (sys.argv[1] if len(sys.argv) > 1 else "960,0").split(","))
    app = QApplication(sys.argv[:1])
    app.setFont(QFont("DejaVu Sans", 10))
    align = {"left": Qt.AlignmentFlag.AlignLeft, "right": Qt.AlignmentFlag.AlignRight,
             "centre": Qt.AlignmentFlag.AlignHCenter}

    form = QWidget()
    form.setWindowTitle("Customer record")
    lay = QFormLayout(form)
    edits = []
    for label, value, kind, al in FORM:
        le = QLineEdit(value)
        le.setAlignment(align[al] | Qt.AlignmentFlag.AlignVCenter)
        le.setCursorPosition(0)
        lay.addRow(label + ":", le)
        edits.append((le, value, kind))
    typed = QLineEdit()
    lay.addRow(TYPED[0] + ":", typed)
    form.setGeometry(x0, y0, 900, 330)

    table = QTableWidget(len(TABLE), 4)
    table.setWindowTitle("Contacts")
    table.setHorizontalHeaderLabels(["Name", "E-mail", "Phone", "IBAN"])
    for r, row in enumerate(TABLE):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.setGeometry(x0, y0 + 380, 900, 230)

    browser = QTextBrowser()
    browser.setWindowTitle("Invoice")
    browser.setHtml(HTML)
    browser.setGeometry(x0, y0 + 660, 900, 330)
    for w in (form, table, browser):
        w.show()

    def report() -> None:
        values = []
        for le, value, kind in edits:
            values.append({"text": value, "kind": kind, "app": "form", "rect": field_ink(le)})
        vp = table.viewport()
        for r, row in enumerate(TABLE):
            for c, kind in zip((1, 2, 3), TABLE_KINDS, strict=True):
                rect = table.visualItemRect(table.item(r, c))
                values.append({"text": row[c], "kind": kind, "app": "table",
                               "rect": ink_box(vp, rect.adjusted(2, 1, -2, -1))})
        doc = browser.document().toPlainText()
        vp2 = browser.viewport()
        for text, kind in HTML_VALUES:
            at = doc.find(text)
            cur = QTextCursor(browser.document())
            lines: dict[int, list[int]] = {}  # cursor top -> [left, right, bottom]
            for pos in range(at, at + len(text) + 1):
                cur.setPosition(pos)
                r = browser.cursorRect(cur)
                tl = vp2.mapToGlobal(r.topLeft())
                bottom = vp2.mapToGlobal(r.bottomLeft()).y()
                if pos == at + len(text) and tl.y() not in lines:
                    continue  # the end of the value wrapped: nothing of it on that line
                ln = lines.setdefault(tl.y(), [tl.x(), tl.x(), bottom])
                ln[0], ln[1] = min(ln[0], tl.x()), max(ln[1], tl.x())
            # One rectangle per line the value is laid out on (a long value wraps).
            values.append({"text": text, "kind": kind, "app": "browser",
                           "rects": [[x0, y, x1 - x0, b - y] for y, (x0, x1, b)
                                     in sorted(lines.items()) if x1 > x0]})
        c = typed.mapToGlobal(typed.rect().center())
        print("ready " + json.dumps({"values": values, "typed_field": [c.x(), c.y()]}),
              flush=True)

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if line.strip() == "measure":
            print("typed " + json.dumps({"text": typed.text(), "kind": TYPED[2], "app": "form",
                                         "rect": field_ink(typed)}), flush=True)

    from PyQt6.QtCore import QSocketNotifier

    note = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    note.activated.connect(on_stdin)
    QTimer.singleShot(1500, report)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

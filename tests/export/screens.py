"""Realistic application screens for the export tests and benchmark, rendered with Qt offscreen.

A code-editor-like window (menu bar, toolbar, project tree, editor with code, a form, a
table, a status bar), in a light or dark theme, with the editor scrolled, a table row
selected and text typed differently per screen.  ``ScreenPool`` renders a few distinct
screens once; ``unique_frame`` stamps a per-step clock into the status bar so every step's
frame is its own blob (as in a real recording, where the clock and cursor change).
"""

from __future__ import annotations

import os
import random

import cv2
import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CODE = '''def summarize(records, key="status"):
    counts = {}
    for rec in records:
        value = rec.get(key, "unknown")
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


class Inventory:
    """Items on hand, by warehouse."""

    def __init__(self, rows):
        self.rows = list(rows)

    def total(self, sku):
        return sum(r.qty for r in self.rows if r.sku == sku)
'''
WORDS = ("invoice quarterly report budget draft review shipping supplier contract "
         "meeting agenda release notes backlog sprint customer order status").split()


_APP = []


def _app():
    from PyQt6.QtWidgets import QApplication

    if not _APP:
        _APP.append(QApplication.instance() or QApplication([]))
    return _APP[0]


def render_screens(n: int, width: int, height: int, seed: int = 7) -> list[np.ndarray]:
    """``n`` distinct RGB screens (height x width x 3, uint8)."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtGui import QColor, QFont, QPalette
    from PyQt6.QtWidgets import (
        QFormLayout,
        QHBoxLayout,
        QLineEdit,
        QMainWindow,
        QPlainTextEdit,
        QSplitter,
        QTableWidget,
        QTableWidgetItem,
        QToolBar,
        QTreeWidget,
        QTreeWidgetItem,
        QVBoxLayout,
        QWidget,
    )

    _app()
    rng = random.Random(seed)
    out: list[np.ndarray] = []
    for i in range(n):
        win = QMainWindow()
        win.resize(width, height)
        dark = i % 3 == 2
        pal = QPalette()
        if dark:
            for role, col in ((QPalette.ColorRole.Window, "#2b2b2b"),
                              (QPalette.ColorRole.Base, "#1e1e1e"),
                              (QPalette.ColorRole.Text, "#dcdcdc"),
                              (QPalette.ColorRole.WindowText, "#dcdcdc"),
                              (QPalette.ColorRole.Button, "#3c3f41"),
                              (QPalette.ColorRole.ButtonText, "#dcdcdc")):
                pal.setColor(role, QColor(col))
        win.setPalette(pal)
        font = QFont("DejaVu Sans", 9 + i % 4)
        win.setFont(font)
        for menu in ("File", "Edit", "View", "Go", "Run", "Tools", "Help"):
            win.menuBar().addMenu(menu)
        tb = QToolBar()
        for b in ("New", "Open", "Save", "Undo", "Redo", "Find", "Run", "Debug"):
            tb.addAction(b)
        win.addToolBar(tb)
        split = QSplitter(Qt.Orientation.Horizontal)
        tree = QTreeWidget()
        tree.setHeaderLabel("Project")
        for d in ("src", "tests", "docs", "benchmarks"):
            node = QTreeWidgetItem([d])
            for k in range(rng.randint(3, 9)):
                node.addChild(QTreeWidgetItem([f"{rng.choice(WORDS)}_{k}.py"]))
            tree.addTopLevelItem(node)
            node.setExpanded(rng.random() < 0.7)
        split.addWidget(tree)
        middle = QWidget()
        mv = QVBoxLayout(middle)
        editor = QPlainTextEdit()
        editor.setFont(QFont("DejaVu Sans Mono", 10 + i % 3))
        lines = CODE.splitlines()
        rng.shuffle(lines)
        editor.setPlainText("\n".join(lines * 6))
        editor.verticalScrollBar().setValue(rng.randint(0, 60))
        mv.addWidget(editor, 3)
        form = QWidget()
        fl = QFormLayout(form)
        for label in ("Customer", "Order number", "Shipping note"):
            fl.addRow(label, QLineEdit(" ".join(rng.choice(WORDS) for _ in range(3))))
        mv.addWidget(form, 1)
        split.addWidget(middle)
        table = QTableWidget(60, 5)
        table.setHorizontalHeaderLabels(["SKU", "Item", "Qty", "Price", "Status"])
        for r in range(60):
            vals = [f"SKU-{rng.randint(1000, 9999)}", rng.choice(WORDS).title(),
                    str(rng.randint(1, 500)), f"{rng.uniform(1, 900):.2f}",
                    rng.choice(("open", "shipped", "held", "returned"))]
            for c, v in enumerate(vals):
                table.setItem(r, c, QTableWidgetItem(v))
        table.selectRow(rng.randint(0, 20))
        table.verticalScrollBar().setValue(rng.randint(0, 20))
        split.addWidget(table)
        split.setSizes([width // 6, width // 2, width // 3])
        central = QWidget()
        hl = QHBoxLayout(central)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.addWidget(split)
        win.setCentralWidget(central)
        win.statusBar().showMessage(f"Ln {rng.randint(1, 200)}, Col {rng.randint(1, 80)}   "
                                    "UTF-8   Python 3.11")
        win.show()
        img = win.grab().toImage().convertToFormat(win.grab().toImage().Format.Format_RGB888)
        w, h = img.width(), img.height()
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        arr = np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, : w * 3]
        out.append(arr.reshape(h, w, 3).copy())
        win.close()
        win.deleteLater()
    return out


def unique_frame(base: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``base`` with a clock and a cursor that differ for every ``n``."""
    img = base.copy()
    h, w = img.shape[:2]
    text = f"{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}  #{n}"
    cv2.rectangle(img, (w - 260, h - 22), (w - 4, h - 2), (236, 236, 236), -1)
    cv2.putText(img, text, (w - 255, h - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (30, 30, 30), 1,
                cv2.LINE_AA)
    cx, cy = (n * 37) % (w - 20) + 5, (n * 91) % (h - 40) + 5
    cv2.line(img, (cx, cy), (cx, cy + 16), (0, 0, 0), 1)
    return img


def png_bytes(rgb: np.ndarray, level: int = 1) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, level])
    assert ok
    return buf.tobytes()

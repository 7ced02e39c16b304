"""Widgets whose content changes on every seek or draft without moving anything else.

A QLabel asks its layout for room again on every ``setText`` (``updateGeometry``), and so
does a widget shown or hidden in a layout: the request climbs to the window, which lays out
again, and when a wrapped label's height changes, the step list under it is resized, laid
out and repainted.  The draft line under the instruction changes with each step selected
and each draft arriving: measured, it made every seek lay out the window's right half.
These widgets have a fixed height, never ask for room again, and only repaint themselves.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QPainter, QPalette, QStaticText
from PyQt6.QtWidgets import QPushButton, QSizePolicy, QWidget


class FixedLine(QWidget):
    """Rich text in ``lines`` lines (wrapped, clipped), as wide as its layout gives it:
    ``setText`` repaints it and nothing else."""

    def __init__(self, lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._static = QStaticText()
        self._static.setTextFormat(Qt.TextFormat.RichText)
        self._static.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 2)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (as QLabel)
        if text != self._text:
            self._text = text
            self._static.setText(text)
            self.setToolTip(text)  # (all of it, should two lines not hold it)
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(200, self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(40, self.height())

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        if not self._text:
            return
        p = QPainter(self)
        p.setClipRect(self.rect())
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        if self._static.textWidth() != self.width():
            self._static.setTextWidth(self.width())
        p.drawStaticText(0, 1, self._static)
        p.end()


class LineWithButton(QWidget):
    """A FixedLine with a button at its right, without a layout: the button shown or
    hidden (a draft or not) repaints this row and moves nothing else."""

    GAP = 6

    def __init__(self, line: FixedLine, button: QPushButton,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line, self.button = line, button
        line.setParent(self)
        button.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(max(line.height(), button.sizeHint().height()))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(200 + self.button.sizeHint().width(), self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(40 + self.button.sizeHint().width(), self.height())

    def resizeEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        bw = self.button.sizeHint().width()
        h = self.height()
        self.button.setGeometry(self.width() - bw, 0, bw, h)
        lh = self.line.height()
        self.line.setGeometry(0, (h - lh) // 2, max(0, self.width() - bw - self.GAP), lh)


def fixed_button(text: str, widest: str) -> QPushButton:
    """A button sized once for the widest text it will show: its text changes (a count)
    move nothing."""
    b = QPushButton(widest)
    b.setFixedSize(b.sizeHint())
    b.setText(text)
    return b

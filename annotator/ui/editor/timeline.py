"""The timeline: the whole recording, step markers, pauses, removed ranges, trim handles
and the playhead.  Click or drag to seek; drag the in/out handles to trim."""

from __future__ import annotations

from PyQt6.QtCore import QLineF, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt6.QtWidgets import QSizePolicy, QWidget

HANDLE_PX = 7


class TimelineWidget(QWidget):
    # qint64: a plain int is a 32-bit C++ int, which overflows past 35 min in µs.
    seek = pyqtSignal("qint64")  # original time, µs
    trim_dragged = pyqtSignal(str, "qint64")  # "in" or "out", original time, µs

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.duration_us = 1
        self.playhead_us = 0
        self.steps: list[tuple[int, bool, bool]] = []  # (t, kept, selected)
        self.pauses: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.trim_in: int | None = None
        self.trim_out: int | None = None
        self._drag: str | None = None

    def set_model(self, *, duration_us: int, steps, pauses, removed, trim_in, trim_out) -> None:
        self.duration_us = max(1, duration_us)
        self.steps, self.pauses, self.removed = list(steps), list(pauses), list(removed)
        self.trim_in, self.trim_out = trim_in, trim_out
        self.update()

    def set_playhead(self, t_us: int) -> None:
        self.playhead_us = t_us
        self.update()

    def _x(self, t: int) -> float:
        return 8 + (self.width() - 16) * min(max(t, 0), self.duration_us) / self.duration_us

    def _t(self, x: float) -> int:
        frac = (x - 8) / max(1, self.width() - 16)
        return int(min(max(frac, 0.0), 1.0) * self.duration_us)

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        h = self.height()
        p.fillRect(self.rect(), QColor(40, 42, 48))
        track = QRectF(8, 18, self.width() - 16, h - 30)
        p.fillRect(track, QColor(70, 110, 160))
        for a, b in self.removed:  # removed from the result: hatched grey
            r = QRectF(self._x(a), track.top(), self._x(b) - self._x(a), track.height())
            p.fillRect(r, QColor(90, 90, 95))
        for a, b in self.pauses:  # pauses: amber band at the bottom
            p.fillRect(QRectF(self._x(a) - 1, track.bottom() - 5, max(3, self._x(b) - self._x(a)),
                              5), QColor(230, 160, 30))
        # Step markers, drawn in one call per style (thousands of markers on long recordings:
        # one drawLine each would cost tens of ms per repaint).
        groups: dict[tuple[bool, bool], list[QLineF]] = {}
        y0, y1 = track.top() + 3, track.bottom() - 7
        for t, kept, selected in self.steps:
            x = self._x(t)
            groups.setdefault((kept, selected), []).append(QLineF(x, y0, x, y1))
        for (kept, selected), lines in groups.items():
            colour = QColor(255, 255, 255) if kept else QColor(150, 150, 150)
            if selected:
                colour = QColor(255, 210, 60)
            p.setPen(QPen(colour, 2 if selected else 1))
            p.drawLines(lines)
        for _which, t in (("in", self.trim_in), ("out", self.trim_out)):
            if t is None:
                continue
            x = self._x(t)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(80, 220, 120))
            tri = QPolygonF([QPointF(x, track.top()), QPointF(x - HANDLE_PX, 4),
                             QPointF(x + HANDLE_PX, 4)])
            p.drawPolygon(tri)
            p.setPen(QPen(QColor(80, 220, 120), 2))
            p.drawLine(QPointF(x, track.top()), QPointF(x, track.bottom()))
        x = self._x(self.playhead_us)
        p.setPen(QPen(QColor(255, 70, 70), 2))
        p.drawLine(QPointF(x, 2), QPointF(x, h - 2))
        p.end()

    def _handle_at(self, x: float) -> str | None:
        for which, t in (("in", self.trim_in), ("out", self.trim_out)):
            if t is not None and abs(self._x(t) - x) <= HANDLE_PX:
                return which
        return None

    def mousePressEvent(self, ev) -> None:  # noqa: N802
        x = ev.position().x()
        self._drag = self._handle_at(x) if ev.position().y() < 22 else None
        if self._drag is None:
            self._drag = "seek"
            self.seek.emit(self._t(x))

    def mouseMoveEvent(self, ev) -> None:  # noqa: N802
        if self._drag == "seek":
            self.seek.emit(self._t(ev.position().x()))
        elif self._drag in ("in", "out"):
            t = self._t(ev.position().x())
            if self._drag == "in":
                self.trim_in = t
            else:
                self.trim_out = t
            self.update()

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802
        if self._drag in ("in", "out"):
            self.trim_dragged.emit(self._drag, self._t(ev.position().x()))
        self._drag = None

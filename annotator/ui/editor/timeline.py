"""The timeline: the whole recording, step markers, pauses, removed ranges, trim handles
and the playhead.  Click or drag to seek; drag the in/out handles to trim."""

from __future__ import annotations

from PyQt6.QtCore import QLineF, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
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
        self.steps: list[tuple[int, bool]] = []  # (t, kept)
        self.selected_us: int | None = None  # the selected step's start
        self.pauses: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.trim_in: int | None = None
        self.trim_out: int | None = None
        self._drag: str | None = None
        # Everything but the playhead and the selected marker, drawn once per model change
        # or resize: a seek repaints two thin strips from it, not thousands of markers.
        self._layer: QPixmap | None = None

    def set_model(self, *, duration_us: int, steps, pauses, removed, trim_in, trim_out,
                  selected_us: int | None = None) -> None:
        self.duration_us = max(1, duration_us)
        self.steps, self.pauses, self.removed = list(steps), list(pauses), list(removed)
        self.trim_in, self.trim_out = trim_in, trim_out
        self.selected_us = selected_us
        self._layer = None
        self.update()

    def set_selected(self, t_us: int | None) -> None:
        if t_us != self.selected_us:
            for t in (self.selected_us, t_us):
                self._update_at(t)
            self.selected_us = t_us

    def set_playhead(self, t_us: int) -> None:
        if t_us != self.playhead_us:
            self._update_at(self.playhead_us)
            self.playhead_us = t_us
            self._update_at(t_us)

    def _update_at(self, t: int | None) -> None:
        if t is not None:
            x = int(self._x(t))
            self.update(x - 3, 0, 7, self.height())

    def _x(self, t: int) -> float:
        return 8 + (self.width() - 16) * min(max(t, 0), self.duration_us) / self.duration_us

    def _t(self, x: float) -> int:
        frac = (x - 8) / max(1, self.width() - 16)
        return int(min(max(frac, 0.0), 1.0) * self.duration_us)

    def _track(self) -> QRectF:
        return QRectF(8, 18, self.width() - 16, self.height() - 30)

    def _draw_layer(self) -> QPixmap:
        dpr = self.devicePixelRatioF()
        pm = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
        pm.setDevicePixelRatio(dpr)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), QColor(40, 42, 48))
        track = self._track()
        p.fillRect(track, QColor(70, 110, 160))
        for a, b in self.removed:  # removed from the result: grey
            r = QRectF(self._x(a), track.top(), self._x(b) - self._x(a), track.height())
            p.fillRect(r, QColor(90, 90, 95))
        for a, b in self.pauses:  # pauses: amber band at the bottom
            p.fillRect(QRectF(self._x(a) - 1, track.bottom() - 5, max(3, self._x(b) - self._x(a)),
                              5), QColor(230, 160, 30))
        # Step markers, drawn in one call per style (one drawLine each would cost tens of ms
        # for thousands of markers).
        groups: dict[bool, list[QLineF]] = {True: [], False: []}
        y0, y1 = track.top() + 3, track.bottom() - 7
        for t, kept in self.steps:
            x = self._x(t)
            groups[bool(kept)].append(QLineF(x, y0, x, y1))
        for kept, lines in groups.items():
            p.setPen(QPen(QColor(255, 255, 255) if kept else QColor(150, 150, 150), 1))
            p.drawLines(lines)
        for t in (self.trim_in, self.trim_out):
            if t is None:
                continue
            x = self._x(t)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(80, 220, 120))
            p.drawPolygon(QPolygonF([QPointF(x, track.top()), QPointF(x - HANDLE_PX, 4),
                                     QPointF(x + HANDLE_PX, 4)]))
            p.setPen(QPen(QColor(80, 220, 120), 2))
            p.drawLine(QPointF(x, track.top()), QPointF(x, track.bottom()))
        p.end()
        return pm

    def resizeEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        self._layer = None
        super().resizeEvent(ev)

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        if self._layer is None or self._layer.deviceIndependentSize().toSize() != self.size():
            self._layer = self._draw_layer()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._layer)  # clipped to the region being repainted
        track = self._track()
        if self.selected_us is not None:
            x = self._x(self.selected_us)
            p.setPen(QPen(QColor(255, 210, 60), 2))
            p.drawLine(QPointF(x, track.top() + 3), QPointF(x, track.bottom() - 7))
        x = self._x(self.playhead_us)
        p.setPen(QPen(QColor(255, 70, 70), 2))
        p.drawLine(QPointF(x, 2), QPointF(x, self.height() - 2))
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
            self._layer = None
            self.update()

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802
        if self._drag in ("in", "out"):
            self.trim_dragged.emit(self._drag, self._t(ev.position().x()))
        self._drag = None

"""The video view with redaction boxes: shown over the frame, drawn, moved and resized.

Boxes are in frame pixels; the view maps them to and from widget coordinates.  Drawing a new
box is a mode (the R key or the toolbar button); otherwise a click selects the box under the
pointer, a drag moves it, and a drag on a corner handle resizes it.  Every finished gesture
becomes one edit command through the signals, so each is one undo step.
"""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen

from annotator.ui.editor.video_view import VideoView

HANDLE = 6


class RedactionVideoView(VideoView):
    box_drawn = pyqtSignal(list)  # [x, y, w, h] in frame pixels
    box_changed = pyqtSignal(str, list)  # redaction id, new rect
    box_selected = pyqtSignal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.boxes: list[dict] = []  # active at the current time: {id, rect, source}
        self.suggested: list[list[int]] = []  # open suggestions at the current time
        self.selected_id: str | None = None
        self.drawing = False
        self._press: QPointF | None = None
        self._live: QRectF | None = None  # the rectangle being drawn/moved, widget coords
        self._mode: str | None = None  # "draw", "move", "resize"
        self._orig: list[int] | None = None
        self.setMouseTracking(True)

    # -- mapping -------------------------------------------------------------------------
    def _scale(self) -> float:
        r = self.image_rect()
        return r.width() / self.rgb.shape[1] if self.rgb is not None and r.width() else 1.0

    def to_widget(self, rect: list[int]) -> QRectF:
        r = self.image_rect()
        s = self._scale()
        x, y, w, h = rect
        return QRectF(r.x() + x * s, r.y() + y * s, w * s, h * s)

    def to_frame(self, q: QRectF) -> list[int]:
        r = self.image_rect()
        s = self._scale()
        x0 = round((min(q.left(), q.right()) - r.x()) / s)
        y0 = round((min(q.top(), q.bottom()) - r.y()) / s)
        x1 = round((max(q.left(), q.right()) - r.x()) / s)
        y1 = round((max(q.top(), q.bottom()) - r.y()) / s)
        return [x0, y0, max(1, x1 - x0), max(1, y1 - y0)]

    def _full(self) -> list[int]:
        if self.rgb is None:
            return [0, 0, 1, 1]
        return [0, 0, self.rgb.shape[1], self.rgb.shape[0]]

    def set_boxes(self, boxes: list[dict], suggested: list[list[int]]) -> None:
        self.boxes = boxes
        self.suggested = suggested
        self.update()

    def set_drawing(self, on: bool) -> None:
        self.drawing = on
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(ev)
        if self.rgb is None:
            return
        p = QPainter(self)
        # Suggestions: dashed amber outlines (not yet redactions).
        p.setPen(QPen(QColor(255, 190, 40), 2, Qt.PenStyle.DashLine))
        for rect in self.suggested:
            p.drawRect(self.to_widget(rect))
        for b in self.boxes:
            rect = self._full() if b["rect"] == "full" else b["rect"]
            q = self._live if (b["id"] == self.selected_id and self._live is not None
                               and self._mode in ("move", "resize")) else self.to_widget(rect)
            # What the reviewer will get: an opaque fill.  A light hatch shows it is a box.
            p.fillRect(q, QColor(0, 0, 0, 235))
            selected = b["id"] == self.selected_id
            p.setPen(QPen(QColor(255, 80, 80) if selected else QColor(220, 220, 220), 2))
            p.drawRect(q)
            if selected:
                for corner in (q.topLeft(), q.topRight(), q.bottomLeft(), q.bottomRight()):
                    p.fillRect(QRectF(corner.x() - HANDLE / 2, corner.y() - HANDLE / 2,
                                      HANDLE, HANDLE), QColor(255, 80, 80))
        if self._mode == "draw" and self._live is not None:
            p.fillRect(self._live.normalized(), QColor(0, 0, 0, 200))
            p.setPen(QPen(QColor(255, 80, 80), 2))
            p.drawRect(self._live.normalized())
        p.end()

    # -- gestures -------------------------------------------------------------------------------
    def _box_at(self, pos: QPointF) -> dict | None:
        for b in reversed(self.boxes):
            rect = self._full() if b["rect"] == "full" else b["rect"]
            if self.to_widget(rect).adjusted(-HANDLE, -HANDLE, HANDLE, HANDLE).contains(pos):
                return b
        return None

    def _corner_at(self, pos: QPointF, q: QRectF) -> str | None:
        for name, c in (("tl", q.topLeft()), ("tr", q.topRight()), ("bl", q.bottomLeft()),
                        ("br", q.bottomRight())):
            if abs(c.x() - pos.x()) <= HANDLE and abs(c.y() - pos.y()) <= HANDLE:
                return name
        return None

    def mousePressEvent(self, ev) -> None:  # noqa: N802
        if self.rgb is None or ev.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(ev)
        pos = ev.position()
        self._press = pos
        if self.drawing:
            self._mode = "draw"
            self._live = QRectF(pos, pos)
            return
        b = self._box_at(pos)
        if b is None:
            self.selected_id = None
            self._mode = None
            self.update()
            return
        self.selected_id = b["id"]
        self.box_selected.emit(b["id"])
        rect = self._full() if b["rect"] == "full" else b["rect"]
        self._orig = list(rect)
        q = self.to_widget(rect)
        self._corner = self._corner_at(pos, q)
        self._mode = "resize" if self._corner else "move"
        self._live = QRectF(q)
        self.update()

    def mouseMoveEvent(self, ev) -> None:  # noqa: N802
        if self._mode is None or self._press is None or self._live is None:
            return
        pos = ev.position()
        if self._mode == "draw":
            self._live = QRectF(self._press, pos)
        elif self._mode == "move":
            q = self.to_widget(self._orig)
            self._live = q.translated(pos - self._press)
        elif self._mode == "resize":
            q = QRectF(self.to_widget(self._orig))
            if "l" in self._corner:
                q.setLeft(pos.x())
            if "r" in self._corner:
                q.setRight(pos.x())
            if "t" in self._corner:
                q.setTop(pos.y())
            if "b" in self._corner:
                q.setBottom(pos.y())
            self._live = q
        self.update()

    def mouseReleaseEvent(self, ev) -> None:  # noqa: N802
        mode, live = self._mode, self._live
        self._mode, self._live, self._press = None, None, None
        if mode == "draw" and live is not None:
            rect = self.to_frame(live.normalized())
            if rect[2] >= 3 and rect[3] >= 3:
                self.box_drawn.emit(rect)
            self.set_drawing(False)
        elif mode in ("move", "resize") and live is not None and self.selected_id:
            rect = self.to_frame(live.normalized())
            if rect != self._orig:
                self.box_changed.emit(self.selected_id, rect)
        self.update()

"""Painting action markers (annotator.drafts.markers) over a frame: the editor's video, the
step thumbnails and the reviewer's player all draw them with this one function."""

from __future__ import annotations

import math
from collections.abc import Iterable

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from annotator.drafts.markers import BOX, CLICK, FIELD, PATH, SCROLL, Marker

RING = QColor(255, 176, 0)  # amber: visible on light and dark screens
RING_FAINT = QColor(255, 176, 0, 150)
TARGET = QColor(0, 200, 255)
FIELD_COLOUR = QColor(80, 220, 120)
OUTLINE = QColor(0, 0, 0, 170)


def paint_markers(p: QPainter, markers: Iterable[Marker], origin: QPointF, scale: float, *,
                  strong: bool = True, small: bool = False) -> None:
    """Draw ``markers`` (frame pixels) where the frame is drawn at ``origin`` with
    ``scale``; ``small`` for thumbnails (thinner, smaller), ``strong`` for the selected step
    (a faint version for the others)."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    width = 1.5 if small else 2.5
    radius = 5.0 if small else 14.0

    def pt(x: float, y: float) -> QPointF:
        return QPointF(origin.x() + x * scale, origin.y() + y * scale)

    def rect(b: tuple[int, int, int, int]) -> QRectF:
        return QRectF(pt(b[0], b[1]), pt(b[0] + b[2], b[1] + b[3]))

    alpha = 255 if strong else 140
    for m in markers:
        if m.kind in (BOX, FIELD) and m.box is not None:
            colour = QColor(TARGET if m.kind == BOX else FIELD_COLOUR)
            colour.setAlpha(alpha)
            fill = QColor(colour)
            fill.setAlpha(28 if strong else 14)
            p.setBrush(QBrush(fill))
            p.setPen(QPen(colour, width, Qt.PenStyle.DashLine if m.kind == BOX
                          else Qt.PenStyle.SolidLine))
            p.drawRect(rect(m.box))
        elif m.kind == CLICK:
            c = pt(m.x, m.y)
            colour = QColor(RING if strong else RING_FAINT)
            p.setBrush(Qt.BrushStyle.NoBrush)
            for k in range(max(1, m.count)):
                r = radius + k * (3 if small else 6)
                for pen in (QPen(OUTLINE, width + 2), QPen(colour, width)):
                    p.setPen(pen)
                    if m.button == "right":
                        p.drawRect(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))
                    else:
                        p.drawEllipse(c, r, r)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawEllipse(c, 2.0 if small else 3.0, 2.0 if small else 3.0)
        elif m.kind == PATH and m.points:
            path = QPainterPath(pt(*m.points[0]))
            for q in m.points[1:]:
                path.lineTo(pt(*q))
            for pen in (QPen(OUTLINE, width + 2), QPen(QColor(RING if strong else RING_FAINT),
                                                        width)):
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(path)
            start = pt(*m.points[0])
            p.drawEllipse(start, radius / 2, radius / 2)
            if len(m.points) >= 2:
                _arrow_head(p, pt(*m.points[-2]), pt(*m.points[-1]), radius, width, strong)
        elif m.kind == SCROLL:
            c = pt(m.x, m.y)
            dx, dy = (0, 1 if m.dy > 0 else -1) if abs(m.dy) >= abs(m.dx) \
                else (1 if m.dx > 0 else -1, 0)
            length = radius * 3
            end = QPointF(c.x() + dx * length, c.y() + dy * length)
            for pen in (QPen(OUTLINE, width + 2), QPen(QColor(RING if strong else RING_FAINT),
                                                        width)):
                p.setPen(pen)
                p.drawLine(c, end)
            _arrow_head(p, c, end, radius, width, strong)
    p.restore()


def _arrow_head(p: QPainter, a: QPointF, b: QPointF, size: float, width: float,
                strong: bool) -> None:
    ang = math.atan2(b.y() - a.y(), b.x() - a.x())
    s = size * 0.9
    left = QPointF(b.x() - s * math.cos(ang - 0.5), b.y() - s * math.sin(ang - 0.5))
    right = QPointF(b.x() - s * math.cos(ang + 0.5), b.y() - s * math.sin(ang + 0.5))
    p.setPen(QPen(OUTLINE, 1))
    p.setBrush(QColor(RING if strong else RING_FAINT))
    p.drawPolygon(QPolygonF([b, left, right]))

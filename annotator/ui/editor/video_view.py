"""Shows one decoded frame, scaled to fit with its aspect ratio kept."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget


class VideoView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoView")
        self.setMinimumSize(480, 270)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.rgb: np.ndarray | None = None
        self.pts: int | None = None
        self._image: QImage | None = None
        self.message = "Loading…"

    def show_frame(self, pts: int, rgb: np.ndarray) -> None:
        self.rgb = np.ascontiguousarray(rgb)
        self.pts = pts
        h, w, _ = self.rgb.shape
        self._image = QImage(self.rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.update()

    def image_rect(self) -> QRect:
        """Where the frame is drawn, in widget coordinates."""
        if self._image is None:
            return QRect()
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = int(iw * scale), int(ih * scale)
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def paintEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 24, 28))
        if self._image is None:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(self.image_rect(), self._image)
        p.end()

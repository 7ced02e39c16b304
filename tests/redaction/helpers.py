"""Render text with Qt (offscreen) at known boxes, and write small bundles from frames."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

LIGHT = ((255, 255, 255), (30, 30, 30))
DARK = ((30, 30, 30), (220, 220, 220))


@dataclass
class Placed:
    text: str
    box: tuple[int, int, int, int]  # ink box x, y, w, h


def render(size: tuple[int, int], items: list[tuple[int, int, str, int]],
           theme: tuple[tuple[int, int, int], tuple[int, int, int]] = LIGHT,
           family: str = "DejaVu Sans") -> tuple[np.ndarray, list[Placed]]:
    """An RGB image of ``size`` with each (x, top, text, px) drawn; the ink box of each."""
    from PyQt6.QtCore import QPointF
    from PyQt6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath

    w, h = size
    img = QImage(w, h, QImage.Format.Format_RGB888)
    img.fill(QColor(*theme[0]))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    p.setPen(QColor(*theme[1]))
    placed = []
    for x, top, text, px in items:
        f = QFont(family)
        f.setPixelSize(px)
        p.setFont(f)
        base = top + QFontMetrics(f).ascent()
        p.drawText(QPointF(x, base), text)
        path = QPainterPath()
        path.addText(QPointF(x, base), f, text)
        r = path.boundingRect()
        bx, by = math.floor(r.left()), math.floor(r.top())
        placed.append(Placed(text, (bx, by, math.ceil(r.right()) - bx,
                                    math.ceil(r.bottom()) - by)))
    p.end()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    arr = np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, :w * 3]
    return arr.reshape(h, w, 3).copy(), placed


def covered(box: tuple[int, int, int, int], rects: list[list[int]]) -> float:
    """Fraction of ``box`` under the union of ``rects``."""
    x, y, w, h = box
    m = np.zeros((h, w), bool)
    for rx, ry, rw, rh in rects:
        x0, y0, x1, y1 = max(x, rx), max(y, ry), min(x + w, rx + rw), min(y + h, ry + rh)
        if x1 > x0 and y1 > y0:
            m[y0 - y:y1 - y, x0 - x:x1 - x] = True
    return float(m.mean())


def write_bundle(folder: Path, frames: list[tuple[int, np.ndarray]], *,
                 events: list[dict[str, Any]] | None = None,
                 windows: list[dict[str, Any]] | None = None,
                 duration_us: int | None = None) -> Path:
    """A bundle whose video holds ``frames`` ((pts µs, RGB)), encoded with the recorder's
    encoder, one grab per frame."""
    from annotator.bundle.video import VideoEncoder

    folder.mkdir(parents=True, exist_ok=True)
    h, w = frames[0][1].shape[:2]
    enc = VideoEncoder(folder / "video.mp4", w, h, fps=30)
    rows = []
    for i, (pts, rgb) in enumerate(frames):
        enc.encode_i420(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), pts)
        rows.append({"i": i, "t": pts, "pts": pts, "stored": True, "changed": True,
                     "file": "video.mp4"})
    enc.close()
    end = duration_us or frames[-1][0] + 1_000_000
    man = {
        "schema_version": 1, "id": str(uuid.uuid4()), "status": "complete",
        "app_version": "0.1.0", "created_by": "annotator tests", "duration_us": end,
        "displays": [{"id": "1", "origin_x": 0, "origin_y": 0, "width_px": w,
                      "height_px": h, "scale": 1.0, "captured": True}],
        "capture": {"display_id": "1", "region": {"x": 0, "y": 0, "width": w, "height": h},
                    "scale": 1.0, "fps_requested": 30, "cursor": False},
        "video": {"file": "video.mp4", **enc.settings}, "pauses": [], "problems": [],
    }
    (folder / "manifest.json").write_text(json.dumps(man))
    (folder / "frames.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "events.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in (events or [])))
    (folder / "windows.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in (windows or [])))
    return folder


def short_box_render(folder: Path, work: Path) -> None:
    """Into a package folder (640x160): ``video.mp4``, as long as it was, rendered with a box
    two characters short of the e-mail address it hides, and ``redactions.json`` naming its filled rectangle (as
    ``prepare_package`` writes it); the step frames are made blank."""
    from annotator.media.leakcheck import output_timing
    from annotator.media.render import plan_render, render_video
    from annotator.redaction import ink

    _qt_app()
    end_us = output_timing(folder / "video.mp4")[1]  # as long as the package says
    img, (placed,) = render((640, 160), [(40, 50, "jane.doe@example.com", 18)])
    rec = write_bundle(work / "short-box-rec", [(100_000, img)], duration_us=end_us)
    x, y, w, h = ink.grow(img, placed.box)
    boxes = [{"rect": [x, y, w - 22, h], "t_start_us": 0, "t_end_us": end_us}]
    render_video(rec, folder / "video.mp4", [(0, end_us)], boxes)
    plan = plan_render(rec, [(0, end_us)], boxes)
    (folder / "redactions.json").write_text(json.dumps({"boxes": [
        {"fill_rect": list(b.fill_rect),
         "result_intervals_us": [list(i) for i in b.result_intervals]}
        for b in plan.boxes]}))
    for f in (folder / "frames").iterdir():  # blank step frames: the video alone is checked
        shape = cv2.imread(str(f)).shape
        cv2.imwrite(str(f), np.full(shape, 255, np.uint8))


_APP: list = []


def _qt_app() -> None:
    """Qt draws text only with an application object (offscreen is enough).  A full
    QApplication: the widget tests that run later in the same process need one, and a
    process holds one application for its life."""
    import os

    from PyQt6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _APP.append(QApplication([]))

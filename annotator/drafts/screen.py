"""Reading a control off the screen: OCR words grouped into phrases, the phrase under the
pointer, the box of the control around it, the label beside an input field, and where typed
text appeared.

Pure functions over a frame (RGB array) and OCR words in frame pixels; the OCR itself runs
in ``drafter.py`` (one batched Tesseract run for many steps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from annotator.redaction.ocr import Word

Box = tuple[int, int, int, int]  # x, y, w, h in frame pixels


@dataclass(frozen=True)
class Phrase:
    """Words on one visual line close enough to be one label (``New invoice``)."""

    text: str
    x: int
    y: int
    w: int
    h: int
    conf: float  # the lowest word confidence (0-100)

    @property
    def box(self) -> Box:
        return (self.x, self.y, self.w, self.h)

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _vertical_overlap(a: Word | Phrase, b: Word | Phrase) -> float:
    top, bot = max(a.y, b.y), min(a.y + a.h, b.y + b.h)
    return max(0, bot - top) / max(1, min(a.h, b.h))


def phrases(words: Iterable[Word], *, gap_factor: float = 0.75, min_gap: int = 7
            ) -> list[Phrase]:
    """Group words into phrases: same visual line (vertical overlap over half the smaller
    height) and a gap under ``gap_factor`` of the line's height (a word space is about a
    third of it; the padding between two buttons or two table cells is more)."""
    ws = sorted((w for w in words if w.text.strip()), key=lambda w: (w.y + w.h / 2, w.x))
    rows: list[list[Word]] = []
    for w in ws:
        for row in rows:
            if _vertical_overlap(row[-1], w) > 0.5 or _vertical_overlap(row[0], w) > 0.5:
                row.append(w)
                break
        else:
            rows.append([w])
    out: list[Phrase] = []
    for row in rows:
        row.sort(key=lambda w: w.x)
        h = sorted(w.h for w in row)[len(row) // 2]
        limit = max(min_gap, gap_factor * h)
        group: list[Word] = [row[0]]
        for w in row[1:]:
            prev = group[-1]
            if w.x - (prev.x + prev.w) <= limit:
                group.append(w)
            else:
                out.append(_phrase(group))
                group = [w]
        out.append(_phrase(group))
    return out


def _phrase(group: Sequence[Word]) -> Phrase:
    x0 = min(w.x for w in group)
    y0 = min(w.y for w in group)
    x1 = max(w.x + w.w for w in group)
    y1 = max(w.y + w.h for w in group)
    return Phrase(" ".join(w.text for w in group), x0, y0, x1 - x0, y1 - y0,
                  min(w.conf for w in group))


def contains(box: Box, x: float, y: float, pad: int = 0) -> bool:
    bx, by, bw, bh = box
    return bx - pad <= x < bx + bw + pad and by - pad <= y < by + bh + pad


def inside(inner: Box, outer: Box, slack: int = 2) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[0] + inner[2] <= outer[0] + outer[2] + slack
            and inner[1] + inner[3] <= outer[1] + outer[3] + slack)


def intersects(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def distance(p: Phrase, x: float, y: float) -> float:
    dx = max(p.x - x, 0, x - (p.x + p.w))
    dy = max(p.y - y, 0, y - (p.y + p.h))
    return float(np.hypot(dx, dy))


def phrase_at(ps: Sequence[Phrase], x: int, y: int, box: Box | None = None,
              radius: int = 24) -> Phrase | None:
    """The phrase under the pointer; else, inside the control's ``box`` when known, the
    phrase nearest the pointer; else the nearest within ``radius`` pixels."""
    under = [p for p in ps if contains(p.box, x, y, pad=3)]
    if under:
        return min(under, key=lambda p: (p.h * p.w, p.x))
    if box is not None:
        within = [p for p in ps if inside(p.box, box, slack=3)]
        if within:
            return min(within, key=lambda p: (distance(p, x, y), p.x, p.y))
        return None
    near = [p for p in ps if distance(p, x, y) <= radius]
    if near:
        return min(near, key=lambda p: (distance(p, x, y), p.x, p.y))
    return None


def label_of_field(ps: Sequence[Phrase], field: Box, *, max_left: int = 420,
                   max_above: int = 40) -> Phrase | None:
    """The label of an input field: the nearest phrase ending left of it on its line, else
    the nearest phrase just above it and starting near its left edge (forms put labels on the
    left or on top)."""
    fx, fy, fw, fh = field
    mid = fy + fh / 2
    left = [p for p in ps if p.x + p.w <= fx + 4 and fx - (p.x + p.w) <= max_left
            and abs(p.cy - mid) <= max(fh / 2, p.h)]
    if left:
        return min(left, key=lambda p: (fx - (p.x + p.w), p.y))
    above = [p for p in ps if p.y + p.h <= fy + 3 and fy - (p.y + p.h) <= max_above
             and p.x < fx + fw and p.x + p.w > fx - 8 and abs(p.x - fx) <= max(60, fw // 3)]
    if above:
        return min(above, key=lambda p: (fy - (p.y + p.h), abs(p.x - fx)))
    return None


def control_box(rgb: np.ndarray, x: int, y: int, *, min_w: int = 30, min_h: int = 14,
                max_frac: float = 0.35) -> Box | None:
    """The box of the control under a point: the smallest near-rectangular outline (its
    convex hull fills at least 85 % of its bounding box) that contains the point and is at
    least ``min_w`` x ``min_h`` pixels, searched in a window around the point.  Flat
    controls without any outline give None."""
    H, W = rgb.shape[:2]
    if not (0 <= x < W and 0 <= y < H):
        return None
    # The whole width: input fields and table rows can be as wide as the window.
    x0, y0 = 0, max(0, y - 90)
    x1, y1 = W, min(H, y + 90)
    crop = rgb[y0:y1, x0:x1]
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    edges = cv2.Canny(gray, 20, 60)
    edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    px, py = x - x0, y - y0
    best: tuple[int, Box] | None = None
    limit = max_frac * (x1 - x0) * (y1 - y0)
    for c in contours:
        bx, by, bw, bh = cv2.boundingRect(c)
        if bw < min_w or bh < min_h or not (bx <= px < bx + bw and by <= py < by + bh):
            continue
        area = bw * bh
        if area > limit or (best is not None and area >= best[0]):
            continue
        hull = cv2.convexHull(c)
        if cv2.contourArea(hull) < 0.85 * area:
            continue
        best = (area, (bx + x0, by + y0, bw, bh))
    return best[1] if best else None


def changed_box(before: np.ndarray, after: np.ndarray, near: tuple[int, int] | None = None,
                threshold: int = 40) -> Box | None:
    """Where the screen changed between two frames (typed text appearing in its field): the
    bounding box of the changed pixels' largest cluster, the one nearest ``near`` if given."""
    if before.shape != after.shape:
        return None
    diff = cv2.absdiff(before, after)
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    mask = (diff > threshold).astype(np.uint8)
    if not mask.any():
        return None
    mask = cv2.dilate(mask, np.ones((9, 25), np.uint8))
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    comps = [tuple(int(v) for v in stats[i, :4]) for i in range(1, n)]
    if near is not None:
        nx, ny = near
        return min(comps, key=lambda b: (0 if contains(b, nx, ny) else 1,
                                         abs(b[1] + b[3] / 2 - ny), b[0]))
    return max(comps, key=lambda b: (b[2] * b[3], -b[1], -b[0]))


def is_readable(p: Phrase, *, min_conf: float = 45.0) -> bool:
    """OCR that reads like a control's text: enough letters or digits, enough confidence."""
    text = p.text.strip()
    alnum = sum(ch.isalnum() for ch in text)
    if alnum == 0 or alnum < 0.5 * len(text.replace(" ", "")):
        return False
    if len(text) == 1 and not text.isalnum():
        return False
    return p.conf >= min_conf

"""Reading a control off the screen: OCR words grouped into phrases, the phrase under the
pointer, the box of the control around it, the label beside an input field, and where typed
text appeared.

Pure functions over a frame (RGB array) and OCR words in frame pixels; the OCR itself runs
in ``drafter.py`` (one batched Tesseract run for many steps).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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
    # Separator glyphs (the edge of a button or a toolbar separator read as "|") end a
    # phrase; they are never part of one.
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
        group: list[Word] = []
        for w in row:
            if _SEPARATOR.fullmatch(w.text.strip()):
                if group:
                    out.append(_phrase(group))
                group = []
                continue
            if group and w.x - (group[-1].x + group[-1].w) > limit:
                out.append(_phrase(group))
                group = []
            group.append(w)
        if group:
            out.append(_phrase(group))
    return out


_SEPARATOR = re.compile(r"[|\[\]{}¦‖_—–=~]{1,3}")


def split_at_edges(ps: list[Phrase], words: Sequence[Word], frame: np.ndarray,
                   min_step: float = 8.0) -> list[Phrase]:
    """Split phrases where the background changes between two of their words: a border
    or another fill between them (a row header beside a cell, two buttons side by side)
    means two controls, however close their texts are."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    H, W = gray.shape[:2]
    out: list[Phrase] = []
    for p in ps:
        ws = sorted((w for w in words if _in_phrase(p, w)), key=lambda w: w.x)
        if len(ws) < 2:
            out.append(p)
            continue
        group = [ws[0]]
        for a, b in zip(ws, ws[1:], strict=False):
            x0, x1 = a.x + a.w + 1, b.x - 1
            y0, y1 = max(0, min(a.y, b.y)), min(H, max(a.y + a.h, b.y + b.h))
            edge = False
            if x1 - x0 >= 2 and y1 > y0 and 0 <= x0 and x1 <= W:
                cols = gray[y0:y1, x0:x1].astype(np.float32).mean(axis=0)
                edge = float(np.abs(np.diff(cols)).max()) >= min_step
            if not edge and frame.ndim == 3:  # each on a fill of its own
                ca, cb = _fill_of(frame, a, y0, y1), _fill_of(frame, b, y0, y1)
                edge = ca is not None and cb is not None and float(np.abs(ca - cb).max()) > 14
            if edge:
                out.append(_phrase(group))
                group = [b]
            else:
                group.append(b)
        out.append(_phrase(group))
    return out


def _fill_of(frame: np.ndarray, w: Word, y0: int, y1: int) -> np.ndarray | None:
    """The colour a word is written on: the median of thin strips just above and below the
    rows ``y0``-``y1`` (the line of both words compared, so that both are sampled on the same
    rows: a word with a descender reached the next row's highlight in a tight list)."""
    H = frame.shape[0]
    top = frame[max(0, y0 - 3):max(0, y0 - 1), max(0, w.x):w.x + w.w]
    bot = frame[min(H, y1 + 1):min(H, y1 + 3), max(0, w.x):w.x + w.w]
    px = np.concatenate([top.reshape(-1, 3), bot.reshape(-1, 3)])
    return np.median(px, axis=0) if len(px) else None


def _in_phrase(p: Phrase, w: Word) -> bool:
    return p.x <= w.x and w.x + w.w <= p.x + p.w and p.y <= w.y + w.h / 2 <= p.y + p.h


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


def _gaps(p: Phrase, x: float, y: float) -> tuple[float, float]:
    """(vertical, horizontal) distance from a point to a phrase's box; 0 inside."""
    dy = max(p.y - y, 0, y - (p.y + p.h))
    dx = max(p.x - x, 0, x - (p.x + p.w))
    return dy, dx


def phrase_at(ps: Sequence[Phrase], x: int, y: int, box: Box | None = None,
              radius: int = 24, row_reach: int = 380, line_slack: int = 6,
              blank: Callable[[int, int, int], bool] | None = None) -> Phrase | None:
    """The phrase of the control at (x, y).

    Rows and cells are clicked anywhere along them, buttons near their text: the phrase the
    point is inside; else, inside the control's ``box`` when known, the one nearest on the
    point's line (vertical distance first); else, with no box, the nearest on the point's
    line (within ``line_slack`` pixels vertically) ending up to ``row_reach`` pixels to
    its left (with nothing but background between, when ``blank(x0, x1, y)`` can tell) or
    starting up to ``radius`` pixels to its right; else any within ``radius``."""
    under = [p for p in ps if contains(p.box, x, y, pad=3)]
    if under:
        return min(under, key=lambda p: (_gaps(p, x, y), abs(p.cy - y), p.x))
    if box is not None:
        within = [p for p in ps if inside(p.box, box, slack=3)]
        if within:
            return min(within, key=lambda p: (_gaps(p, x, y), p.x, p.y))
        return None
    line = []
    for p in ps:
        dy, dx = _gaps(p, x, y)
        if dy <= line_slack and (dx <= radius or (
                p.x + p.w <= x and dx <= row_reach
                and (blank is None or blank(p.x + p.w, x, y)))):
            line.append((dx, dy, p.x, p))
    if line:
        return min(line, key=lambda t: t[:3])[3]
    near = [p for p in ps if distance(p, x, y) <= radius]
    if near:
        return min(near, key=lambda p: (distance(p, x, y), p.x, p.y))
    return None


def blank_between(rgb: np.ndarray, x0: int, x1: int, y: int, half: int = 5,
                  level: int = 40, skip: Sequence[Box] = ()) -> bool:
    """Nothing but background from ``x0`` to ``x1`` around row ``y`` (a row's empty end):
    no ink, no border, no other control.  The ``skip`` boxes on the row do not count (a
    menu item's shortcut belongs to its row)."""
    for i, (bx, by, bw, bh) in enumerate(skip):
        if bx < x1 and bx + bw > x0 and by - half <= y <= by + bh + half:
            rest = tuple(skip[:i]) + tuple(skip[i + 1:])
            return ((bx - 3 <= x0 or blank_between(rgb, x0, bx - 3, y, half, level, rest))
                    and (bx + bw + 3 >= x1
                         or blank_between(rgb, bx + bw + 3, x1, y, half, level, rest)))
    H, W = rgb.shape[:2]
    a, b = max(0, int(x0) + 3), min(W, int(x1) - 3)
    if b <= a:
        return True
    strip = rgb[max(0, y - half):min(H, y + half + 1), a:b]
    if strip.size == 0:
        return True
    return bool(ink_mask(strip, dominant_colour(strip), level).sum() <= 2)


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
    changed = (diff > threshold).astype(np.uint8)
    if not changed.any():
        return None
    mask = cv2.dilate(changed, np.ones((9, 25), np.uint8))
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    comps: list[Box] = [(int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 2]), int(stats[i, 3]))
                        for i in range(1, n)]
    if near is not None:
        nx, ny = near
        return min(comps, key=lambda b: (0 if contains(b, nx, ny) else 1,
                                         abs(b[1] + b[3] / 2 - ny), b[0]))
    return max(comps, key=lambda b: (b[2] * b[3], -b[1], -b[0]))


def dominant_colour(rgb: np.ndarray) -> np.ndarray:
    """The most common colour of an image (quantized to 16 levels a channel, then the mean of
    the pixels in that bin): a control's fill, or the background around text."""
    px = rgb.reshape(-1, rgb.shape[-1] if rgb.ndim == 3 else 1)
    if px.shape[1] == 1:
        px = np.repeat(px, 3, axis=1)
    q = (px[:, :3] // 16).astype(np.int32)
    keys = q[:, 0] * 256 + q[:, 1] * 16 + q[:, 2]
    k = np.bincount(keys).argmax()
    return np.asarray(px[keys == k, :3].mean(axis=0))


def ink_mask(rgb: np.ndarray, background: np.ndarray, level: int = 40) -> np.ndarray:
    """Pixels whose colour is more than ``level`` from the background in some channel."""
    img = rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)
    d = np.abs(img[..., :3].astype(np.int16) - background.astype(np.int16)).max(axis=2)
    return np.asarray(d > level)


def saturated(rgb: np.ndarray, where: np.ndarray) -> bool:
    """The pixels ``where`` are strongly coloured (UI text is black, white or grey)."""
    px = rgb[where].astype(np.int16)
    return bool(len(px) >= 6 and (px.max(axis=1) - px.min(axis=1)).mean() > 70)


def ink_image(rgb: np.ndarray, background: np.ndarray, scale: float = 3.0, pad: int = 20
              ) -> np.ndarray:
    """Text as black on white for Tesseract, whatever its colours: each pixel's distance from
    the ``background`` colour, stretched so the text's strongest strokes reach black (white
    on blue, grey on a dark gradient and black on white all come out the same), upscaled
    (small UI text loses its thin strokes when binarised at its own size) and framed in
    white."""
    img = rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)
    d = np.abs(img[..., :3].astype(np.float32) - background.astype(np.float32)).max(axis=2)
    ref = max(40.0, float(np.percentile(d, 99)))
    g = (255 - np.clip(d * (255.0 / ref), 0, 255)).astype(np.uint8)
    if scale != 1.0:
        g = cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return np.asarray(cv2.copyMakeBorder(g, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                                         value=255))


_INDICATORS = frozenset("Oo0©®@°•·*#[]()|\\/¥~-—_=<>«»vV✓✔☐☑☒")


def drop_indicator(p: Phrase, words: Sequence[Word]) -> Phrase:
    """A check box's or option's indicator read as a glyph before its text (``O Weekly``,
    ``© Daily``, ``\\¥] Send a copy``): dropped when the first word is one or two such
    characters, about as wide as it is tall, and the text follows after a gap."""
    ws = sorted((w for w in words if _in_phrase(p, w)), key=lambda w: w.x)
    if len(ws) < 2:
        return p
    first, second = ws[0], ws[1]
    t = first.text.strip()
    gap = second.x - (first.x + first.w)
    if len(t) <= 3 and all(ch in _INDICATORS for ch in t) and first.w <= 1.6 * max(
            first.h, second.h) and gap >= 2:
        return _phrase(ws[1:])
    # A menu item's icon read as a letter or two ("Q. Find", "B Select All"): taller than
    # the text, or not a word, or set apart by more than a word space.
    if len(t) <= 2 and (not t.isalnum() or first.h >= 1.25 * second.h
                        or gap >= 0.9 * second.h):
        return _phrase(ws[1:])
    # ... or set apart by clearly more than the phrase's own word spaces (``B Select All``,
    # ``J Save/Restore Session``: a menu's icon column, then its text column).
    spaces = [b.x - (a.x + a.w) for a, b in zip(ws[1:], ws[2:], strict=False)]
    if len(t) <= 2 and spaces and gap >= 0.4 * second.h \
            and gap >= 1.4 * sorted(spaces)[len(spaces) // 2]:
        return _phrase(ws[1:])
    return p


# The modifiers as OCR reads them in small menu text too: ``Ctri``, ``Ctril``, ``ttri``,
# ``CtrI``, ``Shft``; the key after the last ``+`` may be lost (``Ctrl+``).
_MODIFIER = r"([ct]?t?r[il1|!]{1,2}|c?trl?|shi?ft|alt|altgr|meta|super|cmd|⌘|⇧)"
_SHORTCUT = re.compile(rf"({_MODIFIER}\s*\+\s*)+\S{{0,9}}|f\d{{1,2}}", re.IGNORECASE)


def is_shortcut(text: str) -> bool:
    """A keyboard shortcut shown beside a menu item (``Ctrl+J``, ``F5``), as read or misread
    (``Ctri+t``): never a name, and never the name of the row it is on."""
    return bool(_SHORTCUT.fullmatch(text.strip()))


def colourful(rgb: np.ndarray, box: Sequence[int], background: np.ndarray | None = None
              ) -> bool:
    """The ink inside ``box`` is strongly coloured: an icon read as a letter or two, not
    text (UI text is black, white or grey, or one colour)."""
    x, y, w, h = (int(v) for v in box)
    crop = rgb[max(0, y):y + h, max(0, x):x + w]
    if crop.size == 0 or crop.ndim != 3:
        return False
    if background is None:  # the colour around the box (an icon can fill its own box)
        ring = rgb[max(0, y - 4):y + h + 4, max(0, x - 4):x + w + 4]
        edge = np.concatenate([ring[:2].reshape(-1, 3), ring[-2:].reshape(-1, 3),
                               ring[:, :2].reshape(-1, 3), ring[:, -2:].reshape(-1, 3)])
        background = np.median(edge, axis=0)
    return saturated(crop, ink_mask(crop, background, 60))


def is_readable(p: Phrase, *, min_conf: float = 45.0) -> bool:
    """OCR that reads like a control's text: enough letters or digits, enough confidence."""
    text = p.text.strip()
    alnum = sum(ch.isalnum() for ch in text)
    if alnum == 0 or alnum < 0.5 * len(text.replace(" ", "")):
        return False
    if len(text) == 1 and not text.isalnum():
        return False
    return p.conf >= min_conf

"""The ink of a screen around the pointer, before OCR reads it: which rows hold whole text
lines (a region read is trimmed to them, so no line cut in half is read as noise beside the
pointer's), whether the blob under the pointer is an icon or the start of a text (a check
box's indicator followed by its label, a blue link), coloured icons painted out so that OCR
never glues them to a word (``@pradiobutton``), and the case of a first letter OCR cannot
tell by its shape (``otto`` for ``Otto``), told by its height.

Pure functions over RGB frames (numpy, OpenCV); ``drafter.py`` calls them.
"""

from __future__ import annotations

import cv2
import numpy as np

from annotator.drafts.screen import dominant_colour, ink_mask, saturated

Region = tuple[int, int, int, int]  # x, y, w, h in frame pixels


def fit_to_lines(frame: np.ndarray, region: Region, y: int, keep: int = 3,
                  x: int | None = None) -> Region:
    """``region`` with its top and bottom moved to the nearest blank rows inside it, so that
    a text line its edge cuts is left out rather than read in part (a band around a menu
    row cut the rows above and below: OCR read them as ``Wwypse`` and read the row itself
    worse).  The rows within ``keep`` pixels of ``y`` always stay; a region with no blank
    row on a side keeps that side.  Rows count as blank within 200 pixels of ``x``.
    Sideways it grows instead, to the first gap of blank columns (up to 120 pixels): a
    word its side cuts is read whole (``ne Numbers`` was read for ``Line Numbers``)."""
    x0, y0, w, h = region
    if w < 6 or h < 6:
        return region
    crop = frame[y0:y0 + h, x0:x0 + w]
    # Rows are blank near the pointer: the screen further off (another pane) may have ink
    # on every row.
    x = min(max(x0, x), x0 + w - 1) if x is not None else x0 + w // 2
    near = crop[:, max(0, x - x0 - 200):max(0, x - x0 + 200)]
    if near.size == 0:
        return region
    near_mask = ink_mask(near, dominant_colour(near))
    near_mask[:, near_mask.mean(axis=0) >= 0.9] = False  # a vertical rule: no text
    rows = near_mask.sum(axis=1) > 1
    py = min(max(0, y - y0), h - 1)
    top, bottom = 0, h
    if rows[0]:
        blank = np.flatnonzero(~rows[:max(0, py - keep)])
        top = int(blank[0]) if len(blank) else 0
    if rows[-1]:
        start = min(h, py + keep + 1)
        blank = np.flatnonzero(~rows[start:])
        bottom = start + int(blank[-1]) + 1 if len(blank) else h
    if bottom - top < 6:
        return region
    y0, h = y0 + top, bottom - top
    # Sideways, a word the edge cuts is taken whole: the edge moves out to a gap.
    strip = frame[y0:y0 + h]
    bg = dominant_colour(strip[:, max(0, x - 200):x + 200])
    x1 = x0 + w
    x0 = _gap_at(strip, bg, x0, -1)
    x1 = _gap_at(strip, bg, x1 - 1, +1) + 1
    return (int(x0), int(y0), int(x1 - x0), int(h))


def _gap_at(strip: np.ndarray, bg: np.ndarray, col: int, step: int, reach: int = 120,
            gap: int = 3) -> int:
    """The nearest column from ``col`` outwards (``step`` -1: left, +1: right) that ends a
    run of ``gap`` blank columns: an edge no word crosses (``col`` itself when it is in
    such a gap); the frame's edge when that is nearer; ``col`` when none is in ``reach``."""
    W = strip.shape[1]
    a, b = max(0, col - reach - gap), min(W, col + reach + gap + 1)
    blank = ~_inked_columns(strip[:, a:b], bg)
    run = np.convolve(blank.astype(np.int32), np.ones(gap, np.int32), "valid") == gap
    # run[i]: columns a+i .. a+i+gap-1 are all blank.
    found = [int(a + i) for i in np.flatnonzero(run)]  # first columns of blank runs
    if step < 0:
        starts = [c for c in found if c <= col]
        return max(starts) if starts else (0 if col - reach <= 0 else col)
    ends = [c + gap - 1 for c in found if c + gap - 1 >= col]
    return min(ends) if ends else (W - 1 if col + reach >= W - 1 else col)


def _inked_columns(strip: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Columns with ink, a vertical rule (ink on nearly every row) not counted."""
    mask = ink_mask(strip, bg)
    frac = mask.mean(axis=0)
    return np.asarray((frac > 0) & (frac < 0.9))


def _components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return n, labels, stats


def is_icon(rgb: np.ndarray, box: tuple[int, int, int, int], min_side: int = 10) -> bool:
    """A component box of coloured ink shaped like an icon or an indicator: at least
    ``min_side`` pixels both ways and about square (a letter of a coloured word is smaller
    or narrower, and its word is a wide run)."""
    _x, _y, w, h = box
    return w >= min_side and h >= min_side and 0.6 <= w / h <= 1.7


def _text_after(crop: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Text starts right after ``box`` on its rows: ink that is not coloured, within a gap
    of about the box's height (a check box's label after its indicator)."""
    bx, by, bw, bh = box
    reach = slice(bx + bw, bx + bw + int(1.2 * bh) + 2)
    after = mask[by:by + bh, reach]
    return bool(after.sum() >= 6 and not saturated(crop[by:by + bh, reach], after))


def icon_at(frame: np.ndarray, x: int, y: int, reach: int = 12) -> bool:
    """The pointer is on an icon with no text of its own: coloured ink near it forms an
    icon-shaped blob, and no text starts right after it on its line (a check box's or
    option's indicator is followed by its label a few pixels on: that is the label's
    control, not an icon).  A coloured word (a link) is no icon: its letters are small."""
    H, W = frame.shape[:2]
    if frame.ndim != 3 or not (0 <= x < W and 0 <= y < H):
        return False
    x0, y0 = max(0, x - 60), max(0, y - 20)
    crop = frame[y0:min(H, y + 21), x0:min(W, x + 121)]
    bg = dominant_colour(crop)
    mask = ink_mask(crop, bg)
    n, labels, stats = _components(mask)
    px, py = x - x0, y - y0
    best = None
    for i in range(1, n):
        bx, by, bw, bh, _a = (int(v) for v in stats[i])
        d = max(bx - px, 0, px - (bx + bw)) + max(by - py, 0, py - (by + bh))
        if d <= reach and is_icon(crop, (bx, by, bw, bh)) and saturated(crop, labels == i) \
                and (best is None or d < best[0]):
            best = (d, (bx, by, bw, bh))
    if best is None:
        return False
    return not _text_after(crop, mask, best[1])


def paint_out_icons(crop: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``crop`` with every coloured icon-shaped blob that text follows painted in the
    background colour (a check box's blue indicator, an icon before a list item's name):
    OCR reads them as ``@``, ``©`` or a letter glued to the next word.  An icon alone is
    left (painting part of it left strokes that read as a word).  Returns ``crop`` itself
    when there is none."""
    if crop.ndim != 3 or crop.size == 0:
        return crop
    mask = ink_mask(crop, background)
    n, labels, stats = _components(mask)
    out = crop
    for i in range(1, n):
        bx, by, bw, bh, _a = (int(v) for v in stats[i])
        if not is_icon(crop, (bx, by, bw, bh), min_side=11):
            continue
        where = labels == i
        if not saturated(crop, where) or not _text_after(crop, mask, (bx, by, bw, bh)):
            continue
        if out is crop:
            out = crop.copy()
        region = out[by:by + bh, bx:bx + bw]
        region[...] = background.astype(crop.dtype)
    return out


_CASE_PAIRS = frozenset("cosuvwxz")  # lower case letters shaped as their capitals


def fix_first_capital(text: str, frame: np.ndarray, box: tuple[int, int, int, int],
                      background: np.ndarray) -> str:
    """A word's first letter read in lower case where its glyph's top stands as high as the
    word's capitals or ascenders (``otto`` for ``Otto``, ``save`` for ``Save``): OCR tells
    ``o`` from ``O`` by size alone, and small UI text leaves it guessing.  Only for letters
    whose two cases share a shape, and only when the word's other letters show the x-height
    to compare with.  Tops, not heights: an underline (a menu's mnemonic) or a descender
    changes a glyph's bottom, never its top; letters that touch are read column by column."""
    if not text or text[0] not in _CASE_PAIRS or len(text) < 3:
        return text
    x, y, w, h = box
    H, W = frame.shape[:2]
    crop = frame[max(0, y - 2):min(H, y + h + 2), max(0, x - 1):min(W, x + w + 1)]
    if crop.size == 0:
        return text
    mask = ink_mask(crop, background)
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    if len(cols) < 6 or len(rows) < 5:
        return text
    top_row, bottom_row = int(rows[0]), int(rows[-1])
    # Each column's highest ink; the letter's own columns are the first half height's.
    tops = [int(np.argmax(mask[:, j])) for j in range(int(cols[0]), int(cols[-1]) + 1)
            if mask[:, j].any()]
    tops = [t for t in tops if t <= (top_row + bottom_row) / 2]  # no dash, dot, underline
    # About half a letter's width: a third of the height above the baseline (descenders
    # and underlines left out), so that the columns are the first letter's only.
    bottoms = [int(mask.shape[0] - 1 - np.argmax(mask[::-1, j])) for j in range(
        int(cols[0]), int(cols[-1]) + 1) if mask[:, j].any()]
    baseline = int(np.median(bottoms))
    k = max(2, round(0.3 * (baseline - top_row + 1)))
    first, rest = tops[:k], tops[k + 1:]
    if len(first) < 2 or len(rest) < 4:
        return text
    # The x-height: the top most of the other columns reach (within a pixel); ascenders
    # and capitals stand higher on fewer columns.
    x_top = max(set(rest), key=lambda v: (sum(1 for t in rest if v <= t <= v + 1), v))
    rise = x_top - min(first)
    if rise >= 2 and rise >= 0.2 * (baseline - x_top):
        return text[0].upper() + text[1:]
    return text


"""Text that OCR did not read: runs of text-like ink that no word of the first reading
claims.

Tesseract sometimes returns nothing usable for a line that is plainly there (a key in a
form field at 15 px, an SSN after its label on a dark panel: its page segmentation took
the line for noise, or read it with a confidence near zero).  A value is hidden only when
all of it is, so such ink is read a second time, differently (its own crop, upscaled, as
a block of text: ``screen_text.reread_options``) and what that reading finds goes through
the detectors like any other text.

A run here is a horizontal band of glyph edges: the picture's morphological gradient,
straight rules taken out, closed along the line so that the letters of a word and the
words of a short phrase join, of a text's height (8-40 px) and at least four heights long
(shorter runs are single words; no value this module is for is that short).  It is
unclaimed when words of the first reading (of some confidence, on its rows) cover under
half of its width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from annotator.redaction.ocr import OcrOptions, Word

EDGE = 48  # grey levels of local contrast (3x3 gradient) that make a glyph edge
MIN_H, MAX_H = 8, 40  # px: text heights looked for
MIN_LONG = 4.0  # a run is at least this many heights long
CLAIM_CONF = 30.0  # words read with less confidence claim nothing
CLAIMED = 0.5  # share of a run's columns that the first reading's words must cover
MAX_RUNS = 24  # runs read again per frame at most (the widest first): the time budget


def reading(options: OcrOptions) -> OcrOptions:
    """How such a run is read again: the picture as it is, at 2x, as a block of lines.
    The first reading's flattening and rule removal are what lost some of these lines
    (a key in a light field, an SSN on a dark panel: read in full without them)."""
    return replace(options, scale=2.0, psm=6, flatten=False, remove_rules=False, workers=1)


def _edges(gray: np.ndarray) -> np.ndarray:
    """Glyph edges: strong local contrast, less straight rules (field frames, grid lines,
    underlines), which would join a line to its neighbours and to the box around it."""
    k = np.ones((3, 3), np.uint8)
    grad = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, k)
    m = (grad > EDGE).astype(np.uint8)
    rules = np.maximum(
        cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((1, 3 * MAX_H), np.uint8)),
        cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((int(1.5 * MAX_H), 1), np.uint8)))
    near_rules = np.asarray(cv2.dilate(rules, k), bool)
    return np.asarray(m.astype(bool) & ~near_rules, np.uint8)


def text_runs(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The runs of text-like ink of a grey picture, (x, y, w, h)."""
    m = _edges(gray)
    # Letters (and words a space apart) of text 8-40 px high join; lines stay apart.
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((1, 9), np.uint8))
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    out = []
    for x, y, w, h, area in stats[1:]:
        if MIN_H <= h <= MAX_H and w >= MIN_LONG * h and area >= 0.25 * w * h:
            out.append((int(x), int(y), int(w), int(h)))
    return out


def unclaimed(gray: np.ndarray, words: Sequence[Word], *, limit: int = MAX_RUNS
              ) -> list[tuple[int, int, int, int]]:
    """Where to read again: the text runs (``text_runs``) that the words of the first
    reading do not claim, widened by half a height above and below and a height on each
    side, clamped to the picture; the widest ``limit`` of them."""
    H, W = gray.shape[:2]
    out = []
    # The confident words as arrays: hundreds of runs a frame, each against every word.
    sure = [wd for wd in words if wd.conf >= CLAIM_CONF]
    wx, wy, ww, wh = (np.array([getattr(wd, a) for wd in sure], int).reshape(-1)
                      for a in ("x", "y", "w", "h"))
    for x, y, w, h in text_runs(gray):
        cols = np.zeros(w, bool)
        on = (np.minimum(y + h, wy + wh) - np.maximum(y, wy)) >= 0.5 * np.minimum(h, wh)
        for i in np.flatnonzero(on & (wx < x + w) & (wx + ww > x)):
            cols[max(0, wx[i] - x):max(0, wx[i] + ww[i] - x)] = True
        if cols.mean() >= CLAIMED:
            continue
        v = _margin(h)
        x0, y0 = max(0, x - h), max(0, y - v)
        x1, y1 = min(W, x + w + h), min(H, y + h + v)
        out.append((x0, y0, x1 - x0, y1 - y0))
    out.sort(key=lambda r: -r[2])
    return out[:limit]


def _margin(h: int) -> int:
    return max(2, h // 4)


def own_words(rect: tuple[int, int, int, int], words: Sequence[Word]) -> list[Word]:
    """The words of a reading of ``rect`` (a crop from ``unclaimed``) that lie on its run:
    their middle within the run's rows, not on a neighbouring line caught in the margin."""
    _x, y, _w, h = rect
    return [wd for wd in words if y + 0.2 * h <= wd.y + wd.h / 2 <= y + 0.8 * h]

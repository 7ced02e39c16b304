"""Where the text is, from the pixels: boxes that follow the ink.

OCR says where a *word* is; a redaction must cover the *text run* the value belongs to,
which OCR may have cut short (a field's edge read as part of the first letter, a glyph
dropped at the end, two pieces of one token).  This module looks at the picture itself.

A **line** is a horizontal band of text: its ink rows, the background colour behind it, how
strong its ink is, and the width of a space at its height.  A **run** is ink on a line whose
gaps are all narrower than a space; it ends at a wider gap, at a **wall** (a field border,
a table rule, the edge of a differently coloured panel: a column that is not background over
the whole line and beyond it), or at the frame's edge.

- ``grow``: a box (from OCR, a detector, a tracked text) grown over every run it touches, on
  its line, and padded by a margin proportional to the text height (never over other ink);
- ``snap``: a box drawn by hand, fitted to the runs of every line it mostly covers;
- ``value_ink``: the ink of the runs a box is meant to hide (the leak check looks for any of
  it outside the fills).

The width of a space is measured on the line.  Monospaced text (glyph centres a whole number
of cells apart) spaces letters by up to 0.45 em and words by 0.6 em and more: the space is
0.87 of the cell.  Proportional text spaces letters by under 0.22 em and words by 0.35 em and
more: the space is a pixel and a half more than the gap three in ten of the line's gaps stay
under (letter gaps), within 0.25-0.38 of the text height; where letters touch (small serif
text), the gaps seen are spaces: a pixel under their median.  A line
with too few gaps to tell gets 0.3 of its height.

Everything works on one frame (RGB or grey, uint8) in frame pixels; rectangles are
``(x, y, w, h)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Rect = tuple[int, int, int, int]


def as_rect(r: Sequence[int]) -> Rect:
    """(x, y, w, h) as four ints."""
    x, y, w, h = (int(v) for v in r)
    return (x, y, w, h)

PAD_OF_HEIGHT = 0.15  # padding of a grown box, as a share of the text height (2 px at least)
SPACE_MIN, SPACE_MAX, SPACE_DEFAULT = 0.25, 0.38, 0.3  # space width, share of text height
# Gaps per text height of ink under which a line's letters touch (visible letter gaps come
# about two a height; spaces alone, one in five or six letters, about 0.4)
TOUCHING_GAPS = 0.8
MIN_CONTRAST = 24  # levels: weaker differences from the background are no text
REACH = 0.35  # glyph tails and walls are looked for this share of the height around a line
BACKGROUND_SHARE = 0.4  # text sits on a plain background: at least this share of the band
RULE_MIN = 40  # px: a horizontal stroke this long (and 2.5 text heights) is a rule, not text


def gray(img: np.ndarray) -> np.ndarray:
    """The picture as grey levels (text is told from its background by lightness)."""
    if img.ndim == 2:
        return img
    return cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_RGB2GRAY)


def _background(px: np.ndarray) -> int:
    """The most common grey level of ``px`` (median of the most common 4-level bin)."""
    q = px.ravel() >> 2
    counts = np.bincount(q, minlength=64)
    best = int(np.argmax(counts))
    return int(np.median(px.ravel()[q == best]))


def _diff(img: np.ndarray, bg: int) -> np.ndarray:
    """Per pixel, the difference from the background level."""
    return cv2.absdiff(img, np.full_like(img, bg))


def _without_rules(mask: np.ndarray, height: int) -> np.ndarray:
    """``mask`` less its horizontal rules: strokes of at most 3 rows that run straight for
    ``RULE_MIN`` pixels and 2.5 text heights or more (field borders, grid lines,
    underlines), which would otherwise join the glyphs of a line into one run."""
    n = max(RULE_MIN, int(2.5 * height))
    if mask.shape[1] < n:
        return mask
    m8 = mask.astype(np.uint8)
    rules = cv2.morphologyEx(m8, cv2.MORPH_OPEN, np.ones((1, n), np.uint8))
    if not rules.any():
        return mask
    rules = cv2.dilate(rules, np.ones((3, 1), np.uint8))
    return np.asarray(mask & ~rules.astype(bool), bool)


def _pitch(cols: np.ndarray, height: int) -> float | None:
    """The character pitch of a monospaced line from its column ink, or None: glyph blobs
    sit in cells of one width, so their centres fall on a grid of half cells (two glyphs
    that touch make one blob centred between two cells).  The pitch whose grid the centres
    fit best (their phases agree: resultant length 0.8 or more) wins: 0.35-0.95 of the
    line's ink height (0.6 em), else 0.95-1.15 of it (a font whose digits and capitals are
    short for its pitch, Courier's 0.57 em: a wider range from the start would take twice
    the pitch of a font with tall capitals, whose half cells are its cells)."""
    edges = np.diff(np.concatenate(([0], cols.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size < 16:
        return None  # too few glyphs to tell
    centres = ((starts + ends) / 2.0).astype(np.float32)
    for lo, hi, n in ((0.35, 0.95, 241), (0.95, 1.15, 81)):
        pitches = np.linspace(lo * height, hi * height, n)
        angles = (4 * np.pi / pitches).astype(np.float32)[:, None] * centres[None, :]
        # |mean of e^(i angle)|, without complex arrays, in single precision (numpy's
        # vectorised float32 sine and cosine: a tenth of the time of float64; the angles,
        # under 10^4 rad, stay within 10^-3 rad): grown boxes look at hundreds of lines a
        # frame, and this was a tenth of a frame's CPU time
        fit = np.hypot(np.cos(angles).mean(axis=1), np.sin(angles).mean(axis=1))
        k = int(np.argmax(fit))
        if fit[k] >= 0.8:
            return float(pitches[k])
    return None


def _space(cols: np.ndarray, height: int) -> float:
    """The space width of a line from its column ink (module docstring): 0.87 of the pitch
    for monospaced text; for proportional text a pixel and a half more than the gap that
    three gaps in ten stay under (letter gaps, even on a line of short words or a label and
    a field), within 0.25-0.38 of the height; 0.3 of it with fewer than 8 gaps; where the
    letters touch (few gaps for its ink), a pixel less than the median gap (a space)."""
    default = max(2.0, SPACE_DEFAULT * height)
    pitch = _pitch(cols, height)
    if pitch is not None:
        return max(2.0, 0.87 * pitch)
    idx = np.flatnonzero(cols)
    gaps = np.diff(idx) - 1 if idx.size > 1 else np.zeros(0, int)
    gaps = gaps[gaps >= 1]
    if (idx.size >= 8 * height and gaps.size >= 3
            and gaps.size < TOUCHING_GAPS * idx.size / height):
        # Letters that touch (small serif text, antialiased: "You can reach me" shows
        # gaps only between its words): the gaps seen are spaces, narrower than the
        # share of the height a space has in other text.
        return max(2.0, float(np.median(gaps)) - 1)
    if gaps.size < 8:
        return default
    letters = float(np.percentile(gaps, 30))
    return float(min(SPACE_MAX * height, max(SPACE_MIN * height, letters + 1.5)))


@dataclass(frozen=True, eq=False)
class Line:
    """A band of text: ink rows ``top``..``bottom`` (exclusive, glyph tails included), its
    background level, the
    difference from it that is ink, the space width in pixels, and the columns looked at
    (``x0``..``x1``: a window around a box, or the frame).  ``ink`` is the text's ink (rules
    removed) over rows ``top - reach``..``bottom + reach`` (from ``ink_top``) and those
    columns; ``walls`` marks its columns that are walls."""

    top: int
    bottom: int
    background: int
    threshold: int
    space: float
    x0: int
    x1: int
    ink_top: int
    ink: np.ndarray
    walls: np.ndarray
    core_top: int = 0  # the rows the line was found on, before its glyph tails
    core_bottom: int = 0

    @property
    def height(self) -> int:
        """The text height: the rows the line was found on."""
        return self.core_bottom - self.core_top

    def band(self) -> np.ndarray:
        """The ink of the line's own rows."""
        return self.ink[self.top - self.ink_top:self.bottom - self.ink_top]


def _window(width: int, x0: int, x1: int, height: int) -> tuple[int, int]:
    reach = max(160, 12 * height)
    return max(0, x0 - reach), min(width, x1 + reach)


def _tails(rows: np.ndarray) -> int:
    """How many of ``rows`` (ink counts, from the line outwards to the edge of reach) are
    the line's glyph tails: all up to the last inked one, unless ink still reaches the
    edge past an empty row: that is another line's ascenders or descenders (tightly set
    text), and the tails end at the empty row.  An accent or an underscore apart from its
    glyph ends before the edge."""
    inked = np.flatnonzero(rows > 0)
    empty = np.flatnonzero(rows == 0)
    if rows[-1] > 0 and empty.size and empty[0] < inked[-1]:
        return int(empty[0])
    return int(inked[-1]) + 1


def _make_line(img: np.ndarray, top: int, bottom: int, bg: int, thr: int, x0: int, x1: int
               ) -> Line:
    H = img.shape[0]
    hgt = bottom - top
    reach = max(2, int(round(REACH * hgt)))
    a, b = max(0, top - reach), min(H, bottom + reach)
    raw = _diff(img[a:b, x0:x1], bg) > thr
    walls = np.asarray(raw.all(axis=0), bool)
    ink = _without_rules(raw, hgt)
    # The line's rows reach over its glyph tails (descenders, underscores, accents): the
    # ink rows within reach, unless another line's core (rows as inked as half of this
    # line's) comes first: then up to the emptiest row before it.
    prof = ink.sum(axis=1)
    t, u = top - a, bottom - a
    core = prof[t:u]
    level = 0.5 * float(np.median(core[core > 0])) if (core > 0).any() else 1.0
    below = prof[u:]
    rise = np.flatnonzero(below >= level)
    if rise.size:
        u += int(np.argmin(below[:rise[0]])) if rise[0] > 0 else 0
    elif (below > 0).any():
        u += _tails(below)
    above = prof[:t][::-1]
    rise = np.flatnonzero(above >= level)
    if rise.size:
        t -= int(np.argmin(above[:rise[0]])) if rise[0] > 0 else 0
    elif (above > 0).any():
        t -= _tails(above)
    top2, bottom2 = a + t, a + u
    cols = np.asarray(ink[t:u].any(axis=0) & ~walls, bool)
    return Line(top2, bottom2, bg, thr, _space(cols, hgt), x0, x1, a, ink, walls, top, bottom)


def _main_band(profile: np.ndarray) -> tuple[int, int] | None:
    """The rows [a, b) of the band of ink rows (between blank rows) that holds the most ink:
    a box from OCR may reach into the next line of tightly set text (a terminal at 12 px),
    and its line must not be taken as two lines' height (its space would be too wide)."""
    has = np.concatenate(([0], (profile > 0).astype(np.int8), [0]))
    edges = np.diff(has)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return None
    k = int(np.argmax([int(profile[a:b].sum()) for a, b in zip(starts, ends, strict=True)]))
    return int(starts[k]), int(ends[k])


def line_at(img: np.ndarray, rect: Rect, rows: tuple[int, int] | None = None, *,
            whole: bool = False) -> Line | None:
    """The line of text under ``rect`` (grey picture): its ink rows (``rows`` if known,
    e.g. from OCR), background, ink threshold and space width, looked at in a window
    around the box (``whole``: the frame's width); None if there is no text under it."""
    H, W = img.shape[:2]
    x, y, w, h = (int(v) for v in rect)
    x0, x1 = max(0, x), min(W, x + w)
    top, bottom = rows if rows is not None else (y, y + h)
    top, bottom = max(0, min(top, y + h - 1)), min(H, max(bottom, y + 1))
    if x1 <= x0 or bottom <= top:
        return None
    hgt = bottom - top
    around = img[top:bottom, max(0, x0 - 2 * hgt):min(W, x1 + 2 * hgt)]
    bg = _background(around)
    if (_diff(around, bg) <= MIN_CONTRAST // 2).mean() < BACKGROUND_SHARE:
        return None  # no plain background: a picture, not text
    d = _diff(img[top:bottom, x0:x1], bg)
    contrast = int(np.percentile(d, 99)) if d.size else 0
    if contrast < MIN_CONTRAST:
        return None
    thr = max(MIN_CONTRAST // 2, int(0.35 * contrast))
    if rows is None:  # the ink rows under the box, not the box's own margins
        band = _main_band(_without_rules(d > thr, hgt).sum(axis=1))
        if band is not None:
            top, bottom = top + band[0], top + band[1]
    wx0, wx1 = (0, W) if whole else _window(W, x0, x1, bottom - top)
    return _make_line(img, top, bottom, bg, thr, wx0, wx1)


def _own_columns(line: Line) -> np.ndarray:
    """The columns of the line's band that hold its own ink: without the glyph tails of the
    lines above and below that reach into its rows (tightly set text, a terminal at 12 px:
    their descenders and ascenders would fill its word spaces and join its words into one
    run).  Those are the pieces of ink that do not touch the line's core rows and go on
    past the band's first or last row."""
    band = line.band()
    if not band.any():
        return np.zeros(band.shape[1], bool)
    n, lab = cv2.connectedComponents(band.astype(np.uint8), connectivity=8)
    if n <= 2:
        return np.asarray(band.any(axis=0), bool)
    own = np.zeros(n, bool)
    own[np.unique(lab[max(0, line.core_top - line.top):line.core_bottom - line.top])] = True
    beyond = np.zeros(n, bool)
    first, last = line.top - line.ink_top, line.bottom - line.ink_top
    for edge, outside in ((0, first - 1), (band.shape[0] - 1, last)):
        if 0 <= outside < line.ink.shape[0]:
            row = line.ink[outside].astype(np.uint8)[None, :]
            out = cv2.dilate(row, np.ones((1, 3), np.uint8))[0].astype(bool)
        else:  # the band reaches as far as tails are looked for: what touches it goes on
            out = np.ones(band.shape[1], bool)
        beyond[lab[edge][(lab[edge] > 0) & out]] = True
    drop = beyond & ~own
    drop[0] = False
    return np.asarray((band & ~drop[lab]).any(axis=0), bool)


def _runs(line: Line) -> list[tuple[int, int]]:
    """The line's runs.  Next to a narrow piece of ink (a colon, a dot, a hyphen: at most a
    quarter of the text height wide) with a gap as wide on its other side, a gap up to half
    again a space (and under 0.45 of the height) does not end a run: proportional fonts put
    side bearings around punctuation, so "2001:0db8" or "10.0.0.1" have wider gaps there
    than between letters, yet no space, and OCR often splits a value exactly there.  A
    label's colon or a comma has a space after it and none before: it still ends a run."""
    ink = _own_columns(line) & ~line.walls
    idx = np.flatnonzero(ink)
    if idx.size == 0:
        return []
    wall_count = np.cumsum(line.walls)
    gap = np.diff(idx) - 1
    first = np.flatnonzero(np.concatenate(([True], gap > 0)))  # pieces: ink without a gap
    last = np.concatenate((first[1:] - 1, [idx.size - 1]))
    narrow = (idx[last] - idx[first] + 1) <= max(3, 0.25 * line.height)
    # Between pieces k and k+1 (at idx position last[k]): the gap, and whether a narrow
    # piece next to it has a gap as wide on its other side (inside a value the bearings
    # are alike on both sides: "0db8 : c5e7"; after a label a space follows: "token:  v").
    pg = gap[last[:-1]]
    inner = np.zeros(pg.size, bool)
    if pg.size > 1:
        inner[:-1] |= narrow[1:-1] & (pg[:-1] <= pg[1:] + 1)  # piece k+1 narrow
        inner[1:] |= narrow[1:-1] & (pg[1:] <= pg[:-1] + 1)  # piece k narrow
    wide = gap >= line.space
    wide[last[:-1]] &= ~(inner & (pg < min(1.5 * line.space, 0.45 * line.height)))
    split = wide | (wall_count[idx[1:]] != wall_count[idx[:-1]])
    starts = np.concatenate(([0], np.flatnonzero(split) + 1))
    ends = np.concatenate((np.flatnonzero(split), [idx.size - 1]))
    return [(line.x0 + int(idx[s]), line.x0 + int(idx[e]) + 1)
            for s, e in zip(starts, ends, strict=True)]


def runs_touching(img: np.ndarray, line: Line, x0: int, x1: int
                  ) -> tuple[Line, list[tuple[int, int]]]:
    """The runs of ``line`` (grey picture) that columns x0..x1 touch: [a, b) column ranges
    of ink whose gaps are narrower than a space, split at walls.  A run that reaches the
    edge of the line's window is followed across the whole frame (the line returned is
    then the frame-wide one)."""
    got = [(a, b) for a, b in _runs(line) if a < x1 and x0 < b]
    W = img.shape[1]
    if any((a <= line.x0 and line.x0 > 0) or (b >= line.x1 and line.x1 < W) for a, b in got):
        line = _make_line(img, line.core_top, line.core_bottom, line.background,
                          line.threshold, 0, W)
        got = [(a, b) for a, b in _runs(line) if a < x1 and x0 < b]
    return line, got


def _ink_rows(line: Line, x0: int, x1: int) -> tuple[int, int]:
    """The rows of ink in columns x0..x1 of the line: its rows, extended over the glyph
    tails there (ascenders, descenders, an underscore a row or two below the baseline)
    while rows hold ink (two blank rows at most in between), within the line's reach; not
    past a blank row over ink that goes on to the edge of reach (the next line's
    ascenders or the previous line's descenders, in tightly set text)."""
    has = np.asarray(line.ink[:, x0 - line.x0:x1 - line.x0].any(axis=1), bool)
    a = line.ink_top
    top, bottom = line.core_top, line.core_bottom
    above = has[:max(0, top - a)][::-1]
    below = has[max(0, bottom - a):]
    return top - _outwards(above), bottom + _outwards(below)


def _outwards(rows: np.ndarray) -> int:
    """How many of ``rows`` (inked or not, from the line outwards) are the line's: see
    ``_ink_rows``."""
    taken, blank = 0, 0
    for i, inked in enumerate(rows):
        if blank > 2:
            break
        if inked:
            taken, blank = i + 1, 0
        else:
            blank += 1
    gaps = np.flatnonzero(~rows[:taken])
    if taken == rows.size and gaps.size:
        return int(gaps[0])
    return taken


def _clear(img: np.ndarray, line: Line, box: tuple[int, int, int, int], pad: int
           ) -> tuple[int, int, int, int]:
    """Padding of ``box`` (x0, y0, x1, y1) on each side (left, top, right, bottom), at most
    ``pad``, stopping where any other ink begins (a neighbour's glyph, a field border)."""
    H, W = img.shape[:2]
    x0, y0, x1, y1 = box
    strips = {
        "left": img[y0:y1, max(0, x0 - pad):x0][:, ::-1].T,
        "top": img[max(0, y0 - pad):y0, x0:x1][::-1],
        "right": img[y0:y1, x1:min(W, x1 + pad)].T,
        "bottom": img[y1:min(H, y1 + pad), x0:x1],
    }
    out = []
    for side in ("left", "top", "right", "bottom"):
        st = strips[side]  # rows: steps away from the box
        if st.size == 0:
            out.append(0)
            continue
        inked = (_diff(st, line.background) > line.threshold).any(axis=1)
        hit = np.flatnonzero(inked)
        out.append(int(hit[0]) if hit.size else st.shape[0])
    left, top, right, bottom = (max(0, v) for v in out)
    return (left, top, right, bottom)


def grow(img: np.ndarray, rect: Rect, rows: tuple[int, int] | None = None, *,
         pad: int | None = None) -> Rect:
    """``rect`` grown over the whole of every run it touches on its line, plus the glyphs'
    tails above and below, padded by ``pad`` (default: 15 % of the text height, 2 px at
    least; never into other ink) and clamped to the frame.  Never smaller than ``rect``;
    unchanged when there is no text under it.  ``img``: RGB or grey.

    The result holds every run that ``value_ink`` finds under it (grown until it does), so
    the leak check finds nothing of the value outside a box made here."""
    g = gray(img)
    H, W = g.shape[:2]
    line = line_at(g, rect, rows)
    if line is None:
        return rect
    x, y, w, h = (int(v) for v in rect)
    line, xs = runs_touching(g, line, x, x + w)
    if not xs:
        return rect
    x0, x1 = min(a for a, _ in xs), max(b for _, b in xs)
    top, bottom = _ink_rows(line, x0, x1)
    for _ in range(4):  # the closure under value_ink (the leak check's view of the box)
        more = [r for r in value_ink(g, (x0, top, x1 - x0, bottom - top))
                if _same_line(r.line, line)]
        nx0 = min([x0] + [r.x0 for r in more])
        nx1 = max([x1] + [r.x1 for r in more])
        ny0 = min([top] + [r.top for r in more])
        ny1 = max([bottom] + [r.top + r.mask.shape[0] for r in more])
        if (nx0, nx1, ny0, ny1) == (x0, x1, top, bottom):
            break
        x0, x1, top, bottom = nx0, nx1, ny0, ny1
    p = pad if pad is not None else max(2, int(round(PAD_OF_HEIGHT * line.height)))
    pl, pt, pr, pb = _clear(g, line, (x0, top, x1, bottom), p)
    gx0, gy0 = max(0, x0 - pl), max(0, top - pt)
    gx1, gy1 = min(W, x1 + pr), min(H, bottom + pb)
    gx0, gy0 = min(gx0, max(0, x)), min(gy0, max(0, y))
    gx1, gy1 = max(gx1, min(W, x + w)), max(gy1, min(H, y + h))
    return (gx0, gy0, gx1 - gx0, gy1 - gy0)


def _same_line(a: Line, b: Line) -> bool:
    overlap = min(a.core_bottom, b.core_bottom) - max(a.core_top, b.core_top)
    return overlap >= 0.5 * min(a.height, b.height)


def lines_in(img: np.ndarray, rect: Rect, *, min_share: float = 0.5) -> list[Line]:
    """The lines of text (grey picture) that ``rect`` covers at least ``min_share`` of the
    height of, or that hold at least half of the box's own height (a box over the lower
    half of a line is over that line): bands of rows holding ink under the box (rules left
    out), separated by blank rows."""
    H, W = img.shape[:2]
    x, y, w, h = (int(v) for v in rect)
    x0, x1, y0, y1 = max(0, x), min(W, x + w), max(0, y), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return []
    bg = _background(img[y0:y1, x0:x1])
    reach = max(4, (y1 - y0) // 2)  # a little beyond the box, to see the lines it cuts
    a, b = max(0, y0 - reach), min(H, y1 + reach)
    wide0, wide1 = max(0, x0 - RULE_MIN), min(W, x1 + RULE_MIN)
    d = _diff(img[a:b, wide0:wide1], bg)
    inner = d[:, x0 - wide0:x1 - wide0]
    contrast = int(np.percentile(inner, 99)) if inner.size else 0
    if contrast < MIN_CONTRAST:
        return []
    thr = max(MIN_CONTRAST // 2, int(0.35 * contrast))
    text = _without_rules(d > thr, min(y1 - y0, 3 * RULE_MIN))[:, x0 - wide0:x1 - wide0]
    has = text.any(axis=1).astype(np.int8)
    edges = np.diff(np.concatenate(([0], has, [0])))
    out = []
    for s0, s1 in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        t, u = a + int(s0), a + int(s1)
        overlap = min(u, y1) - max(t, y0)
        if overlap / max(1, u - t) >= min_share or overlap / max(1, y1 - y0) >= 0.5:
            line = line_at(img, (x0, t, x1 - x0, u - t), (t, u))
            if line is not None:
                out.append(line)
    return out


def snap(img: np.ndarray, rect: Rect) -> Rect | None:
    """A hand-drawn box fitted to the text it covers: every line it covers half of or more,
    grown over the runs it touches there, padded; None if it covers no text."""
    g = gray(img)
    x, y, w, h = (int(v) for v in rect)
    got = [grow(g, (x, line.top, w, line.height), (line.top, line.bottom))
           for line in lines_in(g, rect)]
    if not got:
        return None
    x0, y0 = min(r[0] for r in got), min(r[1] for r in got)
    x1, y1 = max(r[0] + r[2] for r in got), max(r[1] + r[3] for r in got)
    return (x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True, eq=False)
class Run:
    """Ink a box is meant to hide: one run on one line, with a mask of its ink pixels
    (True) over rows ``top``.. and columns ``x0``..``x1``."""

    line: Line
    x0: int
    x1: int
    top: int
    mask: np.ndarray

    @property
    def rect(self) -> Rect:
        return (self.x0, self.top, self.x1 - self.x0, self.mask.shape[0])


def value_ink(img: np.ndarray, rect: Rect) -> list[Run]:
    """The runs a box is meant to hide: on every line it covers half of or more, the runs
    it touches, with their glyph tails (``img``: RGB or grey)."""
    g = gray(img)
    x, y, w, h = (int(v) for v in rect)
    out = []
    for line in lines_in(g, rect):
        line, xs = runs_touching(g, line, x, x + w)
        for a, b in xs:
            top, bottom = _ink_rows(line, a, b)
            mask = line.ink[top - line.ink_top:bottom - line.ink_top, a - line.x0:b - line.x0]
            out.append(Run(line, a, b, top, mask))
    return out

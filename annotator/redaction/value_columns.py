"""Columns of values: in a table whose column holds values line after line, the lines of it
that no suggestion covers (whole or in part) are values too.

OCR misreads cells of a column (low contrast on a striped row, a value flush against the
cell's border, a group read as a word of its own), and a value it misread is missed or
covered in part; the same column's other cells say what the cell holds.  A column is a
set of suggested boxes, three or more, one above the other (their spans across overlap
by half the wider), on lines of text evenly spaced (a table's rows, a blank cell
or a highlighted row allowed); when the boxes cover three in five of the lines between the first and the last
of them, every ink of those lines inside the column's span is covered: the missing or
partly covered cell is boxed over its text run (``ink.grow``).  A form's fields with their
labels between them, or a mail's text, are not such columns: their lines are not evenly
spaced, or most of them hold no value.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np

from annotator.redaction import ink

Rect = tuple[int, int, int, int]
MIN_BOXES = 3  # boxes one above the other that make a column
VALUE_SHARE = 0.6  # of the column's lines (between its first and last box) boxed already
MIN_LINES = 4
PITCH_TOLERANCE = 0.15  # a line's distance to the next, off a whole number of rows by this
EVEN_SHARE = 0.85  # of the steps from line to line (a highlighted row breaks a step or two)
LINE_HEIGHTS = (0.6, 1.6)  # a text line's height, as shares of the column's median line's
NAMED_SHARE = 0.7  # of the column's boxes whose kind was named, the commonest kind
SAME_KIND_SHARE = 0.5  # of the column's lines boxed as its commonest kind of value
WIDE = 1.3  # a box this much wider than the column's median (two cells in one) is left out
MIN_INK_COLUMNS = 2  # uncovered ink narrower than this is a stray pixel, not a glyph


def _groups(rects: Sequence[Rect]) -> list[list[int]]:
    """Boxes one above the other: linked when their spans across overlap by half the
    wider (a box over two cells links no columns) and their heights differ by less than half (one line of text each)."""
    parent = list(range(len(rects)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (ax, _, aw, ah) in enumerate(rects):
        for j in range(i + 1, len(rects)):
            bx, _, bw, bh = rects[j]
            overlap = min(ax + aw, bx + bw) - max(ax, bx)
            if overlap >= 0.5 * max(aw, bw) and max(ah, bh) < 1.5 * min(ah, bh):
                parent[find(i)] = find(j)
    out: dict[int, list[int]] = {}
    for i in range(len(rects)):
        out.setdefault(find(i), []).append(i)
    return [g for g in out.values() if len(g) >= MIN_BOXES]


def _text_lines(lines: Sequence[ink.Line]) -> list[ink.Line]:
    """The lines of text: not the slivers of a rule's anti-aliasing or a cell's edge, nor a
    highlighted row read as one band of ink (a line far lower or taller than the median)."""
    if not lines:
        return []
    med = statistics.median(ln.height for ln in lines)
    return [ln for ln in lines if LINE_HEIGHTS[0] * med <= ln.height <= LINE_HEIGHTS[1] * med]


def _evenly_spaced(lines: Sequence[ink.Line]) -> bool:
    centres = sorted((ln.core_top + ln.core_bottom) / 2 for ln in lines)
    steps = [b - a for a, b in zip(centres, centres[1:], strict=False)]
    if not steps:
        return False
    row = statistics.median(steps)  # a blank cell between two lines: a step of two rows
    if row < 4:
        return False
    even = sum(round(s / row) >= 1 and abs(s / row - round(s / row)) <= PITCH_TOLERANCE
               for s in steps)
    return even >= EVEN_SHARE * len(steps)


def _boxed(line: ink.Line, rects: Sequence[Rect]) -> list[Rect]:
    """The boxes on ``line``: over half of its rows."""
    hgt = max(1, line.core_bottom - line.core_top)
    return [r for r in rects
            if min(r[1] + r[3], line.core_bottom) - max(r[1], line.core_top) >= 0.5 * hgt]


def _uncovered(line: ink.Line, x0: int, x1: int, boxes: Sequence[Rect]) -> tuple[int, int] | None:
    """The span of the line's ink inside ``x0``..``x1`` that ``boxes`` leave uncovered."""
    a, b = max(x0, line.x0), min(x1, line.x1)
    if b <= a:
        return None
    cols = np.asarray(line.band()[:, a - line.x0:b - line.x0].any(axis=0), bool)
    for bx, _, bw, _ in boxes:
        cols[max(0, bx - a):max(0, bx + bw - a)] = False
    xs = np.flatnonzero(cols)
    if xs.size < MIN_INK_COLUMNS:
        return None
    return a + int(xs[0]), a + int(xs[-1]) + 1


def _one_kind(lines: Sequence[ink.Line], members: Sequence[tuple[Rect, str]],
              wildcard: str) -> bool:
    """Whether the column's lines hold one kind of value: seven in ten of the kinds its
    boxes were named are one kind, boxes of that kind or of ``wildcard`` (a value whose
    kind no detector could name: a misread cell) are on half of its lines, and boxes of
    any kind on three in five.  A form's fields hold values of many
    kinds (an e-mail address, a phone number, a plan's name) and are no column."""
    kinds = [{k for r, k in members if _boxed(ln, [r])} for ln in lines]
    named = [k for ks in kinds for k in ks if k != wildcard]
    if not named:
        return False
    top = statistics.mode(named)
    same = sum(bool(ks & {top, wildcard}) for ks in kinds)
    return (named.count(top) >= NAMED_SHARE * len(named)
            and sum(bool(ks) for ks in kinds) >= VALUE_SHARE * len(lines)
            and same >= SAME_KIND_SHARE * len(lines))


def fill_columns(img: np.ndarray, boxes: Sequence[tuple[Sequence[int], str]],
                 wildcard: str = "") -> list[Rect]:
    """Boxes for what ``boxes`` (the suggestions of a frame, RGB or grey: a rectangle and
    a kind each) leave of the columns of values they make: see the module's docstring."""
    g = ink.gray(img)
    kept = [(ink.as_rect(r), k) for r, k in boxes if r[2] > 0 and r[3] > 0]
    rects = [r for r, _ in kept]
    out: list[Rect] = []
    for group in _groups(rects):
        med = statistics.median(rects[i][2] for i in group)
        chosen = [kept[i] for i in group if rects[i][2] <= WIDE * med]
        members = [r for r, _ in chosen]
        if len(members) < MIN_BOXES:
            continue
        x0 = min(r[0] for r in members)
        x1 = max(r[0] + r[2] for r in members)
        y0 = min(r[1] for r in members)
        y1 = max(r[1] + r[3] for r in members)
        lines = _text_lines(ink.lines_in(g, (x0, y0, x1 - x0, y1 - y0)))
        if len(lines) < MIN_LINES or not _evenly_spaced(lines):
            continue
        if not _one_kind(lines, chosen, wildcard):
            continue
        for ln in lines:
            gap = _uncovered(ln, x0, x1, _boxed(ln, rects))
            if gap is None:
                continue
            seed = (gap[0], ln.core_top, gap[1] - gap[0], ln.core_bottom - ln.core_top)
            out.append(ink.grow(g, seed, (ln.core_top, ln.core_bottom)))
    return out

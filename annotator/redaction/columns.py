"""Table columns that OCR reads through.

In a table whose cells are set close together (a right-aligned IBAN ending a space before
the next cell's SSN, a grid line too faint to see on a dark theme), OCR reads a row as one
line and sometimes as one word across the cell border ("103/514-73-2410",
"1697125608566:677-91-3827", "152,237"); the detectors then see one value running into the
next, and a box found on one cell's text stops where the other begins.  The cells' left
edges are in the words themselves: in a table the words of consecutive rows start at the
same x.  A column start is an x where words of at least ``MIN_LINES`` lines start within
``TOL`` pixels, more lines start a word there than run a word across it (proportional
text: a terminal's words line up on its character grid anyway), and the words close
before them start at different places (other cells' text, not a value's first group).  Words are cut at a column start they cross when a separator was read there
(the border or the gap read as "/", ",", ":", ";", "|" or "'"), and the joined text of a line
has a column break (a tab) before a word that starts a column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from annotator.redaction.ocr import Word

MIN_LINES = 4  # lines whose words start at one x: a column...
SHARE = 0.6  # ...when of the lines with a word there, this share start one there
TOL = 2  # px: OCR's boxes of one column's words start a pixel or two apart
SEPARATORS = "/,:;|'"  # what OCR reads for a cell border or the gap at it


def column_starts(rows: Sequence[Sequence[Word]]) -> list[int]:
    """The x positions where the words of at least ``MIN_LINES`` rows (lines of text; rows
    of monospaced text given as empty) start within ``TOL``, and of the rows with a word
    there, at least ``SHARE`` start one there rather than run across (a table's column; in
    prose a few words may start at one x by chance, but more run across it)."""
    starts = [sorted({w.x for w in row}) for row in rows]
    found: list[int] = []
    for x in sorted({x for xs in starts for x in xs}):
        if any(abs(x - f) <= 2 * TOL for f in found):
            continue
        n = sum(any(abs(x - y) <= TOL for y in xs) for xs in starts)
        if n < MIN_LINES:
            continue
        across = sum(any(w.x + TOL < x < w.x + w.w - TOL for w in row)
                     and not any(abs(x - w.x) <= TOL for w in row) for row in rows)
        if n >= SHARE * (n + across) and _cells_before(rows, x):
            found.append(x)
    return found


def _cells_before(rows: Sequence[Sequence[Word]], x: int) -> bool:
    """Whether the words that come a space or less before the words starting at ``x`` are
    other cells' text: they start at different places (right-aligned, or of different
    lengths).  When they all start at one x too, the words at ``x`` are the second group of
    values set in one column ("+44 7700 900250", "+61 2 3965 5023"): no column of their
    own (and without words close before, there is nothing to tell apart)."""
    lefts: list[int] = []
    for row in rows:
        for a, b in zip(row, row[1:], strict=False):
            if abs(b.x - x) <= TOL and b.x - (a.x + a.w) <= max(a.h, b.h):
                lefts.append(a.x)
    if len(lefts) < 2:
        return False
    most = max(sum(abs(v - u) <= TOL for u in lefts) for v in lefts)
    return most < 0.5 * len(lefts)


def starts_column(w: Word, starts: Sequence[int]) -> bool:
    return any(abs(w.x - c) <= TOL for c in starts)


def split_at_columns(words: Sequence[Word], starts: Sequence[int]) -> list[Word]:
    """``words`` with each word that crosses a column start cut there, when OCR read a
    separator at that place (``SEPARATORS``, within a character of it); the separator is
    dropped, the pieces keep the word's line."""
    out: list[Word] = []
    for w in words:
        rest = w
        for c in starts:
            piece = _cut(rest, c)
            if piece is not None:
                out.append(piece[0])
                rest = piece[1]
        out.append(rest)
    return out


def _cut(w: Word, c: int) -> tuple[Word, Word] | None:
    n = len(w.text)
    if n < 3 or not (w.x + 3 < c < w.x + w.w - 3):
        return None
    k = round((c - w.x) / w.w * n)
    for j in (k, k - 1, k + 1, k - 2):
        if 0 < j < n - 1 and w.text[j] in SEPARATORS:
            left = replace(w, text=w.text[:j], w=max(1, c - 2 - w.x))
            right = replace(w, text=w.text[j + 1:], x=c, w=w.x + w.w - c)
            return left, right
    return None

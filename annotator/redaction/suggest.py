"""Redaction suggestions for a recording: OCR + detectors on frames, typed text and titles.

Frames.  Stored frames are decoded in order and each is compared with the one before it
(block-wise, 8x8 px, grey-level difference above ``DIFF_THRESHOLD``).  Only what changed is
read again: the changed blocks since the last reading are grown into full-width horizontal
bands (text runs horizontally, so a band never cuts a line of text in two) and only those
bands are OCR'd; everything else keeps what was read before.  A state of the screen is read

- on the first frame (all of it);
- on every step's observation frame;
- when it is about to change after it stayed on screen ``stable_us`` or longer (so every
  state that a viewer could read is read, not only those that happen to be observations);
- during continuous change (video, animation) at least every ``interval_us``;
- on the last frame.

Tracking.  A suggestion found on one frame follows the same text across the frames where
it stays: while nothing changes under its box it is carried; when its box is read again
and the same text is found there (same place, similar text) it continues; when its box
changed and the text is gone it ends just before the frame that showed it gone.  Its start
goes back to when its content appeared: the earliest change under the box since the box
was last read (so the frames that showed a partly typed secret are covered too), and for a
secret that was typed, the start of the typing step.  Times are conservative: a suggestion
may cover a frame or two more than the text was visible, never fewer.

Reading.  Readings are batched (one Tesseract start for the bands of many frames, see
``ocr.ocr_batch``).  Each reading's words are grouped into visual lines, joined (a tab
across column gaps) and run through the detectors; every span becomes one padded box per
line it covers.  Runs of 6+ digits that no detector claimed and that are no harmless
format (date, amount, version, order number, hash) are read a second time at a larger
scale, widened by a character on each side: OCR drops or misreads single digits at small
sizes, and a second reading recovers most of them.

Text.  The same detectors run over the text of every ``type`` step (its ``text``) and over
every window title of ``windows.jsonl``.

Limits.  Text that appears and disappears again in less than ``stable_us`` while the
screen keeps changing around it, between two readings, is not read.  OCR misses some text
(see benchmarks/pii_recall.py for the measured recall); names and addresses are found only
through the contributor's deny-list.

The matched text of a suggestion is kept in memory for the contributor to review; it is
not part of the suggestion's id, ``repr`` or ``to_dict()`` (unless asked for), so it does
not end up in logs or in files that leave the machine.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from annotator.jobs import Progress
from annotator.redaction import ink
from annotator.redaction.detect import Detector, Span
from annotator.redaction.ocr import (
    OcrOptions,
    Word,
    crop_regions,
    find_tesseract,
    ocr_batch,
    ocr_image,
)

SOURCE_OCR = "ocr"
SOURCE_TYPED = "typed_text"
SOURCE_TITLE = "window_title"

PAD_PX = 3  # suggested boxes are padded by this much on every side
BLOCK = 8  # px: the grid of the change detection
DIFF_THRESHOLD = 24  # grey levels: less is compression noise, not a change
# A new text's start is carried back over the earlier states of the screen whose picture
# under it (at a quarter of the size) is the same within this mean difference: the encoder
# sharpening a static text over its first frames moves it by well under 1 level there, a
# text appearing by tens.  HISTORY states are kept (about 130 kB each).
SAME_MEAN_LEVELS = 2.0
HISTORY = 240
BAND_MARGIN = 16  # px added above and below changed rows before OCR


@dataclass(eq=False)
class Suggestion:
    """One suggested redaction, to accept or reject in the editor."""

    id: str  # stable: a hash of where and when, never of the text itself
    kind: str  # detector kind (detect.KINDS)
    source: str  # "ocr", "typed_text" or "window_title"
    rect: list[int] | None  # [x, y, w, h] in frame pixels (padded), None for text sources
    t_start_us: int
    t_end_us: int  # inclusive: the last microsecond the redaction must cover
    step_id: str | None = None
    span: tuple[int, int] | None = None  # character offsets in the step's text / the title
    score: float = 0.0
    text: str = field(default="", repr=False)  # the matched text: local only
    reason: str = ""
    first_seen_us: int | None = None  # OCR: first and last frame where it was read
    last_seen_us: int | None = None
    frames_read: int = 0  # OCR: how many readings found it

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        d = {
            "id": self.id, "kind": self.kind, "source": self.source,
            "rect": list(self.rect) if self.rect is not None else None,
            "t_start_us": self.t_start_us, "t_end_us": self.t_end_us,
            "step_id": self.step_id, "span": list(self.span) if self.span else None,
            "score": round(self.score, 3), "reason": self.reason,
            "first_seen_us": self.first_seen_us, "last_seen_us": self.last_seen_us,
            "frames_read": self.frames_read,
        }
        if include_text:
            d["text"] = self.text
        return d


def _sid(*parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


# -- OCR words -> lines -> hits ------------------------------------------------------------------

@dataclass
class Line:
    words: list[Word]

    @property
    def top(self) -> int:
        return min(w.y for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.y + w.h for w in self.words)


def group_lines(words: Sequence[Word]) -> list[Line]:
    """Visual lines: Tesseract's lines, then those on the same row (vertical overlap of at
    least half the smaller height) merged, words sorted left to right; rows top to bottom."""
    by_id: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        by_id.setdefault(w.line_id, []).append(w)
    pieces = sorted(by_id.values(), key=lambda ws: min(w.y + w.h / 2 for w in ws))
    rows: list[list[Word]] = []
    bounds: list[tuple[float, float]] = []
    for ws in pieces:
        top = min(w.y for w in ws)
        bot = max(w.y + w.h for w in ws)
        hgt = sorted(w.h for w in ws)[len(ws) // 2]
        placed = False
        for i in range(len(rows) - 1, max(-1, len(rows) - 8), -1):
            rt, rb = bounds[i]
            overlap = min(bot, rb) - max(top, rt)
            rh = rb - rt
            if overlap >= 0.5 * min(bot - top, rh) and 0.5 <= hgt / max(1.0, rh) <= 2.0:
                rows[i].extend(ws)
                bounds[i] = (min(rt, top), max(rb, bot))
                placed = True
                break
        if not placed:
            rows.append(list(ws))
            bounds.append((top, bot))
    lines = [Line(sorted(r, key=lambda w: w.x)) for r in rows]
    lines.sort(key=lambda ln: (ln.top + ln.bottom) / 2)
    return lines


def _pitch(words: Sequence[Word]) -> float | None:
    """The character width of a line set in a monospaced font (terminals, editors), from its
    words' widths per character (nearly constant when it is monospaced), or None.  A
    single space there is about as wide as a capital is tall: it must not read as a column
    gap."""
    per = [w.w / len(w.text) for w in words if len(w.text) >= 4]
    if len(per) < 3:
        return None
    mean = sum(per) / len(per)
    spread = (sum((p - mean) ** 2 for p in per) / len(per)) ** 0.5
    return mean if spread <= 0.08 * mean else None


def join_lines(lines: Sequence[Line]) -> tuple[str, list[tuple[int, int, int, int]]]:
    """The text of the lines (words joined by a space, or a tab across a wide gap such as
    between table columns; lines by newlines) and, per word, (start, end, line, word)."""
    parts: list[str] = []
    index: list[tuple[int, int, int, int]] = []
    pos = 0
    for li, line in enumerate(lines):
        if li:
            parts.append("\n")
            pos += 1
        hgt = sorted(w.h for w in line.words)[len(line.words) // 2]
        column_gap = max(0.9 * hgt, 8, 1.7 * (_pitch(line.words) or 0))
        prev: Word | None = None
        for wi, w in enumerate(line.words):
            if prev is not None:
                gap = w.x - (prev.x + prev.w)
                sep = "\t" if gap > column_gap else " "
                parts.append(sep)
                pos += 1
            parts.append(w.text)
            index.append((pos, pos + len(w.text), li, wi))
            pos += len(w.text)
            prev = w
    return "".join(parts), index


@dataclass
class Hit:
    """A detection on an image: one box per line it spans."""

    rect: tuple[int, int, int, int]  # padded, clamped to the image
    kind: str
    score: float
    text: str
    reason: str
    seed: tuple[int, int, int, int] | None = None  # the words' box, before padding
    rows: tuple[int, int] | None = None  # the OCR line's rows (top, bottom)


def _clamp(x0: int, y0: int, x1: int, y1: int, size: tuple[int, int] | None
           ) -> tuple[int, int, int, int]:
    if size is not None:
        w, h = size
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _part_of_word(w: Word, s: int, e: int, span: Span) -> tuple[float, float]:
    """The x range of the part of word ``w`` (characters s..e of the text) that ``span``
    covers.  A span that starts or ends three or more characters inside a word ("KEY=" +
    secret, an address + "/24") covers from one character before its start to one after
    its end, at the word's average character width; otherwise the whole word."""
    n = e - s
    x0, x1 = float(w.x), float(w.x + w.w)
    if n <= 0:
        return x0, x1
    cw = w.w / n
    lead = span.start - s
    if lead >= 3:
        x0 = w.x + (lead - 1) * cw
    tail = e - span.end
    if tail >= 3:
        x1 = w.x + w.w - (tail - 1) * cw
    return x0, max(x1, x0 + cw)


def hits_from_words(words: Sequence[Word], detector: Detector, *, pad: int = PAD_PX,
                    size: tuple[int, int] | None = None) -> list[Hit]:
    """Run the detectors on the joined OCR text and map every span back to the words it
    overlaps, one padded box per line."""
    return analyze_words(words, detector, pad=pad, size=size)[0]


def analyze_words(words: Sequence[Word], detector: Detector, *, pad: int = PAD_PX,
                  size: tuple[int, int] | None = None
                  ) -> tuple[list[Hit], list[tuple[int, int, int, int]]]:
    """The hits of ``words`` (see ``hits_from_words``) and the regions worth reading again:
    groups of digit-bearing words that no detector claimed and that are not an obviously
    harmless format (see ``_reread_regions``)."""
    lines = group_lines(words)
    text, index = join_lines(lines)
    hits: list[Hit] = []
    if not text:
        return hits, []
    starts = [i[0] for i in index]
    spans = detector.detect(text, ocr=True)
    spans += _wrapped_spans(lines, text, index, spans, detector)
    for span in spans:
        k = max(0, bisect.bisect_right(starts, span.start) - 1)
        per_line: dict[int, list[tuple[Word, float, float]]] = {}
        while k < len(index) and index[k][0] < span.end:
            s, e, li, wi = index[k]
            if e > span.start:
                w = lines[li].words[wi]
                per_line.setdefault(li, []).append((w, *_part_of_word(w, s, e, span)))
            k += 1
        for li, ws in per_line.items():
            x0 = int(min(a for _, a, _ in ws))
            y0 = min(w.y for w, _, _ in ws)
            x1 = int(np.ceil(max(b for _, _, b in ws)))
            y1 = max(w.y + w.h for w, _, _ in ws)
            rect = _clamp(x0 - pad, y0 - pad, x1 + pad, y1 + pad, size)
            if rect[2] and rect[3]:
                hits.append(Hit(rect, span.kind, span.score,
                                " ".join(w.text for w, _, _ in ws), span.reason,
                                seed=_clamp(x0, y0, x1, y1, size),
                                rows=(lines[li].top, lines[li].bottom)))
    return hits, _reread_regions(lines, text, index, spans, size)


def _wrapped_spans(lines: Sequence[Line], text: str, index: list[tuple[int, int, int, int]],
                   spans: Sequence[Span], detector: Detector) -> list[Span]:
    """Values that a paragraph wraps onto the next line ("call +33 1" / "47 04 92 52"): the
    text read again with each line break inside a paragraph (the next line close below, of
    the same height, starting at or left of where the line starts) as a space; the spans
    found across such a break, and not found before, are added."""
    joints = []
    first = {}
    for s, _e, li, wi in index:
        if wi == 0:
            first[li] = s
    for li in range(len(lines) - 1):
        a, b = lines[li], lines[li + 1]
        if not a.words or not b.words or li + 1 not in first:
            continue
        h = max(1, a.bottom - a.top)
        if (0 <= b.top - a.bottom <= 0.8 * h and abs((b.bottom - b.top) - h) <= 0.3 * h
                and b.words[0].x <= a.words[0].x + h):
            joints.append(first[li + 1] - 1)  # the newline before the next line
    if not joints:
        return []
    chars = list(text)
    for j in joints:
        chars[j] = " "
    out = []
    for sp in detector.detect("".join(chars), ocr=True):
        if any(sp.start < j < sp.end for j in joints) and not any(
                sp.start < o.end and o.start < sp.end for o in spans):
            out.append(sp)
    return out


# Digit-bearing strings that are harmless as they are: dates, times, amounts, versions,
# order and reference numbers, hashes and UUIDs, sizes and percentages.
_BENIGN = re.compile(
    r"(?i)(?:"
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?"
    r"|[a-z]{3,9}\.? \d{1,2},? \d{4}"
    r"|[$€£¥] ?-?\d[\d,.' ]*"
    r"|-?\d{1,3}(?:[,.' ]\d{3})*(?:[.,]\d{1,2})?(?: ?[a-z]{3})?"
    r"|-?\d{1,6}[.,]\d{2}(?: ?[a-z]{3})?"
    r"|v?\d+(?:\.\d+){1,2}(?:[-+.][a-z0-9.]+)*"
    r"|(?:[a-z]{2,5}[- ]?)?#?\d{3,12}|[a-z]{2,5}-\d{4}-\d{4,8}"
    r"|(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|\d+(?:\.\d+)? ?(?:%|[kmgt]i?b|ms|s|px)"
    r")")


def _value_like(word: str) -> bool:
    """A word that may be (part of) a value OCR garbled: it holds a digit, an "@" or "://",
    or is a long run of letters and digits (a key, an IBAN without spaces)."""
    return (any(c.isdigit() for c in word) or "@" in word or "://" in word
            or (len(word) >= 12 and sum(c.isalnum() for c in word) >= 10))


def _worth_rereading(chunk: str) -> bool:
    """Whether an unclaimed run of value-like words may be a value OCR misread: at least
    6 digits, an "@" between word characters, a scheme, or a mixed run of 12+ letters and
    digits; never a harmless format (date, amount, version, order number, hash)."""
    if not chunk or len(chunk) > 64 or _BENIGN.fullmatch(chunk):
        return False
    if sum(c.isdigit() for c in chunk) >= 6 or "://" in chunk or re.search(r"\w@\w", chunk):
        return True
    return any(len(t) >= 12 and any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
               for t in chunk.split())


def _reread_regions(lines: Sequence[Line], text: str, index: list[tuple[int, int, int, int]],
                    spans: Sequence[Span], size: tuple[int, int] | None
                    ) -> list[tuple[int, int, int, int]]:
    """Regions to read a second time, differently: OCR misreads characters (a dropped first
    digit, 8 for B, a field's edge glued to the first glyph, a space for a dot) and a value
    that no longer fits its pattern or checksum is missed; a reading of the region's crop,
    at a larger scale, misreads other characters than the first.  A region is a run of
    value-like words between column gaps (``_value_like``) that no detector claimed and
    that may be a garbled value (``_worth_rereading``), widened by a character or two on
    each side (where a dropped first digit would be)."""
    claimed = [(s.start, s.end) for s in spans]
    out: list[tuple[int, int, int, int]] = []
    group: list[tuple[int, int, Word]] = []

    def close() -> None:
        if not group:
            return
        g0, g1 = group[0][0], group[-1][1]
        chunk = text[g0:g1].strip(".,;:()[]<>'\"")
        if _worth_rereading(chunk) and not any(a < g1 and g0 < b for a, b in claimed):
            ws = [w for _, _, w in group]
            hgt = max(w.h for w in ws)
            x0 = min(w.x for w in ws) - int(1.5 * hgt)
            x1 = max(w.x + w.w for w in ws) + int(1.5 * hgt)
            y0 = min(w.y for w in ws) - hgt // 2 - 2
            y1 = max(w.y + w.h for w in ws) + hgt // 2 + 2
            out.append(_clamp(x0, y0, x1, y1, size))
        group.clear()

    prev_line = -1
    for s, e, li, wi in index:
        w = lines[li].words[wi]
        if li != prev_line or (s > 0 and text[s - 1] == "\t"):
            close()
        prev_line = li
        if _value_like(w.text) or (group and len(w.text) <= 3):
            group.append((s, e, w))
        else:
            close()
    close()
    return [r for r in out if r[2] > 0 and r[3] > 0]


def follow_ink(hits: Sequence[Hit], pieces: Sequence[tuple[np.ndarray, tuple[int, int]]]
               ) -> list[Hit]:
    """Each hit's box grown over the text run it belongs to and padded in proportion to the
    text height (``ink.grow``), on the piece of the frame that holds it (an image and its
    offset in the frame: the whole frame, or a band that was read)."""
    out: list[Hit] = []
    if not hits:
        return out
    pieces = [(ink.gray(img), off) for img, off in pieces]
    for h in hits:
        seed = h.seed or h.rect
        piece = next(((img, off) for img, off in pieces
                      if off[1] <= seed[1] and seed[1] + seed[3] <= off[1] + img.shape[0]
                      and off[0] <= seed[0] and seed[0] + seed[2] <= off[0] + img.shape[1]),
                     None)
        if piece is None:
            out.append(h)
            continue
        img, (ox, oy) = piece
        # The words' own box says where the text is; OCR's line may span more (a label
        # and a field read as one line).
        gx, gy, gw, gh = ink.grow(img, (seed[0] - ox, seed[1] - oy, seed[2], seed[3]))
        out.append(replace(h, rect=(gx + ox, gy + oy, gw, gh)))
    return out


def reread_options(options: OcrOptions) -> OcrOptions:
    """The second reading: a larger scale and the crop read as one block of lines."""
    return replace(options, scale=max(3.0, 2 * options.scale), psm=6)


def merge_reread(hits: list[Hit], more: Iterable[Hit]) -> list[Hit]:
    """Add the second reading's hits that the first one did not have."""
    out = list(hits)
    for h in more:
        if not any(_iou(h.rect, o.rect) > 0.3 for o in out):
            out.append(h)
    return out


def suggest_for_image(img: np.ndarray, deny_list: Iterable[str] = (), *,
                      options: OcrOptions | None = None, detector: Detector | None = None,
                      pad: int = PAD_PX, reread: bool = True, ink_boxes: bool = True
                      ) -> list[Hit]:
    """OCR one frame (RGB) and return the boxes to redact, grown over the text they belong
    to (``ink_boxes=False``: OCR's word boxes padded by ``pad``, as before)."""
    detector = detector or Detector(deny_list)
    options = options or OcrOptions()
    size = (img.shape[1], img.shape[0])
    words = ocr_image(img, options)
    hits, regions = analyze_words(words, detector, pad=pad, size=size)
    if reread and regions:
        crops, offs = crop_regions(img, regions)
        for ws in ocr_batch(crops, reread_options(options), offs):
            hits = merge_reread(hits, analyze_words(ws, detector, pad=pad, size=size)[0])
    return follow_ink(hits, [(img, (0, 0))]) if ink_boxes else hits


# -- text sources --------------------------------------------------------------------------------

def _text_suggestion(source: str, span: Span, t0: int, t1: int, step_id: str | None,
                     key: Any) -> Suggestion:
    return Suggestion(
        id=_sid(source, key, span.start, span.end, span.kind), kind=span.kind, source=source,
        rect=None, t_start_us=t0, t_end_us=t1, step_id=step_id, span=(span.start, span.end),
        score=span.score, text=span.text, reason=span.reason)


def suggest_for_steps(steps: Sequence[Any], detector: Detector) -> list[Suggestion]:
    """Typed text: every ``type`` step's text through the detectors."""
    out = []
    for s in steps:
        if getattr(s, "type", None) != "type" or not getattr(s, "text", None):
            continue
        for span in detector.detect(s.text):
            out.append(_text_suggestion(SOURCE_TYPED, span, int(s.t_start_us), int(s.t_end_us),
                                        s.id, s.id))
    return out


def suggest_for_windows(windows: Sequence[dict[str, Any]], end_us: int,
                        detector: Detector) -> list[Suggestion]:
    """Window titles, each from its focus change to the next."""
    out = []
    recs = sorted((w for w in windows if isinstance(w.get("t"), int)), key=lambda w: w["t"])
    for i, w in enumerate(recs):
        title = w.get("title")
        if not isinstance(title, str) or not title:
            continue
        t1 = recs[i + 1]["t"] - 1 if i + 1 < len(recs) else end_us
        for span in detector.detect(title):
            out.append(_text_suggestion(SOURCE_TITLE, span, int(w["t"]), int(max(t1, w["t"])),
                                        None, ("title", w["t"], w.get("window_id"))))
    return out


# -- frames: change detection and tracking ---------------------------------------------------------

def changed_blocks(a: np.ndarray, b: np.ndarray, block: int = BLOCK,
                   threshold: int = DIFF_THRESHOLD) -> np.ndarray:
    """Bool grid (H/block, W/block): blocks where the grey images ``a`` and ``b`` differ."""
    d = cv2.absdiff(a, b) > threshold
    h, w = d.shape
    gh, gw = -(-h // block), -(-w // block)
    if h % block or w % block:
        pad = np.zeros((gh * block, gw * block), bool)
        pad[:h, :w] = d
        d = pad
    return np.asarray(d.reshape(gh, block, gw, block).any(axis=(1, 3)))


def row_bands(mask: np.ndarray, height: int, width: int, *, block: int = BLOCK,
              margin: int = BAND_MARGIN) -> list[tuple[int, int, int, int]]:
    """Full-width bands [x, y, w, h] covering the rows of ``mask`` that hold a change."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    bands: list[list[int]] = []
    for r in rows:
        y0 = max(0, int(r) * block - margin)
        y1 = min(height, (int(r) + 1) * block + margin)
        if bands and y0 <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], y1)
        else:
            bands.append([y0, y1])
    return [(0, y0, width, y1 - y0) for y0, y1 in bands]


def _norm(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


def _similar(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return na == nb
    if na == nb or na in nb or nb in na:
        return True
    return difflib.SequenceMatcher(None, na, nb).ratio() >= 0.75


def _iou(a: Sequence[int], b: Sequence[int]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = min(ax1, bx1) - max(a[0], b[0])
    ih = min(ay1, by1) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@dataclass
class _Track:
    hit: Hit
    rect: tuple[int, int, int, int]
    t_start: int
    first_seen: int
    last_seen: int
    t_end: int | None = None  # set when it ended
    reads: int = 1


@dataclass
class _Reading:
    """A state of the screen to read: the changed bands of the frame at ``pts``."""

    pts: int
    mask: np.ndarray  # blocks changed since they were last read
    changed_at: np.ndarray  # snapshots, for when a new text appeared
    read_at: np.ndarray
    crops: list[np.ndarray]
    offsets: list[tuple[int, int]]
    area: int
    words: list[Word] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


class FrameTracker:
    """Feed decoded frames in pts order; it decides what to read (see the module docstring),
    reads in batches (one Tesseract start for many regions) and keeps the tracks."""

    def __init__(self, size: tuple[int, int], detector: Detector, options: OcrOptions, *,
                 obs_pts: Iterable[int] = (), stable_us: int = 500_000,
                 interval_us: int = 1_000_000, pad: int = PAD_PX,
                 progress: Progress | None = None, batch_frames: float = 6.0) -> None:
        self.w, self.h = size
        self.detector, self.options, self.pad = detector, options, pad
        self.obs = set(int(p) for p in obs_pts)
        self.stable_us, self.interval_us = stable_us, interval_us
        gh, gw = -(-self.h // BLOCK), -(-self.w // BLOCK)
        self.changed_at = np.zeros((gh, gw), np.int64)  # pts of each block's last change
        self.read_at = np.full((gh, gw), -1, np.int64)  # pts of each block's last reading
        self.pending = np.zeros((gh, gw), bool)  # changed since last read
        self.pending_since: int | None = None
        self.last_change = 0
        self.prev_gray: np.ndarray | None = None
        self.prev_rgb: np.ndarray | None = None
        self.prev_pts: int | None = None
        self.active: list[_Track] = []
        self.done: list[_Track] = []
        self.queue: list[_Reading] = []
        self.queued_px = 0
        self.batch_px = int(batch_frames * self.w * self.h)
        self.readings = 0
        self.ocr_px = 0
        self.ocr_s = 0.0
        self.progress = progress
        # (pts, grey at a quarter of the size) of each state of the screen, oldest first.
        self.history: deque[tuple[int, np.ndarray]] = deque(maxlen=HISTORY)

    # -- feeding -------------------------------------------------------------------------------
    def feed(self, pts: int, rgb: np.ndarray) -> None:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        small = cv2.resize(gray, (max(1, self.w // 4), max(1, self.h // 4)),
                           interpolation=cv2.INTER_AREA)
        if self.prev_gray is None:
            self.changed_at[:] = pts
            self.history.append((pts, small))
            self._request(rgb, pts, np.ones_like(self.pending))
        else:
            dirty = changed_blocks(self.prev_gray, gray)
            if dirty.any() or cv2.absdiff(small, self.history[-1][1]).max() > 1:
                self.history.append((pts, small))
            if dirty.any():
                if self.pending.any() and pts - self.last_change >= self.stable_us:
                    # The state on screen until now lasted: read it before it goes.
                    assert self.prev_rgb is not None and self.prev_pts is not None
                    self._request(self.prev_rgb, self.prev_pts, self.pending)
                self.changed_at[dirty] = pts
                self.pending |= dirty
                if self.pending_since is None:
                    self.pending_since = pts
                self.last_change = pts
            if self.pending.any() and (
                    pts in self.obs or pts - (self.pending_since or pts) >= self.interval_us):
                self._request(rgb, pts, self.pending)
        self.prev_gray, self.prev_rgb, self.prev_pts = gray, rgb, pts

    def finish(self, end_us: int) -> list[_Track]:
        if self.pending.any() and self.prev_rgb is not None and self.prev_pts is not None:
            self._request(self.prev_rgb, self.prev_pts, self.pending)
        self.flush()
        for t in self.active:
            t.t_end = max(end_us, t.last_seen)
        self.done.extend(self.active)
        self.active = []
        return self.done

    # -- reading ---------------------------------------------------------------------------------
    def _request(self, rgb: np.ndarray, pts: int, mask: np.ndarray) -> None:
        mask = mask.copy()
        bands = row_bands(mask, self.h, self.w)
        crops, offsets = crop_regions(rgb, bands)
        area = sum(c.shape[0] * c.shape[1] for c in crops)
        self.queue.append(_Reading(pts, mask, self.changed_at.copy(), self.read_at.copy(),
                                   crops, offsets, area))
        self.readings += 1
        self.ocr_px += area
        read_rows = np.zeros(mask.shape[0], bool)
        for _, y, _, hh in bands:
            read_rows[y // BLOCK:-(-(y + hh) // BLOCK)] = True
        self.read_at[read_rows, :] = pts
        self.pending[read_rows, :] = False
        if not self.pending.any():
            self.pending_since = None
        self.queued_px += area
        if self.queued_px >= self.batch_px:
            self.flush()

    def flush(self) -> None:
        """Read everything queued (one batch), then update the tracks in time order."""
        if not self.queue:
            return
        if self.progress is not None:
            self.progress.check()
        crops = [c for r in self.queue for c in r.crops]
        offsets = [o for r in self.queue for o in r.offsets]
        t0 = time.perf_counter()
        cancel = self.progress.event if self.progress is not None else None
        results = ocr_batch(crops, self.options, offsets, cancel=cancel)
        k = 0
        size = (self.w, self.h)
        again: list[np.ndarray] = []
        again_off: list[tuple[int, int]] = []
        owner: list[int] = []
        for ri, r in enumerate(self.queue):
            r.words = [w for ws in results[k:k + len(r.crops)] for w in ws]
            k += len(r.crops)
            r.hits, regions = analyze_words(r.words, self.detector, pad=self.pad, size=size)
            pieces = list(zip(r.crops, r.offsets, strict=True))
            r.hits = follow_ink(r.hits, pieces)
            # The second reading of digit-heavy regions no detector claimed (see
            # ``_reread_regions``), cut from the bands read.
            for x, y, w, h in regions:
                for crop, (ox, oy) in zip(r.crops, r.offsets, strict=True):
                    ch, cw = crop.shape[:2]
                    y0, y1 = max(y, oy), min(y + h, oy + ch)
                    x0, x1 = max(x, ox), min(x + w, ox + cw)
                    if y1 - y0 >= 4 and x1 - x0 >= 4:
                        again.append(crop[y0 - oy:y1 - oy, x0 - ox:x1 - ox])
                        again_off.append((x0, y0))
                        owner.append(ri)
                        break
        if again:
            more = ocr_batch(again, reread_options(self.options), again_off, cancel=cancel)
            for ri, ws in zip(owner, more, strict=True):
                r = self.queue[ri]
                extra = analyze_words(ws, self.detector, pad=self.pad, size=size)[0]
                pieces = list(zip(r.crops, r.offsets, strict=True))
                r.hits = merge_reread(r.hits, follow_ink(extra, pieces))
        for r in self.queue:
            r.crops = []
        self.ocr_s += time.perf_counter() - t0
        for r in self.queue:
            self._track(r)
        self.queue = []
        self.queued_px = 0

    def _track(self, r: _Reading) -> None:
        pts, mask = r.pts, r.mask
        hits = r.hits
        # Tracks under a change that was read: continue if their text is still there, else end.
        matched: set[int] = set()
        still: list[_Track] = []
        for tr in self.active:
            if not self._touches(tr.rect, mask):
                still.append(tr)  # nothing changed under it: carried
                continue
            best, best_iou = None, 0.0
            for i, h in enumerate(hits):
                if i in matched:
                    continue
                iou = _iou(tr.rect, h.rect)
                if iou > best_iou and iou >= 0.4 and _similar(tr.hit.text, h.text):
                    best, best_iou = i, iou
            if best is not None:
                matched.add(best)
                h = hits[best]
                x0, y0 = min(tr.rect[0], h.rect[0]), min(tr.rect[1], h.rect[1])
                x1 = max(tr.rect[0] + tr.rect[2], h.rect[0] + h.rect[2])
                y1 = max(tr.rect[1] + tr.rect[3], h.rect[1] + h.rect[3])
                tr.rect = (x0, y0, x1 - x0, y1 - y0)
                tr.last_seen = pts
                tr.reads += 1
                if h.score > tr.hit.score:
                    tr.hit = h
                still.append(tr)
            else:
                tr.t_end = max(tr.last_seen, pts - 1)
                self.done.append(tr)
        self.active = still
        for i, h in enumerate(hits):
            if i in matched:
                continue
            if any(_iou(tr.rect, h.rect) >= 0.4 and _similar(tr.hit.text, h.text)
                   for tr in self.active):
                continue  # already tracked (an unchanged track re-read with its band)
            start = self._same_since(h.rect, pts, self._appeared(r, h.rect))
            self.active.append(_Track(h, h.rect, start, pts, pts))

    def _blocks(self, rect: Sequence[int]) -> tuple[slice, slice]:
        x, y, w, h = rect
        return (slice(max(0, y // BLOCK), -(-(y + h) // BLOCK)),
                slice(max(0, x // BLOCK), -(-(x + w) // BLOCK)))

    def _touches(self, rect: Sequence[int], mask: np.ndarray) -> bool:
        ys, xs = self._blocks(rect)
        return bool(mask[ys, xs].any())

    def _same_since(self, rect: Sequence[int], pts: int, t: int) -> int:
        """``t``, or an earlier state of the screen from which the picture under ``rect``
        was already what it is at ``pts`` (OCR missed the text on an earlier, blurrier
        reading: the box must still start when the text did)."""
        x, y, w, h = rect
        ys = slice(max(0, y // 4), max(1, -(-(y + h) // 4)))
        xs = slice(max(0, x // 4), max(1, -(-(x + w) // 4)))
        states = list(self.history)
        now = next((small for p, small in reversed(states) if p <= pts), None)
        if now is None:
            return t
        ref = now[ys, xs].astype(np.int16)
        for p, small in reversed(states):
            if p >= t:
                continue
            if ref.size == 0 or float(np.abs(small[ys, xs] - ref).mean()) > SAME_MEAN_LEVELS:
                break
            t = p
        return t

    def _appeared(self, r: _Reading, rect: Sequence[int]) -> int:
        """When the content under ``rect`` at reading ``r`` appeared: the earliest change
        under it since it was last read, or its latest change if none happened since."""
        ys, xs = self._blocks(rect)
        ch = r.changed_at[ys, xs]
        rd = r.read_at[ys, xs]
        if ch.size == 0:
            return r.pts
        since = ch[ch > rd]
        t = int(since.min()) if since.size else int(ch.max())
        return min(t, r.pts)


def _tracks_to_suggestions(tracks: Sequence[_Track], steps: Sequence[Any]) -> list[Suggestion]:
    out = []
    obs = sorted((int(s.obs_pts), s.id) for s in steps if getattr(s, "obs_pts", None) is not None)
    for tr in tracks:
        t_end = int(tr.t_end if tr.t_end is not None else tr.last_seen)
        step_id = next((sid for p, sid in obs if tr.t_start <= p <= t_end), None)
        rect = [int(v) for v in tr.rect]
        out.append(Suggestion(
            id=_sid(SOURCE_OCR, tr.hit.kind, rect, tr.first_seen), kind=tr.hit.kind,
            source=SOURCE_OCR, rect=rect, t_start_us=int(tr.t_start), t_end_us=t_end,
            step_id=step_id, span=None, score=tr.hit.score, text=tr.hit.text,
            reason=f"{tr.hit.reason} (read on screen)", first_seen_us=int(tr.first_seen),
            last_seen_us=int(tr.last_seen), frames_read=tr.reads))
    return out


def _link_typed(ocr: list[Suggestion], typed: list[Suggestion], steps: Sequence[Any]) -> None:
    """A secret read on screen that was typed: cover the screen from the start of typing."""
    by_id = {s.id: s for s in steps}
    for t in typed:
        step = by_id.get(t.step_id)
        if step is None:
            continue
        for o in ocr:
            if o.t_start_us < step.t_start_us or o.t_start_us > step.t_end_us + 3_000_000:
                continue
            if _similar(o.text, t.text):
                o.t_start_us = int(step.t_start_us)
                o.reason += "; typed in the step " + str(step.id)
                if o.step_id is None:
                    o.step_id = step.id


def _load_steps(bundle_dir: Path, steps: Any) -> list[Any]:
    if steps is None:
        from annotator.steps import derive_bundle, read_steps

        doc = read_steps(bundle_dir)
        if doc is None or doc.outdated:
            doc = derive_bundle(bundle_dir)
        return list(doc.steps)
    if hasattr(steps, "steps"):
        return list(steps.steps)
    return list(steps)


def suggest_for_bundle(bundle_dir: str | Path, steps: Any = None, deny_list: Iterable[str] = (),
                       progress: Progress | None = None, *, options: OcrOptions | None = None,
                       stable_us: int = 500_000, interval_us: int = 1_000_000,
                       pad: int = PAD_PX, ocr: bool = True,
                       stats: dict[str, Any] | None = None) -> list[Suggestion]:
    """Suggestions for a recording, sorted by time: OCR of its frames (``ocr=False`` skips
    them), its typed text and its window titles.

    ``steps``: a StepsDocument or a list of steps; None reads the bundle's steps.json (or
    derives the steps without writing them).  ``stats``, if given, is filled with what was
    done (frames decoded, readings, pixels OCR'd, seconds).  ``progress`` reports frames done and is
    checked for cancellation (annotator.jobs.Cancelled).  Raises BundleError for a bundle
    that cannot be read and TesseractMissing (with the install hint) when OCR is asked for
    and Tesseract is not installed.
    """
    from annotator.bundle.reader import Bundle
    from annotator.media.video import VideoReader

    path = Path(bundle_dir)
    b = Bundle.open(path)
    step_list = _load_steps(path, steps)
    detector = Detector(deny_list)
    options = options or OcrOptions()
    end_us = max(b.duration_us, int(b.frames.t[-1]) if len(b.frames) else 0)

    typed = suggest_for_steps(step_list, detector)
    titles = suggest_for_windows(b.windows, end_us, detector)
    ocr_sugg: list[Suggestion] = []
    if ocr:
        find_tesseract()
        fi = b.frames
        stored = sorted({int(p) for p in fi.pts[fi.stored]}) if len(fi) else []
        if stored:
            obs = [s.obs_pts for s in step_list if getattr(s, "obs_pts", None) is not None]
            total = len(stored)
            with VideoReader(b.video_path) as reader:
                tracker = FrameTracker((reader.width, reader.height), detector, options,
                                       obs_pts=obs, stable_us=stable_us,
                                       interval_us=interval_us, pad=pad, progress=progress)
                cancel = progress.event if progress is not None else None
                for i, frame in enumerate(reader.frames_at(stored, cancel=cancel)):
                    if progress is not None:
                        progress.check()
                        progress.report(i, total, "Reading the screen for personal data")
                    tracker.feed(frame.pts, frame.rgb)
                if progress is not None:
                    progress.check()
            ocr_sugg = _tracks_to_suggestions(tracker.finish(end_us), step_list)
            if stats is not None:
                stats.update(frames=total, readings=tracker.readings, ocr_px=tracker.ocr_px,
                             frame_px=tracker.w * tracker.h, ocr_s=round(tracker.ocr_s, 3))
            _link_typed(ocr_sugg, typed, step_list)
            if progress is not None:
                progress.report(total, total, "Done")
    out = ocr_sugg + typed + titles
    out.sort(key=lambda s: (s.t_start_us, s.source, s.rect or [], s.span or ()))
    return out

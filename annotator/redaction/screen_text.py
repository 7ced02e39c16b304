"""What a picture's words say: OCR words grouped into lines, run through the detectors,
and the boxes to redact (grown over the ink of the text they cover).

Reading.  Readings are batched (one Tesseract start for the bands of many frames, see
``ocr.ocr_batch``).  Each reading's words are grouped into visual lines, joined (a tab
across column gaps) and run through the detectors; every span becomes one padded box per
line it covers.  Value-like runs that no detector claimed and that are no harmless format
(date, amount, version, order number, hash): 6+ digits, an e-mail-like "@", a scheme, a
long mix of letters and digits, are read a second time on their crop at 3x, widened by a
character on each side: OCR misreads single characters at small sizes and next to field
edges, and a reading of the crop misreads other characters than the frame's.  Runs of
text-like ink that no word of the first reading claims (OCR returned nothing usable for
them) are read again as they are, without the flattening (``unread_ink``); what that
reading finds is judged like any other text.  Last, the cells of a table column of values
that no box covers whole are boxed too (``value_columns``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from annotator.redaction import columns, continued, ink, unread_ink, value_columns
from annotator.redaction.detect import Detector, Span
from annotator.redaction.ocr import (
    OcrOptions,
    Word,
    crop_regions,
    ocr_batch,
    ocr_image,
)
from annotator.redaction.spans import UNREAD_VALUE
from annotator.redaction.validators import looks_random

PAD_PX = 3  # suggested boxes are padded by this much on every side
_IN_COLUMN = ("in a table column whose other cells hold values (OCR may have misread this "
              "one)")


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


def _pitch(words: Sequence[Word], shortest: int = 4) -> float | None:
    """The character width of a line set in a monospaced font (terminals, editors), from its
    words' widths per character (nearly constant when it is monospaced) of ``shortest``
    characters or more, or None.  A single space there is about as wide as a capital is
    tall: it must not read as a column gap."""
    per = [w.w / len(w.text) for w in words if len(w.text) >= shortest]
    if len(per) < 3:
        return None
    mean = sum(per) / len(per)
    spread = (sum((p - mean) ** 2 for p in per) / len(per)) ** 0.5
    return mean if spread <= 0.08 * mean else None


def _monospaced(line: Line) -> bool:
    """A line of a terminal or an editor (its words line up on the character grid: no
    table columns are read from them), judged on its plain words (a proportional font's
    digits are all one width too, and so, on average, are a random key's characters)."""
    return _pitch([w for w in line.words if _PLAIN_WORD.fullmatch(w.text)]) is not None


_PLAIN_WORD = re.compile(r"[A-Za-z]?[a-z]{2,}[.,:;]?")


def join_lines(lines: Sequence[Line], starts: Sequence[int] = ()
               ) -> tuple[str, list[tuple[int, int, int, int]]]:
    """The text of the lines (words joined by a space, or a tab across a wide gap such as
    between table columns, or before a word that starts a column: ``columns``; lines by
    newlines) and, per word, (start, end, line, word)."""
    parts: list[str] = []
    index: list[tuple[int, int, int, int]] = []
    pos = 0
    for li, line in enumerate(lines):
        if li:
            parts.append("\n")
            pos += 1
        hgt = sorted(w.h for w in line.words)[len(line.words) // 2]
        # A line of short words (an id in groups after a label: "user: 568 78 2889") shows
        # its pitch in words of two and three characters too; without it, a monospaced
        # space at 17 px and more is wider than 0.9 of the text height and split the id.
        pitch = _pitch(line.words) or _pitch(line.words, shortest=2)
        column_gap = max(0.9 * hgt, 8, 1.7 * (pitch or 0))
        cells = () if _monospaced(line) else starts
        prev: Word | None = None
        for wi, w in enumerate(line.words):
            if prev is not None:
                gap = w.x - (prev.x + prev.w)
                sep = "\t" if gap > column_gap or columns.starts_column(w, cells) else " "
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


@dataclass(frozen=True)
class Region:
    """A run of value-like words that no detector claimed (see ``_reread_regions``)."""

    rect: tuple[int, int, int, int]  # where to read it again: widened, clamped to the image
    rows: tuple[int, int]  # the OCR line's rows (top, bottom)
    words: tuple[Word, ...]  # as the first reading read them


def box_iou(a: Sequence[int], b: Sequence[int]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = min(ax1, bx1) - max(a[0], b[0])
    ih = min(ay1, by1) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


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
    its end, at the word's average character width, unless that rest of the word looks like
    more of the value (``_goes_on``); otherwise the whole word."""
    n = e - s
    x0, x1 = float(w.x), float(w.x + w.w)
    if n <= 0:
        return x0, x1
    cw = w.w / n
    lead = span.start - s
    if lead >= 3 and not _goes_on(w.text[:lead]):
        x0 = w.x + (lead - 1) * cw
    tail = e - span.end
    if tail >= 3 and not _goes_on(w.text[len(w.text) - tail:]):
        x1 = w.x + w.w - (tail - 1) * cw
    return x0, max(x1, x0 + cw)


def _goes_on(rest: str) -> bool:
    """Whether the rest of a word beside a span is more of the value, misread ("db/2:3146:
    23a3" after an IPv6 address's "db" where OCR read 7 as /): four or more letters and
    digits, a digit among them, and no "=" (a key's name), unlike a suffix ("/24", ":443")
    or a label glued before it."""
    core = rest.strip(_STRIP)
    return ("=" not in core and sum(c.isalnum() for c in core) >= 4
            and any(c.isdigit() for c in core))


def hits_from_words(words: Sequence[Word], detector: Detector, *, pad: int = PAD_PX,
                    size: tuple[int, int] | None = None) -> list[Hit]:
    """Run the detectors on the joined OCR text and map every span back to the words it
    overlaps, one padded box per line."""
    return analyze_words(words, detector, pad=pad, size=size)[0]


def table_columns(words: Sequence[Word]) -> list[int]:
    """Where the table columns of a reading start (``columns.column_starts``), judged on its
    lines of proportional text."""
    return columns.column_starts([[] if _monospaced(ln) else ln.words
                                  for ln in group_lines(words)])


def analyze_words(words: Sequence[Word], detector: Detector, *, pad: int = PAD_PX,
                  size: tuple[int, int] | None = None, starts: Sequence[int] | None = None
                  ) -> tuple[list[Hit], list[Region]]:
    """The hits of ``words`` (see ``hits_from_words``) and the regions worth reading again:
    groups of digit-bearing words that no detector claimed and that are not an obviously
    harmless format (see ``_reread_regions``).  Table cells that OCR read as one line, or
    one word, across their border are told apart at the column starts (``starts``: of the
    frame's first reading, when these words are a second reading of a part of it; else
    found in ``words``)."""
    lines = group_lines(words)
    if starts is None:
        starts = columns.column_starts([[] if _monospaced(ln) else ln.words for ln in lines])
    if starts:
        lines = [ln if _monospaced(ln) else Line(columns.split_at_columns(ln.words, starts))
                 for ln in lines]
    text, index = join_lines(lines, starts)
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
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|(?:[012]?\d|3[01])[/.-](?:[012]?\d|3[01])[/.-](?:\d{4}|\d{2})|\d{1,2}:\d{2}(?::\d{2})?"
    r"|[a-z]{3,9}\.? \d{1,2},? \d{4}"
    r"|[$€£¥] ?-?\d[\d,.' ]*"
    r"|-?\d{1,3}(?:[,.' ]\d{3})*(?:[.,]\d{1,2})?(?: ?[a-z]{3})?"
    r"|-?\d{1,6}[.,]\d{2}(?: ?[a-z]{3})?"
    r"|v?\d+(?:\.\d+){1,2}(?:[-+.][a-z0-9.]+)*"
    r"|v?\d+(?:\.\d+){1,2}[. ]?\(?\d{1,2}[a-z]\d{1,4}[a-z]?\)?"  # and a build: 14.4.1 (23E224)
    r"|[a-z][\w+.-]*/v?\d+(?:\.\d+)+"  # a product and its version: nginx/1.24.0
    r"|\d{3}-\d{7}-\d{7}"  # an online shop's order number (3-7-7 digits)
    r"|(?:[a-z]{2,5}[- ]?)?#?\d{3,12}|[a-z]{2,5}-\d{4}-\d{4,8}"
    r"|(?-i:(?![A-Z]{2}\d{2}))(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}|(?:sha(?:1|224|256|384|512)|md5):[0-9a-f]{7,128}"
    r"|\d{1,5} ?[x×] ?\d{1,5}"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|\d+(?:\.\d+)? ?(?:%|[kmgtp]i?b?|ms|s|px)"
    r"|[\w.-]*[a-z][\w.-]*\.(?:[a-z]{2,4}|tar\.gz)"  # a file name: budget_2024.xlsx
    r")")


# Shaped like an IPv4 address as OCR misreads one ("433.223.211.161", "203..0.113.221",
# "158, 149.33,113", "125.9.227 34", "170,204,187 .37"): four groups of digits (the last
# dot may be read as a space), never a harmless number however it parses.
_IP_LIKE = re.compile(r"\d{1,3}(?: ?[.,]{1,2} ?\d{1,4}){2}(?: ?[.,]{1,2} ?| )\d{1,4}[.,]?")


def _benign(chunk: str) -> bool:
    return (bool(_BENIGN.fullmatch(chunk)) and not _IP_LIKE.fullmatch(chunk)
            and not _digits_as_hex(chunk))


def _digits_as_hex(chunk: str) -> bool:
    """Hexadecimal by its characters but nearly all digits: a number with a letter or two
    (an IBAN, a field's edge read as "1": "1DE55780939469324583457"), no hash (a random hex
    string of 12 or more has letters in 3 of 8 characters, seldom under 1 in 7)."""
    return (len(chunk) >= 12 and re.fullmatch(r"[0-9a-fA-F]+", chunk) is not None
            and sum(c.isalpha() for c in chunk) < len(chunk) / 7)


def _value_like(word: str) -> bool:
    """A word that may be (part of) a value OCR garbled: it holds a digit, an "@" or "://",
    or is a long run of letters and digits (a key, an IBAN without spaces)."""
    return (any(c.isdigit() for c in word) or "@" in word or "://" in word
            or (len(word) >= 12 and sum(c.isalnum() for c in word) >= 10))


def _worth_rereading(chunk: str) -> bool:
    """Whether an unclaimed run of value-like words may be a value OCR misread: at least
    6 digits, an "@" with a word character after it, a scheme, or a mixed run of 12+
    letters and digits; never a harmless format (date, amount, version, order number,
    hash)."""
    if not chunk or len(chunk) > 100 or _benign(chunk):  # a Slack token is 56+
        return False
    if sum(c.isdigit() for c in chunk) >= 6 or "://" in chunk or re.search(r"[^\s@]@\w", chunk):
        return True
    return any(len(t) >= 12 and any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
               for t in chunk.split())


def _reread_regions(lines: Sequence[Line], text: str, index: list[tuple[int, int, int, int]],
                    spans: Sequence[Span], size: tuple[int, int] | None) -> list[Region]:
    """Regions to read a second time, differently: OCR misreads characters (a dropped first
    digit, 8 for B, a field's edge glued to the first glyph, a space for a dot) and a value
    that no longer fits its pattern or checksum is missed; a reading of the region's crop,
    at a larger scale, misreads other characters than the first.  A region is a run of
    value-like words between column gaps (``_value_like``) that no detector claimed and
    that may be a garbled value (``_worth_rereading``), widened by a character or two on
    each side (where a dropped first digit would be)."""
    claimed = [(s.start, s.end) for s in spans]
    out: list[Region] = []
    group: list[tuple[int, int, Word]] = []
    line_of: list[int] = []

    def close() -> None:
        # The words of the group that no span claimed, in runs (a value next to another
        # value that a detector found: "2a02:7be::8e76 walsh.l!@contoso.co.uk").
        runs: list[list[tuple[int, int, Word]]] = [[]]
        for item in group:
            if any(a < item[1] and item[0] < b for a, b in claimed):
                runs.append([])
            else:
                runs[-1].append(item)
        li = line_of[0] if line_of else 0
        for run in runs:
            if run:
                region(run, li)
        group.clear()
        line_of.clear()

    def region(run: list[tuple[int, int, Word]], li: int) -> None:
        g0, g1 = run[0][0], run[-1][1]
        chunk = text[g0:g1].strip(".,;:()[]<>'\"")
        if _worth_rereading(chunk):
            ws = [w for _, _, w in run]
            hgt = max(w.h for w in ws)
            rect = _clamp(min(w.x for w in ws) - int(1.5 * hgt),
                          min(w.y for w in ws) - hgt // 2 - 2,
                          max(w.x + w.w for w in ws) + int(1.5 * hgt),
                          max(w.y + w.h for w in ws) + hgt // 2 + 2, size)
            line = lines[li]
            if rect[2] > 0 and rect[3] > 0:
                out.append(Region(rect, (line.top, line.bottom), tuple(ws)))

    prev_line = -1
    before: tuple[int, int, Word] | None = None  # the word before, on this line and column
    for s, e, li, wi in index:
        w = lines[li].words[wi]
        if li != prev_line or (s > 0 and text[s - 1] == "\t"):
            close()
            before = None
        prev_line = li
        if _value_like(w.text) or (group and (len(w.text) <= 3 or _GROUP.fullmatch(w.text))):
            # Two capitals just before are the value's own (a national insurance number's
            # or an IBAN's letters read as a word of their own); so are groups of capitals
            # and digits after ("... 59VY 9NI7 TZEU M53").
            if not group and before is not None and _PREFIX.fullmatch(
                    before[2].text.strip(_STRIP)):
                group.append(before)
                line_of.append(li)
            group.append((s, e, w))
            line_of.append(li)
        else:
            close()
        before = (s, e, w)
    close()
    return out


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


def fill_value_columns(hits: Sequence[Hit], pieces: Sequence[tuple[np.ndarray, tuple[int, int]]]
                       ) -> list[Hit]:
    """Hits for the cells of table columns of values that ``hits`` leave uncovered, whole
    or in part (``value_columns``), on each piece of the frame (an image and its offset:
    the frame, or a band that was read)."""
    out: list[Hit] = []
    for img, (ox, oy) in pieces:
        ph, pw = img.shape[:2]
        local = [((h.rect[0] - ox, h.rect[1] - oy, h.rect[2], h.rect[3]), h.kind) for h in hits
                 if ox <= h.rect[0] and h.rect[0] + h.rect[2] <= ox + pw
                 and oy <= h.rect[1] and h.rect[1] + h.rect[3] <= oy + ph]
        for x, y, w, h in value_columns.fill_columns(img, local, UNREAD_VALUE):
            rect = (x + ox, y + oy, w, h)
            out.append(Hit(rect, UNREAD_VALUE, 0.4, "", _IN_COLUMN, seed=rect))
    return out


def complete_values(hits: Sequence[Hit], words: Sequence[Word],
                    pieces: Sequence[tuple[np.ndarray, tuple[int, int]]]) -> list[Hit]:
    """The last step of a frame's boxes, for a single image and a tracked recording alike:
    each value's box continued over the words of its characters beside it (``continued``),
    then the uncovered cells of table columns of values boxed (``fill_value_columns``)."""
    out = continued.continue_hits(hits, words, pieces)
    return out + fill_value_columns(out, pieces)


def reread_options(options: OcrOptions) -> OcrOptions:
    """The second reading: a larger scale and the crop read as one block of lines."""
    return replace(options, scale=max(3.0, 2 * options.scale), psm=6)


def merge_reread(hits: list[Hit], more: Iterable[Hit]) -> list[Hit]:
    """Add the second reading's hits that the first one did not have."""
    out = list(hits)
    for h in more:
        if not any(box_iou(h.rect, o.rect) > 0.3 for o in out):
            out.append(h)
    return out


_STRIP = ".,;:()[]<>'\"|{}"
# Two capitals (a national insurance number's letters), or an IBAN's country and check
# digits as OCR misreads digits ("FROS" for "FR05").
_PREFIX = re.compile(r"[A-Z]{2}(?:[0-9OSIlZB]{2})?")
_DAY = re.compile(r"\d{1,2},")
_YEAR = re.compile(r"(?:19|20)\d{2}[.,;]?")
# A group of a longer value: a few digits (with a separator: "14.75", "(0)89"), or capitals
# and digits ("59VY", "D").
_GROUP = re.compile(r"[+(]?(?:(?=(?:\D*\d){1,5}\D*$)[\d.,:()]{1,7}|[A-Z0-9]{1,5})[).:,;-]?")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9OSIlZB]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?")
_UPS_TRACKING = re.compile(r"1Z[A-Z0-9]{16}")  # a parcel's number, no key
_CAPS_KEY = re.compile(r"(?=[A-Z]*\d)[A-Z0-9]{16,}")
_GROUPS_DOTTED = re.compile(r"\d{3,4}[.,]\d{3,4}")
# A key's characters (no "@", "~", "$"), and brackets or "!" OCR reads for a letter.
_KEY_CHARS = re.compile(r"[A-Za-z0-9+/=_.{}|()\[\]!-]{12,}")
_EMAIL_LIKE = re.compile(r"[^\s@]@+[\w~-]+(?:[.,][\w~-]+)*[.,]\w{2,}")  # ~: a misread -
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://\S{3,}")


def _unread_runs(words: Sequence[Word]) -> list[list[Word]]:
    """The runs of ``words`` that a harmless word (a date, a version, a price, a hash...:
    ``_harmless``) or a plain word does not interrupt; short groups ("4031", "9NI7", "(0)89")
    and bare digit strings join their neighbours (a value read in groups)."""
    if _IP_LIKE.fullmatch(" ".join(w.text for w in words).strip(_STRIP)):
        return [list(words)]  # one address, whatever its groups look like alone
    # A date's day and year read as words of their own ("Dec 26, 2024": the month is no
    # value-like word) are harmless too.
    dated = {j for i in range(len(words) - 1)
             if _DAY.fullmatch(words[i].text) and _YEAR.fullmatch(words[i + 1].text)
             for j in (i, i + 1)}
    runs: list[list[Word]] = [[]]
    for i, w in enumerate(words):
        if i in dated:
            if runs[-1]:
                runs.append([])
            continue
        # A key's name glued before the first group ("owner=5302 6331 ...") is the run's.
        core = _KEY_PREFIX.sub("", w.text.strip(_STRIP))
        # Two groups of a card or a phone number with the space between read as a dot
        # ("3532.3145 5950 9977") are digits of the run, not a version.
        bare_digits = core.isdigit() or _GROUPS_DOTTED.fullmatch(core) is not None
        groups = bool(_GROUP.fullmatch(w.text) or _GROUP.fullmatch(core))
        if core and (bare_digits or groups or (_value_like(w.text)
                                               and not _harmless(w.text))):
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


_JUNK = "#~|_-—–'\"“”‘’<>§©*«»"
_KEY_PREFIX = re.compile(r"^[A-Za-z_][\w.-]{0,23}={1,2}|^\d\w{0,3}=")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.,ZO ]*)?")  # a timestamp, digits misread


def _harmless(chunk: str) -> bool:
    """Whether a run is a harmless format (``_BENIGN``) as OCR misreads one at small sizes:
    stray marks at its ends, a "key=" before it, "," or ";" read for ".", a letter read for
    a version's "v", a timestamp's time garbled, or a hash or UUID with a few characters
    misread (nearly all of its letters still hexadecimal: a random key's are not)."""
    core = _KEY_PREFIX.sub("", chunk.strip(_STRIP + _JUNK + " ")).strip(_STRIP + _JUNK + " ")
    if not core:
        return True
    ascii_ = re.sub(r"[^\x20-\x7e]", "", re.sub(r"[—–]", "-", core))
    dotted = re.sub(r"[.,;]{2,}", ".", re.sub(r"(?<=\d)[,;](?=\d)", ".", ascii_))
    # A digit read as a letter beside a digit ("1l 360.00" for an amount of 11 360.00).
    digits = re.sub(r"(?<=\d)[lI|]|[lI|](?=\d)", "1",
                    re.sub(r"(?<=\d)[oO]|[oO](?=\d)", "0", dotted))
    for v in {core, ascii_, dotted, digits, re.sub(r"^[a-uw-z](?=\d+\.\d)", "v", dotted),
              re.sub(r"[-+]{2,}", "+", dotted)}:
        if _benign(v) or _STAMP.fullmatch(v):
            return True
    alnum = re.sub(r"[^0-9a-z]", "", ascii_.lower())
    # Colons: an IPv6 address.  "+", "=", "~": a UUID's hyphens misread.  Two capitals and
    # two digits first: an IBAN's country and check digits (a hash shows no such start).
    if (len(alnum) >= 16 and re.fullmatch(r"[\w.;~+= -]+", ascii_)
            and not re.match(r"[A-Z]{2}\d{2}", ascii_)):
        letters = sum(c.isalpha() for c in alnum)
        odd = sum(c.isalpha() and c not in "abcdef" for c in alnum)
        # A number is no hash; a few letters beyond "f" are misread digits, not a third of
        # them (an IBAN's or a key's letters are mostly beyond "f").
        return letters >= 4 and odd <= 0.15 * len(alnum) and odd < letters / 3
    return False


def looks_like_a_value(chunk: str) -> bool:
    """Whether an unclaimed run that OCR read may be a value it misread: shaped like an
    e-mail address (with a domain) or a URL; a token of 12+ letters and digits; or 6+
    digits that make up at least half of its characters (a card, an account, a phone or
    an id number read with a wrong character: a sentence's numbers are not that dense).
    An IPv6 address's hex letters count as digits.  Never a harmless format."""
    if not chunk or _harmless(chunk):
        return False
    if _EMAIL_LIKE.search(chunk) or _SCHEME.search(chunk):
        return True
    if any(_KEY_CHARS.fullmatch(t) and sum(c.isdigit() for c in t) >= 2
           and sum(c.isalpha() for c in t) >= 2 and not _benign(t)
           for t in (x.strip(_STRIP) for x in chunk.split())):
        return True
    # A key of capitals and digits whose digits OCR read as letters ("AKEAPISEPABNRV7NQHMF"
    # for "AKIAPI5EP4BNRV7NQHMF"): 16 or more, no word has that many capitals in a row.
    if any(_CAPS_KEY.fullmatch(t) and not _UPS_TRACKING.fullmatch(t)
           for t in (_KEY_PREFIX.sub("", x.strip(_STRIP)) for x in chunk.split())):
        return True
    if _IBAN_SHAPE.fullmatch(chunk.strip(_STRIP)):  # its groups have letters: few digits
        return True
    # A random key that OCR split with spaces and misread into marks ("Dx7?teCjévs7
    # lRowO8X2 ci"): its letters and digits joined look random (the detectors' rule).
    joined = re.sub(r"[^A-Za-z0-9]", "", chunk)
    if looks_random(joined):
        return True
    dense = chunk.replace(" ", "")
    hexy = "::" in dense or dense.count(":") >= 3
    digits = sum(c.isdigit() or (hexy and c.lower() in "abcdef") for c in dense)
    return sum(c.isdigit() for c in dense) >= 6 and digits >= 0.5 * len(dense)


def _indexed(run: Sequence[Word]) -> bool:
    """A row's or a list item's number (1-99, read as a word of its own) before a harmless
    reference with letters or hyphens ("11 PO 7218922343", "20 452-0040789-2583346"); not
    before bare digits ("12 345678" may be one number in groups)."""
    rest = " ".join(w.text for w in run[1:])
    return (len(run) >= 2 and re.fullmatch(r"[1-9]\d?", run[0].text) is not None
            and re.search(r"[A-Za-z-]", rest) is not None and _harmless(rest))


def unread_values(regions: Iterable[Region], hits: Sequence[Hit], *, pad: int = PAD_PX,
                  size: tuple[int, int] | None = None) -> list[Hit]:
    """Hits for what neither reading claimed in the regions read twice, where it still
    looks like a value (``looks_like_a_value``): OCR misread a character and the value no
    longer fits its pattern or checksum ("6011" read "4031" breaks a card's Luhn digit,
    "231 -69-4174" an SSN's pattern).  A value is hidden only when all of it is: text shaped
    like a value is suggested even when its kind cannot be named.  A run counts as claimed
    when hits over half of its height cover 90 % of its width."""
    out: list[Hit] = []
    for r in regions:
        for run in _unread_runs(r.words):
            chunk = " ".join(w.text for w in run).strip(_STRIP)
            if not looks_like_a_value(chunk) or _indexed(run):
                continue
            x0, x1 = min(w.x for w in run), max(w.x + w.w for w in run)
            y0, y1 = min(w.y for w in run), max(w.y + w.h for w in run)
            if x1 <= x0 or y1 <= y0:
                continue
            cols = np.zeros(x1 - x0, bool)
            for hit in hits:
                hx, hy, hw, hh = hit.rect
                # On its line: a hit of the line above or below that reaches into its
                # rows (tall OCR boxes of tightly set text, a second reading's box over
                # two lines) claims nothing of it.
                overlap = min(y1, hy + hh) - max(y0, hy)
                if overlap >= 0.5 * (y1 - y0) and overlap >= 0.4 * hh:
                    cols[max(0, hx - x0):max(0, hx + hw - x0)] = True
            if cols.mean() >= 0.9:
                continue
            rect = _clamp(x0 - pad, y0 - pad, x1 + pad, y1 + pad, size)
            out.append(Hit(rect, UNREAD_VALUE, 0.5, chunk,
                           "shaped like a value, but no detector recognised it (OCR may "
                           "have misread a character)",
                           seed=_clamp(x0, y0, x1, y1, size), rows=r.rows))
    return out


def unread_pieces(pieces: Sequence[tuple[np.ndarray, tuple[int, int]]], words: Sequence[Word]
                  ) -> tuple[list[np.ndarray], list[tuple[int, int]],
                             list[tuple[int, int, int, int]]]:
    """The runs of text-like ink on pieces of a frame (an image and its offset: the frame,
    or the bands read) that no word of the first reading claims (``unread_ink.unclaimed``):
    their crops, offsets and rectangles in frame pixels."""
    crops: list[np.ndarray] = []
    offs: list[tuple[int, int]] = []
    rects: list[tuple[int, int, int, int]] = []
    for img, (ox, oy) in pieces:
        local = [replace(w, x=w.x - ox, y=w.y - oy) for w in words]
        for x, y, w, h in unread_ink.unclaimed(ink.gray(img), local):
            crops.append(img[y:y + h, x:x + w].copy())
            offs.append((x + ox, y + oy))
            rects.append((x + ox, y + oy, w, h))
    return crops, offs, rects


def read_unclaimed(rects: Sequence[tuple[int, int, int, int]], readings: Sequence[list[Word]],
                   hits: list[Hit], detector: Detector, *, pad: int = PAD_PX,
                   size: tuple[int, int] | None = None, starts: Sequence[int] = ()
                   ) -> tuple[list[Hit], list[Region]]:
    """``hits`` with what the detectors find in the readings of the unclaimed runs
    (``unread_pieces``; each reading's words on its own run only), and those words as
    regions, line by line, for ``unread_values`` (what only that reading saw is judged by
    its shape too)."""
    regions: list[Region] = []
    for rect, ws in zip(rects, readings, strict=True):
        own = unread_ink.own_words(rect, ws)
        hits = merge_reread(hits, analyze_words(own, detector, pad=pad, size=size,
                                                starts=starts)[0])
        regions += [Region((ln.words[0].x, ln.top, 1, 1), (ln.top, ln.bottom), tuple(ln.words))
                    for ln in group_lines(own)]
    return hits, regions


def suggest_for_image(img: np.ndarray, deny_list: Iterable[str] = (), *,
                      options: OcrOptions | None = None, detector: Detector | None = None,
                      pad: int = PAD_PX, reread: bool = True, ink_boxes: bool = True
                      ) -> list[Hit]:
    """OCR one frame (RGB) and return the boxes to redact, grown over the text they belong
    to (``ink_boxes=False``: OCR's word boxes padded by ``pad``, as before).  The first
    reading's boxes are grown while the second reading runs (Tesseract releases the GIL)."""
    detector = detector or Detector(deny_list)
    options = options or OcrOptions()
    size = (img.shape[1], img.shape[0])
    words = ocr_image(img, options)
    hits, regions = analyze_words(words, detector, pad=pad, size=size)
    grow = (lambda hs: follow_ink(hs, [(img, (0, 0))])) if ink_boxes else list
    crops, offs = crop_regions(img, [r.rect for r in regions]) if reread else ([], [])
    with ThreadPoolExecutor(max_workers=2) as second:
        again = (second.submit(ocr_batch, crops, reread_options(options), offs)
                 if crops else None)
        # Text that the first reading left unread (no word, or none of any confidence) is
        # read again too, differently (``unread_ink``), beside the second reading.
        blind, blind_offs, runs = (unread_pieces([(img, (0, 0))], words) if reread
                                   else ([], [], []))
        plain = (second.submit(ocr_batch, blind, unread_ink.reading(options), blind_offs)
                 if blind else None)
        grown = grow(hits)
        more = again.result() if again is not None else []
        more_blind = plain.result() if plain is not None else []
    found = list(hits)
    starts = table_columns(words)
    for ws in more:
        found = merge_reread(found, analyze_words(ws, detector, pad=pad, size=size,
                                                  starts=starts)[0])
    found, seen = read_unclaimed(runs, more_blind, found, detector, pad=pad, size=size,
                                 starts=starts)
    regions = regions + seen
    if UNREAD_VALUE in detector.kinds:
        found += unread_values(regions, found, pad=pad, size=size)
    out = grown + grow(found[len(hits):])
    if not ink_boxes:
        return out
    return complete_values(out, words, [(img, (0, 0))])

"""Suggestions followed across the frames of a recording.

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
"""

from __future__ import annotations

import difflib
import re
import time
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from annotator.jobs import Progress
from annotator.redaction import unread_ink
from annotator.redaction.detect import Detector
from annotator.redaction.ocr import (
    OcrOptions,
    Word,
    crop_regions,
    ocr_batch,
)
from annotator.redaction.screen_text import (
    PAD_PX,
    Hit,
    Region,
    analyze_words,
    box_iou,
    complete_values,
    follow_ink,
    merge_reread,
    read_unclaimed,
    reread_options,
    table_columns,
    unread_pieces,
    unread_values,
)
from annotator.redaction.spans import UNREAD_VALUE

BLOCK = 8  # px: the grid of the change detection
DIFF_THRESHOLD = 24  # grey levels: less is compression noise, not a change
# A new text's start is carried back over the earlier states of the screen whose picture
# under it (at a quarter of the size) is the same within this mean difference: the encoder
# sharpening a static text over its first frames moves it by well under 1 level there, a
# text appearing by tens.  HISTORY states are kept (about 130 kB each).
SAME_MEAN_LEVELS = 2.0
HISTORY = 240
BAND_MARGIN = 16  # px added above and below changed rows before OCR


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


def similar_text(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return na == nb
    if na == nb or na in nb or nb in na:
        return True
    return difflib.SequenceMatcher(None, na, nb).ratio() >= 0.75


@dataclass
class Track:
    hit: Hit
    rect: tuple[int, int, int, int]
    t_start: int
    first_seen: int
    last_seen: int
    t_end: int | None = None  # set when it ended
    reads: int = 1


@dataclass
class Reading:
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
                 progress: Progress | None = None, batch_frames: float = 6.0,
                 unclaimed: bool = True) -> None:
        self.w, self.h = size
        self.unclaimed = unclaimed  # read again the ink no word claims (``unread_ink``)
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
        self.active: list[Track] = []
        self.done: list[Track] = []
        self.queue: list[Reading] = []
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

    def finish(self, end_us: int) -> list[Track]:
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
        self.queue.append(Reading(pts, mask, self.changed_at.copy(), self.read_at.copy(),
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
        unclaimed: list[list[Region]] = []
        first: list[list[Hit]] = []
        for r in self.queue:
            r.words = [w for ws in results[k:k + len(r.crops)] for w in ws]
            k += len(r.crops)
            hits, regions = analyze_words(r.words, self.detector, pad=self.pad, size=size)
            first.append(hits)
            unclaimed.append(regions)
        for ri, (r, regions) in enumerate(zip(self.queue, unclaimed, strict=True)):
            # The second reading of digit-heavy regions no detector claimed (see
            # ``_reread_regions``), cut from the bands read.
            for x, y, w, h in (g.rect for g in regions):
                for crop, (ox, oy) in zip(r.crops, r.offsets, strict=True):
                    ch, cw = crop.shape[:2]
                    y0, y1 = max(y, oy), min(y + h, oy + ch)
                    x0, x1 = max(x, ox), min(x + w, ox + cw)
                    if y1 - y0 >= 4 and x1 - x0 >= 4:
                        again.append(crop[y0 - oy:y1 - oy, x0 - ox:x1 - ox])
                        again_off.append((x0, y0))
                        owner.append(ri)
                        break
        # Text-like ink that no word of the first reading claims is read again too
        # (``unread_ink``), on a thread of its own.
        blind = [unread_pieces(list(zip(r.crops, r.offsets, strict=True)), r.words)
                 if self.unclaimed else ([], [], []) for r in self.queue]
        blind_crops = [c for b in blind for c in b[0]]
        # The first reading's boxes are grown over their ink while the second reading runs
        # (Tesseract releases the GIL).
        with ThreadPoolExecutor(max_workers=2) as second:
            later = (second.submit(ocr_batch, again, reread_options(self.options), again_off,
                                   cancel=cancel) if again else None)
            plain = (second.submit(ocr_batch, blind_crops, unread_ink.reading(self.options),
                                   [o for b in blind for o in b[1]], cancel=cancel)
                     if blind_crops else None)
            for r, hits in zip(self.queue, first, strict=True):
                r.hits = follow_ink(hits, list(zip(r.crops, r.offsets, strict=True)))
            more = later.result() if later is not None else []
            seen_blind = plain.result() if plain is not None else []
        found = [list(hits) for hits in first]
        cols = [table_columns(r.words) for r in self.queue]
        for ri, ws in zip(owner, more, strict=True):
            extra = analyze_words(ws, self.detector, pad=self.pad, size=size,
                                  starts=cols[ri])[0]
            found[ri] = merge_reread(found[ri], extra)
        k = 0
        for ri, (_, _, rects) in enumerate(blind):
            found[ri], seen = read_unclaimed(rects, seen_blind[k:k + len(rects)], found[ri],
                                             self.detector, pad=self.pad, size=size,
                                             starts=cols[ri])
            unclaimed[ri] = unclaimed[ri] + seen
            k += len(rects)
        for r, hits, regions, n in zip(self.queue, found, unclaimed,
                                       (len(f) for f in first), strict=True):
            if UNREAD_VALUE in self.detector.kinds:
                hits += unread_values(regions, hits, pad=self.pad, size=size)
            pieces = list(zip(r.crops, r.offsets, strict=True))
            r.hits += follow_ink(hits[n:], pieces)
            r.hits = complete_values(r.hits, r.words, pieces)
        for r in self.queue:
            r.crops = []
        self.ocr_s += time.perf_counter() - t0
        for r in self.queue:
            self._track(r)
        self.queue = []
        self.queued_px = 0

    def _track(self, r: Reading) -> None:
        pts, mask = r.pts, r.mask
        hits = r.hits
        # Tracks under a change that was read: continue if their text is still there, else end.
        matched: set[int] = set()
        still: list[Track] = []
        for tr in self.active:
            if not self._touches(tr.rect, mask):
                still.append(tr)  # nothing changed under it: carried
                continue
            best, best_iou = None, 0.0
            for i, h in enumerate(hits):
                if i in matched:
                    continue
                iou = box_iou(tr.rect, h.rect)
                if iou > best_iou and iou >= 0.4 and similar_text(tr.hit.text, h.text):
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
                # Gone from this reading. It ends where the picture under it became what was
                # read (a dialog opened over the value), not at this reading, which can come
                # a second later: a frame showing the dialog under the box then made the
                # fragment check take the dialog's text for part of the value.
                tr.t_end = max(tr.last_seen,
                               self._same_since(tr.rect, pts, pts, after=tr.last_seen) - 1)
                self.done.append(tr)
        self.active = still
        for i, h in enumerate(hits):
            if i in matched:
                continue
            if any(box_iou(tr.rect, h.rect) >= 0.4 and similar_text(tr.hit.text, h.text)
                   for tr in self.active):
                continue  # already tracked (an unchanged track re-read with its band)
            start = self._same_since(h.rect, pts, self._appeared(r, h.rect))
            self.active.append(Track(h, h.rect, start, pts, pts))

    def _blocks(self, rect: Sequence[int]) -> tuple[slice, slice]:
        x, y, w, h = rect
        return (slice(max(0, y // BLOCK), -(-(y + h) // BLOCK)),
                slice(max(0, x // BLOCK), -(-(x + w) // BLOCK)))

    def _touches(self, rect: Sequence[int], mask: np.ndarray) -> bool:
        ys, xs = self._blocks(rect)
        return bool(mask[ys, xs].any())

    def _same_since(self, rect: Sequence[int], pts: int, t: int, *,
                    after: int | None = None) -> int:
        """``t``, or an earlier state of the screen (later than ``after``) from which the
        picture under ``rect`` was already what it is at ``pts``: OCR missed the text on an
        earlier, blurrier reading, so the box must still start when the text did; or the
        text is gone at ``pts``, and was gone from the state that looks like it."""
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
            if after is not None and p <= after:
                break
            if ref.size == 0 or float(np.abs(small[ys, xs] - ref).mean()) > SAME_MEAN_LEVELS:
                break
            t = p
        return t

    def _appeared(self, r: Reading, rect: Sequence[int]) -> int:
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

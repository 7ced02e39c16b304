"""The fragment leak check: is any piece of what a box hides still readable next to it?

A box can sit over a value and leave part of it readable: OCR began the value's box where a
field's edge cut its first letter, a box drawn by hand stops two characters short, a typed
value grew past the box.  Looking for whole strings in the rendered output misses that
("jan" of an e-mail address is no e-mail address).  This check looks at the ink instead.

It is a leak check (``annotator.media.leakcheck``) named ``fragments``, required by
``render_for_submission``.  For every frame of the output and every box on it:

- on the recording's picture that frame was made from, the ink the box is meant to hide is
  found (``ink.value_ink``: on each line of text the box covers half of or more, every run of
  ink it touches, a run being ink whose gaps are narrower than a space at that text height,
  ending at a wider gap, a field border or a colour change);
- any of that ink outside every fill on that output frame is a fragment: the value goes on
  past the box's edge, or the edge cuts through its glyphs.  The fills are the renderer's
  own (padded, aligned), and the built-in ``box_fill`` check verifies them in the output.

Each fragment is reported once per box and side, with the first time it shows (result and
recording clocks), where (the readable ink's box) and on how many frames; OCR of the output
around it names what is readable (best effort: OCR never decides whether it is there).
A fragment blocks submission like a readable secret, until the box is grown (``annotator
redact DIR --grow BOX``, or "Snap to text" in the editor) or the contributor accepts it (an
``allow`` entry for that box and side: ``annotator render ... --accept BOX:SIDE``).

Without the recording (a package or an export checked again later, see ``output_fragments``)
the check works on the output alone: ink within a space of a fill's left or right edge, on
the rows the box was drawn over, is a possible fragment.  That cannot tell a value going on
from a neighbouring word the fill's padding reaches into, so it reports more.

A frame is looked at again only when the picture around the box changed (more than
``SAME_LEVELS`` grey levels anywhere on the box's rows).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotator.media.leakcheck import (
    FAILED,
    NOT_CHECKED,
    PASSED,
    CheckResult,
    LeakCheckContext,
    output_timing,
)
from annotator.redaction import ink

FRAGMENT_CHECK = "fragments"
DETECTOR = "fragment"  # the detector name of allow entries for fragments
MIN_PIXELS = 3  # readable ink pixels below this are compression noise
SAME_LEVELS = 6  # the picture around a box is unchanged if no pixel moved more than this
MAX_TIMES = 20
SIDES = ("left", "right", "top", "bottom")


def _fmt(us: int) -> str:
    s = max(0, us) / 1e6
    return f"{int(s // 60)}:{s % 60:05.2f}"


@dataclass(eq=False)
class FragmentItem:
    """Part of what a box hides, readable in the output next to the box."""

    box_index: int
    box_id: str | None  # the redaction's id in the edits, when known
    label: str  # the box's label (detector, or "manual")
    side: str  # left, right, top or bottom: where the readable part is
    time_us: int  # first frame showing it, result clock
    source_time_us: int
    place: list[int]  # [x, y, w, h] of the readable ink (worst frame)
    pixels: int  # readable ink pixels (worst frame)
    frames: int = 1
    times_us: list[int] = field(default_factory=list)
    text: str = field(default="", repr=False)  # OCR's reading around it (local only)
    fill_rect: list[int] = field(default_factory=list)  # [x0, y0, x1, y1]
    possible: bool = False  # output-only: cannot tell a value from a neighbour
    allowed: bool = False
    allow_id: str | None = None

    @property
    def key(self) -> str:
        """What an allow entry names: the box (its id, or its number) and the side."""
        return f"{self.box_id or f'box{self.box_index + 1}'}:{self.side}"

    @property
    def description(self) -> str:
        x, y, w, h = (self.place + [0, 0, 0, 0])[:4]
        what = "possibly part of" if self.possible else "part of"
        more = f", on {self.frames} frames" if self.frames > 1 else ""
        tail = " (accepted)" if self.allowed else ""
        return (f"{what} what box {self.box_index + 1} ({self.label}) hides is readable past "
                f"its {self.side} edge at {_fmt(self.time_us)} of the result "
                f"({_fmt(self.source_time_us)} of the recording): {self.pixels} pixels of ink, "
                f"{w}x{h} at ({x}, {y}){more}{tail}")

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "check": FRAGMENT_CHECK, "detector": DETECTOR, "key": self.key,
            "box_index": self.box_index, "box_id": self.box_id, "label": self.label,
            "side": self.side, "time_us": self.time_us, "source_time_us": self.source_time_us,
            "place": list(self.place), "pixels": self.pixels, "frames": self.frames,
            "times_us": list(self.times_us), "fill_rect": list(self.fill_rect),
            "possible": self.possible, "allowed": self.allowed, "allow_id": self.allow_id,
            "acceptable": True, "growable": self.box_id is not None,
            "description": self.description, "length": len(self.text),
        }
        if include_text:
            d["text"] = self.text
        return d

    def __str__(self) -> str:
        return self.description


# -- finding them on one picture ----------------------------------------------------------------

def _side(ys: np.ndarray, xs: np.ndarray, fill: Sequence[int]) -> str:
    x0, y0, x1, y1 = fill
    counts = {"left": int((xs < x0).sum()), "right": int((xs >= x1).sum()),
              "top": int((ys < y0).sum()), "bottom": int((ys >= y1).sum())}
    return max(SIDES, key=lambda k: counts[k])


def fragments_on(gray: np.ndarray, rect: Sequence[int], fill: Sequence[int],
                 fills: Iterable[Sequence[int]]) -> list[tuple[str, list[int], int]]:
    """On one picture of the recording (grey): the parts of what ``rect`` is meant to hide
    (``ink.value_ink``) that no fill of ``fills`` (x0, y0, x1, y1) covers; per side of
    ``fill`` (the box's own fill): (side, [x, y, w, h] of the readable ink, pixels)."""
    found: dict[str, tuple[list[int], list[int]]] = {}
    fills = [tuple(int(v) for v in f) for f in fills]
    for run in ink.value_ink(gray, ink.as_rect(rect)):
        m = run.mask.copy()
        for fx0, fy0, fx1, fy1 in fills:
            a, b = max(fx0, run.x0) - run.x0, min(fx1, run.x1) - run.x0
            c, d = max(fy0, run.top) - run.top, min(fy1, run.top + m.shape[0]) - run.top
            if a < b and c < d:
                m[c:d, a:b] = False
        if int(m.sum()) < MIN_PIXELS:
            continue
        ys, xs = np.nonzero(m)
        ys, xs = ys + run.top, xs + run.x0
        side = _side(ys, xs, fill)
        got = found.setdefault(side, ([], []))
        got[0].extend(ys.tolist())
        got[1].extend(xs.tolist())
    out = []
    for side, (ys_l, xs_l) in found.items():
        ys_a, xs_a = np.asarray(ys_l), np.asarray(xs_l)
        x0, y0 = int(xs_a.min()), int(ys_a.min())
        out.append((side, [x0, y0, int(xs_a.max()) + 1 - x0, int(ys_a.max()) + 1 - y0],
                    int(xs_a.size)))
    return out


def output_fragments(gray: np.ndarray, fill: Sequence[int],
                     fills: Iterable[Sequence[int]] = (), *, padding: int = 4
                     ) -> list[tuple[str, list[int], int]]:
    """On a picture of the *output* alone (no recording to say what is under the box):
    ink within a space of the fill's left or right edge, on the rows it was drawn over
    (the fill less the padding), not under another fill.  Possible fragments."""
    H, W = gray.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in fill)
    top, bottom = y0 + padding, y1 - padding
    if bottom - top < 4:
        top, bottom = y0, y1
    hgt = bottom - top
    space = max(3, int(round(ink.SPACE_DEFAULT * hgt)))
    out = []
    others = [tuple(int(v) for v in f) for f in fills if tuple(int(v) for v in f) != (x0, y0, x1, y1)]
    for side, a, b in (("left", max(0, x0 - space), x0), ("right", x1, min(W, x1 + space))):
        if b <= a:
            continue
        # The background beside the fill, outside it.
        region = (gray[top:bottom, max(0, x0 - space - 3 * hgt):x0] if side == "left"
                  else gray[top:bottom, x1:min(W, x1 + space + 3 * hgt)])
        bg = ink._background(region)
        d = ink._diff(gray[top:bottom, a:b], bg)
        contrast = int(np.percentile(ink._diff(region, bg), 99)) if region.size else 0
        if contrast < ink.MIN_CONTRAST:
            continue
        m = d > max(ink.MIN_CONTRAST // 2, int(0.35 * contrast))
        for fx0, fy0, fx1, fy1 in others:
            c0, c1 = max(fx0, a) - a, min(fx1, b) - a
            r0, r1 = max(fy0, top) - top, min(fy1, bottom) - top
            if c0 < c1 and r0 < r1:
                m[r0:r1, c0:c1] = False
        if int(m.sum()) < MIN_PIXELS:
            continue
        ys, xs = np.nonzero(m)
        px, py = a + int(xs.min()), top + int(ys.min())
        out.append((side, [px, py, a + int(xs.max()) + 1 - px, top + int(ys.max()) + 1 - py],
                    int(m.sum())))
    return out


# -- the leak check ------------------------------------------------------------------------------

def allow_match(item: FragmentItem, allow_list: Iterable[Mapping[str, Any]]) -> str | None:
    """The id (or "") of the allow entry that accepts ``item`` (same box and side)."""
    for entry in allow_list:
        if entry.get("detector") != DETECTOR:
            continue
        if str(entry.get("text") or "") == item.key or (
                entry.get("box") and entry.get("box") == item.box_id
                and entry.get("edge") == item.side):
            return str(entry.get("id") or "")
    return None


class _Collector:
    """Fragments found frame by frame, merged per box and side."""

    def __init__(self, plan: Any, box_ids: Sequence[str | None], possible: bool) -> None:
        self.plan, self.box_ids, self.possible = plan, box_ids, possible
        self.items: dict[tuple[int, str], FragmentItem] = {}

    def add(self, b: Any, side: str, place: list[int], pixels: int, r_us: int) -> None:
        key = (b.index, side)
        it = self.items.get(key)
        if it is None:
            bid = self.box_ids[b.index] if b.index < len(self.box_ids) else None
            src = int(self.plan.timeline.to_original(min(r_us, self.plan.result_duration_us)))
            self.items[key] = FragmentItem(b.index, bid, b.redaction.label or "box", side,
                                           r_us, src, place, pixels, 1, [r_us],
                                           fill_rect=list(b.fill_rect), possible=self.possible)
            return
        it.frames += 1
        if len(it.times_us) < MAX_TIMES:
            it.times_us.append(r_us)
        if pixels > it.pixels:
            it.pixels, it.place = pixels, place


def _source_pictures(ctx: LeakCheckContext) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Per output frame: (result pts, source pts of the picture shown, index into the
    distinct source pts); and the distinct source pts, ascending."""
    plan = ctx.plan
    pts_out, _end = output_timing(ctx.output)
    src = plan.source.pts
    rows = []
    for r in pts_out:
        t = plan.timeline.to_original(r)
        i = bisect_right(src, t) - 1
        rows.append((r, src[i] if i >= 0 else -1, t))
    wanted = sorted({p for _, p, _ in rows if p >= 0})
    return rows, wanted


def _check_with_source(ctx: LeakCheckContext, col: _Collector) -> int:
    """The fragments of every output frame, from the recording's pictures; returns the
    number of box-frames looked at."""
    from annotator.media.video import VideoReader

    plan = ctx.plan
    rows, wanted = _source_pictures(ctx)
    by_src: dict[int, list[tuple[int, int]]] = {}
    for r, p, t in rows:
        if p >= 0:
            by_src.setdefault(p, []).append((r, t))
    boxes = [b for b in plan.boxes if b.fill_rect is not None and b.redaction.rect is not None]
    last: dict[int, tuple[np.ndarray, frozenset[int], list[Any]]] = {}
    looked = 0
    total = max(1, len(wanted))
    with VideoReader(plan.source.path) as reader:
        for n, frame in enumerate(reader.frames_at(wanted)):
            ctx.progress.check()
            if n % 16 == 0:
                ctx.progress.report(n, total, "Looking for pieces of hidden values")
            g = ink.gray(frame.rgb)
            for r, t in by_src.get(int(frame.pts), []):
                active = [b for b in boxes if b.active_at_source(t)]
                fills = [b.fill_rect for b in plan.active_at_source(t)]
                ids = frozenset(b.index for b in plan.active_at_source(t))
                for b in active:
                    found = _cached(last, b, g, ids)
                    if found is None:
                        looked += 1
                        assert b.redaction.rect is not None and b.fill_rect is not None
                        found = fragments_on(g, b.redaction.rect, b.fill_rect,
                                             [f for f in fills if f is not None])
                        _remember(last, b, g, ids, found)
                    for side, place, pixels in found:
                        col.add(b, side, place, pixels, r)
    return looked


def _rows_of(b: Any, g: np.ndarray) -> np.ndarray:
    x, y, w, h = b.redaction.rect
    return g[max(0, y - h):y + 2 * h]


def _cached(last: dict[int, Any], b: Any, g: np.ndarray, ids: frozenset[int]
            ) -> list[Any] | None:
    got = last.get(b.index)
    if got is None or got[1] != ids:
        return None
    prev, _ids, found = got
    now = _rows_of(b, g)
    if prev.shape != now.shape:
        return None
    if int(np.abs(prev.astype(np.int16) - now).max(initial=0)) > SAME_LEVELS:
        return None
    return list(found)


def _remember(last: dict[int, Any], b: Any, g: np.ndarray, ids: frozenset[int], found: list[Any]) -> None:
    last[b.index] = (_rows_of(b, g).copy(), ids, found)


def _name(ctx: LeakCheckContext, items: Sequence[FragmentItem]) -> None:
    """OCR of the output around each fragment, at its first time (best effort)."""
    if not items:
        return
    try:
        from annotator.redaction.ocr import OcrOptions, ocr_batch

        want = {it.time_us for it in items}
        crops, owners = [], []
        for of in ctx.frames():
            if of.pts not in want:
                continue
            rgb = of.rgb()
            for it in items:
                if it.time_us != of.pts:
                    continue
                x, y, w, h = it.place
                m = max(4, h)
                crops.append(rgb[max(0, y - m):y + h + m, max(0, x - 2 * m):x + w + 2 * m])
                owners.append(it)
            want.discard(of.pts)
            if not want:
                break
        opts = ctx.options.get("ocr_options") or OcrOptions(workers=1)
        for it, words in zip(owners, ocr_batch(crops, opts), strict=True):
            it.text = " ".join(w.text for w in words)
    except Exception:  # noqa: BLE001 - naming is best effort; the finding stands
        return


def check_fragments(ctx: LeakCheckContext) -> CheckResult:
    """The ``fragments`` leak check (module docstring).  Options: ``box_ids`` (the
    redaction id of each box, in order)."""
    t0 = time.perf_counter()
    plan = ctx.plan
    col = _Collector(plan, list(ctx.options.get("box_ids") or []), possible=False)
    boxes = [b for b in plan.boxes if b.fill_rect is not None and b.redaction.rect is not None]
    if not boxes:
        return CheckResult(FRAGMENT_CHECK, PASSED, "no box to look around", [],
                           {"boxes": 0, "seconds": 0.0})
    try:
        looked = _check_with_source(ctx, col)
    except Exception as exc:  # the recording cannot be read: say so, never pass
        return CheckResult(FRAGMENT_CHECK, NOT_CHECKED,
                           f"not checked: the recording could not be read to see what the "
                           f"boxes hide ({exc})", [], {"boxes": len(boxes)})
    found = sorted(col.items.values(), key=lambda i: (i.time_us, i.box_index, i.side))
    _name(ctx, found)
    for it in found:
        aid = allow_match(it, ctx.allow_list)
        if aid is not None:
            it.allowed, it.allow_id = True, aid or None
    blocking = [i for i in found if not i.allowed]
    details = {"boxes": len(boxes), "box_frames_looked_at": looked, "items": len(found),
               "allowed_items": len(found) - len(blocking),
               "seconds": round(time.perf_counter() - t0, 3)}
    if blocking:
        return CheckResult(FRAGMENT_CHECK, FAILED,
                           f"part of what {len({i.box_index for i in blocking})} box(es) hide "
                           "is readable next to them: grow the box or accept it",
                           blocking, details, items=found)
    extra = f", {len(found)} accepted" if found else ""
    return CheckResult(FRAGMENT_CHECK, PASSED,
                       f"nothing of what {len(boxes)} box(es) hide is readable next to them"
                       f"{extra}", [], details, items=found)

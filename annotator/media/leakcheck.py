"""Leak check of a rendered recording: is everything that should be hidden hidden?

Run after ``render.render_video`` on the file it wrote.  Built-in checks:

- ``box_fill``: every frame of the output is decoded; on every frame shown while a box
  applies (its display interval overlaps the box's result intervals), every pixel inside the
  box's filled rectangle must equal the fill colour in Y, U and V within ``tolerance`` levels
  (compression; ``edge_tolerance`` on the outermost ``EDGE_RING`` pixels, see below);
  failures are reported per box with times and the largest deviation.
- ``timeline``: the output starts at 0 and lasts as long as the kept ranges (a truncated
  file would leave boxes unchecked).
- ``metadata``: container and stream metadata only as in ``render.METADATA_ALLOWLIST``, zero
  creation times, no MP4 box outside a short allow-list, no SEI (encoder strings) in the
  H.264 stream.
- ``source_bytes``: no sampled run of bytes of the original video stream occurs in the
  output (the renderer never copies packets: this guards against a future shortcut).

More checks plug in by name (the OCR scan of the rendered frames for secrets and redacted
strings is one: ``annotator.redaction.leakscan``, which ``render_for_submission`` requires):
either
``register_check(name, fn)`` once at import of the module that provides them, or
``extra_checks={name: fn}`` per call.  A check is ``fn(ctx: LeakCheckContext) ->
CheckResult``.  ``require=[names]`` lists checks that must run: one that is not available is
reported ``not_checked``.  A check that raises is ``not_checked`` with the error.  The
result passes only when every check ``passed``: ``not_checked`` blocks like ``failed``
(fail closed).
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from annotator.edits.redactions import Redaction
from annotator.jobs import Cancelled, Progress
from annotator.media.render import (
    DEFAULT_FILL,
    DEFAULT_PADDING,
    METADATA_ALLOWLIST,
    RenderPlan,
    plan_render,
    rgb_to_yuv,
)

PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not_checked"
# Levels of 255, in Y, U and V.  With the fill on the 8-pixel block grid, x264 at CRF 23
# leaves the inside of a fill within about 6 levels of the colour, and up to 13 on the frame
# where a box appears over a large change (the residual from the picture before, which was
# on screen: nothing of what the box hides is in the encoder's input); a missed box over text
# deviates by 50 to 200.  The tolerance sits about halfway (in ratio) between the two, so
# neither a recording made under load (bigger changes between grabs, bigger residuals) nor
# another encoder build fails a good render, while the ink of any text hidden under a box
# (text readable at all differs from its background, hence from any fill over it, by far
# more) still fails it.  The outermost EDGE_RING pixels of a box (on sides that are not the
# frame's border) sit on a block edge that H.264's deblocking filter smooths when the picture
# next to the box is close to the fill colour (dark text next to a black box): they may move
# by up to about alpha(QP)/2 and get EDGE_TOLERANCE.  The padding (4 px by default) keeps the
# box the contributor drew inside the strict part.
DEFAULT_TOLERANCE = 28
EDGE_TOLERANCE = 48
EDGE_RING = 2
MAX_TIMES_REPORTED = 20


@dataclass
class BoxFailure:
    """A box that is not solid fill on some frames of the output."""

    box_index: int
    label: str
    fill_rect: tuple[int, int, int, int]
    frames_failed: int
    first_result_us: int
    last_result_us: int
    first_source_us: int  # the same moments on the recording clock
    max_deviation: int
    pixels_over: int  # on the worst frame
    result_times_us: list[int] = field(default_factory=list)  # the first few failing frames

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, fill_rect=list(self.fill_rect))

    def __str__(self) -> str:
        return (f"box {self.box_index + 1} ({self.label or list(self.fill_rect)}): "
                f"{self.frames_failed} frame(s) not filled, first at "
                f"{self.first_result_us / 1e6:.3f} s of the result "
                f"({self.first_source_us / 1e6:.3f} s of the recording), "
                f"max deviation {self.max_deviation}")


def _item_dict(f: Any, include_text: bool) -> Any:
    if not hasattr(f, "to_dict"):
        return f
    try:
        return f.to_dict(include_text=include_text)
    except TypeError:  # a failure without text to hide
        return f.to_dict()


@dataclass
class CheckResult:
    name: str
    status: str  # PASSED, FAILED or NOT_CHECKED
    summary: str
    failures: list[Any] = field(default_factory=list)  # what blocks
    details: dict[str, Any] = field(default_factory=dict)
    # Findings a contributor can act on, allowed ones included (text checks: LeakItem-like
    # objects with ``to_dict(include_text=...)``, ``description`` and ``allowed``).
    items: list[Any] = field(default_factory=list)

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        """``include_text``: the text read on screen, for the contributor's eyes only (the
        default leaves it out, so the report can travel or be logged)."""
        d = {"name": self.name, "status": self.status, "summary": self.summary,
             "failures": [_item_dict(f, include_text) for f in self.failures],
             "details": self.details}
        if self.items:
            d["items"] = [_item_dict(i, include_text) for i in self.items]
        return d


@dataclass
class LeakCheckResult:
    output: Path
    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        """True only when every check ran and passed (fail closed)."""
        return bool(self.checks) and all(c.status == PASSED for c in self.checks)

    @property
    def status(self) -> str:
        if any(c.status == FAILED for c in self.checks):
            return FAILED
        return PASSED if self.passed else NOT_CHECKED

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        return {"output": str(self.output), "status": self.status, "passed": self.passed,
                "checks": [c.to_dict(include_text=include_text) for c in self.checks]}

    @property
    def items(self) -> list[Any]:
        """Every finding of the text checks (allowed ones included)."""
        return [i for c in self.checks for i in c.items]

    def ui_items(self, *, include_text: bool = True) -> list[dict[str, Any]]:
        """Everything to show the contributor, one dict each, blocking first: ``check``,
        ``description`` (a sentence), ``blocking``, ``acceptable`` (True: it can be accepted
        as not sensitive, with ``text`` and ``detector`` for the allow entry), ``allowed``.

        A check that failed without items (a box not filled, metadata...) or did not run is
        one entry that cannot be accepted: it must be fixed (or Tesseract installed)."""
        out: list[dict[str, Any]] = []
        for c in self.checks:
            for i in c.items:
                d = dict(_item_dict(i, include_text))
                d.setdefault("check", c.name)
                d["blocking"] = not d.get("allowed", False)
                out.append(d)
            if c.status != PASSED and not c.items:
                fails = [str(f) for f in c.failures[:10]] or [c.summary]
                for f in fails:
                    out.append({"check": c.name, "status": c.status, "blocking": True,
                                "acceptable": False, "allowed": False,
                                "description": f if c.failures else
                                f"{c.name.replace('_', ' ')}: {c.summary}"})
        out.sort(key=lambda d: not d["blocking"])
        return out

    def __str__(self) -> str:
        lines = [f"Leak check of {self.output}: {self.status.replace('_', ' ')}"]
        for c in self.checks:
            lines.append(f"  {c.name}: {c.status.replace('_', ' ')} - {c.summary}")
            lines.extend(f"    {f}" for f in c.failures[:10])
        return "\n".join(lines)


@dataclass
class LeakCheckContext:
    """What a check gets: the output, the plan (boxes, times) and the caller's extras."""

    output: Path
    plan: RenderPlan
    fill: tuple[int, int, int]
    tolerance: int
    progress: Progress
    redacted_strings: Sequence[str] = ()  # for text checks (OCR of the output)
    options: dict[str, Any] = field(default_factory=dict)
    edge_tolerance: int = EDGE_TOLERANCE
    # Items the contributor accepted as not sensitive: {"text", "detector", "id"?}.
    allow_list: Sequence[Mapping[str, Any]] = ()

    def frames(self) -> Iterator[OutputFrame]:
        return iter_output_frames(self.output, self.plan.result_duration_us)


CheckFn = Callable[[LeakCheckContext], CheckResult]
_REGISTRY: dict[str, CheckFn] = {}


def register_check(name: str, fn: CheckFn, *, replace: bool = False) -> None:
    """Add a check that every leak check runs after the built-in ones."""
    if name in _REGISTRY and not replace and _REGISTRY[name] is not fn:
        raise ValueError(f"a leak check named {name!r} is already registered")
    _REGISTRY[name] = fn


def unregister_check(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered_checks() -> dict[str, CheckFn]:
    return dict(_REGISTRY)


# -- decoding the output -------------------------------------------------------------------------
@dataclass
class OutputFrame:
    pts: int  # result time, µs
    end: int  # when the next frame replaces it (or the output ends)
    frame: av.VideoFrame

    def rgb(self) -> np.ndarray:
        return self.frame.to_ndarray(format="rgb24")

    def yuv(self) -> np.ndarray:
        f = self.frame
        if f.format.name != "yuv420p":
            f = f.reformat(format="yuv420p")
        return f.to_ndarray(format="yuv420p")


def output_timing(path: Path) -> tuple[list[int], int]:
    """Every frame's pts (µs) and the end of the last frame, from the packets."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        tb = s.time_base
        assert tb is not None  # (PyAV's typing: a decodable stream has one)
        rows = [(p.pts, p.duration or 0) for p in c.demux(s) if p.pts is not None and p.size]
    rows.sort()
    pts = [int(round(p * tb * 1_000_000)) for p, _ in rows]
    end = int(round((rows[-1][0] + rows[-1][1]) * tb * 1_000_000)) if rows else 0
    return pts, end


def iter_output_frames(path: Path, end_us: int | None = None) -> Iterator[OutputFrame]:
    """Decode the output in order, each frame with its display interval (µs, result time)."""
    pts_list, end = output_timing(path)
    if end_us is not None and end <= (pts_list[-1] if pts_list else 0):
        end = end_us
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        tb = s.time_base
        assert tb is not None
        i = 0
        for frame in c.decode(s):
            if frame.pts is None:
                continue
            pts = int(round(frame.pts * tb * 1_000_000))
            while i < len(pts_list) and pts_list[i] <= pts:
                i += 1
            nxt = pts_list[i] if i < len(pts_list) else end
            yield OutputFrame(pts, max(nxt, pts + 1), frame)


# -- built-in checks -----------------------------------------------------------------------------
def _deviation(y_plane: np.ndarray, chroma: np.ndarray, rect: tuple[int, int, int, int],
               fill: tuple[int, int, int], w: int, h: int, tol: int, edge_tol: int
               ) -> tuple[int, int, int]:
    """(max deviation inside, max deviation on the edge ring, pixels over tolerance)."""
    x0, y0, x1, y1 = rect
    fy, fu, fv = fill
    dy = np.abs(y_plane[y0:y1, x0:x1].astype(np.int16) - fy)
    dc = np.maximum(np.abs(chroma[0, y0 // 2:y1 // 2, x0 // 2:x1 // 2].astype(np.int16) - fu),
                    np.abs(chroma[1, y0 // 2:y1 // 2, x0 // 2:x1 // 2].astype(np.int16) - fv))
    # Per pixel: the larger of its luma and its chroma deviation.
    dev = np.maximum(dy, np.repeat(np.repeat(dc, 2, axis=0), 2, axis=1)[:dy.shape[0],
                                                                          :dy.shape[1]])
    inner = np.zeros(dev.shape, bool)
    r = EDGE_RING
    top, left = (r if y0 > 0 else 0), (r if x0 > 0 else 0)
    bottom, right = dev.shape[0] - (r if y1 < h else 0), dev.shape[1] - (r if x1 < w else 0)
    inner[top:bottom, left:right] = True
    d_in = int(dev[inner].max(initial=0))
    d_edge = int(dev[~inner].max(initial=0))
    over = int((dev[inner] > tol).sum() + (dev[~inner] > edge_tol).sum())
    return d_in, d_edge, over


def check_box_fill(ctx: LeakCheckContext) -> CheckResult:
    plan = ctx.plan
    w, h = plan.width, plan.height
    fy, fu, fv = rgb_to_yuv(ctx.fill)
    boxes = [b for b in plan.boxes if b.fill_rect is not None and b.result_intervals]
    fails: dict[int, BoxFailure] = {}
    checked = 0
    frames = 0
    worst = worst_edge = 0
    pts_total = max(1, plan.result_duration_us)
    for of in ctx.frames():
        ctx.progress.check()
        frames += 1
        active = [b for b in boxes if b.overlaps_result(of.pts, of.end)]
        if not active:
            continue
        yuv = of.yuv()
        if yuv.shape != (h * 3 // 2, w):
            raise ValueError(f"the output is {yuv.shape[1]}x{yuv.shape[0] * 2 // 3}, "
                             f"the recording {w}x{h}")
        y_plane = yuv[:h]
        chroma = yuv[h:].reshape(2, h // 2, w // 2)
        for b in active:
            assert b.fill_rect is not None
            dev, edge_dev, over = _deviation(y_plane, chroma, b.fill_rect, (fy, fu, fv),
                                             w, h, ctx.tolerance, ctx.edge_tolerance)
            checked += 1
            worst, worst_edge = max(worst, dev), max(worst_edge, edge_dev)
            if not over:
                continue
            t_src = plan.timeline.to_original(min(of.pts, plan.result_duration_us))
            f = fails.get(b.index)
            if f is None:
                f = fails[b.index] = BoxFailure(b.index, b.redaction.label, b.fill_rect, 0,
                                                of.pts, of.pts, t_src, 0, 0)
            f.frames_failed += 1
            f.last_result_us = of.pts
            if max(dev, edge_dev) > f.max_deviation:
                f.max_deviation, f.pixels_over = max(dev, edge_dev), over
            if len(f.result_times_us) < MAX_TIMES_REPORTED:
                f.result_times_us.append(of.pts)
        if frames % 8 == 0:
            ctx.progress.report(min(of.pts, pts_total), pts_total, "Checking the boxes")
    details = {"frames": frames, "box_frames_checked": checked, "boxes": len(boxes),
               "tolerance": ctx.tolerance, "edge_tolerance": ctx.edge_tolerance,
               "edge_ring_px": EDGE_RING, "max_deviation": worst,
               "max_deviation_edge": worst_edge}
    if frames == 0:
        return CheckResult("box_fill", NOT_CHECKED, "the output has no frames", [], details)
    if fails:
        failures = [fails[k] for k in sorted(fails)]
        return CheckResult("box_fill", FAILED,
                           f"{len(failures)} of {len(boxes)} box(es) not filled on some frames",
                           failures, details)
    return CheckResult("box_fill", PASSED,
                       f"{len(boxes)} box(es) solid on all {checked} box-frames of {frames} "
                       f"frames (max deviation {worst}, {worst_edge} on the {EDGE_RING}-pixel edge)",
                       [], details)


def check_timeline(ctx: LeakCheckContext) -> CheckResult:
    pts, end = output_timing(ctx.output)
    want = ctx.plan.result_duration_us
    details = {"frames": len(pts), "first_pts_us": pts[0] if pts else None, "end_us": end,
               "expected_end_us": want}
    problems = []
    if not pts:
        problems.append("the output has no frames")
    else:
        if pts[0] != 0:
            problems.append(f"the output starts at {pts[0]} µs, not 0")
        if abs(end - want) > 1000:
            problems.append(f"the output lasts {end} µs where the kept ranges last {want} µs")
        if any(b <= a for a, b in zip(pts, pts[1:], strict=False)):
            problems.append("frame times do not increase")
    if problems:
        return CheckResult("timeline", FAILED, "; ".join(problems), problems, details)
    return CheckResult("timeline", PASSED, f"{len(pts)} frames from 0 to {end / 1e6:.3f} s",
                       [], details)


# MP4 boxes the renderer writes (FFmpeg's mov muxer, faststart, one video track).
ALLOWED_BOXES = frozenset({
    "ftyp", "moov", "mvhd", "trak", "tkhd", "edts", "elst", "mdia", "mdhd", "hdlr", "minf",
    "vmhd", "dinf", "dref", "url ", "stbl", "stsd", "stts", "stss", "stsc", "stsz", "stco",
    "co64", "ctts", "sdtp", "sgpd", "sbgp", "udta", "meta", "ilst", "free", "mdat",
})
_CONTAINERS = {"moov", "trak", "mdia", "minf", "dinf", "stbl", "edts", "udta", "meta"}


def mp4_boxes(data: bytes | mmap.mmap, start: int = 0, end: int | None = None,
              path: str = "") -> Iterator[tuple[str, int, int, int]]:
    """(path, offset, header size, size) of every box, depth first."""
    end = len(data) if end is None else end
    off = start
    while off + 8 <= end:
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        hdr = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[off + 8:off + 16])
            hdr = 16
        elif size == 0:
            size = end - off
        if size < hdr or off + size > end:
            raise ValueError(f"malformed MP4 box at offset {off}")
        name = kind.decode("latin-1")
        full = f"{path}/{name}"
        yield full, off, hdr, size
        if name in _CONTAINERS:
            inner = off + hdr + (4 if name == "meta" else 0)
            yield from mp4_boxes(data, inner, off + size, full)
        off += size


def _creation_times(data: bytes | mmap.mmap, off: int, hdr: int) -> tuple[int, int]:
    version = data[off + hdr]
    body = off + hdr + 4
    if version == 1:
        return struct.unpack(">QQ", data[body:body + 16])
    return struct.unpack(">II", data[body:body + 8])


def _nal_types(packet: bytes, length_size: int = 4) -> Iterator[int]:
    off = 0
    while off + length_size <= len(packet):
        n = int.from_bytes(packet[off:off + length_size], "big")
        off += length_size
        if n == 0 or off + n > len(packet):
            return
        yield packet[off] & 0x1F
        off += n


def check_metadata(ctx: LeakCheckContext) -> CheckResult:
    problems: list[str] = []
    with av.open(str(ctx.output)) as c:
        meta = {"format": dict(c.metadata), "stream": dict(c.streams.video[0].metadata)}
        sei = 0
        for p in c.demux(c.streams.video[0]):
            if p.size:
                sei += sum(1 for t in _nal_types(bytes(p)) if t == 6)
    for level, tags in meta.items():
        allowed = METADATA_ALLOWLIST[level]
        for k, v in tags.items():
            if allowed.get(k) != v:
                problems.append(f"{level} metadata {k}={v!r} is not allow-listed")
    if sei:
        problems.append(f"{sei} SEI unit(s) (encoder information) in the video stream")
    with open(ctx.output, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        boxes = list(mp4_boxes(m))
        for path, off, hdr, size in boxes:
            name = path.rsplit("/", 1)[-1]
            if name not in ALLOWED_BOXES:
                problems.append(f"MP4 box {path} is not allow-listed")
            elif name in ("mvhd", "tkhd", "mdhd"):
                created, modified = _creation_times(m, off, hdr)
                if created or modified:
                    problems.append(f"{path} carries a creation/modification time")
            elif name == "ilst" and size > hdr:
                problems.append(f"{path} holds iTunes-style tags")
            elif path.endswith("/udta/meta/hdlr") and m[off + hdr + 8:off + hdr + 12] != b"mdir":
                problems.append(f"{path} is not the empty 'mdir' handler")
    details = {"metadata": meta, "boxes": sorted({p for p, *_ in boxes})}
    if problems:
        return CheckResult("metadata", FAILED, "; ".join(problems[:5]), problems, details)
    return CheckResult("metadata", PASSED,
                       "only allow-listed metadata: " + ", ".join(
                           f"{k}={v}" for lv in meta.values() for k, v in lv.items()),
                       [], details)


def source_windows(path: Path, count: int = 64, length: int = 48, min_packet: int = 256,
                   packets_hint: int | None = None) -> list[bytes]:
    """Byte runs from the middle of packets spread over the source (after their headers),
    read in one pass that keeps only the sampled ones."""
    out: list[bytes] = []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = packets_hint or sum(1 for p in c.demux(s) if p.pts is not None)
        step = max(1, n // max(1, count))
        if packets_hint is None:
            c.seek(0, stream=s)
        i = 0
        for p in c.demux(s):
            if p.pts is None:
                continue
            i += 1
            if (i - 1) % step or p.size < min_packet:
                continue
            data = bytes(p)
            mid = len(data) // 2
            out.append(data[mid:mid + length])
            if len(out) >= count:
                break
    return out


def check_source_bytes(ctx: LeakCheckContext) -> CheckResult:
    windows = source_windows(ctx.plan.source.path, int(ctx.options.get("byte_samples", 64)),
                             packets_hint=len(ctx.plan.source.pts))
    if not windows:
        return CheckResult("source_bytes", PASSED,
                           "the source has no packet large enough to sample", [],
                           {"samples": 0})
    hits = []
    with open(ctx.output, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        for i, wdw in enumerate(windows):
            ctx.progress.check()
            at = m.find(wdw)
            if at >= 0:
                hits.append({"sample": i, "offset": at})
    details = {"samples": len(windows), "length": len(windows[0])}
    if hits:
        return CheckResult("source_bytes", FAILED,
                           f"{len(hits)} of {len(windows)} sampled runs of the original video "
                           "stream occur in the output", hits, details)
    return CheckResult("source_bytes", PASSED,
                       f"none of {len(windows)} sampled {len(windows[0])}-byte runs of the "
                       "original video stream occur in the output", [], details)


BUILTIN_CHECKS: dict[str, CheckFn] = {
    "box_fill": check_box_fill,
    "timeline": check_timeline,
    "metadata": check_metadata,
    "source_bytes": check_source_bytes,
}


# -- the entry point -----------------------------------------------------------------------------
def check_render(output: str | Path, bundle_dir: str | Path,
                 kept_ranges: Iterable[tuple[int, int]],
                 redactions: Iterable[Redaction | dict[str, Any]], *,
                 fill: Sequence[int] = DEFAULT_FILL, padding: int = DEFAULT_PADDING,
                 tolerance: int = DEFAULT_TOLERANCE,
                 edge_tolerance: int = EDGE_TOLERANCE,
                 checks: Sequence[str] | None = None,
                 extra_checks: Mapping[str, CheckFn] | None = None,
                 require: Iterable[str] = (),
                 redacted_strings: Sequence[str] = (),
                 allow_list: Sequence[Mapping[str, Any]] = (),
                 options: dict[str, Any] | None = None,
                 progress: Progress | None = None) -> LeakCheckResult:
    """Check a rendered file against the boxes it must hide (the full list, as given).

    ``checks``: names of the built-in checks to run (default: all).  Registered checks and
    ``extra_checks`` run after them; ``require`` names checks that must have run.
    """
    progress = progress or Progress()
    output = Path(output)
    results: list[CheckResult] = []
    try:
        plan = plan_render(bundle_dir, kept_ranges, redactions, padding=padding)
    except Exception as exc:  # reported, never passed
        return LeakCheckResult(output, [CheckResult("plan", NOT_CHECKED,
                                                    f"the boxes could not be planned: {exc}")])
    if not output.is_file():
        return LeakCheckResult(output, [CheckResult("output", NOT_CHECKED,
                                                    f"{output} does not exist")])
    r, g, b = (int(c) for c in fill)
    ctx = LeakCheckContext(output, plan, (r, g, b), int(tolerance),
                           progress, tuple(redacted_strings), dict(options or {}),
                           int(edge_tolerance), tuple(allow_list))
    todo: dict[str, CheckFn] = {n: f for n, f in BUILTIN_CHECKS.items()
                                if checks is None or n in checks}
    todo.update(_REGISTRY)
    todo.update(extra_checks or {})
    for name, fn in todo.items():
        try:
            res = fn(ctx)
            if not isinstance(res, CheckResult) or res.status not in (PASSED, FAILED,
                                                                      NOT_CHECKED):
                res = CheckResult(name, NOT_CHECKED, f"the check returned {res!r}")
        except Cancelled:
            raise
        except Exception as exc:  # a check that cannot run does not pass
            res = CheckResult(name, NOT_CHECKED, f"the check could not run: {exc}")
        res.name = name
        results.append(res)
    for name in require:
        if name not in todo:
            results.append(CheckResult(name, NOT_CHECKED, f"the {name} check is not available"))
    return LeakCheckResult(output, results)

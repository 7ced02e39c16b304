"""Render a recording for submission: kept ranges, re-timed, with redactions burned in.

The output is a *new* file, H.264 in a plain MP4 (``faststart``: the index first), that holds
nothing of the original but re-encoded pixels:

- Every frame is decoded and encoded again (never a copied packet), so no byte of the
  original video stream reaches the output; the x264 version/options SEI is removed from the
  stream (``filter_units``), and the container carries only the allow-listed metadata in
  ``METADATA_ALLOWLIST`` (no creation time, no encoder string, no handler name of the source;
  FFmpeg's ``bitexact`` flag drops its ``Lavf`` version string).
- A redaction is an opaque solid fill of the padded box, clamped to the frame and widened
  outward to the 8-pixel grid of H.264's transform blocks (``FILL_ALIGN``: no block mixes
  fill and picture, so the decoded fill stays flat and the 4:2:0 chroma under it is filled
  too), written into the decoded Y, U and V planes before encoding.  Never blur or pixelation:
  their output depends on the secret (docs: ../shared/reference/privacy.md section 3).
- The output stays variable frame rate: a frame is encoded only when the picture changed
  after burn-in (the recorder's keep-alive repeats, a change entirely under a box, and
  static stretches are not encoded again), at its result time (pts = result time in µs).

Time of a redaction: ``t_start_us``..``t_end_us`` on the recording clock, both inclusive.
The box covers every *grab* (a row of frames.jsonl: what was on screen from one capture to
the next) whose display interval overlaps that range, in full: it appears at the start of
the grab interval holding ``t_start_us`` and disappears at the end of the one holding
``t_end_us``.  A picture that was on screen at any moment of the range is therefore never
shown unredacted in the same grab interval, and on a static screen (one stored frame shown
for many grabs) a frame is emitted at those two moments so that the box appears and
disappears on time.  Without a frame index the stored frames are the grid (safe: a whole
stored frame is covered).  Before the first grab of the recording the output is black.

Entry points: ``plan_render`` (checks the inputs; boxes with their filled rectangles and
their intervals on both clocks, clamping notes), ``render_video`` and ``render_stills``
(step frames as PNG).  ``annotator.media.leakcheck.check_render`` verifies a render.

The file is written to a hidden temporary name in the destination folder, checked (every
packet that was muxed can be read back), fsynced and renamed; on cancellation, a full disk
or any error the temporary file is deleted.  The recording is only read.
"""

from __future__ import annotations

import contextlib
import errno
import struct
import time
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from annotator.bundle import schema
from annotator.bundle.reader import Bundle
from annotator.edits.redactions import Redaction, RedactionError
from annotator.edits.timeline import Timeline, normalize
from annotator.errors import AnnotatorError, BundleError
from annotator.fsutil import atomic_write, commit_temp, reserve_temp
from annotator.jobs import Cancelled, Progress
from annotator.media.render_streams import (
    FrameSource,
    Muxer,
    encoder_settings,
    frame_pts,
)

DEFAULT_FILL: tuple[int, int, int] = (0, 0, 0)
DEFAULT_PADDING = 4
# The filled rectangle is widened to this grid: H.264 transforms 8x8 (and 4x4) blocks on it,
# so no transform block mixes fill and outside pixels, and the decoded fill stays within a
# few levels of the colour (max 2 measured for black at CRF 23) instead of ringing by 10-15
# levels at the edges.  It also covers whole 2x2 chroma samples.
FILL_ALIGN = 8

# What the output container says, and nothing else (checked by the leak check):
# - format level, as FFmpeg's demuxer reports the ``ftyp`` box we write;
# - stream level: FFmpeg's generic handler name and language, and the zero vendor id.
# The movie/track/media headers carry creation and modification times of 0; ``udta`` holds
# only an empty ``meta``/``ilst`` (no ``©too`` encoder string).
METADATA_ALLOWLIST: dict[str, dict[str, str]] = {
    "format": {"major_brand": "isom", "minor_version": "512",
               "compatible_brands": "isomiso2avc1mp41"},
    "stream": {"language": "und", "handler_name": "VideoHandler",
               "vendor_id": "[0][0][0][0]"},
}


class RenderError(AnnotatorError):
    """A recording cannot be rendered (nothing in the kept ranges, bad boxes, full disk...)."""


# -- redactions --------------------------------------------------------------------------------
@dataclass
class AppliedBox:
    """One redaction as the renderer applies it."""

    index: int  # position in the list given
    redaction: Redaction
    fill_rect: tuple[int, int, int, int] | None  # x0, y0, x1, y1 (exclusive); None: off-frame
    source_interval: tuple[int, int]  # [start, end) on the recording clock, snapped to grabs
    result_intervals: list[tuple[int, int]]  # [start, end) on the result clock
    clamped: bool = False
    note: str = ""

    def active_at_source(self, t_us: int) -> bool:
        return self.source_interval[0] <= t_us < self.source_interval[1]

    def overlaps_result(self, start_us: int, end_us: int) -> bool:
        return any(a < end_us and start_us < b for a, b in self.result_intervals)

    def to_dict(self) -> dict[str, Any]:
        r = self.redaction
        return {"index": self.index, "label": r.label,
                "rect": "full" if r.rect is None else list(r.rect),
                "t_start_us": r.t_start_us, "t_end_us": r.t_end_us,
                "fill_rect": None if self.fill_rect is None else list(self.fill_rect),
                "source_interval": list(self.source_interval),
                "result_intervals": [list(iv) for iv in self.result_intervals],
                "clamped": self.clamped, "note": self.note}


def fill_rect_for(rect: tuple[int, int, int, int] | None, width: int, height: int,
                  padding: int) -> tuple[tuple[int, int, int, int] | None, bool, str]:
    """The filled rectangle (x0, y0, x1, y1) of a box: padded, clamped, even-aligned.

    Returns (rect or None when nothing of it is in the frame, clamped?, note)."""
    if rect is None:
        return (0, 0, width, height), False, ""
    x, y, w, h = rect
    outside = x < 0 or y < 0 or x + w > width or y + h > height
    x0, y0 = max(0, x - padding), max(0, y - padding)
    x1, y1 = min(width, x + w + padding), min(height, y + h + padding)
    if x1 <= x0 or y1 <= y0 or x + w <= 0 or y + h <= 0 or x >= width or y >= height:
        return None, True, (f"box {list(rect)} is entirely outside the {width}x{height} "
                            "frame: nothing to fill")
    # Outward to the codec's block grid (see FILL_ALIGN).
    a = FILL_ALIGN
    x0, y0 = x0 - x0 % a, y0 - y0 % a
    x1, y1 = min(width, x1 + (-x1) % a), min(height, y1 + (-y1) % a)
    note = ""
    if outside:
        note = (f"box {list(rect)} extends outside the {width}x{height} frame: clamped to "
                f"[{x0}, {y0}, {x1 - x0}, {y1 - y0}] (x, y, w, h; padded and aligned)")
    return (x0, y0, x1, y1), outside, note


def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited range, as the recorder converts (OpenCV's I420) and decoders assume."""
    r, g, b = (float(c) for c in rgb)
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    def level(c: float) -> int:
        return int(min(255, max(0, round(c))))

    return level(y), level(u), level(v)


def _check_fill(fill: Sequence[int]) -> tuple[int, int, int]:
    try:
        r, g, b = (int(c) for c in fill)
    except (TypeError, ValueError) as exc:
        raise RenderError(f"The fill colour {fill!r} is not an (r, g, b) triple.") from exc
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise RenderError(f"The fill colour {fill!r} is outside 0..255.")
    return r, g, b


# -- the plan ----------------------------------------------------------------------------------
@dataclass
class SourceVideo:
    """What the demuxer says about the recording's video, without decoding it."""

    path: Path
    width: int
    height: int
    pts: list[int]  # every stored frame, ascending
    keyframes: list[int]  # pts of keyframes, ascending
    packet_bytes: int


def probe_source(path: Path) -> SourceVideo:
    if not path.is_file():
        raise BundleError(f"The video {path} is missing.", "Re-record, or recover the bundle.")
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise BundleError(f"The video {path} has no video stream.")
            s = c.streams.video[0]
            pts, keys, size = [], [], 0
            try:
                for p in c.demux(s):
                    if p.pts is None:
                        continue
                    pts.append(int(p.pts))
                    size += p.size
                    if p.is_keyframe:
                        keys.append(int(p.pts))
            except av.error.FFmpegError:
                pass  # a truncated tail: what was read stands
            width, height = s.codec_context.width, s.codec_context.height
    except av.error.FFmpegError as exc:
        raise BundleError(f"The video {path} cannot be read: {exc}.",
                          f"If the recording was cut off, run `annotator recover "
                          f"{path.parent}`.") from exc
    return SourceVideo(path, width, height, sorted(pts), sorted(keys), size)


@dataclass
class RenderPlan:
    """Everything the renderer and the leak check agree on, computed from the inputs."""

    bundle_dir: Path
    source: SourceVideo
    timeline: Timeline
    boxes: list[AppliedBox]
    grid: list[int]  # grab times (or stored pts without an index): box times snap to these
    changed: dict[int, bool]  # stored pts -> the picture changed (False: keep-alive repeat)
    padding: int
    manifest: dict[str, Any]

    @property
    def width(self) -> int:
        return self.source.width

    @property
    def height(self) -> int:
        return self.source.height

    @property
    def kept(self) -> tuple[tuple[int, int], ...]:
        return self.timeline.kept

    @property
    def result_duration_us(self) -> int:
        return self.timeline.result_duration_us

    @property
    def notes(self) -> list[str]:
        return [f"Redaction {b.index + 1}: {b.note}" for b in self.boxes if b.note]

    def active_at_source(self, t_us: int) -> list[AppliedBox]:
        return [b for b in self.boxes if b.fill_rect is not None and b.active_at_source(t_us)]

    def active_in_result(self, start_us: int, end_us: int) -> list[AppliedBox]:
        return [b for b in self.boxes
                if b.fill_rect is not None and b.overlaps_result(start_us, end_us)]


END_OF_TIME = 2**62  # the last grab stays on screen to the end of the recording


def _snap(grid: list[int], start: int, end: int) -> tuple[int, int]:
    """[start, end] (both inclusive) widened to the whole grid intervals it overlaps.

    Returns the half-open cover: from the last grid point at or before ``start`` to the
    first grid point after ``end``."""
    i = bisect_right(grid, start) - 1
    s = grid[i] if i >= 0 else start
    j = bisect_right(grid, end)
    e = grid[j] if j < len(grid) else END_OF_TIME
    return s, max(e, s + 1)


def _result_intervals(tl: Timeline, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for k0, k1 in tl.kept:
        a, b = max(k0, start), min(k1, end)
        if a < b:
            r = tl.to_result(a)
            assert r is not None
            out.append((r, r + (b - a)))
    return out


def plan_render(bundle_dir: str | Path, kept_ranges: Iterable[tuple[int, int]],
                redactions: Iterable[Redaction | dict[str, Any]], *,
                padding: int = DEFAULT_PADDING) -> RenderPlan:
    """Check the inputs and work out boxes and times; raises RenderError on bad input."""
    folder = Path(bundle_dir)
    bundle = Bundle.open(folder)
    src = probe_source(bundle.video_path)
    if not src.pts:
        raise RenderError(f"The recording {folder} has no video frames.",
                          "There is nothing to render; record again.")
    if src.width % 2 or src.height % 2:
        raise RenderError(f"The video is {src.width}x{src.height}: odd sizes are not "
                          "supported (the recorder always writes even sizes).")
    if padding < 0:
        raise RenderError(f"The padding {padding} is negative.")
    index = bundle.frames
    grid = sorted(set(int(t) for t in index.t)) if len(index) else list(src.pts)
    changed: dict[int, bool] = {}
    if len(index):
        for pts, st, ch in zip(index.pts.tolist(), index.stored.tolist(),
                               index.changed.tolist(), strict=True):
            if st:
                changed[int(pts)] = bool(ch) or changed.get(int(pts), False)
    # The end of the recording: the manifest's duration, or past the last grab or frame.
    end = max(bundle.duration_us, (grid[-1] + 1) if grid else 0, src.pts[-1] + 1)
    kept = [(max(0, a), min(end, b)) for a, b in normalize(kept_ranges)]
    kept = [(a, b) for a, b in kept if b > a]
    first = src.pts[0]
    if not kept or all(b <= first for _, b in kept):
        raise RenderError(
            f"The kept ranges of {folder} hold no video frame: nothing would be rendered.",
            "Keep a part of the recording that has video (check the trim and the cuts).")
    tl = Timeline(end, tuple(kept))
    boxes = []
    for i, item in enumerate(redactions):
        try:
            red = Redaction.from_entry(item, i)
        except RedactionError as exc:
            raise RenderError(exc.message, exc.hint) from None
        rect, clamped, note = fill_rect_for(red.rect, src.width, src.height, padding)
        s, e = _snap(grid, red.t_start_us, red.t_end_us)
        boxes.append(AppliedBox(i, red, rect, (s, e), _result_intervals(tl, s, e),
                                clamped, note))
    return RenderPlan(folder, src, tl, boxes, grid, changed, padding, bundle.manifest)


# -- burn-in -----------------------------------------------------------------------------------
def burn_yuv420(yuv: np.ndarray, boxes: Iterable[AppliedBox], width: int, height: int,
                fill_yuv: tuple[int, int, int]) -> None:
    """Fill boxes in an I420 plane stack (H*3/2, W), in place."""
    y_plane = yuv[:height]
    chroma = yuv[height:].reshape(2, height // 2, width // 2)
    burn_planes((y_plane, chroma[0], chroma[1]), boxes, fill_yuv)


def burn_planes(planes: Sequence[np.ndarray], boxes: Iterable[AppliedBox],
                fill_yuv: tuple[int, int, int]) -> None:
    """Fill boxes in (Y, U, V) plane arrays of a 4:2:0 picture, in place."""
    y_plane, u_plane, v_plane = planes
    fy, fu, fv = fill_yuv
    for b in boxes:
        if b.fill_rect is None:
            continue
        x0, y0, x1, y1 = b.fill_rect
        y_plane[y0:y1, x0:x1] = fy
        u_plane[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = fu
        v_plane[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = fv


def plane_views(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable (Y, U, V) views of a yuv420p frame's own buffers (no copy)."""
    w, h = frame.width, frame.height
    out = []
    for plane, (pw, ph) in zip(frame.planes, ((w, h), (w // 2, h // 2), (w // 2, h // 2)),
                               strict=True):
        arr = np.frombuffer(memoryview(plane), np.uint8)
        out.append(arr[:plane.line_size * ph].reshape(ph, plane.line_size)[:, :pw])
    return out[0], out[1], out[2]


def burn_rgb(rgb: np.ndarray, boxes: Iterable[AppliedBox], fill: tuple[int, int, int]) -> None:
    for b in boxes:
        if b.fill_rect is None:
            continue
        x0, y0, x1, y1 = b.fill_rect
        rgb[y0:y1, x0:x1] = fill


# -- output files ------------------------------------------------------------------------------


def _check_dest(dest: Path, bundle_dir: Path) -> Path:
    dest = Path(dest)
    if not dest.parent.is_dir():
        raise RenderError(f"The folder {dest.parent} does not exist.",
                          "Create it, or choose another output file.")
    if dest.is_dir():
        raise RenderError(f"{dest} is a folder.", "Give the path of a file to write.")
    try:
        inside = dest.resolve().parent == bundle_dir.resolve()
    except OSError:
        inside = False
    if inside and (dest.exists() or dest.name in (schema.VIDEO, schema.MANIFEST)):
        raise RenderError(f"{dest} is a file of the recording itself.",
                          "Write the rendered output to another file (a subfolder or "
                          "another folder): the recording is never modified.")
    return dest


def _disk_error(exc: BaseException, dest: Path) -> RenderError | None:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(exc):
        return RenderError(f"The disk is full: {dest} could not be written.",
                           "Free some space and render again; nothing was written and the "
                           "recording is unchanged.")
    return None


# -- the video ---------------------------------------------------------------------------------
@dataclass
class RenderResult:
    path: Path
    plan: RenderPlan
    frames_encoded: int
    frames_decoded: int
    frames_unchanged: int  # candidate frames not encoded: the picture had not changed
    result_duration_us: int
    encoder: dict[str, Any]
    seconds: float
    output_pts: list[int] = field(default_factory=list)

    @property
    def boxes(self) -> list[AppliedBox]:
        return self.plan.boxes

    @property
    def notes(self) -> list[str]:
        return self.plan.notes

    @property
    def speed(self) -> float:
        """Times real time: result duration / wall time."""
        return self.result_duration_us / 1e6 / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "frames_encoded": self.frames_encoded,
                "frames_decoded": self.frames_decoded,
                "frames_unchanged": self.frames_unchanged,
                "result_duration_us": self.result_duration_us, "encoder": self.encoder,
                "seconds": round(self.seconds, 3), "speed_x_real_time": round(self.speed, 2),
                "kept": [list(k) for k in self.plan.kept],
                "boxes": [b.to_dict() for b in self.plan.boxes], "notes": self.notes}


def render_video(bundle_dir: str | Path, dest: str | Path,
                 kept_ranges: Iterable[tuple[int, int]],
                 redactions: Iterable[Redaction | dict[str, Any]] = (), *,
                 fill: Sequence[int] = DEFAULT_FILL, padding: int = DEFAULT_PADDING,
                 progress: Progress | None = None, preset: str | None = None,
                 crf: int | None = None, threads: int = 0) -> RenderResult:
    """Render the kept ranges of a recording with the redactions burned in, into ``dest``.

    Raises RenderError (bad input, nothing to render, full disk), BundleError (unreadable
    recording) or jobs.Cancelled; in every such case no file is left at ``dest`` (an existing
    one is left as it was) and no temporary file remains.
    """
    t_begin = time.perf_counter()
    progress = progress or Progress()
    fill_rgb = _check_fill(fill)
    plan = plan_render(bundle_dir, kept_ranges, redactions, padding=padding)
    dest = _check_dest(Path(dest), plan.bundle_dir)
    settings = encoder_settings(plan.manifest, preset, crf)
    fill_yuv = rgb_to_yuv(fill_rgb)
    width, height = plan.width, plan.height
    tl = plan.timeline
    # Box edges inside each kept range: the picture changes there even on a static screen.
    edges = sorted({t for b in plan.boxes if b.fill_rect is not None
                    for t in b.source_interval})
    src_pts = plan.source.pts
    total = sum(bisect_right(src_pts, k1) - bisect_right(src_pts, k0) + 1 for k0, k1 in tl.kept)
    progress.report(0, total, "Rendering")
    tmp = reserve_temp(dest)
    mux: Muxer | None = None
    source: FrameSource | None = None
    try:
        mux = Muxer(tmp, width, height, settings)
        source = FrameSource(plan.source.path, plan.source.keyframes, threads)
        out = _BurnIn(plan, mux, fill_yuv)
        _render_ranges(plan, source, out, edges, progress, total)
        stats = out.stats
        if stats["encoded"] == 0:
            raise RenderError(f"The kept ranges of {plan.bundle_dir} hold no video frame.",
                              "Keep a part of the recording that has video.")
        progress.check()
        mux.finish(tl.result_duration_us)
        muxed = mux.muxed
        mux = None
        _verify_output(tmp, muxed)
        progress.check()
        commit_temp(tmp, dest)
    except BaseException as exc:
        # Unlink first: closing the muxer then cannot complete the file (its faststart pass
        # reopens it by name) and costs nothing.
        with contextlib.suppress(OSError):
            tmp.unlink()
        if mux is not None:
            mux.abort()
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, (Cancelled, RenderError, BundleError)) or \
                not isinstance(exc, Exception):
            raise
        disk = _disk_error(exc, dest)
        if disk is not None:
            raise disk from exc
        raise RenderError(f"Rendering {plan.bundle_dir} failed: {exc}.",
                          "Nothing was written and the recording is unchanged; try again, "
                          "and report the problem if it persists.") from exc
    finally:
        if source is not None:
            source.close()
    progress.report(total, total, "Rendered")
    return RenderResult(dest, plan, stats["encoded"], source.decoded, stats["unchanged"],
                        tl.result_duration_us, settings, time.perf_counter() - t_begin,
                        out.output_pts)


class _BurnIn:
    """The frames of the result: each one copied, filled where a box is active, and encoded
    unless it is the same picture as the last one encoded."""

    def __init__(self, plan: RenderPlan, mux: Muxer, fill_yuv: tuple[int, int, int]) -> None:
        self.plan, self.mux, self.fill_yuv = plan, mux, fill_yuv
        self.last: tuple[np.ndarray, ...] | None = None
        self.stats = {"encoded": 0, "unchanged": 0}
        self.output_pts: list[int] = []

    def emit(self, t: int, frame: av.VideoFrame | None) -> None:
        """The picture on screen at source time ``t`` (``frame``; None: black)."""
        width, height = self.plan.width, self.plan.height
        # A fresh frame for the encoder: the decoded one is the decoder's reference
        # picture and must not be written to.  One copy per plane, then the fill.
        out = av.VideoFrame(width, height, "yuv420p")
        dst = plane_views(out)
        if frame is None:  # nothing recorded yet at this time: black
            for plane, v in zip(dst, (16, 128, 128), strict=True):
                plane[...] = v
        else:
            if frame.format.name != "yuv420p" or frame.width != width \
                    or frame.height != height:
                frame = frame.reformat(width=width, height=height, format="yuv420p")
            for d, src in zip(dst, plane_views(frame), strict=True):
                np.copyto(d, src)
        burn_planes(dst, self.plan.active_at_source(t), self.fill_yuv)
        if self.last is not None and all(np.array_equal(a, b)
                                         for a, b in zip(dst, self.last, strict=True)):
            self.stats["unchanged"] += 1
            return
        r = self.plan.timeline.to_result(t)
        assert r is not None
        self.mux.encode_frame(out, r)
        self.output_pts.append(r)
        self.last = dst
        self.stats["encoded"] += 1


def _render_ranges(plan: RenderPlan, source: FrameSource, out: _BurnIn, edges: list[int],
                   progress: Progress, total: int) -> None:
    """Every kept range in order: its first picture, each decoded frame that changed, and
    the picture at each box edge inside it (the fill changes there on a static screen)."""
    done = 0
    for k0, k1 in plan.timeline.kept:
        source.start_range(k0)
        todo = [t for t in edges[bisect_right(edges, k0):] if t < k1]
        todo.reverse()  # pop() from the end gives the earliest
        started = False
        while True:
            progress.check()
            f = source.next_frame()
            p = k1 if f is None else frame_pts(f)
            if f is not None and p <= k0:
                source.cur = f  # before the range: only the latest one matters
                continue
            if not started:
                out.emit(k0, source.cur)
                started = True
            while todo and todo[-1] < min(p, k1):
                out.emit(todo.pop(), source.cur)
            if f is None:
                break
            if p >= k1:
                source.ahead = f  # the next range may start here
                break
            source.cur = f
            if plan.changed.get(p, True):
                out.emit(p, f)
            else:
                out.stats["unchanged"] += 1  # a keep-alive repeat of the same picture
            done += 1
            if done % 16 == 0:
                progress.report(done, total, "Rendering")


def _verify_output(path: Path, expected_packets: int) -> None:
    """The written file is a whole MP4: its index lists every packet that was muxed."""
    try:
        with av.open(str(path)) as c:
            n = sum(1 for p in c.demux(c.streams.video[0]) if p.size)
    except av.error.FFmpegError as exc:
        raise RenderError(f"The rendered file could not be read back: {exc}.") from exc
    if n != expected_packets:
        raise RenderError(f"The rendered file holds {n} frames where {expected_packets} "
                          "were written.", "Check the free disk space and render again.")


# -- stills ------------------------------------------------------------------------------------
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CRITICAL = (b"IHDR", b"PLTE", b"IDAT", b"IEND")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk; raises ValueError on a malformed PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    out, off = [], len(PNG_SIGNATURE)
    while off < len(data):
        if off + 12 > len(data):
            raise ValueError("truncated chunk")
        n, kind = struct.unpack(">I4s", data[off:off + 8])
        payload = data[off + 8:off + 8 + n]
        (crc,) = struct.unpack(">I", data[off + 8 + n:off + 12 + n])
        if zlib.crc32(kind + payload) != crc:
            raise ValueError(f"bad CRC in chunk {kind!r}")
        out.append((kind, payload))
        off += 12 + n
        if kind == b"IEND":
            if off != len(data):
                raise ValueError(f"{len(data) - off} bytes after IEND")
            return out
    raise ValueError("no IEND chunk")


def strip_png(data: bytes) -> bytes:
    """Only the critical chunks (no text, time, colour profile or EXIF), nothing after IEND."""
    out = [PNG_SIGNATURE]
    for kind, payload in png_chunks(data):
        if kind in PNG_CRITICAL:
            out.append(struct.pack(">I", len(payload)) + kind + payload
                       + struct.pack(">I", zlib.crc32(kind + payload)))
    return b"".join(out)


def encode_png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise RenderError("A frame could not be encoded as PNG.")
    return strip_png(buf.tobytes())


def write_file_atomic(dest: Path, payload: bytes) -> None:
    """``atomic_write``, with a full disk or a read-only folder said in render's words."""
    try:
        atomic_write(dest, payload)
    except OSError as exc:
        disk = _disk_error(exc, dest)
        if disk is not None:
            raise disk from exc
        raise


@dataclass
class StillResult:
    path: Path
    t_us: int  # the time asked for (recording clock)
    frame_pts: int | None  # the stored frame shown then (None: nothing recorded yet: black)
    boxes: list[int]  # indexes of the redactions filled


def render_stills(bundle_dir: str | Path, stills: Sequence[tuple[int, str | Path]],
                  redactions: Iterable[Redaction | dict[str, Any]] = (), *,
                  fill: Sequence[int] = DEFAULT_FILL, padding: int = DEFAULT_PADDING,
                  progress: Progress | None = None) -> list[StillResult]:
    """Write the picture on screen at each ``(t_us, path)`` as a lossless PNG, redacted.

    The same boxes and times as ``render_video`` (a box applies at ``t_us`` when its grab
    interval holds it); the fill is the exact RGB colour.  Each PNG holds only IHDR/IDAT/IEND
    and is written atomically.  On an error or cancellation the stills already written stay
    (each is complete) and the one being written is not left behind.
    """
    from annotator.media.video import VideoReader

    progress = progress or Progress()
    fill_rgb = _check_fill(fill)
    reds = list(redactions)
    folder = Path(bundle_dir)
    # Kept ranges do not matter for stills: plan over the whole recording.
    plan = plan_render(folder, [(0, END_OF_TIME)], reds, padding=padding)
    order = sorted(range(len(stills)), key=lambda i: stills[i][0])
    results: list[StillResult | None] = [None] * len(stills)
    with VideoReader(plan.source.path) as reader:
        for n, i in enumerate(order):
            progress.check()
            t, path = int(stills[i][0]), _check_dest(Path(stills[i][1]), folder)
            f = reader.frame_at(t)
            if f is None:
                rgb = np.zeros((plan.height, plan.width, 3), np.uint8)
            else:
                rgb = np.ascontiguousarray(f.rgb)
            active = plan.active_at_source(t)
            burn_rgb(rgb, active, fill_rgb)
            write_file_atomic(path, encode_png(rgb))
            results[i] = StillResult(path, t, None if f is None else f.pts,
                                     [b.index for b in active])
            progress.report(n + 1, len(stills), "Writing step frames")
    return [r for r in results if r is not None]

"""What the team server measures in a package before it believes any of it.

Every figure that matters (duration, frames, steps, stills, image sizes, the active time
paid for) comes from the files, never from what the manifest says.  ``verify_package``
returns the ``Figures`` or raises ``VerificationFailed`` with a reason the contributor sees.

- **The video** (``probe_video``, PyAV): one stream, H.264 in MP4, the size ``steps.json``
  declares, within ``MAX_SIDE``/``MAX_PIXELS`` (read from the stream's parameters before any
  picture is decoded).  Every packet is demuxed (count, timestamps strictly increasing, the
  duration from the last packet's end), every keyframe is decoded (the stream decodes as
  H.264 of that size), and the container may hold little besides the packets (no hidden
  payload).
- **Images** (``image_size``): PNG step frames and JPEG thumbnails, their size read from the
  header first (refused over the limits without decoding), then decoded one at a time.  Step
  frames are the video's size; thumbnails no larger.
- **JSON** (steps, task, redactions): size, depth and number limits
  (``annotator.workflow.safejson``), the types of every field the exporters read.
- **Steps and stills**: the number of steps is ``steps.json``'s; every step's frame and
  thumbnail is a file of the package and every frame or thumbnail file is some step's (a
  package carries nothing nobody sees).
- **Claims**: the manifest's duration and step count, and ``steps.json``'s duration and frame
  size, must agree with the measured ones (duration within ``max(250 ms, 1 %)``, the rest
  exactly), or the package is refused saying which.
- **Pay** (``active_time``): the kept steps' span, counting only the moments within
  ``idle_cap`` of the last change on screen (a picture of the video: the renderer encodes
  one only when the screen changed) and within ``idle_cap`` of the last step event (a
  step's start or end).  One picture held for ten hours, or two steps ten hours apart, pay
  at most ``idle_cap`` for the wait.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from annotator.workflow import safejson
from annotator.workflow.errors import PackageError
from annotator.workflow.package import FileEntry, Package

MAX_SIDE = 8192
MAX_PIXELS = 7680 * 4320  # an 8K screen
MAX_STEPS = 20_000
MAX_PACKETS = 2_000_000
MAX_DURATION_US = 24 * 3600 * 1_000_000
MAX_JSON_BYTES = 16 << 20
DURATION_TOLERANCE_US = 250_000
DURATION_TOLERANCE = 0.01
IDLE_CAP_US = 30_000_000
STEPS_FORMAT = "annotator-package-steps"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class VerificationFailed(PackageError):
    """What the files hold does not back what the package claims, or breaks a limit."""


@dataclass(frozen=True)
class Figures:
    """What was measured.  ``active_us`` is what pay counts."""

    duration_us: int
    video_frames: int
    keyframes: int
    width: int
    height: int
    steps: int
    stills: int
    thumbnails: int
    active_us: int
    idle_cap_us: int

    def as_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class VideoProbe:
    codec: str
    width: int
    height: int
    pts_us: tuple[int, ...]  # every packet's start, in order
    end_us: int  # the last packet's end
    keyframes: int
    bytes_in_packets: int

    @property
    def duration_us(self) -> int:
        return self.end_us - (self.pts_us[0] if self.pts_us else 0)


def _fail(message: str, hint: str | None = None) -> VerificationFailed:
    return VerificationFailed(message, hint or "Render the package again in the app (it makes "
                              "every file this server checks), then submit it again.")


# -- images -------------------------------------------------------------------------------------
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's (width, height) from its header; (0, 0) if it is not a PNG."""
    if len(data) >= 24 and data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return w, h
    return 0, 0


def image_size(path: Path) -> tuple[str, int, int]:
    """(``png`` or ``jpeg``, width, height) from the file's header, nothing decoded."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if head.startswith(PNG_MAGIC):
            if len(head) < 24 or head[12:16] != b"IHDR":
                raise _fail(f"{path.name}: a PNG without its header (IHDR).")
            w, h = struct.unpack(">II", head[16:24])
            return "png", w, h
        if head.startswith(b"\xff\xd8"):
            fh.seek(2)
            for _ in range(1000):  # segments before the frame header
                marker = fh.read(2)
                while len(marker) == 2 and marker[0] == 0xFF and marker[1] == 0xFF:
                    marker = marker[1:] + fh.read(1)  # fill bytes
                if len(marker) < 2 or marker[0] != 0xFF:
                    break
                kind = marker[1]
                if kind in (0xD8, 0x01) or 0xD0 <= kind <= 0xD7:
                    continue
                raw = fh.read(2)
                if len(raw) < 2:
                    break
                length = struct.unpack(">H", raw)[0]
                if kind in _SOF:
                    seg = fh.read(5)
                    if len(seg) < 5:
                        break
                    h, w = struct.unpack(">HH", seg[1:5])
                    return "jpeg", w, h
                if kind == 0xDA or length < 2:
                    break
                fh.seek(length - 2, 1)
            raise _fail(f"{path.name}: a JPEG without a frame header.")
    raise _fail(f"{path.name} is neither a PNG nor a JPEG image.")


def check_image(path: Path, *, kind: str, max_w: int, max_h: int, exact: bool) -> None:
    """Header first (kind, size within the limits), then decode it (alone) to prove it is
    the picture its header says."""
    import cv2
    import numpy as np

    got, w, h = image_size(path)
    if got != kind:
        raise _fail(f"{path.name} is a {got.upper()} image; this place holds {kind.upper()}.")
    if w < 1 or h < 1 or w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise _fail(f"{path.name} is {w}x{h} pixels: over this server's limit "
                    f"({MAX_SIDE} a side, {MAX_PIXELS // 1_000_000} million pixels).")
    if (exact and (w, h) != (max_w, max_h)) or w > max_w or h > max_h:
        want = f"{max_w}x{max_h}" if exact else f"at most {max_w}x{max_h}"
        raise _fail(f"{path.name} is {w}x{h} pixels; the video's pictures are {max_w}x{max_h}, "
                    f"so it must be {want}.")
    img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None or img.shape[:2] != (h, w):
        raise _fail(f"{path.name} does not decode as the {w}x{h} {kind.upper()} its header "
                    "announces.")


def _why(exc: BaseException) -> str:
    """An FFmpeg error without the file's path (a server path means nothing to the
    contributor, and is none of their business)."""
    return f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or 'unreadable'}"


# -- the video ----------------------------------------------------------------------------------
def probe_video(path: Path, *, max_packets: int = MAX_PACKETS) -> VideoProbe:
    """Demux every packet and decode every keyframe of ``path`` (nothing else decoded)."""
    import av

    name = path.name
    try:
        container = av.open(str(path), options={"probesize": str(5 << 20)})
    except Exception as exc:  # noqa: BLE001 - any FFmpeg error: not a readable video
        raise _fail(f"{name} is not a readable video ({_why(exc)}).") from None
    with container:
        fmt = container.format.name or ""
        if "mp4" not in fmt.split(","):
            raise _fail(f"{name} is not an MP4 file (it is {fmt or 'unknown'}).")
        if len(container.streams) != 1 or not container.streams.video:
            kinds = ", ".join(s.type for s in container.streams) or "none"
            raise _fail(f"{name} must hold exactly one stream, a video; it holds: {kinds}.")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if ctx.name != "h264":
            raise _fail(f"{name} is {ctx.name} video; packages carry H.264.")
        w, h = ctx.width, ctx.height
        if w < 1 or h < 1 or w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
            raise _fail(f"{name} is {w}x{h} pixels: over this server's limit ({MAX_SIDE} a "
                        f"side, {MAX_PIXELS // 1_000_000} million pixels).")
        tb = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1_000_000)
        ctx.skip_frame = "NONKEY"
        pts_us: list[int] = []
        end_us = 0
        keyframes = 0
        size = 0
        try:
            for packet in container.demux(stream):
                if packet.size == 0 and packet.pts is None:
                    continue  # the demuxer's end marker
                if packet.pts is None:
                    raise _fail(f"{name}: packet {len(pts_us) + 1} has no time stamp.")
                t = int(packet.pts * tb * 1_000_000)
                if pts_us and t <= pts_us[-1]:
                    raise _fail(f"{name}: time stamps go backwards at packet "
                                f"{len(pts_us) + 1}.")
                if len(pts_us) >= max_packets:
                    raise _fail(f"{name} has more than {max_packets} pictures.")
                pts_us.append(t)
                end_us = t + max(0, int((packet.duration or 0) * tb * 1_000_000))
                size += packet.size
                if packet.is_keyframe:
                    for frame in ctx.decode(packet):
                        if (frame.width, frame.height) != (w, h):
                            raise _fail(f"{name}: a picture is {frame.width}x{frame.height}, "
                                        f"the stream says {w}x{h}.")
                        keyframes += 1
            for frame in ctx.decode(None):
                keyframes += 1 if (frame.width, frame.height) == (w, h) else 0
        except VerificationFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - corrupt stream
            raise _fail(f"{name} does not decode as H.264 ({_why(exc)}).") from None
    if not pts_us or keyframes < 1:
        raise _fail(f"{name} holds no picture that decodes.")
    return VideoProbe("h264", w, h, tuple(pts_us), max(end_us, pts_us[-1]), keyframes, size)


# -- steps and the pay rule ---------------------------------------------------------------------
def _measure(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _intersect(x: list[tuple[int, int]], y: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def active_time(steps: list[tuple[int, int]], frame_pts: tuple[int, ...] | list[int],
                end_us: int, idle_cap_us: int = IDLE_CAP_US) -> int:
    """Microseconds of active time: within the steps' span (first start to last end), the
    moments less than ``idle_cap_us`` after a change on screen (a frame) and less than
    ``idle_cap_us`` after a step event (a start or an end)."""
    if not steps:
        return 0
    span = [(min(s for s, _e in steps), max(e for _s, e in steps))]
    pts = sorted(frame_pts)
    screen = _measure(
        (p, min(pts[k + 1] if k + 1 < len(pts) else end_us, p + idle_cap_us))
        for k, p in enumerate(pts))
    events = sorted({t for s, e in steps for t in (s, e)})
    acting = _measure((t, t + idle_cap_us) for t in events)
    return sum(b - a for a, b in _intersect(_intersect(span, screen), acting))


_NUM = (int, float)
# The types of the step fields the exporters read (steps.json as the builder writes it).
STEP_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str, int), "type": (str,), "x": _NUM, "y": _NUM, "button": (str,), "path": (list,),
    "scroll_dx": _NUM, "scroll_dy": _NUM, "text": (str,), "text_masked": (bool,),
    "keys": (list,), "keys_masked": (bool,), "repeat": (int,), "duration_us": (int,),
    "terminal_status": (str,), "window_title": (str,), "window_app": (str,),
    "target": (dict,), "instruction": (str,), "thought": (str,), "mistake": (bool,),
    "redundant": (bool,), "flags": (list,), "merged_from": (list,), "split_of": (str, int),
    "observation": (dict,),
}
TASK_FIELDS: dict[str, tuple[type, ...]] = {
    "task_id": (int,), "goal": (str,), "outcome": (str,), "applications": (list,),
    "tags": (list,), "labels": (list,), "difficulty": (str, int),
}


def _typed(where: str, obj: Mapping[str, Any], fields: Mapping[str, tuple[type, ...]]) -> None:
    for key, types in fields.items():
        v = obj.get(key)
        if v is None:
            continue
        if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            raise _fail(f"{where}: {key!r} is {type(v).__name__}, not {names}.")


def _int_in(where: str, key: str, v: Any, lo: int, hi: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise _fail(f"{where}: {key!r} must be a whole number from {lo} to {hi}, not "
                    f"{str(v)[:40]}.")
    return v


def load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = safejson.loads(path.read_bytes(), max_bytes=MAX_JSON_BYTES)
    except safejson.JsonLimitError as exc:
        raise _fail(f"{path.name} ({what}) cannot be accepted: {exc}.") from None
    if not isinstance(data, dict):
        raise _fail(f"{path.name} ({what}) is not a JSON object.")
    return data


class PackageFiles(Protocol):
    """What measuring a package reads: its unpacked folder, its files, and the summary its
    manifest claims (a ``Package`` has them; so do a stored submission's files, copied out
    to be measured again)."""

    @property
    def folder(self) -> Path: ...

    @property
    def files(self) -> tuple[FileEntry, ...]: ...

    @property
    def summary(self) -> dict[str, Any]: ...


def _path_of(pkg: PackageFiles, role: str) -> str:
    return next(f.path for f in pkg.files if f.role == role)


def check_steps(doc: Mapping[str, Any], *, duration_us: int, frames: set[str],
                thumbs: set[str]) -> tuple[list[tuple[int, int]], int, int]:
    """The kept steps' (start, end) times; the frame size declared."""
    where = "steps.json"
    if doc.get("format") != STEPS_FORMAT:
        raise _fail(f"{where}: format {str(doc.get('format'))[:40]!r}, not {STEPS_FORMAT!r}.")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 1:
        raise _fail(f"{where}: unknown format_version {str(version)[:20]}.",
                    "Update annotator on this server, or render with the server's version.")
    frame = doc.get("frame")
    if not isinstance(frame, dict):
        raise _fail(f"{where}: 'frame' (the video's size) is missing.")
    fw = _int_in(where, "frame.width", frame.get("width"), 1, MAX_SIDE)
    fh = _int_in(where, "frame.height", frame.get("height"), 1, MAX_SIDE)
    steps = doc.get("steps")
    if not isinstance(steps, list):
        raise _fail(f"{where}: 'steps' is not a list.")
    if len(steps) > MAX_STEPS:
        raise _fail(f"{where} has {len(steps)} steps; this server takes up to {MAX_STEPS}.")
    tol = max(DURATION_TOLERANCE_US, int(duration_us * DURATION_TOLERANCE))
    limit = duration_us + tol
    spans: list[tuple[int, int]] = []
    seen_frames: set[str] = set()
    seen_thumbs: set[str] = set()
    for i, step in enumerate(steps):
        w = f"{where} step {i}"
        if not isinstance(step, dict):
            raise _fail(f"{w} is not an object.")
        _typed(w, step, STEP_FIELDS)
        if step.get("index") != i:
            raise _fail(f"{w}: 'index' is {str(step.get('index'))[:20]}, not {i}.")
        start = _int_in(w, "t_start_us", step.get("t_start_us"), 0, limit)
        end = _int_in(w, "t_end_us", step.get("t_end_us"), start, limit)
        spans.append((start, end))
        obs = step.get("observation")
        if not isinstance(obs, dict):
            raise _fail(f"{w}: 'observation' (its frame) is missing.")
        _int_in(w, "observation.t_us", obs.get("t_us"), 0, limit)
        f = obs.get("frame")
        if f not in frames:
            raise _fail(f"{w}: its frame {str(f)[:80]!r} is not a frame of the package.")
        seen_frames.add(f)
        t = obs.get("thumbnail")
        if t is not None:
            if t not in thumbs:
                raise _fail(f"{w}: its thumbnail {str(t)[:80]!r} is not in the package.")
            seen_thumbs.add(t)
        for key in ("keys", "flags"):
            v = step.get(key)
            if v is not None and not all(isinstance(x, str) for x in v):
                raise _fail(f"{w}: {key!r} must be a list of texts.")
        path = step.get("path")
        if path is not None and not all(
                isinstance(p, dict) and isinstance(p.get("x"), _NUM)
                and isinstance(p.get("y"), _NUM) for p in path):
            raise _fail(f"{w}: 'path' must be a list of points with x and y.")
    unused = sorted((frames - seen_frames) | (thumbs - seen_thumbs))
    if unused:
        raise _fail(f"The package holds pictures no step shows: {', '.join(unused[:5])}"
                    + (f" and {len(unused) - 5} more" if len(unused) > 5 else "") + ".")
    return spans, fw, fh


def measure_package(pkg: PackageFiles, *, idle_cap_us: int = IDLE_CAP_US
                    ) -> tuple[Figures, list[str]]:
    """Measure the package in ``pkg.folder``: its ``Figures``, and where its claims disagree
    with them (``VerificationFailed`` for what cannot be measured or breaks a limit)."""
    folder = pkg.folder
    video = probe_video(folder / _path_of(pkg, "video"))
    if video.duration_us > MAX_DURATION_US:
        raise _fail(f"The video lasts {video.duration_us / 3.6e9:.1f} hours; this server takes "
                    f"up to {MAX_DURATION_US / 3.6e9:.0f}.")
    overhead = (folder / _path_of(pkg, "video")).stat().st_size - video.bytes_in_packets
    if overhead > (64 << 10) + 64 * len(video.pts_us):
        raise _fail(f"The video file holds {overhead} bytes besides its pictures: more than an "
                    "MP4 index needs.", "Render the package again in the app; do not edit "
                    "its video.")
    frames = {f.path for f in pkg.files if f.role == "frame"}
    thumbs = {f.path for f in pkg.files if f.role == "thumbnail"}
    steps_doc = load_json(folder / _path_of(pkg, "steps"), "the steps")
    task_doc = load_json(folder / _path_of(pkg, "task"), "the task")
    _typed("task.json", task_doc, TASK_FIELDS)
    for key in ("applications", "tags", "labels"):
        v = task_doc.get(key)
        if v is not None and not all(isinstance(x, str) for x in v):
            raise _fail(f"task.json: {key!r} must be a list of texts.")
    load_json(folder / _path_of(pkg, "redactions"), "the redactions")
    spans, fw, fh = check_steps(steps_doc, duration_us=video.duration_us, frames=frames,
                                thumbs=thumbs)
    if (video.width, video.height) != (fw, fh):
        raise _fail(f"The video is {video.width}x{video.height}; steps.json says {fw}x{fh}.")
    for path in sorted(frames):  # one at a time
        check_image(folder / path, kind="png", max_w=fw, max_h=fh, exact=True)
    for path in sorted(thumbs):
        check_image(folder / path, kind="jpeg", max_w=fw, max_h=fh, exact=False)
    problems = []
    tol = max(DURATION_TOLERANCE_US, int(video.duration_us * DURATION_TOLERANCE))
    claims = [("The manifest", pkg.summary.get("duration_us"))]
    if "duration_us" in steps_doc:
        claims.append(("steps.json", steps_doc.get("duration_us")))
    for who, claimed in claims:
        if not isinstance(claimed, int) or abs(claimed - video.duration_us) > tol:
            problems.append(f"{who} says the video lasts {_secs(claimed)}; it lasts "
                            f"{_secs(video.duration_us)} (the tolerance is {tol / 1e6:.2f} s)")
    claimed_steps = pkg.summary.get("steps")
    if claimed_steps != len(spans):
        problems.append(f"The manifest says {str(claimed_steps)[:20]} steps; steps.json has "
                        f"{len(spans)}")
    figures = Figures(duration_us=video.duration_us, video_frames=len(video.pts_us),
                      keyframes=video.keyframes, width=fw, height=fh, steps=len(spans),
                      stills=len(frames), thumbnails=len(thumbs),
                      active_us=active_time(spans, video.pts_us, video.end_us, idle_cap_us),
                      idle_cap_us=idle_cap_us)
    return figures, problems


def verify_package(pkg: Package, *, idle_cap_us: int = IDLE_CAP_US) -> Figures:
    """``measure_package``, refusing a package whose claims disagree with its files."""
    figures, problems = measure_package(pkg, idle_cap_us=idle_cap_us)
    if problems:
        raise _fail(problems[0] + ".", "Render the package again in the app (its figures are "
                    "measured from its files here), then submit it again.")
    return figures


def _secs(us: Any) -> str:
    return f"{us / 1e6:.2f} s" if isinstance(us, int) and not isinstance(us, bool) \
        else repr(us)[:40]

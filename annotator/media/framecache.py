"""A cache of the exact frames the editor jumps to most: each step's observation frame.

Decoding a frame of a long-GOP H.264 video means decoding from the keyframe before it (up to
150 frames); the editor must show a step's frame at once.  The cache decodes every wanted
frame in one forward pass in the background and keeps each as a lossless PNG (compression
level 1 and no row filter: a 1080p screen reads back in about 10 ms, where PNG's adaptive
filters cost 3-5 times that) under ``cache/frames/`` in the bundle, which is derived data and
can be deleted at any time.  Pixels read back are identical to the decoded frame.  Beside each
frame goes its step-list thumbnail (``cache/thumbs/``, 128 pixels wide), so that the editor
never decodes a full frame to show a thumbnail.

Beside them, the index of the stored frames' times (``cache/stored-pts.npz``), which the
editor steps through frame by frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np

from annotator.bundle import schema
from annotator.errors import AnnotatorError
from annotator.fsutil import atomic_file, atomic_path
from annotator.jobs import Progress
from annotator.media.video import VideoReader
from annotator.steps.fastread import read_frames

CACHE_DIR = "cache/frames"
LIBRARY_THUMB = "cache/library-thumb.png"  # the recording's picture in the library
THUMBS_DIR = "cache/thumbs"
THUMB_WIDTH = 128
# No PNG row filter: decoding skips the unfiltering pass (the files are about as small for
# screen content).  OpenCV before 4.11 has no such flag and writes its default filters.
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1] + (
    [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]
    if hasattr(cv2, "IMWRITE_PNG_FILTER") else [])


def cache_path(bundle: Path, pts: int) -> Path:
    return bundle / CACHE_DIR / f"{pts}.png"


def thumb_path(bundle: Path, pts: int) -> Path:
    return bundle / THUMBS_DIR / f"{pts}.png"


def make_thumb(rgb: np.ndarray) -> np.ndarray:
    """The step-list thumbnail of a frame: every n-th pixel, about THUMB_WIDTH wide."""
    step = max(1, rgb.shape[1] // THUMB_WIDTH)
    return np.ascontiguousarray(rgb[::step, ::step])


def cached(bundle: Path, pts: int) -> bool:
    return cache_path(bundle, pts).is_file()


def read_cached(bundle: Path, pts: int) -> np.ndarray | None:
    """The cached RGB frame at exactly ``pts``, or None."""
    path = cache_path(bundle, pts)
    if not path.is_file():
        return None
    data = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if data is None:
        return None
    return cv2.cvtColor(data, cv2.COLOR_BGR2RGB)


def read_thumb(bundle: Path, pts: int) -> np.ndarray | None:
    """The cached RGB thumbnail of the frame at exactly ``pts``, or None."""
    path = thumb_path(bundle, pts)
    if not path.is_file():  # OpenCV would log a warning for each missing file
        return None
    data = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if data is None:
        return None
    return cv2.cvtColor(data, cv2.COLOR_BGR2RGB)


def _write_png(target: Path, rgb: np.ndarray, *, mkdir: bool = False) -> bool:
    try:
        if mkdir:
            target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target, durable=False) as tmp:  # a cache: made again if lost
            if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), _PNG_PARAMS):
                raise OSError(f"OpenCV could not write {tmp}")
    except OSError:
        return False
    return True


def build_frame_cache(bundle: Path, video: Path, pts_list: list[int],
                      progress: Progress | None = None) -> int:
    """Decode and store every frame in ``pts_list`` not cached yet (frame or thumbnail).
    Returns how many frames were written.  Cancellable through ``progress``; a cancelled
    build leaves only whole files."""
    progress = progress or Progress()
    folder = bundle / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (bundle / THUMBS_DIR).mkdir(parents=True, exist_ok=True)
    todo = sorted({p for p in pts_list
                   if not cached(bundle, p) or not thumb_path(bundle, p).is_file()})
    total = len(todo)
    written = 0
    if not todo:
        progress.report(0, 0, "frame cache ready")
        return 0
    with VideoReader(video) as reader:
        for i, frame in enumerate(reader.frames_at(todo, cancel=progress.event)):
            pts = int(frame.pts)
            thumb = thumb_path(bundle, pts)
            if not thumb.exists():
                _write_png(thumb, make_thumb(frame.rgb))
            target = cache_path(bundle, pts)
            if not target.exists() and _write_png(target, frame.rgb):
                written += 1
            progress.report(i + 1, total, "caching step frames")
    return written


def recording_thumbnail(folder: Path) -> np.ndarray | None:
    """A small RGB picture of the recording (a frame a third of the way in), made once and
    kept in its cache; None without a readable video."""
    path = folder / LIBRARY_THUMB
    img = cv2.imread(str(path)) if path.is_file() else None
    if img is not None:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    try:
        with VideoReader(folder / "video.mp4") as r:
            pts = r.all_pts()
            if not pts:
                return None
            f = r.frame_at(pts[min(len(pts) - 1, len(pts) // 3)])
    except (AnnotatorError, OSError):
        return None
    if f is None:
        return None
    h, w, _ = f.rgb.shape
    small = cv2.resize(f.rgb, (160, max(1, int(160 * h / w))), interpolation=cv2.INTER_AREA)
    _write_png(path, small, mkdir=True)  # a read-only workspace: shown all the same
    return small


# -- the stored frames' index ----------------------------------------------------------------
# The pts of every stored frame, kept beside the frame cache: reading them from an hour's
# frames.jsonl (100,000 lines) costs about 0.4 s, loading this file about 1 ms.  Derived
# data like the rest of cache/: keyed by frames.jsonl's size and mtime, deleted at will.
INDEX_FILE = "cache/stored-pts.npz"


def _index_key(folder: Path) -> np.ndarray | None:
    try:
        index = folder / schema.FRAME_INDEX
        st = (index if index.exists() else folder / schema.FRAMES).stat()
    except OSError:
        return None
    return np.array([st.st_size, st.st_mtime_ns], np.int64)


def read_stored_pts_cached(folder: Path) -> list[int] | None:
    """The stored frames' pts from the index file, or None if it is missing or stale."""
    key = _index_key(folder)
    try:
        with np.load(folder / INDEX_FILE) as z:
            if key is None or not np.array_equal(z["key"], key):
                return None
            return cast(list[int], z["pts"].tolist())
    except (OSError, ValueError, KeyError):
        return None


def write_stored_pts(folder: Path, pts: list[int]) -> None:
    """Keep the index for the next open (atomic; a read-only folder just goes without)."""
    key = _index_key(folder)
    if key is None:
        return
    target = folder / INDEX_FILE
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(target, durable=False) as f:  # a cache: made again if lost
            np.savez(f, key=key, pts=np.asarray(pts, np.int64))
    except OSError:
        pass


def stored_pts(folder: Path, frame_index: tuple[np.ndarray, ...] | None = None
               ) -> list[int] | None:
    """The stored frames' pts if they are at hand: from ``frame_index`` (the
    ``(t, pts, stored, changed)`` arrays the steps were just derived from; kept for the next
    open), else from the kept index; None when they must be read (``read_stored_pts``)."""
    if frame_index is not None:
        _t, pts, mask, _changed = frame_index
        out = cast(list[int], pts[mask].tolist())
        write_stored_pts(folder, out)
        return out
    return read_stored_pts_cached(folder)


def read_stored_pts(folder: Path) -> list[int]:
    """The stored frames' pts, in time order, read from the frame index (slow on long
    version-1 recordings: the window does this on a worker thread), and kept for the next
    open."""
    manifest = schema.read_manifest(folder)
    _t, pts, stored, _changed, _report = read_frames(folder, manifest)
    out = cast(list[int], pts[stored].tolist())
    write_stored_pts(folder, out)
    return out


def step_frames(steps: Iterable[Any]) -> list[int]:
    """The pts of the frames steps show (each one's observation and result frame), sorted
    and once each: what the editor's frame cache holds."""
    wanted: set[int] = set()
    for s in steps:
        for pts in (s.obs_pts, s.result_pts):
            if pts is not None:
                wanted.add(int(pts))
    return sorted(wanted)

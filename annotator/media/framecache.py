"""A cache of the exact frames the editor jumps to most: each step's observation frame.

Decoding a frame of a long-GOP H.264 video means decoding from the keyframe before it (up to
150 frames); the editor must show a step's frame at once.  The cache decodes every wanted
frame in one forward pass in the background and keeps each as a lossless PNG (compression
level 1 and no row filter: a 1080p screen reads back in about 10 ms, where PNG's adaptive
filters cost 3-5 times that) under ``cache/frames/`` in the bundle, which is derived data and
can be deleted at any time.  Pixels read back are identical to the decoded frame.  Beside each
frame goes its step-list thumbnail (``cache/thumbs/``, 128 pixels wide), so that the editor
never decodes a full frame to show a thumbnail.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from annotator.fsutil import atomic_path
from annotator.jobs import Progress
from annotator.media.video import VideoReader

CACHE_DIR = "cache/frames"
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


def _write_png(target: Path, rgb: np.ndarray) -> bool:
    try:
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
            target = cache_path(bundle, frame.pts)
            if not target.exists() and _write_png(target, frame.rgb):
                written += 1
            thumb = thumb_path(bundle, frame.pts)
            if not thumb.exists():
                _write_png(thumb, make_thumb(frame.rgb))
            progress.report(i + 1, total, "caching step frames")
    return written

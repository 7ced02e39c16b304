"""A cache of the exact frames the editor jumps to most: each step's observation frame.

Decoding a frame of a long-GOP H.264 video means decoding from the keyframe before it (up to
150 frames); the editor must show a step's frame at once.  The cache decodes every wanted
frame in one forward pass in the background and keeps each as a lossless PNG (compression
level 1: fast to write and read) under ``cache/frames/`` in the bundle, which is derived data
and can be deleted at any time.  Pixels read back are identical to the decoded frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from annotator.jobs import Progress
from annotator.media.video import VideoReader

CACHE_DIR = "cache/frames"


def cache_path(bundle: Path, pts: int) -> Path:
    return bundle / CACHE_DIR / f"{pts}.png"


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


def build_frame_cache(bundle: Path, video: Path, pts_list: list[int],
                      progress: Progress | None = None) -> int:
    """Decode and store every frame in ``pts_list`` not cached yet.  Returns how many were
    written.  Cancellable through ``progress``; a cancelled build leaves only whole files."""
    progress = progress or Progress()
    folder = bundle / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    todo = sorted({p for p in pts_list if not cached(bundle, p)})
    total = len(todo)
    written = 0
    if not todo:
        progress.report(0, 0, "frame cache ready")
        return 0
    with VideoReader(video) as reader:
        for i, frame in enumerate(reader.frames_at(todo, cancel=progress.event)):
            target = cache_path(bundle, frame.pts)
            if not target.exists():
                tmp = target.with_name(f".{target.name}.tmp.png")
                ok = cv2.imwrite(str(tmp), cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR),
                                 [cv2.IMWRITE_PNG_COMPRESSION, 1])
                if ok:
                    os.replace(tmp, target)
                    written += 1
            progress.report(i + 1, total, "caching step frames")
    return written

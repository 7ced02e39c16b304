"""Observation-frame images for the editor: decoded once, in one forward pass over the video,
and cached as small JPEGs in the bundle's ``thumbs/`` folder (derived data, safe to delete).

The frame index's ``pts`` equal the video's pts exactly (docs/bundle-format.md), so a step's
``obs_pts`` names its frame with no search.  Decoding runs forward; over a gap of more than
``SEEK_GAP_US`` between wanted frames it seeks to the keyframe before the next one instead
(keyframes every 150 frames, so a seek decodes at most that many).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from annotator.fsutil import atomic_write
from annotator.steps.store import StepsDocument, StepsError

if TYPE_CHECKING:
    import av

THUMBS_DIR = "thumbs"
SEEK_GAP_US = 10_000_000


def decode_frames(video: str | Path, wanted_pts: Iterable[int], *,
                  max_side: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(pts, RGB image)`` for each wanted pts (µs) found in ``video``, in pts order,
    scaled down to at most ``max_side`` pixels on the longer side if given."""
    import av

    wanted = sorted(set(int(p) for p in wanted_pts if p is not None and p >= 0))
    if not wanted:
        return
    try:
        container = av.open(str(video))
    except (OSError, av.FFmpegError) as exc:
        raise StepsError(f"The video {video} cannot be opened: {exc}.",
                         "Run `annotator recover` on the recording folder.") from exc
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.time_base is None:
            raise StepsError(f"The video {video} has no time base.",
                             "Run `annotator recover` on the recording folder.")
        tb = float(stream.time_base)
        to_us = (lambda p: int(p)) if stream.time_base == 1 / 1_000_000 \
            else (lambda p: round(p * tb * 1e6))
        i = 0
        seek_ok = True
        at = -1  # pts of the last decoded frame
        while i < len(wanted):
            target = wanted[i]
            sought = False
            if seek_ok and target - at > SEEK_GAP_US:
                container.seek(int(target / tb / 1e6), stream=stream, backward=True)
                sought = True
            first = True
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                p = to_us(frame.pts)
                if first and sought and p > target:
                    # The demuxer overshot (no index to seek with): decode from the start.
                    seek_ok = False
                    container.seek(0, stream=stream, backward=True)
                    break
                first = False
                at = p
                while i < len(wanted) and wanted[i] < p:
                    i += 1  # not in the video (cut off by a crash): skipped
                if i < len(wanted) and wanted[i] == p:
                    yield p, _to_rgb(frame, max_side)
                    i += 1
                # Seek again for a far target, but never before the one sought for is
                # reached: a seek lands on the keyframe before it, which may lie far back
                # (a sparse video has few), and seeking again from there would land there
                # again, for ever.
                if i >= len(wanted) or (seek_ok and wanted[i] - p > SEEK_GAP_US
                                        and not (sought and p < target)):
                    break
            else:
                return  # end of the video


def _to_rgb(frame: av.VideoFrame, max_side: int | None) -> np.ndarray:
    w, h = frame.width, frame.height
    if max_side and max(w, h) > max_side:
        f = max_side / max(w, h)
        w, h = max(2, round(w * f)), max(2, round(h * f))
        return np.asarray(frame.reformat(width=w, height=h, format="rgb24",
                                         interpolation="AREA").to_ndarray())
    return np.asarray(frame.to_ndarray(format="rgb24"))


def thumb_path(bundle_dir: str | Path, pts: int) -> Path:
    return Path(bundle_dir) / THUMBS_DIR / f"{int(pts)}.jpg"


def write_thumbnails(bundle_dir: str | Path, doc: StepsDocument, *, max_side: int = 320,
                     quality: int = 80, video: str | Path | None = None) -> dict[int, Path]:
    """Make sure every observation frame of ``doc`` has a JPEG thumbnail in ``thumbs/``;
    return ``{obs_pts: path}``.  Thumbnails already there are not decoded again."""
    import cv2

    folder = Path(bundle_dir) / THUMBS_DIR
    wanted = sorted({s.obs_pts for s in doc.steps if s.obs_pts is not None})
    out = {p: thumb_path(bundle_dir, p) for p in wanted}
    missing = [p for p in wanted if not out[p].is_file()]
    if missing:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StepsError(f"Cannot create {folder}: {exc.strerror or exc}.",
                             "Check that the recording folder is yours and writable.") from exc
        video = Path(video) if video else Path(bundle_dir) / "video.mp4"
        for pts, img in decode_frames(video, missing, max_side=max_side):
            ok, data = cv2.imencode(".jpg", img[:, :, ::-1],
                                    [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
            if ok:
                atomic_write(out[pts], data.tobytes(), durable=False)  # a cache
    return {p: path for p, path in out.items() if path.is_file()}



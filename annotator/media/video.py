"""Frame-accurate access to a bundle's video with PyAV.

Frames are addressed by pts (= capture time in µs).  ``frame_at(pts)`` returns the frame on
screen at that time: the last frame whose pts is <= the one asked for.  Seeking goes back to
the keyframe before the target and decodes forward (exact on variable-frame-rate H.264,
where OpenCV's seeking is not); reading forward from the last position skips the seek, so
playback and small steps are cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from annotator.errors import BundleError


@dataclass
class DecodedFrame:
    pts: int
    rgb: np.ndarray  # (H, W, 3) uint8


def _pts(frame: av.VideoFrame) -> int:
    assert frame.pts is not None  # frames without a pts are skipped as they are decoded
    return int(frame.pts)


class VideoReader:
    """Not thread-safe: use one reader per thread (each holds its own decoder)."""

    def __init__(self, path: str | Path, threads: int = 0) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise BundleError(f"The video {self.path} is missing.",
                              "The recording's steps and events can still be read; "
                              "re-record if you need the video.")
        try:
            self._c = av.open(str(self.path))
        except av.error.FFmpegError as exc:
            raise BundleError(
                f"The video {self.path} cannot be read: {exc}.",
                f"If the recording was cut off, run `annotator recover {self.path.parent}`.",
            ) from exc
        if not self._c.streams.video:
            self._c.close()
            raise BundleError(f"The video {self.path} has no video stream.")
        self._s = self._c.streams.video[0]
        self._s.thread_type = "AUTO"
        if threads:
            self._s.codec_context.thread_count = threads
        self.width = self._s.codec_context.width
        self.height = self._s.codec_context.height
        self._iter: Iterator[av.VideoFrame] | None = None
        self._last: av.VideoFrame | None = None  # last frame decoded
        self._pending: av.VideoFrame | None = None  # decoded but past the last target
        self.seeks = 0

    def close(self) -> None:
        self._c.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _frames(self) -> Iterator[av.VideoFrame]:
        try:
            yield from self._c.decode(self._s)
        except av.error.FFmpegError:
            return  # a truncated tail: what was decoded stands

    def _seek(self, pts: int) -> None:
        self._c.seek(max(0, pts), backward=True, any_frame=False, stream=self._s)
        self._iter = self._frames()
        self._last = None
        self._pending = None
        self.seeks += 1

    def frame_at(self, pts: int) -> DecodedFrame | None:
        """The frame on screen at ``pts``: the last frame with frame.pts <= pts."""
        frame = self._decode_to(pts)
        if frame is None:
            return None
        return DecodedFrame(_pts(frame), frame.to_ndarray(format="rgb24"))

    def _decode_to(self, pts: int) -> av.VideoFrame | None:
        # Forward from where we are if the target is ahead and close; otherwise seek.
        behind = self._last is not None and pts < _pts(self._last)
        if self._iter is None or behind or (
            self._last is not None and pts - _pts(self._last) > 10_000_000
        ):
            self._seek(pts)
        if self._pending is not None:
            if _pts(self._pending) > pts:
                if self._last is not None:
                    return self._last
                self._seek(pts)
            else:
                self._last, self._pending = self._pending, None
        assert self._iter is not None
        for frame in self._iter:
            if frame.pts is None:
                continue
            if frame.pts > pts:
                self._pending = frame
                return self._last  # None if the target is before the first frame
            self._last = frame
        return self._last

    def frames_at(self, pts_list: list[int], cancel: threading.Event | None = None
                  ) -> Iterator[DecodedFrame]:
        """Yield the frames on screen at each pts, in ascending order, in one forward pass."""
        for pts in sorted(set(pts_list)):
            if cancel is not None and cancel.is_set():
                return
            f = self.frame_at(pts)
            if f is not None:
                yield f

    def all_pts(self) -> list[int]:
        """Every frame's pts, from the container's packets (no decoding)."""
        with av.open(str(self.path)) as c:
            s = c.streams.video[0]
            return sorted(p.pts for p in c.demux(s) if p.pts is not None)

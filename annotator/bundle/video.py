"""H.264 encoding of captured frames with PyAV, variable frame rate, crash-tolerant.

Choices (see docs/bundle-format.md, "video"):
- Fragmented MP4 (``delay_moov`` + 0.5 s fragments; with ``empty_moov`` the muxer would
  shift every pts so that the first is 0, and pts would no longer equal capture times): a crash loses at most the fragment
  being written; everything before it stays decodable after ``annotator recover``.  Short
  fragments bound the loss instead of frequent keyframes, which cost about 8x the size.
- Each frame's pts is its capture time in microseconds (time base 1/1000000), so the video
  is variable frame rate and unchanged screens need not be stored.
- No B-frames: with B-frames, fragmented MP4 shifts every pts by the reorder delay; without
  them the pts read back equal the capture times exactly.
- No encoder delay (``X264_PARAMS``: no lookahead, slice threads instead of frame
  threads): each frame comes out of x264 as soon as it goes in, so a change reaches the file
  with its fragment and one repeated frame half a second later closes that fragment
  (``FRAGMENT_CLOSE_US``).  With x264's default 6-frame delay a change needed about ten
  repeats to reach the disk, each costing as much CPU as a real frame.
- ``force-cfr``: rate control by frame count, not by timestamps.  With our variable frame
  rate, x264 otherwise gives a frame shown for long (a quiet screen) more bits.
- Screen content (``SCREEN_PARAMS``, every preset but ultrafast), chosen by measurement on
  the frames our recorder stored from five workloads (an editor, a notes app, a
  spreadsheet, a scrolled document, typical UI), against the settings before:
  ``subme=0`` (whole-pixel motion: screen content moves by whole pixels; it spares x264 the
  half-pixel interpolation of every reference frame, about 3.5 of 8.6 ms of CPU for a
  1080p frame that did not change), ``me=umh:merange=64`` (a scroll is found as motion:
  up to 0.5x the size on a scrolled document), ``threads=1`` (one slice: no thread
  hand-over per frame, and slices cost bits).  x264's CPU 0.62-0.68x, size 0.52-0.97x,
  SSIM against the source within -0.00007..+0.00042.  Ultrafast (the full-motion preset)
  keeps x264's own choices (whole-pixel diamond search already) and slice threads, which
  hold 30 frames a second of full-screen change.
"""

from __future__ import annotations

import fractions
import os
from pathlib import Path

import av
import numpy as np

TIME_BASE = fractions.Fraction(1, 1_000_000)
FRAG_DURATION_US = 500_000
# A repeat of the last frame this long after it, if nothing changed since, closes its
# fragment (the muxer writes a fragment when a packet past its duration arrives).
FRAGMENT_CLOSE_US = FRAG_DURATION_US + 50_000
X264_PARAMS = "bframes=0:rc-lookahead=0:sync-lookahead=0:mbtree=0:sliced-threads=1:force-cfr=1"
SCREEN_PARAMS = "threads=1:subme=0:me=umh:merange=64"


def x264_params(preset: str) -> str:
    """The x264 options for ``preset`` (see the module's docstring)."""
    return X264_PARAMS if preset == "ultrafast" else f"{X264_PARAMS}:{SCREEN_PARAMS}"


class VideoEncoder:
    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        *,
        fps: float,
        preset: str = "veryfast",
        crf: int = 23,
        gop: int = 150,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError("width and height must be even for yuv420p")
        self.path = path
        self.width, self.height = width, height
        self.settings = {
            "codec": "h264",
            "encoder": "libx264",
            "preset": preset,
            "crf": crf,
            "gop_frames": gop,
            "bframes": 0,
            "rc_lookahead": 0,
            "x264_params": x264_params(preset),
            "pix_fmt": "yuv420p",
            "container": "mp4 (fragmented: delay_moov, default_base_moof)",
            "frag_duration_us": FRAG_DURATION_US,
            "time_base": "1/1000000",
            "width": width,
            "height": height,
        }
        # Create the file first so it is readable by the contributor only (FFmpeg keeps the mode).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        self._out = av.open(
            str(path),
            "w",
            format="mp4",
            options={
                "movflags": "delay_moov+default_base_moof",
                "frag_duration": str(FRAG_DURATION_US),
                # The edit list that keeps the first pts is in movie time units: make them µs
                # too, or every pts is off by the first pts' sub-millisecond part.
                "movie_timescale": "1000000",
                # Hand each finished fragment to the OS at once; FFmpeg's I/O buffer would
                # otherwise hold up to 256 KB, many seconds of a quiet screen.
                "flush_packets": "1",
            },
        )
        self._stream = self._out.add_stream("libx264", rate=max(1, round(fps)))
        self._stream.width = width
        self._stream.height = height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = TIME_BASE
        self._stream.codec_context.time_base = TIME_BASE
        self._stream.options = {
            "preset": preset,
            "crf": str(crf),
            "g": str(gop),
            "x264-params": x264_params(preset),
        }
        # x264 opened (its threads and buffers made) and the header written now, not at the
        # first frame: the recorder's capture clock is not running yet.
        self._out.start_encoding()
        self.frames = 0
        self.bytes_hint = 0
        self._last_pts = -1

    def encode_i420(self, yuv: np.ndarray, pts_us: int) -> None:
        """Encode one frame given as an I420 plane stack (H*3/2, W) at ``pts_us``."""
        if pts_us <= self._last_pts:
            pts_us = self._last_pts + 1  # pts must increase strictly
        # Wrapped, not copied (a copy into a new buffer: 1.25 ms of CPU at 1080p): the
        # array is not written to again (the recorder converts each frame into a new one),
        # and x264 copies the picture before encode() returns.
        frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(yuv), format="yuv420p")
        frame.pts = pts_us
        frame.time_base = TIME_BASE
        for packet in self._stream.encode(frame):
            self._out.mux(packet)
        self._last_pts = pts_us
        self.frames += 1

    def close(self) -> None:
        try:
            for packet in self._stream.encode(None):
                self._out.mux(packet)
        finally:
            self._out.close()

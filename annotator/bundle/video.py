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
            "x264_params": X264_PARAMS,
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
            "x264-params": X264_PARAMS,
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
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
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

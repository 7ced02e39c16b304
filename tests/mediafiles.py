"""Real media for test and benchmark packages, in the renderer's forms
(annotator/media/render.py, annotator/submission/builder.py): H.264 (libx264, yuv420p, no
B-frames) in MP4 with a microsecond clock and variable frame rate, lossless PNG step frames
at the video's size, JPEG thumbnails.  The team server verifies every one of them
(annotator/server/verify.py), so packages made of random bytes no longer get in."""

from __future__ import annotations

import io
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

TIME_BASE = Fraction(1, 1_000_000)


def screen(width: int, height: int, seed: int, n: int = 0) -> np.ndarray:
    """A screen-like RGB picture: a flat desktop, a window, rows of 'text', unique per
    (seed, n)."""
    rng = np.random.default_rng([seed, n])
    img = np.empty((height, width, 3), np.uint8)
    img[:] = rng.integers(40, 90, 3, dtype=np.uint8)
    x0, y0 = width // 8, height // 8
    x1, y1 = width - width // 8, height - height // 8
    img[y0:y1, x0:x1] = 235
    img[y0:y0 + max(2, height // 20), x0:x1] = rng.integers(60, 200, 3, dtype=np.uint8)
    row = max(3, height // 30)
    for y in range(y0 + 3 * row, y1 - row, 2 * row):
        length = int(rng.integers((x1 - x0) // 4, x1 - x0 - 4))
        img[y:y + row // 2 + 1, x0 + 4:x0 + 4 + length] = rng.integers(0, 80, 3,
                                                                        dtype=np.uint8)
    return img


def noise(width: int, height: int, seed: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, n, 7]).integers(0, 256, (height, width, 3), np.uint8)


def write_video(path: Path, frames: Iterable[tuple[int, np.ndarray]], end_us: int, *,
                lossless: bool = False, gop: int = 150, clock_hz: int = 1_000_000) -> Path:
    """Encode (pts in µs, RGB picture) pairs; the last frame lasts until ``end_us``.  The
    renderer's clock is 1 MHz (a picture then lasts at most 35 minutes in MP4); a coarser
    ``clock_hz`` holds one longer."""
    frames = [(pts * clock_hz // 1_000_000, rgb) for pts, rgb in frames]
    end_us = end_us * clock_hz // 1_000_000
    tb = Fraction(1, clock_hz)
    h, w = frames[0][1].shape[:2]
    with av.open(str(path), "w", format="mp4",
                 options={"movie_timescale": str(clock_hz)}) as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.time_base = tb
        s.codec_context.time_base = tb
        s.options = {"preset": "ultrafast", "g": str(gop), "x264-params": "bframes=0",
                     **({"qp": "0"} if lossless else {"crf": "23"})}
        pending: list[av.Packet] = []

        def mux(packets: Iterable[av.Packet]) -> None:
            for p in packets:
                if pending:
                    prev = pending.pop()
                    prev.duration = max(1, int(p.pts) - int(prev.pts))
                    out.mux(prev)
                pending.append(p)

        for pts, rgb in frames:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = pts
            frame.time_base = tb
            mux(s.encode(frame))
        mux(s.encode(None))
        if pending:
            last = pending.pop()
            last.duration = max(1, end_us - int(last.pts))
            out.mux(last)
    return path


def png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def jpeg_bytes(rgb: np.ndarray, max_side: int = 160) -> bytes:
    img = Image.fromarray(rgb)
    img.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue()

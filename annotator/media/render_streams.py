"""The burn-in render's two ends: the recording's frames decoded ahead on a thread of their
own (``FrameSource``), and the encoder and MP4 muxer the result goes into (``Muxer``), with
the encoder settings they share with the recorder.
"""

from __future__ import annotations

import contextlib
import fractions
import queue
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import av
import numpy as np

TIME_BASE = fractions.Fraction(1, 1_000_000)
# The recorder's settings (annotator.bundle.video.VideoEncoder), used when the manifest
# does not say.  B-frames stay off so that the pts written are the pts read back.
DEFAULT_PRESET = "veryfast"
DEFAULT_CRF = 23
DEFAULT_GOP = 150
DEFAULT_FPS = 30


def encoder_settings(manifest: dict[str, Any], preset: str | None, crf: int | None
                      ) -> dict[str, Any]:
    video = manifest.get("video") or {}
    fps = (manifest.get("capture") or {}).get("fps_requested") or DEFAULT_FPS
    return {"encoder": "libx264", "preset": preset or video.get("preset") or DEFAULT_PRESET,
            "crf": int(crf if crf is not None else video.get("crf", DEFAULT_CRF)),
            "gop_frames": int(video.get("gop_frames") or DEFAULT_GOP), "bframes": 0,
            "pix_fmt": "yuv420p", "fps_nominal": max(1, round(float(fps))),
            "container": "mp4 (faststart)", "time_base": "1/1000000"}


def frame_pts(item: av.Packet[Any] | av.VideoFrame) -> int:
    """A packet's or frame's pts: the encoder sets every frame's, the decoder's are the
    file's (a frame without one would be a broken file, not a frame to place at 0)."""
    if item.pts is None:
        raise ValueError("a video frame without a timestamp")
    return int(item.pts)


class Muxer:
    """Encoder + SEI filter + MP4 muxer; packet durations set so the file ends on time."""

    def __init__(self, path: Path, width: int, height: int, settings: dict[str, Any]) -> None:
        self.out = av.open(str(path), "w", format="mp4", options={
            "movflags": "+faststart",
            "movie_timescale": "1000000",
            "fflags": "+bitexact",  # no "Lavf<version>" encoder string
        })
        s = self.out.add_stream("libx264", rate=settings["fps_nominal"])
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.time_base = TIME_BASE
        s.codec_context.time_base = TIME_BASE
        s.options = {"preset": settings["preset"], "crf": str(settings["crf"]),
                     "g": str(settings["gop_frames"]), "x264-params": "bframes=0"}
        self.stream = s
        self.bsf: av.BitStreamFilterContext | None = None
        self.pending: av.Packet[Any] | None = None
        self.muxed = 0
        self.last_pts = -1

    def _mux(self, packets: Iterable[av.Packet[Any]]) -> None:
        for p in packets:
            if self.bsf is None:
                # Remove SEI NAL units: x264 writes its version and options into one.
                self.bsf = av.BitStreamFilterContext("filter_units=remove_types=6",
                                                     self.stream)
            for q in self.bsf.filter(p):
                self._queue(q)

    def _queue(self, q: av.Packet[Any]) -> None:
        if self.pending is not None:
            self.pending.duration = max(1, frame_pts(q) - frame_pts(self.pending))
            self.out.mux(self.pending)
            self.muxed += 1
        self.pending = q

    def encode(self, yuv: np.ndarray, pts: int) -> None:
        self.encode_frame(av.VideoFrame.from_ndarray(yuv, format="yuv420p"), pts)

    def encode_frame(self, frame: av.VideoFrame, pts: int) -> None:
        frame.pts = pts
        frame.time_base = TIME_BASE
        self.last_pts = pts
        self._mux(self.stream.encode(frame))

    def finish(self, end_us: int) -> None:
        self._mux(self.stream.encode(None))
        if self.bsf is not None:
            for q in self.bsf.filter(None):
                self._queue(q)
        if self.pending is not None:
            self.pending.duration = max(1, end_us - frame_pts(self.pending))
            self.out.mux(self.pending)
            self.muxed += 1
            self.pending = None
        self.out.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.out.close()


_END = object()  # the decoder reached the end of the stream


class FrameSource:
    """Decodes forward through the recording on a thread of its own (PyAV releases the GIL
    while decoding, so decoding overlaps burn-in and encoding), seeking only when a kept
    range needs it."""

    QUEUE = 6

    def __init__(self, path: Path, keyframes: Sequence[int], threads: int) -> None:
        self.keyframes = keyframes
        self.c = av.open(str(path))
        self.s = self.c.streams.video[0]
        self.s.thread_type = "AUTO"
        if threads:
            self.s.codec_context.thread_count = threads
        self.cur: av.VideoFrame | None = None  # the last frame taken (pts <= position)
        self.ahead: av.VideoFrame | None = None  # decoded, not yet taken
        self.decoded = 0
        self._q: queue.Queue[Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _produce(self, q: queue.Queue[Any], stop: threading.Event) -> None:
        item: Any = _END
        try:
            for frame in self.c.decode(self.s):
                if stop.is_set():
                    return
                if frame.pts is None:
                    continue
                _offer(q, frame, stop)
        except av.error.FFmpegError:
            pass  # a truncated tail: what was decoded stands
        except BaseException as exc:  # handed to the consumer
            item = exc
        _offer(q, item, stop)

    def _halt(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        assert self._q is not None
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._q.get(timeout=0.05)
        self._thread.join()
        self._thread, self._q = None, None

    def close(self) -> None:
        self._halt()
        self.c.close()

    def start_range(self, k0: int) -> None:
        """Position so that ``cur`` can become the frame on screen at ``k0``."""
        keys = self.keyframes
        i = bisect_right(keys, k0) - 1
        key = keys[i] if i >= 0 else (keys[0] if keys else 0)
        pos = self.cur.pts if self.cur is not None else None
        if self._thread is None or pos is None or pos > k0 or pos < key:
            self._halt()
            self.c.seek(max(0, key), backward=True, any_frame=False, stream=self.s)
            self.cur, self.ahead = None, None
            self._stop = threading.Event()
            self._q = queue.Queue(self.QUEUE)
            self._thread = threading.Thread(target=self._produce, args=(self._q, self._stop),
                                            name="render-decode", daemon=True)
            self._thread.start()

    def next_frame(self) -> av.VideoFrame | None:
        if self.ahead is not None:
            f, self.ahead = self.ahead, None
            return f
        if self._q is None:
            return None
        item = self._q.get()
        if item is _END:
            self._q.put(_END)  # stays at the end
            return None
        if isinstance(item, BaseException):
            raise item
        self.decoded += 1
        return cast(av.VideoFrame, item)


def _offer(q: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    """Put ``item`` on the bounded queue, waiting for room unless ``stop`` is set."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue

"""Fitting a redaction box to the text under it, on one frame or over its whole time range.

- ``snap_to_text``: "Snap to text" on a box drawn by hand, on the frame the contributor is
  looking at: the lines it covers half of or more, the runs of ink it touches there, padded
  (``ink.snap``).  It may grow or shrink the box.
- ``grow_to_text``: what the leak check's fragments ask for: the box grown, never shrunk,
  until it holds every run of ink it touches on every frame of its time range (sampled) and
  on the frames named (where pieces were found).

The new rectangle is applied as one undoable edit by the caller
(``EditSession.update_box(rid, rect=..., name=...)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from annotator.jobs import Progress
from annotator.redaction import ink

Rect = tuple[int, int, int, int]
MAX_FRAMES = 120  # frames of a box's range looked at (evenly spread), besides those named


def _union(a: Sequence[int], b: Sequence[int]) -> Rect:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def snap_to_text(frame: np.ndarray, rect: Sequence[int]) -> Rect | None:
    """The box fitted to the text it covers on ``frame`` (RGB or grey); None if it covers
    no text (then leave it as drawn)."""
    return ink.snap(frame, ink.as_rect(rect))


def grow_on(frames: Iterable[np.ndarray], rect: Sequence[int]) -> Rect:
    """``rect`` grown over the runs of ink it touches on each of ``frames``, until none of
    them holds ink of those runs outside it (at most three rounds)."""
    pictures = [ink.gray(f) for f in frames]
    cur = ink.as_rect(rect)
    for _ in range(3):
        new = cur
        for g in pictures:
            got = ink.snap(g, cur)
            if got is not None:
                new = _union(new, got)
        if new == cur:
            break
        cur = new
    return cur


def grow_to_text(bundle_dir: str | Path, rect: Sequence[int], t_start_us: int, t_end_us: int,
                 *, at_us: Iterable[int] = (), progress: Progress | None = None) -> Rect:
    """The box grown over its text on the frames of its time range (at most ``MAX_FRAMES``,
    evenly spread) and on the frames shown at ``at_us`` (recording clock)."""
    from annotator.bundle.reader import Bundle
    from annotator.media.video import VideoReader

    b = Bundle.open(Path(bundle_dir))
    fi = b.frames
    stored = sorted({int(p) for p in fi.pts[fi.stored]}) if len(fi) else []
    inside = [p for p in stored if t_start_us <= p <= t_end_us]
    before = [p for p in stored if p < t_start_us]
    if before:
        inside.insert(0, before[-1])  # on screen when the range starts
    step = max(1, len(inside) // MAX_FRAMES)
    wanted = set(inside[::step]) | {int(t) for t in at_us}
    frames = []
    with VideoReader(b.video_path) as reader:
        for n, f in enumerate(reader.frames_at(sorted(wanted))):
            if progress is not None:
                progress.check()
                progress.report(n, len(wanted), "Looking at the text under the box")
            frames.append(ink.gray(f.rgb))
    return grow_on(frames, rect)

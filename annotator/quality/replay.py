"""Originality: a screen that shows a video being played back rather than a desktop in use.

A desktop draws text and edges pixel-exact: most strong edges jump in one pixel.  A video
played back (a screen recording of someone else's work, scaled to the screen and compressed
twice) smears them over two or three pixels.  ``sharp`` is, per step picture, the share of
edges (grey steps of ``EDGE_ANY`` or more between neighbours) that are strong (``EDGE_STRONG``
or more); the signal fires when the median over the pictures is under ``SOFT_EDGES``.

A video also keeps the screen changing at its frame rate even where the contributor does
nothing: the share of the demonstration covered by unbroken runs of changes (pictures at most
``RUN_GAP_US`` apart for at least ``RUN_MIN_US``) is reported with it as evidence.
"""

from __future__ import annotations

import numpy as np

from annotator.quality.evidence import Evidence
from annotator.quality.frames import FrameFacts
from annotator.quality.records import Signal

SOFT_EDGES = 0.2
MIN_PICTURES = 3
RUN_GAP_US = 80_000
RUN_MIN_US = 2_000_000


def continuous_share(changes: np.ndarray, duration_us: int) -> float:
    if len(changes) < 2 or duration_us <= 0:
        return 0.0
    gaps = np.diff(changes)
    covered = 0
    start = 0
    for i, g in enumerate(gaps.tolist()):
        if g > RUN_GAP_US:
            span = int(changes[i] - changes[start])
            if span >= RUN_MIN_US:
                covered += span
            start = i + 1
    span = int(changes[-1] - changes[start])
    if span >= RUN_MIN_US:
        covered += span
    return min(1.0, covered / duration_us)


def measures(ev: Evidence, facts: FrameFacts) -> dict[str, float]:
    sharp = [s for s in facts.sharp if s is not None]
    return {"sharp_edges": float(np.median(sharp)) if sharp else 1.0,
            "pictures": float(len(sharp)),
            "continuous_change": continuous_share(ev.changes_us, ev.duration_us)}


def detect(ev: Evidence, facts: FrameFacts) -> list[Signal]:
    m = measures(ev, facts)
    if m["pictures"] < MIN_PICTURES or m["sharp_edges"] >= SOFT_EDGES:
        return []
    return [Signal(
        "replayed_video",
        "The screen looks like a video being played back, not a desktop in use: the edges of "
        "text and windows are soft in every step picture, as in a scaled, compressed "
        "recording. Record the task yourself, on your own desktop.",
        evidence=m)]

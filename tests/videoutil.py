"""Test helpers: decode a recorded video into {pts: RGB frame} (or a sampled value)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np


def decode_all(path: Path, fn: Callable[[np.ndarray], object] | None = None) -> dict[int, object]:
    out: dict[int, object] = {}
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            out[frame.pts] = fn(rgb) if fn else rgb
    return out


def nearest_colour(rgb_patch_mean: np.ndarray, colours: list[tuple[int, int, int]]) -> int:
    d = [float(np.sum((rgb_patch_mean - np.array(c)) ** 2)) for c in colours]
    return int(np.argmin(d))

"""Picture quality of both recorders against one ground truth, at the same instants.

record_overhead.py --quality runs, per workload, one more (untimed) round in which our
recorder and ffmpeg record the same screen at the same time, while a third process
(``grab_main``, this file run as a script) grabs the screen every ``--period`` s with mss and
keeps each distinct picture once (BGRA, named by its hash) with the grab's monotonic time.

The reference grabs are the ground truth.  A reference instant is used when the screen held
still around it: the grabs just before and after showed the same picture, each at most
``max_gap_s`` away (``--quality-max-gap``; on a screen that never holds still that long, a
shorter gap with a shorter ``--quality-period``).  Then the frame each recorder shows at
that instant (its last frame stamped at or before it: ours from the frame index's clock,
ffmpeg's from x11grab's start time plus the frame's time) was captured while the screen
showed that picture, whatever the phase of its clock, so a difference in SSIM is the
encoder's and the capture's, not timing.
Each is compared with the reference picture converted to luma as that recorder converts it
(ours: OpenCV's BGRA->I420; ffmpeg: its own swscale, by running ffmpeg on the picture).

The figure is the mean over the instants for each, and the mean of the paired differences
(ours - ffmpeg) with a 95% interval from a bootstrap over 2 s blocks of instants (instants
close in time are not independent: the same picture, the same encoded frame).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

MAX_GAP_S = 0.25  # the reference grabs around a used instant are at most this far from it
BLOCK_S = 2.0  # bootstrap block length


# -- the reference grabber (a child process of the benchmark) --------------------------------
def grab_main(argv: list[str]) -> int:
    """``record_quality.py OUT_DIR PERIOD_S``: grab the screen of $DISPLAY every PERIOD_S s
    until SIGTERM; write each distinct picture once (OUT_DIR/<hash>.npy, BGRA) and
    OUT_DIR/grabs.tsv (start and end of each grab in monotonic ns, the picture's hash)."""
    import mss

    out, period = Path(argv[0]), float(argv[1])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rows: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    with mss.mss() as sct:
        mon = sct.monitors[0]
        print("grabbing", flush=True)
        nxt = time.monotonic()
        while not stop.is_set():
            t0 = time.monotonic_ns()
            shot = sct.grab(mon)
            t1 = time.monotonic_ns()
            raw = shot.raw
            h = hashlib.blake2b(raw, digest_size=12).hexdigest()
            if h not in seen:
                seen.add(h)
                np.save(out / f"{h}.npy",
                        np.frombuffer(raw, np.uint8).reshape(shot.height, shot.width, 4))
            rows.append((t0, t1, h))
            nxt += period
            stop.wait(max(0.0, nxt - time.monotonic()))
    tmp = out / "grabs.tsv.tmp"
    tmp.write_text("".join(f"{a}\t{b}\t{h}\n" for a, b, h in rows))
    tmp.rename(out / "grabs.tsv")
    return 0


def read_grabs(folder: Path) -> tuple[np.ndarray, list[str]]:
    """The reference grabs: their times (midpoint of the request, monotonic ns), hashes."""
    t, hs = [], []
    for line in (folder / "grabs.tsv").read_text().splitlines():
        a, b, h = line.split("\t")
        t.append((int(a) + int(b)) // 2)
        hs.append(h)
    return np.array(t, dtype=np.int64), hs


def still_instants(t: np.ndarray, hs: list[str], lo_ns: int, hi_ns: int,
                   max_gap_s: float = MAX_GAP_S) -> list[tuple[int, str]]:
    """Reference grabs in [lo_ns, hi_ns] whose neighbours, at most ``max_gap_s`` away,
    showed the same picture."""
    gap = max_gap_s * 1e9
    return [(int(t[k]), hs[k]) for k in range(1, len(hs) - 1)
            if hs[k - 1] == hs[k] == hs[k + 1] and t[k] - t[k - 1] <= gap
            and t[k + 1] - t[k] <= gap and lo_ns <= t[k] <= hi_ns]


# -- the recorders' frames in the reference clock ----------------------------------------------
def ffmpeg_start_s(lines: Iterable[str]) -> float:
    """x11grab's first timestamp (wall clock, s) from ffmpeg's input description."""
    for s in lines:
        m = re.search(r"Duration: .*start: (\d+\.\d+)", s)
        if m:
            return float(m.group(1))
    raise RuntimeError("ffmpeg did not print its input's start time")


def frame_times_ns(video: Path, zero_ns: int) -> np.ndarray:
    """Monotonic time each frame of ``video`` is shown from: ``zero_ns`` + its pts."""
    import av

    with av.open(str(video)) as c:
        st = c.streams.video[0]
        tb = st.time_base
        pts = sorted(int(p.pts) for p in c.demux(st) if p.pts is not None)
    return np.array([zero_ns + round(p * tb * 1_000_000_000) for p in pts], dtype=np.int64)


def wall_to_monotonic_ns(wall_s: float) -> int:
    return round(wall_s * 1e9) - (time.time_ns() - time.monotonic_ns())


# -- reference luma, as each recorder converts ------------------------------------------------
def luma_opencv(bgra: np.ndarray) -> np.ndarray:
    import cv2

    return np.asarray(cv2.cvtColor(bgra, cv2.COLOR_BGRA2YUV_I420))[:bgra.shape[0]]


def luma_ffmpeg(bgra: np.ndarray) -> np.ndarray:
    h, w = bgra.shape[:2]
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr0",
                          "-s", f"{w}x{h}", "-i", "-", "-pix_fmt", "yuv420p", "-f", "rawvideo",
                          "-"], input=bgra.tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8, w * h).reshape(h, w)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two luma planes (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5)."""
    import cv2

    x, y = a.astype(np.float32), b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(v: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(v, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(m.mean())


def score_video(video: Path, times_ns: np.ndarray, instants: list[tuple[int, str]],
                ref_dir: Path, luma: Any) -> list[float]:
    """SSIM at each instant of the frame ``video`` shows then against the reference picture
    (``luma`` converts it); one decode pass, each (frame, picture) pair scored once."""
    from harness import decode_frames

    shown = np.searchsorted(times_ns, [t for t, _ in instants], side="right") - 1
    want: dict[int, list[int]] = {}
    for k, i in enumerate(shown):
        want.setdefault(int(i), []).append(k)
    scores = [float("nan")] * len(instants)
    refs: dict[str, np.ndarray] = {}
    for i, (_pts, _t, y) in enumerate(decode_frames(video)):
        cache: dict[str, float] = {}
        for k in want.get(i, []):
            h = instants[k][1]
            if h not in cache:
                if h not in refs:
                    refs[h] = luma(np.load(ref_dir / f"{h}.npy"))
                cache[h] = ssim(refs[h], y)
            scores[k] = cache[h]
    return scores


# -- the comparison --------------------------------------------------------------------------
def compare(instants: list[tuple[int, str]], ours: list[float], ffmpeg: list[float],
            seed: int = 0) -> dict[str, Any]:
    """Means, and the paired difference with a block-bootstrap 95% interval."""
    ok = [k for k in range(len(instants)) if ours[k] == ours[k] and ffmpeg[k] == ffmpeg[k]]
    if not ok:
        return {"instants": 0, "error": "no instant where the screen held still and both "
                "recorders had a frame"}
    t = np.array([instants[k][0] for k in ok])
    o, f = np.array([ours[k] for k in ok]), np.array([ffmpeg[k] for k in ok])
    d = o - f
    block = ((t - t[0]) // int(BLOCK_S * 1e9)).astype(int)
    groups = [d[block == b] for b in np.unique(block)]
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(2000):
        pick = rng.integers(0, len(groups), len(groups))
        boot.append(float(np.concatenate([groups[i] for i in pick]).mean()))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"instants": len(ok), "blocks": len(groups),
            "pictures": len({instants[k][1] for k in ok}),
            "ours": float(o.mean()), "ffmpeg": float(f.mean()),
            "ours_min": float(o.min()), "ffmpeg_min": float(f.min()),
            "diff": float(d.mean()), "diff_ci95": [float(lo), float(hi)]}


def analyze(ref_dir: Path, ours_video: Path, ours_zero_ns: int, ffmpeg_video: Path,
            ffmpeg_lines: list[str], window_ns: tuple[int, int],
            max_gap_s: float = MAX_GAP_S) -> dict[str, Any]:
    """Both recordings against the reference grabs in ``ref_dir`` over ``window_ns``."""
    t, hs = read_grabs(ref_dir)
    ours_t = frame_times_ns(ours_video, ours_zero_ns)
    ff_t = frame_times_ns(ffmpeg_video, wall_to_monotonic_ns(ffmpeg_start_s(ffmpeg_lines)))
    if not len(ours_t) or not len(ff_t):
        return {"instants": 0, "error": "a recording has no frames"}
    lo = max(window_ns[0], int(ours_t[0]), int(ff_t[0]))
    instants = still_instants(t, hs, lo, window_ns[1], max_gap_s)
    so = score_video(ours_video, ours_t, instants, ref_dir, luma_opencv)
    sf = score_video(ffmpeg_video, ff_t, instants, ref_dir, luma_ffmpeg)
    res = compare(instants, so, sf)
    # Per instant: its time (ms from the first), both scores, and how old the frame each
    # showed then was (ms since it was captured).
    res["per_instant"] = [
        (round((t_k - instants[0][0]) / 1e6), round(a, 5), round(b, 5),
         round((t_k - int(ours_t[np.searchsorted(ours_t, t_k, "right") - 1])) / 1e6),
         round((t_k - int(ff_t[np.searchsorted(ff_t, t_k, "right") - 1])) / 1e6))
        for (t_k, _h), a, b in zip(instants, so, sf, strict=True)]
    res["reference_grabs"] = len(hs)
    res["max_gap_s"] = max_gap_s
    res["reference_pictures"] = len(set(hs))
    return res


if __name__ == "__main__":
    os.nice(0)
    sys.exit(grab_main(sys.argv[1:]))

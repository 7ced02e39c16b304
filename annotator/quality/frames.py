"""One pass over the step pictures: what every family needs from them, each picture read once.

For each step: whether its picture could be read, a perceptual hash of it (near-duplicates),
how sharp its edges are (a screen played back from a video is softer than one drawn by the
desktop), and how much changed between it and the next step's picture, around the place
the step acted on and on the whole screen (steps with no visible effect).

A redaction box that appears or goes between two pictures is not a change; where it hides
most of the place a step acted on (or of the screen, for keys), the change is not known.

Pixels count as changed when their grey level moved by more than ``CHANGE_LEVEL``: two
pictures of the same screen decoded from the submission's video differ by a few levels at
most, a caret or a pressed button by far more.  A change one pixel thick (a straight line of
changed pixels one pixel wide or tall) is no effect outside the target the step acted on: a
text caret blinking in another field, or the encoder redrawing the colour bleeding along a
saturated edge (a focus frame's one-pixel halo) between two pictures of the same screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from annotator.quality.evidence import POINTER, Evidence, StepView

CHANGE_LEVEL = 24
# The window looked at around a pointer action when its target's box is unknown, in pixels.
AROUND_W, AROUND_H = 160, 100
TARGET_PAD = 6
MAX_TARGET_SHARE = 0.4  # a "target" larger than this share of the screen is not a place
HASH_W, HASH_H = 16, 16  # 256-bit difference hash
EDGE_ANY, EDGE_STRONG = 24, 96
RAMP_LO = 7  # a grey step from here to EDGE_ANY is part of an edge spread over pixels
# Above this many changed pixels a step clearly changed the screen, thin lines or not.
THIN_CHECKED_UP_TO = 20_000


@dataclass(frozen=True)
class Change:
    """What changed between a step's picture and the next one."""

    local_px: int  # changed pixels in the place the step acted on (whole screen: -1)
    local_area: int
    global_px: int
    global_area: int
    region: tuple[int, int, int, int] | None  # x, y, w, h; None: the whole screen


@dataclass
class FrameFacts:
    readable: list[bool] = field(default_factory=list)
    dhash: list[str | None] = field(default_factory=list)
    sharp: list[float | None] = field(default_factory=list)  # strong edges / all edges
    flat: list[float | None] = field(default_factory=list)  # equal neighbours / all
    ramp: list[float | None] = field(default_factory=list)  # ramp steps / all steps
    change: list[Change | None] = field(default_factory=list)  # to the next step's picture


def gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def dhash(g: np.ndarray) -> str:
    small = cv2.resize(g, (HASH_W + 1, HASH_H), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return np.packbits(bits).tobytes().hex()


def edge_stats(g: np.ndarray) -> tuple[float, float, float]:
    """Strong edges among all edges, equal neighbours among all, and ramp steps (grey steps
    of ``RAMP_LO`` to ``EDGE_ANY``) among all steps of ``RAMP_LO`` or more (an encoder's
    wobble of a few levels counts in neither)."""
    d = np.abs(np.diff(g.astype(np.int16), axis=1))
    hist = np.bincount(d.ravel(), minlength=256)
    any_ = int(hist[EDGE_ANY:].sum())
    strong = int(hist[EDGE_STRONG:].sum())
    flat = float(hist[0]) / max(1, d.size)
    ramps = int(hist[RAMP_LO:EDGE_ANY].sum())
    ramp = ramps / (ramps + any_) if ramps + any_ else 0.0
    return (strong / any_ if any_ else 1.0), flat, ramp


def region_of(step: StepView, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Where a step acted: its target's box (padded) and the pointer's surroundings; None for
    the whole screen (keys without a known field)."""
    boxes = []
    tb = step.target_box
    if tb is not None and tb[2] * tb[3] <= MAX_TARGET_SHARE * width * height:
        x, y, w, h = tb
        boxes.append((x - TARGET_PAD, y - TARGET_PAD, x + w + TARGET_PAD, y + h + TARGET_PAD))
    if step.type in POINTER:
        for px, py in ((step.x, step.y), (step.end_x, step.end_y)):
            if px is not None and py is not None:
                boxes.append((px - AROUND_W // 2, py - AROUND_H // 2, px + AROUND_W // 2,
                              py + AROUND_H // 2))
    if not boxes:
        return None
    x0 = max(0, min(b[0] for b in boxes))
    y0 = max(0, min(b[1] for b in boxes))
    x1 = min(width, max(b[2] for b in boxes))
    y1 = min(height, max(b[3] for b in boxes))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def changed_mask(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.absdiff(a, b) > CHANGE_LEVEL


def drop_thin(mask: np.ndarray, keep: tuple[int, int, int, int] | None = None) -> None:
    """Clear, in place, the changes one pixel thick (a caret blinking, an encoder's halo
    along an edge) except those touching ``keep`` (x, y, w, h: the target acted on)."""
    x0, y0, bw, bh = cv2.boundingRect(mask.view(np.uint8))
    if bw == 0:
        return
    sub = mask[y0:y0 + bh, x0:x0 + bw]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sub.view(np.uint8), connectivity=8)
    x, y, w, h = (stats[1:, k] for k in range(4))
    thin = (w == 1) | (h == 1)
    if keep is not None:
        kx, ky, kw, kh = keep
        ax, ay = x + x0, y + y0
        thin &= (ax >= kx + kw) | (ax + w <= kx) | (ay >= ky + kh) | (ay + h <= ky)
    if thin.any():
        sub[np.concatenate(([False], thin))[labels]] = False


def frame_facts(ev: Evidence) -> FrameFacts:
    """Read each step's picture once, in order."""
    facts = FrameFacts()
    prev: np.ndarray | None = None
    n = len(ev.steps)
    grays: list[np.ndarray | None] = [None] * n
    for i in range(n):
        rgb = ev.frame(i)
        g = None
        if rgb is not None and rgb.ndim == 3 and rgb.shape[0] > 1 and rgb.shape[1] > 1:
            g = gray(rgb)
        facts.readable.append(g is not None)
        facts.dhash.append(dhash(g) if g is not None else None)
        if g is not None:
            s, f, r = edge_stats(g)
            facts.sharp.append(s)
            facts.flat.append(f)
            facts.ramp.append(r)
        else:
            facts.sharp.append(None)
            facts.flat.append(None)
            facts.ramp.append(None)
        grays[i] = g
        if i >= 1:
            facts.change.append(_change(ev, ev.steps[i - 1], prev, g,
                                        (ev.steps[i - 1].obs_t_us, ev.steps[i].obs_t_us)))
            grays[i - 1] = None
        prev = g
    if n:
        facts.change.append(None)  # the last step has no next picture
    return facts


def redaction_switches(ev: Evidence, shape: tuple[int, int], t0: int, t1: int, *,
                       steady: bool = False) -> np.ndarray | None:
    """Where a redaction box is drawn in one of the pictures at ``t0`` and ``t1`` but not in
    the other (its fill appearing or going is no effect of a step), or None; ``steady``:
    where one is drawn in both."""
    out: np.ndarray | None = None
    for b in ev.boxes:
        rect = b.get("fill_rect") or []
        if len(rect) != 4:
            continue
        ivs = [iv for iv in b.get("intervals_us") or () if len(iv) == 2]
        on0 = any(int(a) <= t0 < int(z) for a, z in ivs)
        on1 = any(int(a) <= t1 < int(z) for a, z in ivs)
        if not ((on0 and on1) if steady else on0 != on1):
            continue
        if out is None:
            out = np.zeros(shape, bool)
        x0, y0, x1, y1 = (max(0, int(v)) for v in rect)
        out[y0:y1, x0:x1] = True
    return out


def _change(ev: Evidence, step: StepView, before: np.ndarray | None,
            after: np.ndarray | None, times: tuple[int, int] = (0, 0)) -> Change | None:
    if before is None or after is None or before.shape != after.shape:
        return None
    mask = changed_mask(before, after)
    switched = redaction_switches(ev, mask.shape, *times)
    if switched is not None:
        mask &= ~switched
    h, w = mask.shape
    region = region_of(step, w, h) if step.type in POINTER else None
    total = int(np.count_nonzero(mask))
    if total <= THIN_CHECKED_UP_TO:
        drop_thin(mask, step.target_box if region is not None else None)
        total = int(np.count_nonzero(mask))
    # Where boxes hide the place acted on (for keys: most of the screen), in one picture or
    # in both, whatever the step did there may not show.
    steady = redaction_switches(ev, mask.shape, *times, steady=True)
    hidden = switched if steady is None else steady if switched is None else \
        switched | steady
    if region is None:
        if hidden is not None and np.count_nonzero(hidden) * 2 >= hidden.size:
            return None
        return Change(-1, 0, total, mask.size, None)
    x, y, rw, rh = region
    if hidden is not None and np.count_nonzero(hidden[y:y + rh, x:x + rw]) * 2 >= rw * rh:
        return None
    local = int(np.count_nonzero(mask[y:y + rh, x:x + rw]))
    return Change(local, rw * rh, total, mask.size, region)

"""Timing: long stretches where nothing happened.

An *idle stretch* is at least ``IDLE_US`` with no step and no real change on screen.  The
steps say when the contributor acted; the video says when the screen changed (a picture is
stored only then).  A change counts only if at least ``MIN_CHANGED_PX`` pixels moved between
two pictures: a blinking caret or a ticking clock does not make a stretch busy, a progress
bar or a page loading does (waiting for the computer is not idleness), a redaction box
coming or going does not.  The pictures are
decoded only inside the stretches the steps leave open, so a busy demonstration costs
nothing here.
"""

from __future__ import annotations

import numpy as np

from annotator.quality.evidence import Evidence
from annotator.quality.frames import changed_mask, redaction_switches
from annotator.quality.records import Moment, Signal, seconds

IDLE_US = 20_000_000
MIN_CHANGED_PX = 150


def _open_gaps(ev: Evidence) -> list[tuple[int, int]]:
    """Stretches of at least ``IDLE_US`` without a step (the start and end included)."""
    marks = [0, max(ev.duration_us, 0)]
    for s in ev.actions:
        marks += [s.t_start_us, s.t_end_us]
    marks.sort()
    return [(a, b) for a, b in zip(marks, marks[1:], strict=False) if b - a >= IDLE_US]


def _busy_times(ev: Evidence, a: int, b: int) -> list[int]:
    """The moments in [a, b] when the screen really changed."""
    inside = [int(t) for t in ev.changes_us[(ev.changes_us > a) & (ev.changes_us < b)]]
    if not inside or ev.picture_at is None:
        return inside
    busy = []
    prev, prev_t = ev.picture_at(a), a
    for t in inside:
        g = ev.picture_at(t)
        if g is None:
            continue
        if prev is None or prev.shape != g.shape:
            busy.append(t)
        else:
            mask = changed_mask(prev, g)
            switched = redaction_switches(ev, mask.shape, prev_t, t)
            if switched is not None:
                mask &= ~switched  # a redaction box coming or going is nobody's doing
            if int(np.count_nonzero(mask)) >= MIN_CHANGED_PX:
                busy.append(t)
        prev, prev_t = g, t
    return busy


def detect(ev: Evidence) -> list[Signal]:
    out = []
    for a, b in _open_gaps(ev):
        marks = [a, *_busy_times(ev, a, b), b]
        for x, y in zip(marks, marks[1:], strict=False):
            if y - x >= IDLE_US:
                where = ("at the start" if x == 0 else
                         "at the end" if y >= ev.duration_us else
                         f"from {seconds(x)} to {seconds(y)}")
                out.append(Signal(
                    "idle",
                    f"Nothing happened for {(y - x) / 1e6:.0f} s {where} of the video: no step "
                    "and no change on screen. Cut the stretch out (trim or cut in the "
                    "editor), or say why it is needed.",
                    moments=(Moment(x, y),), evidence={"seconds": (y - x) / 1e6}))
    return out

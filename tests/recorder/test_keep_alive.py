"""Which grabs the recorder encodes when nothing changed after a change: the repeat that
refines a larger change's picture, and the one that closes its fragment."""

from __future__ import annotations

import numpy as np

from annotator.bundle.video import FRAGMENT_CLOSE_US
from annotator.capture.screen_capture import REFINE_AFTER_S, REFINE_REPEATS, _KeepAlive

TICK = 33_333_333  # ns, 30 fps


def _stored(keep: _KeepAlive, *, refine_after_ns: int, ticks: int = 40) -> list[int]:
    """Ticks (after the change at tick 0) whose grab is encoded, the screen unchanged."""
    yuv = np.zeros((6, 4), np.uint8)
    assert keep.decide(0, True, yuv, refine_after_ns=refine_after_ns) == (True, yuv)
    return [k for k in range(1, ticks) if keep.decide(k * TICK, False, None)[0]]


def test_a_larger_change_is_repeated_to_refine_it_then_once_to_close_its_fragment() -> None:
    refine = int(REFINE_AFTER_S * 1e9)
    ticks = _stored(_KeepAlive(), refine_after_ns=refine)
    close = -(-FRAGMENT_CLOSE_US * 1000 // TICK)
    assert len(ticks) == REFINE_REPEATS + 1 and ticks[-1] == close, ticks
    assert ticks[0] == -(-refine // TICK)
    assert all(b - a == ticks[0] for a, b in zip(ticks, ticks[1:-1], strict=False)), ticks


def test_a_small_change_gets_only_the_closing_repeat() -> None:
    assert _stored(_KeepAlive(), refine_after_ns=0) == [-(-FRAGMENT_CLOSE_US * 1000 // TICK)]


def test_a_change_before_the_refining_repeat_puts_it_off() -> None:
    keep = _KeepAlive()
    yuv = np.zeros((6, 4), np.uint8)
    refine = int(REFINE_AFTER_S * 1e9)
    keep.decide(0, True, yuv, refine_after_ns=refine)
    assert not keep.decide(TICK, False, None)[0]
    keep.decide(2 * TICK, True, yuv, refine_after_ns=refine)  # changed again
    stored = [k for k in range(3, 30) if keep.decide(k * TICK, False, None)[0]]
    assert stored[0] == 2 + -(-refine // TICK)

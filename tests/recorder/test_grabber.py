"""The X11 grabber reads whole-region grabs where the X server wrote them (two shared-memory
segments used in turn): what it returns must be the screen, and the grab the caller keeps
(the capture thread's mirror) must stay as it was through the next grab."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.capture.interfaces import Rect


def _fill(xserver, colour: int, box: tuple[int, int, int, int]) -> None:
    from Xlib import X, display

    d = display.Display(xserver.display)
    root = d.screen().root
    gc = root.create_gc(foreground=colour, subwindow_mode=X.IncludeInferiors)
    root.fill_rectangle(gc, *box)
    d.sync()
    d.close()


def _mss_grab(region: Rect) -> np.ndarray:
    import mss

    with mss.MSS() as sct:
        shot = sct.grab({"left": region.x, "top": region.y, "width": region.width,
                         "height": region.height})
        return np.frombuffer(shot.raw, np.uint8).reshape(region.height, region.width, 4).copy()


@pytest.mark.parametrize("region", [Rect(0, 0, 1920, 1080), Rect(100, 50, 640, 480)])
def test_a_kept_grab_survives_the_next_and_grabs_are_the_screen(xdisplay, region):
    from annotator.capture.screen_capture import _same
    from annotator.capture.x11_screen import GRAB_IN_PLACE, MssGrabber

    g = MssGrabber(region)
    try:
        assert g._pair is not None, "Xvfb has MIT-SHM: grabs should be read in place"
        assert g.grab_path == GRAB_IN_PLACE
        _fill(xdisplay, 0x00FF00, (region.x + 10, region.y + 10, 40, 30))
        raw1, img1 = g.grab()
        kept = img1.copy()
        assert np.array_equal(img1, _mss_grab(region))
        _fill(xdisplay, 0x0000FF, (region.x + 10, region.y + 10, 40, 30))
        raw2, img2 = g.grab()
        assert np.array_equal(img1, kept), "the grab kept by the caller was overwritten"
        assert np.array_equal(img2, _mss_grab(region))
        assert not _same(raw2, img1)
        raw3, img3 = g.grab()
        assert _same(raw3, img2)
        # One bit in the last pixel is a difference too.
        img2[-1, -1, 0] ^= 1
        assert not _same(raw3, img2)
    finally:
        g.close()


@pytest.mark.parametrize("backend", ["xgetimage", "xlib"])
def test_without_mit_shm_grabs_are_copies_and_say_so(xdisplay, backend):
    """mss without MIT-SHM: the grabber falls back to mss's copies, which are the screen
    too, and ``grab_path`` (the manifest's ``capture.grab``) names that path and why."""
    from annotator.capture.x11_screen import GRAB_COPIES, MssGrabber

    region = Rect(100, 50, 640, 480)
    g = MssGrabber(region, backend=backend)
    try:
        assert g._pair is None
        assert g.grab_path.startswith(GRAB_COPIES + ": ") and "MIT-SHM" in g.grab_path, \
            g.grab_path
        _fill(xdisplay, 0xFF0000, (region.x + 5, region.y + 5, 20, 20))
        _raw, img = g.grab()
        assert np.array_equal(img, _mss_grab(region))
    finally:
        g.close()

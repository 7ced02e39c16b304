"""The deny-list masker (X11DenyMasker) sees every change made before a grab, with no
polling of the window tree: a window created and mapped, unmapped and mapped again,
renamed into the deny-list, moved, or mapped inside a window manager's frame between two
grabs is masked (or its mask moved) in the very next answer; an unchanged desktop is not
checked again."""

from __future__ import annotations

import time
import uuid

import pytest
from Xlib import X, Xatom, display, error

from annotator.capture.interfaces import Rect
from annotator.capture.x11_windows import X11DenyMasker

pytestmark = pytest.mark.x11


class Client:
    """Another X client making and changing windows, as an application (or a window
    manager) does; every change is processed by the server before the masker is asked."""

    def __init__(self, name: str) -> None:
        self.d = _connect(name)
        self.root = self.d.screen().root

    def window(self, x: int, y: int, w: int, h: int, title: str = "", parent=None,
               mapped: bool = True):
        win = (parent or self.root).create_window(
            x, y, w, h, 0, X.CopyFromParent, background_pixel=self.d.screen().white_pixel,
            override_redirect=True)
        if title:
            win.set_wm_name(title)
        if mapped:
            win.map()
        self.d.sync()
        return win

    def sync(self) -> None:
        self.d.sync()


def _connect(name: str) -> display.Display:
    # Xvfb resets when its last client leaves (a test before this one): a connection made
    # during the reset is refused.
    for _ in range(50):
        try:
            return display.Display(name)
        except (ConnectionError, error.ConnectionClosedError):
            time.sleep(0.1)
    return display.Display(name)


@pytest.fixture(scope="module")
def app(xserver):
    """Kept connected for the module, so that the server does not reset between its tests."""
    client = Client(xserver.display)
    yield client
    client.d.close()


@pytest.fixture
def setup(app, xserver):
    secret = f"Vault {uuid.uuid4().hex[:8]}"
    masker = X11DenyMasker(lambda info: secret in info.title, xserver.display)
    yield app, masker, secret
    masker.close()


def test_a_window_changed_between_grabs_is_masked_in_the_next(setup):
    app, masker, secret = setup
    assert masker.rects() == []
    for i in range(20):  # each change is made between two grabs, many times over
        x = 10 + 7 * i
        # Created and mapped.
        win = app.window(x, 20, 300, 200, secret)
        assert masker.rects() == [Rect(x, 20, 300, 200)], f"round {i}: new window missed"
        # Unmapped, then mapped again (the window tree itself does not change).
        win.unmap()
        app.sync()
        assert masker.rects() == []
        win.map()
        app.sync()
        assert masker.rects() == [Rect(x, 20, 300, 200)], f"round {i}: re-mapped window missed"
        # Moved and resized.
        win.configure(x=x + 50, y=60, width=320, height=210)
        app.sync()
        assert masker.rects() == [Rect(x + 50, 60, 320, 210)], f"round {i}: mask not moved"
        win.destroy()
        app.sync()
        assert masker.rects() == []
        # Mapped with no title, then renamed into the deny-list.
        plain = app.window(x, 400, 200, 100, "Notes")
        assert masker.rects() == []
        plain.change_property(app.d.intern_atom("_NET_WM_NAME"),
                              app.d.intern_atom("UTF8_STRING"), 8, secret.encode())
        app.sync()
        assert masker.rects() == [Rect(x, 400, 200, 100)], f"round {i}: renamed window missed"
        plain.destroy()
        app.sync()
        assert masker.rects() == []


def test_a_client_mapped_inside_a_frame_is_masked_with_the_frame(setup):
    """What a reparenting window manager does: the frame is mapped first, the client (which
    carries the title) mapped inside it afterwards; the mask is the frame's box."""
    app, masker, secret = setup
    for i in range(10):
        frame = app.window(100 + i, 100, 400, 300)
        assert masker.rects() == []
        client = app.window(0, 20, 400, 280, secret, parent=frame)
        assert masker.rects() == [Rect(100 + i, 100, 400, 300)], f"round {i}: client missed"
        client.unmap()
        app.sync()
        # The frame still shows, but no longer what it framed: its title is what is read.
        client.reparent(app.root, 0, 0)
        app.sync()
        assert masker.rects() == []
        frame.destroy()
        client.destroy()
        app.sync()
        assert masker.rects() == []


def test_an_unchanged_desktop_is_not_checked_again(setup):
    """One round trip a grab: no window check while nothing changes, nor for a property
    no deny-list match reads (a toolkit sets _NET_WM_USER_TIME at every key press)."""
    app, masker, secret = setup
    win = app.window(50, 50, 300, 200, secret)
    assert masker.rects() == [Rect(50, 50, 300, 200)]
    checks = masker.stats["checks"]
    user_time = app.d.intern_atom("_NET_WM_USER_TIME")
    for t in range(50):
        win.change_property(user_time, Xatom.CARDINAL, 32, [t])
        app.sync()
        assert masker.rects() == [Rect(50, 50, 300, 200)]
    assert masker.stats["checks"] == checks
    win.destroy()
    app.sync()
    assert masker.rects() == []
    assert masker.stats["checks"] == checks + 1

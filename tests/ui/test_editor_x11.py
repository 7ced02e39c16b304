"""The editor as a user sees it: the app on a real X server (Xvfb), steps selected with real
mouse clicks and keys (xdotool), the screen read back with mss.

The step list must show the demo's derived steps (count and summaries), and after each
selection the pixels on the X screen where the video view draws the frame must be the
step's observation frame, decoded independently with VideoReader and scaled to the same
size as the view scales it (a tolerance of a few levels; the previous step's frame must not
pass).
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time

import mss
import numpy as np
import pytest

from annotator.drafts.titles import step_title
from annotator.media.video import VideoReader
from annotator.steps.store import derive_bundle
from annotator.ui.editor.video_view import scale_frame
from tests.conftest import ROOT

pytestmark = pytest.mark.x11

# The app side: the real editor window on the X server, answering a few requests on stdin
# with JSON on stdout (geometry in screen coordinates, what the view shows).
DRIVER = r"""
import json, select, sys, time
from pathlib import Path
from annotator.ui.app import _app
from annotator.ui.editor.step_list import OBS_ROLE
from annotator.ui.editor.window import EditorWindow

app = _app()
win = EditorWindow(Path(sys.argv[1]))
win.markers_action.setChecked(False)  # the exact frame: no action markers over it
win.move(0, 0)
win.resize(1500, 900)
win.show()
win.raise_()
win.activateWindow()
win.wait_for_cache()
end = time.monotonic() + 20
while win.view.pts is None and time.monotonic() < end:
    app.processEvents()
    time.sleep(0.01)

def out(kind, **data):
    print(kind + " " + json.dumps(data), flush=True)

def settle(seconds=0.2):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)

def view_state():
    v = win.view
    r = v.image_rect()
    g = v.mapToGlobal(r.topLeft())
    row = win.step_list.currentRow()
    return dict(pts=v.pts, x=g.x(), y=g.y(), w=r.width(), h=r.height(), row=row,
                notice=v.notice)

settle(0.5)
lst = win.step_list
out("ready", rows=[lst.text(r) for r in range(lst.count())],
    obs=[lst.model().index(r).data(OBS_ROLE) for r in range(lst.count())],
    view=view_state())
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "row":  # where row N is on screen (scrolled into view first)
        row = int(arg)
        lst.scrollTo(lst.model().index(row))
        settle(0.2)
        r = lst.visualRect(lst.model().index(row))
        c = lst.viewport().mapToGlobal(r.center())
        out("row", x=c.x(), y=c.y())
    elif cmd == "wait":  # until the view shows the frame at pts, painted
        want = int(arg)
        end = time.monotonic() + 10
        while win.view.pts != want and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)
        win.view.repaint()
        settle(0.3)
        out("shown", **view_state())
    elif cmd == "quit":
        win.close()
        break
"""


class EditorApp:
    def __init__(self, xserver, folder) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(folder)], env=xserver.env, cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)

    def read(self, kind: str, timeout: float = 60) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
                if line.startswith(kind + " "):
                    return json.loads(line[len(kind) + 1:])
        self.proc.kill()
        raise AssertionError(f"the editor did not answer {kind!r}: {self.proc.stderr.read()}")

    def ask(self, cmd: str, kind: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.read(kind)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(15)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def screen_rgb(xserver, x: int, y: int, w: int, h: int) -> np.ndarray:
    with mss.MSS(display=xserver.display) as sct:
        shot = sct.grab({"left": x, "top": y, "width": w, "height": h})
    return np.asarray(shot)[:, :, 2::-1].astype(np.int16)  # BGRA -> RGB


def decoded_scaled(video, pts: int, w: int, h: int) -> np.ndarray:
    """The frame at exactly ``pts``, decoded here, scaled to w x h as the view scales it."""
    with VideoReader(video) as r:
        f = r.frame_at(pts)
    assert f is not None and f.pts == pts, f"no frame at exactly {pts}"
    return scale_frame(f.rgb, w, h).astype(np.int16)


def close_enough(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal but for rounding: no pixel channel off by more than 4 levels (the same frame
    scaled the same way gives the same pixels; another frame differs by far more)."""
    return int(np.abs(a - b).max()) <= 4


def test_step_list_and_video_pixels_on_a_real_x_server(xserver, demo):
    expected = derive_bundle(demo).steps
    app = EditorApp(xserver, demo)
    try:
        ready = app.read("ready")
        # The step list shows the derived steps: as many, and each one's summary.
        rows = ready["rows"]
        assert len(rows) == len(expected) >= 10
        for i, (text, step) in enumerate(zip(rows, expected, strict=True)):
            assert text.split("\n")[0].split("   [")[0] == f"{i + 1}. {step_title(step, step)}"
        assert ready["obs"] == [s.obs_pts for s in expected]
        assert ready["view"]["w"] > 400 and ready["view"]["pts"] is not None

        # Select steps as a user does: click a row, then the Down key; each time the screen
        # shows the step's exact observation frame.
        video = demo / "video.mp4"
        typing = next(i for i, s in enumerate(expected) if s.type == "type")
        picks = [(typing, "click"), (typing + 1, "down"), (len(expected) - 1, "click"),
                 (len(expected) // 2, "click")]
        for row, how in picks:
            if how == "click":
                at = app.ask(f"row {row}", "row")
                xserver.xdotool("mousemove", str(at["x"]), str(at["y"]), "click", "1")
            else:
                xserver.xdotool("key", "Down")
            want = expected[row].obs_pts
            shown = app.ask(f"wait {want}", "shown")
            assert shown["row"] == row, (how, shown)
            assert shown["pts"] == want and shown["notice"] == ""
            x, y, w, h = shown["x"], shown["y"], shown["w"], shown["h"]
            right = decoded_scaled(video, want, w, h)
            deadline = time.monotonic() + 3
            while True:  # the X server may lag a moment behind the app's flush
                screen = screen_rgb(xserver, x, y, w, h)
                if close_enough(screen, right) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            diff = np.abs(screen - right)
            assert close_enough(screen, right), (
                f"row {row}: the screen differs from the decoded frame: mean "
                f"{diff.mean():.2f}, 99.9th percentile {np.percentile(diff, 99.9)}")
            # The tolerance tells frames apart: the previous step's frame would fail it.
            prev = expected[row - 1].obs_pts
            if prev != want:
                wrong = decoded_scaled(video, prev, w, h)
                assert not close_enough(screen, wrong)
    finally:
        app.close()

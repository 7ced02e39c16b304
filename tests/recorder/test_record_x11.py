"""The recorder under a real X server (Xvfb), driven by xdotool, with real mss, pynput and
PyAV.  Nothing here is mocked."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from annotator.bundle import Bundle
from annotator.bundle.inspect import inspect_bundle
from annotator.capture.x11_screen import GRAB_IN_PLACE
from tests.apps.click_app import COLOURS
from tests.apps.marker_app import read_marker
from tests.conftest import start_annotator
from tests.videoutil import decode_all, nearest_colour

pytestmark = pytest.mark.x11

APP_X, APP_Y, APP_W, APP_H = 100, 100, 800, 600
# The click pad fills the top 3/5 of the window (see tests/apps/click_app.py).
PAD_H = 300


def record_env(xserver, tmp_path: Path) -> dict[str, str]:
    env = xserver.env
    env["ANNOTATOR_HOME"] = str(tmp_path / "ws")
    return env


@pytest.fixture
def recorders():
    """Recorder processes a test started: killed at its end if still running (a failed
    test must not leave one grabbing the shared X server)."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def start_recording(xserver, tmp_path: Path, out: Path, procs: list[subprocess.Popen],
                    *extra: str) -> subprocess.Popen:
    proc = start_annotator(["record", "--no-control", "--yes", "--out", str(out), *extra],
                           record_env(xserver, tmp_path))
    procs.append(proc)
    # The recorder writes its manifest once the first frame is grabbed and the X server
    # records input (annotator/capture/x11_input.py): no sleep needed after it.
    wait_for_manifest(proc, out / "manifest.json")
    return proc


def wait_for_manifest(proc: subprocess.Popen, path: Path, timeout: float = 180) -> None:
    """Until the recorder has written its manifest: it fails at once if the recorder exits
    first, and its bound is wide (a loaded machine starts Python slowly) without slowing a
    passing test."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"the recorder exited ({proc.returncode}) before writing "
                                 f"{path.name}: {err}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear in {timeout:g} s")
        time.sleep(0.05)


def stop_recording(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return err


def test_scripted_input_is_captured_exactly_once(xserver, start_app, tmp_path, recorders):
    app = start_app("tests.apps.click_app", "--geometry", f"{APP_X},{APP_Y},{APP_W},{APP_H}")
    out = tmp_path / "rec"
    proc = start_recording(xserver, tmp_path, out, recorders)
    clicks = [(300, 200, "1", "left"), (520, 240, "3", "right"), (700, 300, "2", "middle"),
              (250, 330, "1", "left")]
    for x, y, b, _ in clicks:
        xserver.xdotool("mousemove", str(x), str(y), "click", b)
        time.sleep(0.25)
    # Focus the line edit and type, with shifted characters and a correction.
    xserver.xdotool("mousemove", "400", str(APP_Y + PAD_H + 20), "click", "1")
    time.sleep(0.2)
    xserver.xdotool("type", "--delay", "40", "Quarterly Report!")
    xserver.xdotool("key", "BackSpace", "Return", "ctrl+s")
    scroll_at = (400, APP_Y + 500)
    xserver.xdotool("mousemove", *map(str, scroll_at), "click", "5", "click", "5", "click", "5",
                    "click", "4", "click", "4")
    time.sleep(0.5)
    err = stop_recording(proc)
    app.close()

    b = Bundle.open(out)
    assert b.status == "complete", f"bundle status {b.status!r}; stderr: {err}"
    ev = b.events
    seen = _describe(ev)
    downs = [e for e in ev if e["kind"] == "mouse_down"]
    ups = [e for e in ev if e["kind"] == "mouse_up"]
    expected = [(x, y, name) for x, y, _, name in clicks] + [(400, APP_Y + PAD_H + 20, "left")]
    for kind, got in (("presses", downs), ("releases", ups)):
        got_xyb = [(e["x"], e["y"], e["button"]) for e in got]
        assert got_xyb == expected, (
            f"button {kind}: missing {_missing(expected, got_xyb)}, unexpected "
            f"{_missing(got_xyb, expected)}; recorded: {seen}")
    # Each down precedes its up.
    for d, u in zip(downs, ups, strict=True):
        assert d["t"] <= u["t"] and d["id"] < u["id"], f"release before press: {d}, {u}"

    key_downs = [e for e in ev if e["kind"] == "key_down"]
    typed = "".join(e["char"] for e in key_downs if e["char"] and not (set(e["mods"]) & {"ctrl"}))
    assert typed == "Quarterly Report!", f"typed {typed!r}; recorded: {seen}"
    names = [e["key"] for e in key_downs if e["key"] in ("backspace", "enter")]
    assert names == ["backspace", "enter"], f"keys {names}; recorded: {seen}"
    ctrl_s = [e for e in key_downs if e["key"] == "s" and e["mods"] == ["ctrl"]]
    assert len(ctrl_s) == 1, f"{len(ctrl_s)} ctrl+s; recorded: {seen}"
    # Every key down has exactly one key up.
    key_ups = [e for e in ev if e["kind"] == "key_up"]
    assert len(key_ups) == len(key_downs), (
        f"{len(key_downs)} key presses, {len(key_ups)} releases: presses without a release "
        f"{_missing([e['key'] for e in key_downs], [e['key'] for e in key_ups])}, releases "
        f"without a press {_missing([e['key'] for e in key_ups], [e['key'] for e in key_downs])}")

    scrolls = [e for e in ev if e["kind"] == "scroll"]
    assert [e["dy"] for e in scrolls] == [1, 1, 1, -1, -1], (  # dy > 0 means down
        f"scrolls {[(e['dy'], e['x'], e['y']) for e in scrolls]}; recorded: {seen}")
    assert all((e["x"], e["y"]) == scroll_at and e["dx"] == 0 for e in scrolls), scrolls

    # Every input event says which kind of device it came from: on Xvfb all input is
    # injected (xdotool: XTEST presses, pointer moves by XWarpPointer), so synthetic.
    devices = b.manifest["input_devices"]
    assert devices["source"] == "xinput2", devices
    assert "xtest" in devices["classes_present"], devices
    inputs = [e for e in ev if e["kind"] not in ("pause", "resume")]
    not_xtest = [(e["kind"], e["device"]) for e in inputs
                 if e["kind"] != "mouse_move" and e["device"] != "xtest"]
    assert not not_xtest, f"events from other devices than XTEST: {not_xtest}"
    moves = {e["device"] for e in inputs if e["kind"] == "mouse_move"}
    assert moves <= {"xtest", "warp"}, f"pointer moves from {moves}"
    assert all(e["synthetic"] is True for e in inputs), [e for e in inputs if not e["synthetic"]]
    # Window focus was recorded with the app's title.
    titles = sorted({w["title"] for w in b.windows})
    assert "Click test" in titles, f"window titles recorded: {titles}"
    report = inspect_bundle(out)
    assert report["problems"] == [], report["problems"]
    assert report["fps_achieved"] > 20, f"{report['fps_achieved']:.1f} captures a second"
    # The app saw the same presses.
    presses = [line for line in app.lines if line.startswith("press")]
    assert len(presses) == len(expected), f"the app saw {presses}, expected {expected}"


def _missing(want: list, got: list) -> list:
    """What ``want`` has that ``got`` lacks (as a multiset, in ``want``'s order)."""
    rest = list(got)
    out = []
    for w in want:
        if w in rest:
            rest.remove(w)
        else:
            out.append(w)
    return out


def _describe(events: list[dict]) -> str:
    """The recorded input in short, for failure messages: kind (and key or button) with
    the time in s, moves left out."""
    def one(e: dict) -> str:
        what = e.get("key") or e.get("button") or e.get("dy") or ""
        return f"{e['kind']} {what} @{e['t'] / 1e6:.2f}s"
    return ", ".join(one(e) for e in events if e["kind"] != "mouse_move") or "nothing"


def pad_colour(rgb: np.ndarray) -> int:
    # A patch of the pad away from the counter text.
    patch = rgb[APP_Y + 20:APP_Y + 40, APP_X + 20:APP_X + 40].reshape(-1, 3).mean(axis=0)
    return nearest_colour(patch, COLOURS)


@contextmanager
def compositing_manager(xserver, name: str | None):
    """A compositing manager (Debian's xcompmgr) on the test display for the duration."""
    if name is None:
        yield
        return
    if not shutil.which(name):
        pytest.fail(f"{name} is not installed: run .ci/setup")
    proc = subprocess.Popen([name], env=xserver.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        assert proc.poll() is None, f"{name} did not start"
        yield
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("compositor", [None, "xcompmgr"])
def test_alignment_every_click_frame_before_and_after(xserver, start_app, tmp_path,
                                                      recorders, compositor):
    with compositing_manager(xserver, compositor):
        check_alignment(xserver, start_app, tmp_path, recorders)


def check_alignment(xserver, start_app, tmp_path, recorders):
    app = start_app("tests.apps.click_app", "--geometry", f"{APP_X},{APP_Y},{APP_W},{APP_H}")
    out = tmp_path / "rec"
    proc = start_recording(xserver, tmp_path, out, recorders)
    rng = np.random.default_rng(7)
    n_clicks = 14
    for _ in range(n_clicks):
        x = int(rng.integers(APP_X + 100, APP_X + APP_W - 100))
        y = int(rng.integers(APP_Y + 60, APP_Y + PAD_H - 20))
        xserver.xdotool("mousemove", str(x), str(y), "click", "1")
        time.sleep(float(rng.uniform(0.15, 0.5)))
    time.sleep(0.4)
    stop_recording(proc)
    app.close()

    b = Bundle.open(out)
    # Only what DAMAGE reported was read, and it never missed a change (no fallback).
    capture = b.manifest["capture"]
    assert capture["method"] == "damage" and "fallback" not in capture, capture
    # Xvfb has MIT-SHM: whole-region grabs were read in place, and the manifest says so.
    assert capture["grab"] == GRAB_IN_PLACE, capture
    assert capture["stats"]["ticks_without_damage"] > 0
    assert capture["stats"]["partial_grabs"] > 0
    frames = b.frames
    # Between clicks the capture thread slept through quiet ticks, and every tick is still
    # a grab of the index or a missed deadline, counted as one (the first grab is stamped
    # once it is read, which under load can be ticks after it began: those are counted).
    assert capture["stats"]["ticks_slept"] > 0, capture["stats"]
    interval_us = 1e6 / capture["fps_requested"]
    ticks = round((int(frames.t[-1]) - int(frames.t[0])) / interval_us) + 1
    assert len(frames) + b.manifest["stats"]["dropped_deadlines"] >= ticks - 2, (
        len(frames), b.manifest["stats"]["dropped_deadlines"], ticks)
    colours = decode_all(b.video_path, pad_colour)
    assert set(frames.pts[frames.stored]) <= set(colours), "index pts missing from the video"

    downs = [e for e in b.events if e["kind"] == "mouse_down"]
    assert len(downs) == n_clicks
    # When the app had painted each new state, on the recording's clock: on a loaded machine
    # the app itself can be late, which is not the recorder's error.
    t0_ns = b.manifest["clock"]["start_monotonic_ns"]
    painted = [(int(line.split()[5]) - t0_ns) // 1000 for line in app.lines
               if line.startswith("press")]
    assert len(painted) == n_clicks
    errors = []
    for n, e in enumerate(downs, start=1):
        t = e["t"]
        before = frames.last_before(t)
        assert before is not None
        assert colours[int(frames.pts[before])] == (n - 1) % len(COLOURS), (
            f"click {n}: the last frame before the click does not show the state before it")
        # A frame captured no later than two frame intervals after the click shows the new state.
        changed_at = max(t, painted[n - 1])
        # The first or second grab after the change shows the new state (the very next grab
        # may have been taken while the X server was still drawing it)...
        nxt = [i for i in range(before + 1, len(frames)) if frames.t[i] > changed_at][:2]
        shown = [i for i in nxt if colours[int(frames.pts[i])] == n % len(COLOURS)]
        assert shown, (f"click {n}: neither of the two grabs after the change shows the new "
                       f"state (painted {(painted[n - 1] - t) / 1000:.1f} ms after the click)")
        i = shown[0]
        # ...no later than two frame intervals after it, unless the capture schedule itself
        # slipped there (a grab late against the previous one: a starved machine, which the
        # recorder counts as missed deadlines).
        late_schedule = any(frames.t[j] - frames.t[j - 1] > 1.5 * interval_us
                            for j in range(before + 1, i + 1))
        error_ms = (int(frames.t[i]) - changed_at) / 1000
        assert error_ms <= 2 * interval_us / 1000 or late_schedule, (
            f"click {n}: the new state first appears {error_ms:.1f} ms after the change")
        errors.append(error_ms)


def test_kill_9_is_recovered_to_within_2_s(xserver, start_app, tmp_path, recorders):
    mx, my = 50, 800
    start_app("tests.apps.marker_app", "--geometry", f"{mx},{my},900,200")
    out = tmp_path / "rec"
    proc = start_recording(xserver, tmp_path, out, recorders)
    time.sleep(4)
    killed_ms = int(time.monotonic() * 1000) & 0xFFFFFFFF
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert json.loads((out / "manifest.json").read_text())["status"] == "recording"

    res = subprocess.run(
        [str(Path(os.sys.executable)), "-m", "annotator", "recover", str(out)],
        env=record_env(xserver, tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    b = Bundle.open(out)
    assert b.status == "recovered"
    markers = decode_all(b.video_path, lambda rgb: read_marker(rgb, mx, my))
    assert markers, "the recovered video has no frames"
    last = markers[max(markers)]
    lag_ms = (killed_ms - last) & 0xFFFFFFFF
    assert lag_ms <= 2000, f"the recovered video ends {lag_ms} ms before the kill"
    # Everything in the index is in the video, and inspect finds a readable bundle.
    assert set(b.frames.pts[b.frames.stored]) <= set(markers)
    report = inspect_bundle(out)
    assert report["status"] == "recovered"
    assert report["frames_stored"] > 0


def test_second_recorder_is_refused(xserver, tmp_path, recorders):
    out1, out2 = tmp_path / "a", tmp_path / "b"
    proc = start_recording(xserver, tmp_path, out1, recorders)
    try:
        res = subprocess.run(
            [str(Path(os.sys.executable)), "-m", "annotator", "record", "--no-control", "--yes",
             "--out", str(out2), "--duration", "1"],
            env=record_env(xserver, tmp_path), capture_output=True, text=True, timeout=60,
        )
        assert res.returncode == 2
        assert "already running" in res.stderr
        assert not (out2 / "manifest.json").exists()
    finally:
        stop_recording(proc)


def test_small_changes_wait_but_every_input_has_its_frame(xdisplay, start_app, tmp_path):
    """A small change with no input near it (a blinking caret) is stored at most once a
    second; input makes the grab right before it a frame, whatever was held back."""
    from annotator.bundle.recover import video_pts
    from annotator.capture.recorder import RecordConfig, Recorder

    # A new colour at every change: the screen never comes back to a frame's picture (where
    # it does, the grab that ends a wait is not encoded again: the next test).
    start_app("tests.apps.blink_app", "--geometry", "100,100,300,200", "--colours", "0")
    rec = Recorder(RecordConfig(out_dir=tmp_path / "r", a11y=False))
    rec.start()
    try:
        time.sleep(2.5)  # quiet: the square's changes wait
        for i in range(4):
            xdisplay.xdotool("mousemove", str(150 + 20 * i), "200", "click", "1")
            time.sleep(1.3)
    finally:
        manifest = rec.stop()
    b = Bundle.open(tmp_path / "r")
    stats = manifest["capture"]["stats"]
    assert stats["small_changes_held"] > 0 and stats["small_change_frames"] > 0, stats
    f = b.frames
    stored, changed, t = f.stored, f.changed, f.t
    assert set(t[stored].tolist()) == set(video_pts(b.video_path))
    # About 7 changes a second, stored about once a second away from input and from the
    # first grab (a whole screen, not small: the wait starts 1 s after it).
    quiet = (t > t[0] + 1_100_000) & (t < t[0] + 2_300_000)
    assert changed[quiet].sum() >= 4 and stored[quiet].sum() <= 2, (changed[quiet].sum(),
                                                                     stored[quiet].sum())
    inputs = [e for e in b.events if e["kind"] in ("mouse_move", "mouse_down", "mouse_up")]
    assert len([e for e in inputs if e["kind"] == "mouse_down"]) == 4
    for e in inputs:
        k = int(np.searchsorted(t, e["t"], side="left")) - 1  # the last grab before it
        last = int(np.flatnonzero(stored[:k + 1])[-1])
        held = np.flatnonzero(changed[last + 1:k + 1] & ~stored[last + 1:k + 1])
        # What the screen showed at the input is a frame; unless the input came during the
        # grab after it, which read a change (then that grab is the frame).
        raced = k + 1 < len(t) and stored[k + 1] and changed[k + 1]
        assert len(held) == 0 or raced, (
            f"input at {e['t']} µs: grabs {(held + last + 1).tolist()} changed the screen "
            f"after the last frame ({int(t[last])} µs) and none was stored")


BLINK_COLOURS = [(220, 40, 40), (40, 180, 40)]  # tests/apps/blink_app.py's first two


def test_a_wait_that_ends_on_the_last_frame_is_not_encoded_again(xdisplay, start_app,
                                                                   tmp_path):
    """A caret blinking once a second (on 0.5 s, off 0.5 s) ends each 1 s wait as the last
    frame showed it: that grab is shown by the frame (its pts), not encoded again."""
    from annotator.bundle.recover import video_pts
    from annotator.capture.recorder import RecordConfig, Recorder

    start_app("tests.apps.blink_app", "--geometry", "100,100,300,200", "--every", "500",
              "--colours", "2")
    rec = Recorder(RecordConfig(out_dir=tmp_path / "r", a11y=False))
    rec.start()
    try:
        time.sleep(7)
    finally:
        manifest = rec.stop()
    stats = manifest["capture"]["stats"]
    b = Bundle.open(tmp_path / "r")
    f = b.frames
    assert set(f.t[f.stored].tolist()) == set(video_pts(b.video_path))
    # About 12 changes after the first second; before, a frame for each 1 s wait (5 or 6).
    assert stats["small_changes_held"] >= 8, stats
    assert stats["small_changes_undone"] >= 3, stats
    assert stats["small_change_frames"] <= 2, stats
    # Every frame shows the square in one of the caret's two colours (it is at 120,120).
    for pts, patch in decode_all(b.video_path, lambda rgb: rgb[122:130, 122:130].mean((0, 1))
                                 ).items():
        d = min(float(np.sum((patch - np.array(c)) ** 2)) for c in BLINK_COLOURS)
        assert d < 3 * 20 ** 2, (pts, patch)


def test_the_capture_clock_starts_after_the_start_up(xdisplay, tmp_path):
    """No tick is due while the recorder is still starting (the input listener, x264's first
    frame, the start-up's garbage: ticks due then were missed), and the objects alive at the
    start are left out of the garbage collector's passes while recording, only then."""
    import gc

    from annotator.capture.recorder import RecordConfig, Recorder
    from annotator.capture.x11_input import PynputInput

    class SlowStart(PynputInput):
        started_ns = 0

        def start(self, on_event):
            time.sleep(0.3)
            super().start(on_event)
            SlowStart.started_ns = time.monotonic_ns()

    rec = Recorder(RecordConfig(out_dir=tmp_path / "r", a11y=False), input_source=SlowStart())
    rec.start()
    try:
        frozen = gc.get_freeze_count()
        time.sleep(0.5)
    finally:
        manifest = rec.stop()
    assert frozen > 0 and gc.get_freeze_count() == 0
    t = Bundle.open(tmp_path / "r").frames.t
    start_us = (SlowStart.started_ns - manifest["clock"]["start_monotonic_ns"]) / 1000
    assert len(t) and t[0] >= start_us, (int(t[0]), start_us)

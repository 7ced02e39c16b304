"""Bad input gets a clear error, and nothing is lost: no display, Wayland, a region off the
screen, a non-empty or unwritable folder, a full disk; plus pause and the deny-list."""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from annotator.bundle import Bundle
from annotator.bundle.recover import video_pts
from annotator.capture.recorder import RecordConfig, Recorder
from tests.conftest import run_annotator
from tests.videoutil import decode_all


def env_without_display(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["ANNOTATOR_HOME"] = str(tmp_path / "ws")
    env.update(extra)
    return env


def test_no_display_says_so(tmp_path):
    res = run_annotator(["record", "--no-control", "--yes", "--out", str(tmp_path / "r")],
                        env_without_display(tmp_path))
    assert res.returncode == 2
    assert "DISPLAY is not set" in res.stderr
    assert not (tmp_path / "r").exists()


def test_wayland_without_x_says_capture_is_not_supported(tmp_path):
    res = run_annotator(["record", "--no-control", "--yes", "--out", str(tmp_path / "r")],
                        env_without_display(tmp_path, WAYLAND_DISPLAY="wayland-0"))
    assert res.returncode == 2
    assert "Wayland" in res.stderr and "not supported" in res.stderr


def test_a_display_that_refuses_screen_grabs_is_a_clear_error(monkeypatch):
    from annotator.capture.x11_screen import open_mss
    from annotator.errors import PlatformNotSupported

    monkeypatch.setenv("DISPLAY", ":4711")  # no server listens there
    with pytest.raises(PlatformNotSupported) as err:
        open_mss()
    assert "Cannot grab the screen" in str(err.value) and ":4711" in str(err.value)
    assert "DISPLAY" in err.value.hint


def test_acknowledgement_is_required_once(tmp_path):
    res = run_annotator(["record", "--no-control", "--out", str(tmp_path / "r")],
                        env_without_display(tmp_path))
    assert res.returncode == 2
    assert "--yes" in res.stderr and "every key you press" in res.stderr


@pytest.mark.x11
def test_region_outside_the_screen(xserver, tmp_path):
    env = xserver.env | {"ANNOTATOR_HOME": str(tmp_path / "ws")}
    res = run_annotator(["record", "--no-control", "--yes", "--region", "1800,1000,400,400",
                         "--out", str(tmp_path / "r")], env)
    assert res.returncode == 2
    assert "outside the screen" in res.stderr and "1920" in res.stderr
    res = run_annotator(["record", "--no-control", "--yes", "--region", "1,2,3",
                         "--out", str(tmp_path / "r")], env)
    assert res.returncode == 2 and "X,Y,W,H" in res.stderr


@pytest.mark.x11
def test_non_empty_folder_is_refused_unless_forced(xserver, tmp_path):
    env = xserver.env | {"ANNOTATOR_HOME": str(tmp_path / "ws")}
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    res = run_annotator(["record", "--no-control", "--yes", "--duration", "1",
                         "--out", str(out)], env)
    assert res.returncode == 2 and "not empty" in res.stderr and "--force" in res.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    assert not (out / "manifest.json").exists()
    res = run_annotator(["record", "--no-control", "--yes", "--duration", "1", "--force",
                         "--out", str(out)], env)
    assert res.returncode == 0, res.stderr
    assert Bundle.open(out).status == "complete"
    assert (out / "notes.txt").read_text() == "keep me"


@contextmanager
def tmpfs(path: Path, options: str):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.x11
def test_unwritable_folder(xserver, tmp_path):
    env = xserver.env | {"ANNOTATOR_HOME": str(tmp_path / "ws")}
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        res = run_annotator(["record", "--no-control", "--yes", "--duration", "1",
                             "--out", str(ro / "r")], env)
    assert res.returncode == 2
    assert "Read-only file system" in res.stderr or "not writable" in res.stderr
    assert "What to do" in res.stderr


@pytest.mark.x11
def test_full_disk_stops_cleanly_with_a_valid_bundle(xdisplay, start_app, tmp_path):
    start_app("tests.apps.marker_app", "--geometry", "0,0,400,300", "--noise")
    with tmpfs(tmp_path / "small", "size=8m") as small:
        out = small / "r"
        rec = Recorder(RecordConfig(out_dir=out, duration_s=60, disk_warn_bytes=0,
                                    disk_stop_bytes=0, reserve_bytes=512 * 1024))
        rec.start()
        assert rec.wait(60), "the recorder did not stop on a full disk"
        manifest = rec.stop()
        assert manifest["stop_reason"] == "disk full"
        assert any("disk is full" in p for p in manifest["problems"])
        b = Bundle.open(out)
        assert b.status == "complete"
        pts = video_pts(b.video_path)
        assert pts, "the frames written before the disk filled must be kept"
        assert len(decode_all(b.video_path)) == len(pts)  # decodable to the end


@pytest.mark.x11
def test_pause_captures_nothing(xdisplay, start_app, tmp_path):
    start_app("tests.apps.click_app", "--geometry", "100,100,800,600")
    # Also the path without DAMAGE: the whole screen at every tick, and the manifest says so.
    rec = Recorder(RecordConfig(out_dir=tmp_path / "r", damage=False))
    rec.start()
    time.sleep(0.5)
    xdisplay.xdotool("mousemove", "300", "200", "click", "1")
    time.sleep(0.3)
    rec.pause()
    xdisplay.xdotool("mousemove", "320", "220", "click", "1", "click", "3")
    xdisplay.xdotool("type", "secret")
    time.sleep(0.5)
    rec.resume()
    time.sleep(0.3)
    xdisplay.xdotool("mousemove", "340", "240", "click", "1")
    time.sleep(0.3)
    manifest = rec.stop()
    assert manifest["capture"]["method"] == "full grabs"
    assert manifest["capture"]["method_reason"] == "turned off for this recording"
    assert manifest["capture"]["stats"]["partial_grabs"] == 0
    (pause,) = manifest["pauses"]
    b = Bundle.open(tmp_path / "r")
    inside = [e for e in b.events
              if pause["start_us"] < e["t"] < pause["end_us"]]
    assert inside == []
    assert [e["x"] for e in b.events if e["kind"] == "mouse_down"] == [300, 340]
    assert not any(e.get("char") for e in b.events)
    t = b.frames.t
    assert not np.any((t > pause["start_us"]) & (t < pause["end_us"]))


@pytest.mark.x11
def test_deny_listed_window_is_blacked_out_and_pauses_when_focused(xdisplay, start_app, tmp_path):
    app = start_app("tests.apps.click_app", "--geometry", "100,100,600,500", "--title", "Notes")
    start_app("tests.apps.click_app", "--geometry", "1000,100,600,500",
              "--title", "KeePassXC - vault")
    notes = xdisplay.xdotool("search", "--name", "^Notes$").split()[0]
    vault = xdisplay.xdotool("search", "--name", "KeePassXC").split()[0]
    xdisplay.xdotool("windowfocus", notes)
    rec = Recorder(RecordConfig(out_dir=tmp_path / "r"))
    rec.start()
    time.sleep(0.8)
    xdisplay.xdotool("mousemove", "300", "200", "click", "1")
    time.sleep(0.3)
    xdisplay.xdotool("windowfocus", vault)
    time.sleep(0.5)
    assert rec.status().state == "paused"
    assert "keepass" in rec.status().pause_reason
    xdisplay.xdotool("type", "hunter2")
    xdisplay.xdotool("windowfocus", notes)
    time.sleep(0.5)
    assert rec.status().state == "recording"
    manifest = rec.stop()
    app.close()
    assert any("keepass" in (p["reason"] or "") for p in manifest["pauses"])
    b = Bundle.open(tmp_path / "r")
    assert not any(e.get("char") for e in b.events), "keys typed into the vault were recorded"
    # Every stored frame shows the vault's area black, the other window in colour.
    stats = decode_all(b.video_path, lambda rgb: (rgb[150:550, 1050:1550].max(),
                                                  rgb[150:400, 150:650].mean()))
    assert stats
    assert all(vault_max <= 16 for vault_max, _ in stats.values())
    assert all(notes_mean > 30 for _, notes_mean in stats.values())


def test_the_cli_and_the_control_window_make_one_configuration(tmp_path):
    """`annotator record`'s flags and the control window both go through RecordOptions: a
    recording without --out gets a new folder in the workspace, and every flag
    reaches the recorder's configuration."""
    import argparse

    from annotator.capture.interfaces import Rect
    from annotator.capture.record_setup import RecordOptions
    from annotator.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    args = argparse.Namespace(out=None, fps=12.5, screen=None, region=Rect(0, 0, 640, 480),
                              duration=3.0, deny=["KeePassXC"], preset="ultrafast", crf=30,
                              force=True)
    opts = RecordOptions.from_args(args)
    ack = {"accepted_at": "now"}
    c = opts.config(ws, ack)
    assert c.out_dir.parent == ws.recordings_dir
    assert (c.fps, c.region, c.duration_s, c.preset, c.crf, c.force) == (
        12.5, Rect(0, 0, 640, 480), 3.0, "ultrafast", 30, True)
    assert "KeePassXC" in c.deny.extra and c.acknowledgement is ack
    assert RecordOptions(out=tmp_path / "here").config(ws, None).out_dir == tmp_path / "here"

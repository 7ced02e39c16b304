"""Bundle version 2 without a screen: the bundle writer, the binary frame index (one row per
grab, damaged and cut-off records), recovery of a cut-off index and video, and version 1
still read the same way."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from annotator.bundle import Bundle, schema
from annotator.bundle.frameindex import (
    CHANGED,
    HEADER_SIZE,
    READ,
    STORED,
    FrameIndexWriter,
    read_frame_index,
    read_records,
)
from annotator.bundle.inspect import inspect_bundle
from annotator.bundle.jsonl import JsonlReport
from annotator.bundle.mp4 import scan_fragmented_mp4
from annotator.bundle.recover import recover, video_pts
from annotator.bundle.writer import BundleWriter, iso, new_manifest, utc_now
from annotator.steps.fastread import read_frames
from tests.recorder.test_bundle import make_bundle

W, H = 320, 240


def write_bundle(folder, n_ticks=90, change_every=3, close=True):
    """A real version-2 bundle: noisy frames every ``change_every`` ticks, a keep-alive
    repeat one tick after each change, unchanged grabs in between."""
    folder.mkdir(parents=True, exist_ok=True)
    w = BundleWriter(folder, W, H, video={"fps": 30})
    started = utc_now()
    w.start(new_manifest(created_by="test", started=started,
                         clock={"start_utc": iso(started)}, os={}, displays=[],
                         capture={"region": {"x": 0, "y": 0, "width": W, "height": H},
                                  "fps_requested": 30},
                         input_devices={"source": "xinput2"}))
    rng = np.random.default_rng(1)
    yuv = None
    for i in range(n_ticks):
        t = 10_000 + i * 33_333
        changed = i % change_every == 0
        keepalive = i % change_every == 1
        if changed:
            yuv = rng.integers(0, 255, (H * 3 // 2, W), dtype=np.uint8)
        if changed or keepalive:
            w.encode(yuv, t)
        w.grab(t, stored=changed or keepalive, changed=changed, extra_flags=READ)
    w.event({"id": 1, "t": 50_000, "kind": "mouse_down", "x": 5, "y": 6, "button": "left",
             "device": "xtest", "synthetic": True})
    w.flush()
    if close:
        w.close_video()
        w.close_streams()
        w.finish({"duration_us": 10_000 + n_ticks * 33_333})
    return w


def test_index_rows_and_pts_are_derived_per_grab(tmp_path):
    write_bundle(tmp_path / "b")
    b = Bundle.open(tmp_path / "b")
    assert b.manifest["schema_version"] == schema.SCHEMA_VERSION == 2
    f = b.frames
    assert len(f) == 90
    assert list(f.t[:4]) == [10_000, 43_333, 76_666, 109_999]
    assert list(f.stored[:4]) == [True, True, False, True]
    assert list(f.changed[:4]) == [True, False, False, True]
    # An unchanged grab is shown by the last stored frame: its pts.
    assert list(f.pts[:4]) == [10_000, 43_333, 43_333, 109_999]
    assert video_pts(b.video_path) == list(f.stored_pts)
    # 8 bytes a grab, plus the header.
    assert (tmp_path / "b" / schema.FRAME_INDEX).stat().st_size == HEADER_SIZE + 90 * 8
    # The fast reader of the steps gives the same arrays.
    t, pts, stored, changed, _ = read_frames(b.path, b.manifest)
    assert np.array_equal(t, f.t) and np.array_equal(pts, f.pts)
    assert np.array_equal(stored, f.stored) and np.array_equal(changed, f.changed)
    stats = b.manifest["stats"]
    assert stats["grabs"] == 90 and stats["frames_stored"] == 60
    assert b.manifest["input_devices"]["events_by_device"] == {"xtest": 1}
    assert b.events[0]["device"] == "xtest" and b.events[0]["synthetic"] is True


def test_damaged_and_cut_off_records_are_skipped_and_reported(tmp_path):
    path = tmp_path / "frames.idx"
    w = FrameIndexWriter(path)
    for i in range(10):
        w.add(1000 * (i + 1), STORED | CHANGED)
    w.close()
    data = bytearray(path.read_bytes())
    data[HEADER_SIZE + 3 * 8: HEADER_SIZE + 4 * 8] = bytes(8)  # a zeroed record (4th)
    struct.pack_into("<Q", data, HEADER_SIZE + 6 * 8, 0xDEADBEEF12345678)  # garbage (7th)
    data += b"\x01\x02\x03"  # half a record: the crash point
    path.write_bytes(bytes(data))
    report = JsonlReport("frames.idx")
    t, pts, stored, changed = read_frame_index(path, report)
    assert list(t) == [1000, 2000, 3000, 5000, 6000, 8000, 9000, 10000]
    assert report.bad_lines == [4, 7] and report.truncated_tail
    assert "2 corrupt" in " ".join(report.warnings) and "cut off" in " ".join(report.warnings)
    with pytest.raises(ValueError, match="must not go back"):
        w2 = FrameIndexWriter(tmp_path / "x.idx")
        w2.add(5, 0)
        w2.add(4, 0)


def test_recover_a_cut_off_v2_bundle(tmp_path):
    folder = tmp_path / "b"
    write_bundle(folder, n_ticks=150, close=False)  # killed: the video was never closed
    video = folder / schema.VIDEO
    assert scan_fragmented_mp4(video).fragments >= 3
    size = video.stat().st_size
    with open(video, "r+b") as fh:
        fh.truncate(size - 3000)  # the crash cut the last fragment
    with open(folder / schema.FRAME_INDEX, "ab") as fh:
        fh.write(b"\x07\x07\x07")  # and half a record
    m = recover(folder)
    assert m["status"] == "recovered"
    kept = video_pts(video)
    b = Bundle.open(folder)
    f = b.frames
    # Every stored grab is in the video, and the index ends right before the first changed
    # grab whose frame was lost.
    assert set(f.stored_pts) == set(kept)
    assert f.t[-1] < min(t for t in range(10_000, 10_000 + 150 * 33_333, 33_333)
                         if t > kept[-1] and (t - 10_000) // 33_333 % 3 == 0)
    assert m["recovery"]["frames_lost"] == 150 - len(f)
    assert all(int(p) in set(kept) for p in f.pts if p >= 0)
    report = inspect_bundle(folder)
    assert report["status"] == "recovered" and report["grabs"] == len(f)


def test_recover_keeps_the_idle_tail_shown_by_a_surviving_frame(tmp_path):
    """A keep-alive repeat lost with the last fragment costs only its stored bit: the
    unchanged grabs after it are shown by the change frame, which survived."""
    folder = tmp_path / "b"
    folder.mkdir()
    w = BundleWriter(folder, W, H, video={"fps": 30})
    started = utc_now()
    w.start(new_manifest(created_by="test", started=started, clock={}, os={}, displays=[],
                         capture={"region": {"x": 0, "y": 0, "width": W, "height": H}}))
    rng = np.random.default_rng(2)
    t = 0
    yuv = None
    for i in range(60):  # 2 s of changes: several whole fragments
        t = 10_000 + i * 33_333
        yuv = rng.integers(0, 255, (H * 3 // 2, W), dtype=np.uint8)
        w.encode(yuv, t)
        w.grab(t, stored=True, changed=True)
    repeats = [t + k * 150_000 for k in range(1, 11)]  # keep-alives for 1.5 s
    for rt in repeats:
        w.encode(yuv, rt)
        w.grab(rt, stored=True, changed=False)
    idle = [repeats[-1] + k * 33_333 for k in range(1, 300)]  # ten idle seconds
    for it in idle:
        w.grab(it, stored=False, changed=False)
    w.flush()  # killed here: the video's last fragment and the encoder's delay are lost
    recover(folder)
    f = Bundle.open(folder).frames
    kept = set(video_pts(folder / schema.VIDEO))
    assert t in kept, "the last change reached a finished fragment"
    lost = [rt for rt in repeats if rt not in kept]
    assert lost, "some keep-alives were still in the open fragment"
    assert len(f) == 60 + len(repeats) + len(idle)  # no grab lost
    assert set(f.stored_pts) == kept
    assert f.pts[-1] == max(kept) and f.pts[-1] >= t


def test_version_1_bundles_still_read(tmp_path):
    make_bundle(tmp_path / "v1")
    b = Bundle.open(tmp_path / "v1")
    assert b.manifest["schema_version"] == 1
    assert b.manifest["input_devices"]["source"] == "none"
    assert b.manifest["capture"]["method"] == "full grabs"
    assert len(b.frames) == 60 and video_pts(b.video_path) == list(b.frames.pts)
    t, pts, *_ = read_frames(b.path, b.manifest)
    assert np.array_equal(pts, b.frames.pts)


def test_read_records_gives_the_read_bits(tmp_path):
    write_bundle(tmp_path / "b", n_ticks=9)
    t, flags = read_records(tmp_path / "b" / schema.FRAME_INDEX)
    assert len(t) == 9 and all(flags & READ)

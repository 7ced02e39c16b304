"""The bundle format without a screen: reading, schema versions, corrupt lines, recovery of
a cut-off video, and inspect."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from annotator.bundle import Bundle, schema
from annotator.bundle.inspect import inspect_bundle
from annotator.bundle.mp4 import scan_fragmented_mp4
from annotator.bundle.recover import recover, video_pts
from annotator.bundle.video import VideoEncoder
from annotator.errors import BundleError, NewerSchemaError


def make_bundle(folder: Path, n_frames: int = 60, *, status: str = "complete",
                close_video: bool = True) -> dict:
    """A real bundle made with the recorder's encoder: noisy frames so that fragments fill."""
    folder.mkdir(parents=True, exist_ok=True)
    w, h = 320, 240
    enc = VideoEncoder(folder / schema.VIDEO, w, h, fps=30)
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n_frames):
        t = 10_000 + i * 33_333
        yuv = rng.integers(0, 255, (h * 3 // 2, w), dtype=np.uint8)
        enc.encode_i420(yuv, t)
        frames.append({"i": i, "t": t, "pts": t, "stored": True, "changed": True,
                       "file": schema.VIDEO})
    if close_video:
        enc.close()
    with open(folder / schema.FRAMES, "w") as fh:
        for f in frames:
            fh.write(json.dumps(f) + "\n")
    events = [{"id": 1, "t": 50_000, "kind": "mouse_down", "x": 5, "y": 6, "button": "left"},
              {"id": 2, "t": 60_000, "kind": "mouse_up", "x": 5, "y": 6, "button": "left"},
              {"id": 3, "t": 70_000, "kind": "pause", "reason": "paused by you"},
              {"id": 4, "t": 900_000, "kind": "resume"}]
    with open(folder / schema.EVENTS, "w") as fh:
        for e in events:
            fh.write(json.dumps(e) + "\n")
    (folder / schema.WINDOWS).write_text("")
    manifest = {
        "schema_version": 1, "id": "test", "status": status,
        "started_utc": "2026-01-01T00:00:00+00:00",
        "capture": {"region": {"x": 0, "y": 0, "width": w, "height": h}, "fps_requested": 30},
        "video": {"file": schema.VIDEO}, "duration_us": frames[-1]["t"], "pauses": [],
    }
    (folder / schema.MANIFEST).write_text(json.dumps(manifest))
    return manifest


def test_video_pts_equal_capture_times(tmp_path):
    make_bundle(tmp_path / "b")
    b = Bundle.open(tmp_path / "b")
    assert video_pts(b.video_path) == list(b.frames.pts)


def test_not_a_bundle_and_newer_schema_are_refused(tmp_path):
    with pytest.raises(BundleError, match="no manifest.json"):
        Bundle.open(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="cannot be read"):
        Bundle.open(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(NewerSchemaError) as err:
        Bundle.open(tmp_path)
    assert "99" in str(err.value) and str(schema.SCHEMA_VERSION) in str(err.value)


def test_corrupt_and_truncated_lines_are_counted_and_skipped(tmp_path):
    make_bundle(tmp_path / "b")
    ev = tmp_path / "b" / schema.EVENTS
    text = ev.read_text()
    ev.write_text(text + "this is not json\n" + '{"id": 9, "t": 1, "kind": "future_kind"}\n'
                  + '{"id": 10, "t"')
    b = Bundle.open(tmp_path / "b")
    kinds = [e["kind"] for e in b.events]
    assert "future_kind" in kinds  # unknown kinds are kept
    assert len(b.events) == 5
    warnings = " ".join(b.warnings)
    assert "1 corrupt line" in warnings and "cut off" in warnings


def test_recover_cuts_a_partial_fragment_and_rebuilds_the_manifest(tmp_path):
    folder = tmp_path / "b"
    make_bundle(folder, n_frames=120, status="recording")
    video = folder / schema.VIDEO
    full = scan_fragmented_mp4(video)
    assert full.fragments >= 6 and not full.truncated
    # Cut the file in the middle of its last fragment, as a crash would.
    size = video.stat().st_size
    with open(video, "r+b") as fh:
        fh.truncate(size - 5000)
    # A half-written line at the end of the frame index.
    with open(folder / schema.FRAMES, "a") as fh:
        fh.write('{"i": 120, "t": 4')
    m = recover(folder)
    assert m["status"] == "recovered"
    kept = video_pts(video)
    assert kept, "everything before the cut must survive"
    b = Bundle.open(folder)
    assert list(b.frames.pts) == kept  # the index holds exactly the frames in the video
    assert m["recovery"]["frames_lost"] == 120 - len(kept)
    assert m["pauses"] == [{"start_us": 70_000, "end_us": 900_000, "reason": "paused by you"}]
    assert (folder / (schema.FRAMES + ".before-recover")).exists()
    report = inspect_bundle(folder)
    assert report["status"] == "recovered"
    assert not any("corrupt" in p for p in report["problems"])


def test_recover_leaves_a_finalized_bundle_alone(tmp_path):
    make_bundle(tmp_path / "b")
    before = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    recover(tmp_path / "b")
    after = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert before == after


def test_inspect_reports_problems(tmp_path):
    make_bundle(tmp_path / "b")
    (tmp_path / "b" / schema.EVENTS).write_text("")
    r = inspect_bundle(tmp_path / "b")
    assert any("No input was captured" in p for p in r["problems"])
    assert r["frames_stored"] == 60
    assert r["mb_per_min"] > 0
    assert os.path.getsize(tmp_path / "b" / schema.VIDEO) <= r["size_bytes"]

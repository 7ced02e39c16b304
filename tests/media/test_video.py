"""Frame-accurate access: the frame returned is the one on screen at the time asked for."""

from __future__ import annotations

import bisect
import random

import pytest

from annotator.errors import BundleError
from annotator.media.video import VideoReader
from tests.recorder.test_bundle import make_bundle


def test_frame_at_is_exact_in_any_order(tmp_path):
    make_bundle(tmp_path / "b", n_frames=400)
    with VideoReader(tmp_path / "b" / "video.mp4") as r:
        pts = r.all_pts()
        assert len(pts) == 400
        rng = random.Random(3)
        targets = [rng.randrange(pts[0], pts[-1] + 50_000) for _ in range(30)]
        targets += pts[::57] + [pts[0], pts[-1]]  # each of the three GOPs, both ends
        rng.shuffle(targets)
        for t in targets:
            f = r.frame_at(t)
            expected = pts[bisect.bisect_right(pts, t) - 1]
            assert f is not None and f.pts == expected, (t, f and f.pts, expected)
            assert f.rgb.shape == (240, 320, 3)
        assert r.frame_at(pts[0] - 1) is None


def test_frames_at_one_pass(tmp_path):
    make_bundle(tmp_path / "b", n_frames=200)
    with VideoReader(tmp_path / "b" / "video.mp4") as r:
        pts = r.all_pts()
        want = pts[5::20]
        got = [f.pts for f in r.frames_at(want)]
        assert got == want
        assert r.seeks == 1


def test_missing_video_is_a_clear_error(tmp_path):
    with pytest.raises(BundleError, match="missing"):
        VideoReader(tmp_path / "nope.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all")
    with pytest.raises(BundleError, match="cannot be read"):
        VideoReader(tmp_path / "bad.mp4")

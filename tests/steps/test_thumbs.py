"""Observation thumbnails, decoded from a real fragmented MP4 made by the recorder's encoder."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from annotator.bundle.video import VideoEncoder
from annotator.steps import derive_bundle
from annotator.steps.thumbs import decode_frames, write_thumbnails
from tests.steps.helpers import Script, make_bundle

W, H = 96, 64
SECONDS = 40
FRAME_US = 100_000  # 10 fps keeps the file small; a new colour every second


def colour(second: int) -> tuple[int, int, int]:
    """RGB far apart from one second to the next (H.264 keeps them distinguishable)."""
    palette = [(220, 40, 40), (40, 200, 40), (40, 60, 220), (230, 220, 40), (200, 40, 200),
               (40, 210, 210), (250, 250, 250), (20, 20, 20)]
    return palette[second % len(palette)]


@pytest.fixture(scope="module")
def video_bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("thumbs") / "b"
    folder.mkdir()
    enc = VideoEncoder(folder / "video.mp4", W, H, fps=10)
    frames = []
    for k in range(SECONDS * 1_000_000 // FRAME_US):
        t = k * FRAME_US
        rgb = np.zeros((H, W, 3), np.uint8)
        rgb[:] = colour(t // 1_000_000)
        enc.encode_i420(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), t)
        frames.append({"i": k, "t": t, "pts": t, "stored": True,
                       "changed": t % 1_000_000 == 0})
    enc.close()
    s = Script(t0_ms=2500).click(10, 10, ms=0)
    for at_ms in (5500, 20500, 38500):
        s.wait(at_ms - s.t / 1000).click(20, 20, ms=0)
    return make_bundle(folder, s, frames=frames, size=(W, H))


def mean_rgb(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return img[h // 4: 3 * h // 4, w // 4: 3 * w // 4].reshape(-1, 3).mean(axis=0)


def test_thumbnails_show_the_observation_frame(video_bundle):
    doc = derive_bundle(video_bundle)
    assert len(doc.steps) == 4
    thumbs = write_thumbnails(video_bundle, doc, max_side=48)
    assert sorted(thumbs) == sorted({s.obs_pts for s in doc.steps})
    for s in doc.steps:
        path = thumbs[s.obs_pts]
        assert path.parent.name == "thumbs" and path.stat().st_mode & 0o777 == 0o600
        bgr = cv2.imread(str(path))
        assert max(bgr.shape[:2]) == 48
        expected = np.array(colour(s.obs_pts // 1_000_000), float)
        assert np.abs(mean_rgb(bgr[:, :, ::-1]) - expected).max() < 25, s
    # Cached: a second call decodes nothing.
    before = {p: p.stat().st_mtime_ns for p in thumbs.values()}
    assert write_thumbnails(video_bundle, doc, max_side=48) == thumbs
    assert {p: p.stat().st_mtime_ns for p in thumbs.values()} == before


def test_decode_frames_finds_exact_pts_across_seeks(video_bundle):
    wanted = [300_000, 1_200_000, 25_000_000, 25_100_000, 39_900_000, 123_456]
    got = list(decode_frames(video_bundle / "video.mp4", wanted))
    # 123_456 is not a frame of the video: skipped, never a wrong frame.
    assert [p for p, _ in got] == [300_000, 1_200_000, 25_000_000, 25_100_000, 39_900_000]
    for p, img in got:
        assert img.shape == (H, W, 3)
        assert np.abs(mean_rgb(img) - np.array(colour(p // 1_000_000))).max() < 25
